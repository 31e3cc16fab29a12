"""How the CLI words a count."""

from __future__ import annotations

from resume_ner.cli.console import count_of


def test_a_count_of_one_takes_the_singular_and_any_other_the_plural():
    assert [count_of(n, "run") for n in (0, 1, 2)] == ["0 runs", "1 run", "2 runs"]
    assert count_of(3, "entry", "entries") == "3 entries"
