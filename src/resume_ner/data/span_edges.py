"""A predicted span's edges fitted to the annotation conventions (docs/annotation.md).

A span covers its entity and nothing around it: no whitespace, no surrounding punctuation,
brackets, quotes or bullet marks. A model tags words, and punctuation is a word of its own to
the tokenizer, so a tagged ``)`` after a degree or a ``,`` after a city would otherwise become
part of a span, or a span of its own. :func:`fit_span_edges` trims what the conventions leave
out and keeps what they keep: a bracket closed inside the span (``Class XII (CBSE)``,
``(11) 91234-5678``), the full stop of an abbreviation (``M.Sc.``), a leading dot of a name
(``.NET``).
"""

from __future__ import annotations

#: Characters a span never starts with.
BAD_START = frozenset(" \t\r\n.,;:!?'\"*#|/-–—•·▪◦>)]}_“”‘’«»")  # noqa: RUF001
#: Characters a span never ends with.
BAD_END = frozenset(" \t\r\n,;:!?'\"*|/-–—•·▪◦>([{_“”‘’«»")  # noqa: RUF001
_CLOSING = {")": "(", "]": "["}


def _keeps_final_dot(covered: str) -> bool:
    """Whether a span ending in ``.`` ends with an abbreviation (``M.Sc.``, ``LL.B.``)."""
    return covered.split()[-1].count(".") >= 2


def fit_span_edges(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` of ``text`` with the edges the conventions leave out trimmed, and a
    closing bracket that follows the span taken in when the span opened it; ``None`` when no
    letter or digit is left."""
    while True:
        before = (start, end)
        while start < end and text[start] in BAD_START:
            if text[start] == "." and start + 1 < end and text[start + 1].isalpha():
                break  # .NET
            start += 1
        while end > start and text[end - 1] in BAD_END:
            end -= 1
        covered = text[start:end]
        stray_dot = covered.endswith(".") and not _keeps_final_dot(covered)
        unopened = covered[-1:] in _CLOSING and _CLOSING[covered[-1]] not in covered[:-1]
        if stray_dot or unopened:
            end -= 1
        for closing, opening in _CLOSING.items():
            inner = text[start + 1 : end - 1]
            enclosed = text[start : start + 1] == opening and text[end - 1 : end] == closing
            if enclosed and inner.count(opening) == inner.count(closing):
                start, end = start + 1, end - 1  # (Berlin): the brackets are not the entity's
        for closing, opening in _CLOSING.items():
            covered = text[start:end]
            if covered.count(opening) > covered.count(closing):
                if text[end : end + 1] == closing:
                    end += 1
                else:
                    # An opening bracket the span never closes: the span ends before it.
                    end = start + covered.rindex(opening)
        if (start, end) == before:
            break
    if not any(char.isalnum() for char in text[start:end]):
        return None
    return start, end
