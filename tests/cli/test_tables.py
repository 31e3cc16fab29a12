"""Tables that fit the terminal: whole run ids, names shortened at their end, notes below."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from resume_ner.cli.tables import Column, Row, render_table, shorten

RUN_ID = "0123456789abcdef0123456789abcdef"


def _render(columns, rows, width: int | None, monkeypatch) -> list[str]:
    if width is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(width))
    buffer = io.StringIO()
    render_table(Console(file=buffer, width=80), columns, rows)
    return buffer.getvalue().splitlines()


def _rows(n: int = 3) -> list[Row]:
    return [
        Row([f"t0{i}/fold0 · a-rather-long-backbone-name · sweep 0ca6e7f0.1", f"{i}{RUN_ID[1:]}", "FINISHED", "2026-12-05 18:40"])
        for i in range(n)
    ]  # fmt: skip


COLUMNS = [
    Column("run name", min_width=20),
    Column("run id"),
    Column("status"),
    Column("started", drop_rank=1),
]


def test_shorten_keeps_the_head_and_marks_the_cut():
    assert shorten("t00/fold0 · tiny · sweep 0ca6e7f0", 12) == "t00/fold0 ·…"
    assert shorten("short", 12) == "short"


@pytest.mark.parametrize("width", [60, 80, 120])
def test_run_ids_stay_whole_and_names_distinct_at_any_width(monkeypatch, width):
    lines = _render(COLUMNS, _rows(), width, monkeypatch)

    body = lines[1:]
    assert all(f"{i}{RUN_ID[1:]}" in body[i] for i in range(3))
    assert len({line.split("  ")[0] for line in body}) == 3
    assert all(len(line) <= width for line in lines)


def test_narrow_output_drops_optional_columns_before_names_get_short(monkeypatch):
    lines = _render(COLUMNS, _rows(), 66, monkeypatch)

    assert "started" not in lines[0]
    assert lines[1].startswith("t00/fold0 · a-rather-…  ")
    assert len(lines[1]) == 66


def test_piped_output_is_not_cut(monkeypatch):
    lines = _render(COLUMNS, _rows(), None, monkeypatch)

    assert lines[1].startswith("t00/fold0 · a-rather-long-backbone-name · sweep 0ca6e7f0.1  ")
    assert "started" in lines[0]


def test_a_note_that_does_not_fit_goes_on_a_line_below_its_row(monkeypatch):
    columns = [*COLUMNS[:3], Column("note", min_width=0, drop_rank=2, below=True)]
    rows = [
        Row(
            ["t03 · tiny", RUN_ID, "KILLED", "pruned at epoch 1: 0.12 below the median"],
            below_indent="    ",
        )
    ]

    lines = _render(columns, rows, 60, monkeypatch)

    assert lines[1].rstrip().endswith("KILLED")
    assert lines[2] == "    pruned at epoch 1: 0.12 below the median"


def test_empty_optional_columns_are_left_out(monkeypatch):
    columns = [*COLUMNS[:3], Column("note", min_width=0, drop_rank=2, below=True)]

    lines = _render(columns, [Row(["t03 · tiny", RUN_ID, "FINISHED", ""])], None, monkeypatch)

    assert "note" not in lines[0]


PRUNED_NOTE = (
    "trial 3 at step 1 (fold 0, epoch 2): val_macro_f1 0.1234 is below the median 0.4567 of "
    "3 completed trials at that step"
)


@pytest.mark.parametrize("width", [80, 120])
def test_a_long_note_below_a_row_wraps_within_the_width_under_its_indent(monkeypatch, width):
    columns = [*COLUMNS[:3], Column("note", min_width=0, drop_rank=2, below=True)]
    indent = "│   │     "
    rows = [Row(["t03 · tiny", RUN_ID, "KILLED", PRUNED_NOTE * 2], below_indent=indent)]

    lines = _render(columns, rows, width, monkeypatch)

    below = lines[2:]
    assert len(below) >= 2
    assert all(len(line) <= width and line.startswith(indent) for line in below)
    assert " ".join(line.removeprefix(indent) for line in below) == PRUNED_NOTE * 2


def test_a_note_below_a_row_is_one_line_when_piped(monkeypatch):
    columns = [*COLUMNS[:3], Column("note", min_width=0, drop_rank=2, below=True)]
    rows = [Row(["t03 · tiny-model-with-a-long-name " * 3, RUN_ID, "KILLED", PRUNED_NOTE])]

    lines = _render(columns, rows, None, monkeypatch)

    assert lines[1].endswith(PRUNED_NOTE)
