"""Text with entity spans at exact character offsets, written piece by piece."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

from resume_ner.data.documents import Document, Span

#: A piece of text and its entity label (``None``: ordinary text).
Piece = tuple[str, str | None]


class Builder:
    """Appends text and records entity spans; ordinary text may pass through ``noise`` and be
    wrapped at ``wrap_width`` columns (as PDF text extraction breaks lines), entities never."""

    def __init__(self, newline: str, rng: random.Random) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.column = 0
        self.spans: list[Span] = []
        self.nl = newline
        self.rng = rng
        self.noise: Callable[[str], str] | None = None
        self.wrap_width: int | None = None

    def _append(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)
        last = text.rfind("\n")
        self.column = self.column + len(text) if last < 0 else len(text) - last - 1

    def add(self, text: str) -> None:
        """Ordinary text (noise and wrapping apply)."""
        if self.noise:
            text = self.noise(text)
        if self.wrap_width:
            text = self._wrap(text)
        self._append(text)

    def entity(self, text: str, label: str) -> None:
        """An entity span; a wrapped document starts a new line before one that overflows."""
        overflows = self.wrap_width and self.column + len(text) > self.wrap_width + 8
        if overflows and self.column and self.parts and self.parts[-1].endswith(" "):
            self._append(self.nl)
        self.spans.append(Span(self.length, self.length + len(text), label))
        self._append(text)

    def piece(self, text: str, label: str | None) -> None:
        """:meth:`entity` when ``label`` is set, else :meth:`add`."""
        if label:
            self.entity(text, label)
        else:
            self.add(text)

    def pieces(self, pieces: Iterable[Piece]) -> None:
        """Each piece in turn."""
        for text, label in pieces:
            self.piece(text, label)

    def line(self, text: str = "") -> None:
        """``text`` and a line end."""
        self.add(text)
        self._append(self.nl)

    def _wrap(self, text: str) -> str:
        out: list[str] = []
        column = self.column
        assert self.wrap_width is not None
        for word in text.split(" "):
            if out:
                if column + len(word) >= self.wrap_width and column > 0 and word:
                    if len(word) > 8 and self.rng.random() < 0.3:
                        cut = len(word) // 2
                        out.append(" " + word[:cut] + "-" + self.nl)
                        word = word[cut:]
                    else:
                        out.append(self.nl)
                    column = 0
                else:
                    out.append(" ")
                    column += 1
            out.append(word)
            newline = word.rfind("\n")
            column = column + len(word) if newline < 0 else len(word) - newline - 1
        return "".join(out)

    def document(self, doc_id: str) -> Document:
        """The text written so far and its spans."""
        return Document("".join(self.parts), tuple(self.spans), doc_id)


#: Characters OCR confuses, and what it reads instead.
OCR_CONFUSIONS = {"l": "1", "O": "0", "o": "0", "e": "c", "m": "rn", "i": "í", "S": "5", "B": "8"}


class OcrNoise:
    """Text as OCR reads it: some characters confused, some words split across lines."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self, text: str) -> str:
        out = []
        for char in text:
            roll = self.rng.random()
            if roll < 0.03 and char in OCR_CONFUSIONS:
                out.append(OCR_CONFUSIONS[char])
            elif roll < 0.035 and char == " ":
                out.append("  ")
            elif roll < 0.036 and char.isalpha():
                out.append(f"{char}-\n")
            else:
                out.append(char)
        return "".join(out)
