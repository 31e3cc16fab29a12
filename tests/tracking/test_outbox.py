"""The outbox: values held per run, in order, described for the report at the end."""

from __future__ import annotations

from resume_ner.tracking.outbox import Outbox


def test_held_metrics_are_described_by_name_with_their_steps_as_ranges():
    outbox = Outbox()
    outbox.hold("run", metrics=[("loss", 0.5, step, None) for step in (1, 2, 3, 7)])
    outbox.hold("run", params={"lr": 0.1}, tags={"a": "1", "b": "2"}, error=OSError("refused"))

    assert outbox.describe("run") == [
        "metric loss at step 1-3, 7",
        "1 params (lr)",
        "2 tags (a, b)",
        "last error: OSError: refused",
    ]
    assert outbox.describe("other") == []


def test_values_put_back_come_before_those_held_since_and_keep_their_time():
    outbox = Outbox()
    outbox.hold("run", metrics=[("loss", 0.9, 1, 1000)])
    taken = outbox.take("run")
    outbox.hold("run", metrics=[("loss", 0.7, 2)], params={"lr": 0.2})

    outbox.put_back("run", taken)

    held = outbox.take("run")
    assert held.metrics[0] == ("loss", 0.9, 1, 1000)
    assert [step for _, _, step, _ in held.metrics] == [1, 2]
    assert held.metrics[1][3] > 1000 and held.params == {"lr": 0.2}
    assert outbox.take("run") is None and not outbox.holds("run")


def test_runs_with_nothing_held_are_not_listed():
    outbox = Outbox()
    outbox.hold("a", tags={"x": "1"})
    outbox.hold("b")

    assert outbox.run_ids() == ["a"]
