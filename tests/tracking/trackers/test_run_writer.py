"""The run writer: one thread, operations in submission order, nothing left behind."""

from __future__ import annotations

import threading
import time

import pytest

from resume_ner.tracking.trackers.run_writer import RunWriter


@pytest.fixture
def writer():
    started = RunWriter()
    yield started
    started.close(timeout=10)


def test_operations_run_in_the_order_they_were_submitted(writer: RunWriter):
    done: list[int] = []
    for number in range(200):
        writer.submit(lambda number=number: done.append(number))

    assert writer.flush(timeout=10)
    assert done == list(range(200))


def test_flush_waits_for_operations_submitted_before_it(writer: RunWriter):
    release = threading.Event()
    finished = []
    writer.submit(lambda: release.wait(10))
    writer.submit(lambda: finished.append("late"))

    assert writer.flush(timeout=0.2) is False
    release.set()
    assert writer.flush(timeout=10) is True
    assert finished == ["late"]


def test_a_failing_operation_gives_its_error_to_its_future_and_the_next_ones_still_run(
    writer: RunWriter,
):
    def fail() -> None:
        raise ValueError("store refused")

    failed = writer.submit(fail)
    after = writer.submit(lambda: "went on")

    with pytest.raises(ValueError, match="store refused"):
        failed.result(timeout=10)
    assert after.result(timeout=10) == "went on"


def test_an_operation_submitted_by_an_operation_runs_at_once_instead_of_waiting_for_itself(
    writer: RunWriter,
):
    outer = writer.submit(lambda: writer.submit(lambda: "inner").result(timeout=5))

    assert outer.result(timeout=10) == "inner"


def test_closing_performs_what_is_queued_first(writer: RunWriter):
    done = []
    writer.submit(lambda: time.sleep(0.2))
    writer.submit(lambda: done.append("queued"))

    assert writer.close(timeout=10) is True
    assert done == ["queued"]
    with pytest.raises(RuntimeError, match="closed"):
        writer.submit(lambda: None)
