"""Inputs of an exact token length, and side-by-side timing."""

from __future__ import annotations

import time

from resume_ner.benchmark.measure import (
    TimingPlan,
    TokenCounter,
    make_batches,
    texts_of_length,
    time_side_by_side,
)


def test_every_text_has_exactly_the_requested_tokens_and_texts_differ(bundle):
    counter = TokenCounter(bundle.bundle_dir / "tokenizer.json")

    for tokens in (17, 128, 300):
        texts = texts_of_length(counter, tokens, 6, seed=7)
        assert [counter.count(text) for text in texts] == [tokens] * 6
        assert len(set(texts)) == 6


def test_batches_hold_different_texts(bundle):
    counter = TokenCounter(bundle.bundle_dir / "tokenizer.json")

    batches = make_batches(counter, batch_size=3, tokens=64, seed=7, pool=4)

    assert [len(batch) for batch in batches] == [3, 3, 3, 3]
    assert len({text for batch in batches for text in batch}) == 12


def test_runtimes_are_timed_interleaved_on_the_same_batches_in_rotating_order():
    calls: list[tuple[str, tuple[str, ...]]] = []

    def runtime(name):
        return lambda texts: calls.append((name, tuple(texts)))

    batches = [["a"], ["b"]]
    latencies = time_side_by_side(
        {"x": runtime("x"), "y": runtime("y"), "z": runtime("z")},
        batches,
        TimingPlan(warmup=1, iterations=3),
    )

    assert {name: len(values) for name, values in latencies.items()} == {"x": 3, "y": 3, "z": 3}
    timed = calls[3:]
    assert timed == [
        ("x", ("a",)), ("y", ("a",)), ("z", ("a",)),
        ("y", ("b",)), ("z", ("b",)), ("x", ("b",)),
        ("z", ("a",)), ("x", ("a",)), ("y", ("a",)),
    ]  # fmt: skip


def test_timing_stops_after_the_time_budget_once_the_minimum_ran():
    def slow(texts):
        time.sleep(0.02)

    latencies = time_side_by_side(
        {"slow": slow, "fast": lambda texts: None},
        [["a"]],
        TimingPlan(warmup=0, iterations=1000, min_iterations=3, max_seconds=0.05),
    )

    assert 3 <= len(latencies["slow"]) <= 4
    assert len(latencies["fast"]) == len(latencies["slow"])
    assert all(value >= 20.0 for value in latencies["slow"])
