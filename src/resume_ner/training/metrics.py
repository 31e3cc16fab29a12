"""Entity-level precision, recall and F1 of predicted character spans against gold spans.

Scores come from seqeval in strict mode with the IOB2 scheme: an entity counts as found only
when its type and both of its edges match a gold entity exactly, so a span that only partly
overlaps a gold span is one false positive and one false negative. Micro scores pool every
entity; macro scores average the entity types (never ``O``, which is not an entity) present in
the gold or the predicted spans; per-entity scores carry their gold support.

seqeval scores tag sequences, so each document is turned into a sequence of *units*, the same
for gold and prediction and independent of any model tokenizer: the maximal runs of
non-whitespace characters, each further cut at every start and end of a gold or predicted
span. Every span then covers a whole number of consecutive units (``B-X`` on the first,
``I-X`` on the rest), and two spans get the same tags exactly when they cover the same
non-whitespace characters. Whitespace at a span's edges therefore does not matter, and
neither does the model's own word splitting.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from resume_ner.data.documents import Document, SpanLike
from resume_ner.data.labels import OUTSIDE

_NON_WHITESPACE = re.compile(r"\S+")


@dataclass(frozen=True)
class EntityScores:
    """Precision, recall and F1 of one entity type, and its number of gold entities."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EntityMetrics:
    """Micro and macro averages over entity types, and the scores of each type."""

    precision: float
    recall: float
    micro_f1: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    support: int
    per_entity: Mapping[str, EntityScores] = field(default_factory=dict)

    def summary(self, prefix: str = "") -> dict[str, float]:
        """The averages as a flat mapping, names prefixed with ``prefix`` (e.g. ``val_``)."""
        return {
            f"{prefix}precision": self.precision,
            f"{prefix}recall": self.recall,
            f"{prefix}micro_f1": self.micro_f1,
            f"{prefix}macro_precision": self.macro_precision,
            f"{prefix}macro_recall": self.macro_recall,
            f"{prefix}macro_f1": self.macro_f1,
        }

    def per_entity_dict(self) -> dict[str, dict[str, float]]:
        """``{entity: {"precision", "recall", "f1", "support"}}``."""
        return {
            entity: {
                "precision": scores.precision,
                "recall": scores.recall,
                "f1": scores.f1,
                "support": float(scores.support),
            }
            for entity, scores in self.per_entity.items()
        }

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form: the averages, ``support`` and ``per_entity``."""
        return {**self.summary(), "support": self.support, "per_entity": self.per_entity_dict()}


def _units(text: str, boundaries: Sequence[int]) -> list[tuple[int, int]]:
    cuts = sorted(set(boundaries))
    units: list[tuple[int, int]] = []
    for match in _NON_WHITESPACE.finditer(text):
        start, end = match.span()
        first, last = bisect.bisect_right(cuts, start), bisect.bisect_left(cuts, end)
        points = [start, *cuts[first:last], end]
        units.extend(pairwise(points))
    return units


def _tags(
    units: Sequence[tuple[int, int]], starts: Sequence[int], spans: Sequence[SpanLike], what: str
) -> list[str]:
    tags = [OUTSIDE] * len(units)
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        first = bisect.bisect_left(starts, span.start)
        last = first
        while last < len(units) and units[last][1] <= span.end:
            last += 1
        if first == last:
            raise ValueError(
                f"{what} span [{span.start}, {span.end}) {span.label} covers no "
                "non-whitespace character"
            )
        if any(tag != OUTSIDE for tag in tags[first:last]):
            raise ValueError(f"{what} span [{span.start}, {span.end}) overlaps another one")
        tags[first] = f"B-{span.label}"
        for index in range(first + 1, last):
            tags[index] = f"I-{span.label}"
    return tags


def bio_sequences(
    text: str, gold: Sequence[SpanLike], predicted: Sequence[SpanLike]
) -> tuple[list[str], list[str]]:
    """The gold and predicted IOB2 tags of ``text``'s units (see the module docstring).

    Raises :class:`ValueError` when a span lies outside the text, covers only whitespace,
    or overlaps another span of the same side.
    """
    for span in (*gold, *predicted):
        if not 0 <= span.start < span.end <= len(text):
            raise ValueError(
                f"span [{span.start}, {span.end}) does not fit a text of {len(text)} characters"
            )
    units = _units(text, [edge for span in (*gold, *predicted) for edge in (span.start, span.end)])
    starts = [start for start, _ in units]
    return _tags(units, starts, gold, "gold"), _tags(units, starts, predicted, "predicted")


def _score(report: Mapping[str, Mapping[str, float]], name: str) -> tuple[float, float, float]:
    row = report[name]
    return float(row["precision"]), float(row["recall"]), float(row["f1-score"])


def score_spans(
    texts: Sequence[str],
    gold: Sequence[Sequence[SpanLike]],
    predicted: Sequence[Sequence[SpanLike]],
) -> EntityMetrics:
    """seqeval strict IOB2 entity scores of ``predicted`` against ``gold`` spans, per text.

    ``gold[i]`` and ``predicted[i]`` are the spans of ``texts[i]``. Undefined ratios (no
    predictions, no gold entities) count as 0; with no entity on either side every score is 0.
    Raises :class:`ValueError` for lists of different lengths or a span
    :func:`bio_sequences` rejects.
    """
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    if not len(texts) == len(gold) == len(predicted):
        raise ValueError(
            f"got {len(texts)} texts, {len(gold)} gold and {len(predicted)} predicted span lists"
        )
    y_true: list[list[str]] = []
    y_pred: list[list[str]] = []
    for text, gold_spans, predicted_spans in zip(texts, gold, predicted, strict=True):
        true_tags, predicted_tags = bio_sequences(text, gold_spans, predicted_spans)
        if true_tags:
            y_true.append(true_tags)
            y_pred.append(predicted_tags)
    if not any(tag != OUTSIDE for tags in (*y_true, *y_pred) for tag in tags):
        return EntityMetrics(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0)
    report = classification_report(
        y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    averages = {"micro avg", "macro avg", "weighted avg"}
    per_entity = {
        name: EntityScores(*_score(report, name), support=int(row["support"]))
        for name, row in sorted(report.items())
        if name not in averages
    }
    precision, recall, micro_f1 = _score(report, "micro avg")
    macro_precision, macro_recall, macro_f1 = _score(report, "macro avg")
    return EntityMetrics(
        precision=precision,
        recall=recall,
        micro_f1=micro_f1,
        macro_precision=macro_precision,
        macro_recall=macro_recall,
        macro_f1=macro_f1,
        support=int(report["micro avg"]["support"]),
        per_entity=per_entity,
    )


def score_documents(
    documents: Sequence[Document], predicted: Sequence[Sequence[SpanLike]]
) -> EntityMetrics:
    """:func:`score_spans` of ``predicted[i]`` against the spans of ``documents[i]``."""
    return score_spans(
        [document.text for document in documents],
        [document.spans for document in documents],
        predicted,
    )
