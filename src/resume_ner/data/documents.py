"""The canonical in-memory form of annotated text, and its JSON span record form.

A :class:`Document` is a text with entity :class:`Span` s given as character offsets
(``start`` inclusive, ``end`` exclusive, Python ``str`` indices, i.e. code points). The record
form is ``{"text": ..., "annotations": [[start, end, LABEL], ...]}`` plus ``"id"`` when the
document has one and ``"groups"`` (``{"format": "markdown", "language": "pt", ...}``) when it
belongs to named groups, by which an evaluation can report its figures. Spans are not checked here: :mod:`resume_ner.data.validation` reports bad ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


class SpanLike(Protocol):
    """Anything with character offsets and a label (:class:`Span`, predicted and pattern spans)."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def label(self) -> str: ...


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """An entity: characters ``start`` (inclusive) to ``end`` (exclusive) labelled ``label``."""

    start: int
    end: int
    label: str

    def text_in(self, text: str) -> str:
        """The characters of ``text`` this span covers."""
        return text[self.start : self.end]


@dataclass(frozen=True, slots=True)
class Document:
    """A text and its entity spans (kept sorted by start, end, label), with an optional id and
    the groups it belongs to (``(key, value)`` pairs sorted by key, e.g. ``("language", "pt")``).
    """

    text: str
    spans: tuple[Span, ...] = field(default=())
    doc_id: str | None = None
    groups: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "spans", tuple(sorted(self.spans)))
        object.__setattr__(self, "groups", tuple(sorted(self.groups)))

    def entity_texts(self) -> list[tuple[str, str]]:
        """``(label, covered text)`` for every span, in span order."""
        return [(span.label, span.text_in(self.text)) for span in self.spans]

    def labels(self) -> frozenset[str]:
        """The set of labels this document's spans use."""
        return frozenset(span.label for span in self.spans)


def document_to_record(document: Document) -> dict[str, Any]:
    """The JSON span record of ``document`` (``id`` only when the document has one)."""
    record: dict[str, Any] = {}
    if document.doc_id is not None:
        record["id"] = document.doc_id
    record["text"] = document.text
    record["annotations"] = [[s.start, s.end, s.label] for s in document.spans]
    if document.groups:
        record["groups"] = dict(document.groups)
    return record


def documents_to_records(documents: Iterable[Document]) -> list[dict[str, Any]]:
    """:func:`document_to_record` of each document, in order."""
    return [document_to_record(document) for document in documents]
