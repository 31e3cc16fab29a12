"""Plain, aligned tables that fit the terminal without cutting what must stay whole.

Run ids are never cut: a listing is where a user copies an id from. Run names start with what
tells runs apart, so a name that does not fit is shortened at its end, with an ellipsis. Columns
marked optional are left out, least useful first, when the terminal is too narrow for them;
long notes go on their own lines under the row instead, wrapped at word boundaries to the
width. Output to a pipe or file is not cut at all (unless ``COLUMNS`` says how wide it may be).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.text import Text

ELLIPSIS = "…"
_GAP = "  "
#: The fewest cells a shortened column gets when nothing else can give way.
_LAST_RESORT_WIDTH = 8
#: The fewest cells a note below a row gets per line, however deep its indent.
_NOTE_MIN_WIDTH = 20


@dataclass(frozen=True)
class Column:
    """A column: its header, the narrowest it may get when shortened, and whether it may go.

    ``min_width=None`` means never shortened (run ids). ``drop_rank`` > 0 marks a column that is
    left out when the width is short, highest rank first (and always when it has no values).
    ``below`` puts the column's values on a line of their own under each row whenever the width
    is limited.
    """

    header: str
    min_width: int | None = None
    drop_rank: int = 0
    below: bool = False


@dataclass
class Row:
    """The cells of one row (plain text), optional styles per column, and the indent of a line
    printed below it."""

    cells: Sequence[str]
    styles: dict[int, str] = field(default_factory=dict)
    below_indent: str = "  "


def output_width(console: Console) -> int | None:
    """How many columns a table may take: ``COLUMNS``, else the terminal's, else no limit."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if console.is_terminal:
        return console.width
    return None


def shorten(text: str, width: int) -> str:
    """``text`` cut at its end to ``width`` cells, an ellipsis marking the cut."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    return set_cell_size(text, width - 1).rstrip() + ELLIPSIS


def _wrap_below(text: str, indent: str, width: int | None) -> list[str]:
    """``text`` as lines starting with ``indent``, wrapped at spaces to ``width`` cells (a word
    longer than a line is cut); one line when ``width`` is ``None``."""
    if width is None:
        return [indent + text]
    room = max(width - cell_len(indent), _NOTE_MIN_WIDTH)
    lines = textwrap.wrap(text, room, break_on_hyphens=False) or [""]
    return [indent + line for line in lines]


def _layout(
    columns: Sequence[Column], rows: Sequence[Row], limit: int | None
) -> tuple[list[int], list[int]]:
    """The visible column indexes and their widths for ``limit`` cells (``None``: natural)."""
    natural = [
        max([cell_len(column.header), *(cell_len(row.cells[i]) for row in rows)])
        for i, column in enumerate(columns)
    ]
    visible = [
        i
        for i, column in enumerate(columns)
        if not column.drop_rank or any(row.cells[i] for row in rows)
    ]

    def floor(i: int) -> int:
        minimum = columns[i].min_width
        return natural[i] if minimum is None else min(minimum, natural[i])

    def total(indexes: list[int], widths: dict[int, int]) -> int:
        return sum(widths[i] for i in indexes) + cell_len(_GAP) * (len(indexes) - 1)

    if limit is None or total(visible, dict(enumerate(natural))) <= limit:
        return visible, [natural[i] for i in visible]
    visible = [i for i in visible if not columns[i].below]
    droppable = sorted(
        (i for i in visible if columns[i].drop_rank), key=lambda i: -columns[i].drop_rank
    )
    floors = {i: floor(i) for i in visible}
    while droppable and total(visible, floors) > limit:
        visible.remove(droppable.pop(0))
    widths = {i: floors[i] for i in visible}
    for i in visible:  # still too wide: shortened columns go below their minimum
        if columns[i].min_width is not None:
            excess = total(visible, widths) - limit
            widths[i] -= max(0, min(excess, widths[i] - min(_LAST_RESORT_WIDTH, natural[i])))
    spare = limit - total(visible, widths)
    for i in visible:  # give room back to shortened columns, left to right
        grow = min(max(spare, 0), natural[i] - widths[i])
        widths[i] += grow
        spare -= grow
    return visible, [widths[i] for i in visible]


def render_table(console: Console, columns: Sequence[Column], rows: Sequence[Row]) -> None:
    """Print ``rows`` under ``columns``' headers, fitted to :func:`output_width`."""
    limit = output_width(console)
    visible, widths = _layout(columns, rows, limit)
    below = [i for i, column in enumerate(columns) if column.below and i not in visible]
    if not rows:
        return
    last = len(visible) - 1

    def line(cells: Sequence[str], styles: dict[int, str], header: bool = False) -> Text:
        text = Text(no_wrap=True, overflow="ignore")
        for position, (i, width) in enumerate(zip(visible, widths, strict=True)):
            cell = shorten(cells[i], width)
            if position < last:
                cell = cell + " " * (width - cell_len(cell)) + _GAP
            text.append(cell, style="bold" if header else styles.get(i, ""))
        text.rstrip()
        return text

    # One print of the whole table: Rich's per-call overhead is most of the time of 1,000 rows.
    lines = [line([c.header for c in columns], {}, header=True)]
    for row in rows:
        lines.append(line(row.cells, row.styles))
        for i in below:
            if row.cells[i]:
                lines += [
                    Text(below_line, style=row.styles.get(i, "dim"))
                    for below_line in _wrap_below(row.cells[i], row.below_indent, limit)
                ]
    console.print(Text("\n").join(lines), soft_wrap=True, highlight=False)
