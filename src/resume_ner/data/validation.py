"""Check documents and list every problem: where (document index, id, offsets) and what.

Errors make a data set unusable: empty text, a span out of range, a span whose start is not
before its end, overlapping spans, and a label that is neither canonical nor in the label map.
A span with leading or trailing whitespace is a warning: it is usable, but its boundaries are
probably off by a character.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from resume_ner.config.data import DROP_LABEL
from resume_ner.data.documents import Document, Span
from resume_ner.data.errors import DataValidationError

Severity = Literal["error", "warning"]


class ProblemKind(StrEnum):
    """What is wrong with a document or span."""

    EMPTY_TEXT = "empty_text"
    OUT_OF_RANGE = "out_of_range"
    EMPTY_SPAN = "empty_span"
    OVERLAP = "overlap"
    UNKNOWN_LABEL = "unknown_label"
    WHITESPACE_EDGE = "whitespace_edge"


@dataclass(frozen=True)
class Problem:
    """One problem: the document (index in the input, id), the span when there is one, what."""

    index: int
    doc_id: str | None
    kind: ProblemKind
    severity: Severity
    message: str
    start: int | None = None
    end: int | None = None
    label: str | None = None

    def describe(self) -> str:
        """A one-line description: ``document 3 (id x) [10, 14) SKILL: overlap: ...``."""
        where = f"document {self.index}" + (f" (id {self.doc_id})" if self.doc_id else "")
        if self.start is not None:
            where += f" [{self.start}, {self.end}) {self.label}"
        return f"{where}: {self.kind.value}: {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found in ``n_documents`` documents, in document order."""

    n_documents: int
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that make the data unusable."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems worth a look that do not block training."""
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def counts(self) -> dict[str, int]:
        """Number of problems of each kind."""
        return dict(Counter(p.kind.value for p in self.problems))

    def bad_documents(self) -> list[int]:
        """Indices of the documents with at least one error."""
        return sorted({p.index for p in self.errors})

    def summary(self, limit: int = 20) -> str:
        """A readable summary listing up to ``limit`` problems."""
        head = (
            f"{len(self.errors)} error(s) and {len(self.warnings)} warning(s) in "
            f"{len(self.bad_documents())} of {self.n_documents} documents"
        )
        lines = [f"  {p.severity}: {p.describe()}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        return "\n".join([head, *lines])


def _span_problems(
    index: int, document: Document, known: Collection[str], label_map: Mapping[str, str]
) -> list[Problem]:
    text, doc_id = document.text, document.doc_id
    problems: list[Problem] = []

    def add(kind: ProblemKind, span: Span, message: str, severity: Severity = "error") -> None:
        problems.append(
            Problem(index, doc_id, kind, severity, message, span.start, span.end, span.label)
        )

    checkable: list[Span] = []
    for span in document.spans:
        in_range = 0 <= span.start <= len(text) and 0 <= span.end <= len(text)
        if not in_range:
            add(ProblemKind.OUT_OF_RANGE, span, f"offsets outside the text (length {len(text)})")
        if span.start >= span.end:
            add(ProblemKind.EMPTY_SPAN, span, "start must be before end")
        if span.label not in known and span.label not in label_map:
            add(ProblemKind.UNKNOWN_LABEL, span, f"label {span.label!r} is not known or mapped")
        if not in_range or span.start >= span.end:
            continue
        covered = span.text_in(text)
        if not covered.strip():
            add(ProblemKind.EMPTY_SPAN, span, "span covers only whitespace")
            continue
        if covered != covered.strip():
            add(
                ProblemKind.WHITESPACE_EDGE,
                span,
                "span text starts or ends with whitespace",
                "warning",
            )
        if label_map.get(span.label, span.label) != DROP_LABEL:
            checkable.append(span)

    furthest: Span | None = None
    for span in sorted(checkable):
        if furthest is not None and span.start < furthest.end:
            add(
                ProblemKind.OVERLAP,
                span,
                f"overlaps [{furthest.start}, {furthest.end}) {furthest.label}",
            )
        if furthest is None or span.end > furthest.end:
            furthest = span
    return problems


def validate_documents(
    documents: Sequence[Document],
    labels: Collection[str],
    label_map: Mapping[str, str] | None = None,
) -> ValidationReport:
    """Check every document and span; return a report of every problem (never raises).

    ``labels`` are the canonical entity types; ``label_map`` maps source labels to them (or to
    ``O`` to drop them on purpose, in which case their spans are not checked for overlaps).
    A label in neither is an ``unknown_label`` error: nothing is silently turned into ``O``.
    """
    label_map = dict(label_map or {})
    known = set(labels)
    problems: list[Problem] = []
    for index, document in enumerate(documents):
        if not document.text.strip():
            problems.append(
                Problem(
                    index,
                    document.doc_id,
                    ProblemKind.EMPTY_TEXT,
                    "error",
                    "text is empty" if not document.text else "text is only whitespace",
                )
            )
        problems.extend(_span_problems(index, document, known, label_map))
    return ValidationReport(n_documents=len(documents), problems=tuple(problems))


def require_valid(
    documents: Sequence[Document],
    labels: Collection[str],
    label_map: Mapping[str, str] | None = None,
) -> ValidationReport:
    """Validate like :func:`validate_documents`; raise :class:`DataValidationError` on any error.

    Returns the report (which may hold warnings) when there is no error.
    """
    report = validate_documents(documents, labels, label_map)
    if not report.ok:
        raise DataValidationError(report)
    return report
