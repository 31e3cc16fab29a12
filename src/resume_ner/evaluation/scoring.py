"""Entity scores of predicted spans against gold spans: strict and lenient, per label, micro and
macro, a confusion table of label errors, and per-document figures.

- strict: a predicted span is right when a gold span has the same start, end and label;
- lenient: when it overlaps a gold span of the same label. Spans are paired one to one (the
  pairs with the most overlapping characters first), so a gold span cut into three pieces
  counts one true positive and two false positives.

Precision is ``tp / predicted``, recall ``tp / gold``, F1 their harmonic mean. A count with
nothing to divide by (no prediction, no gold span) scores 1.0 when the other count is 0 as well
(nothing to find and nothing found is right) and 0.0 otherwise; so a document without entities
and without predictions scores 1.0. Macro averages are over the labels that occur in the gold or
the predicted spans.

The confusion table pairs every gold span with the predicted span that overlaps it most:
``(gold label, predicted label)``, with :data:`NONE` for a gold span nothing overlaps (missed)
and for a predicted span that overlaps no gold span (spurious).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from resume_ner.data.documents import SpanLike

Matching = Literal["strict", "lenient"]
MATCHINGS: tuple[Matching, ...] = ("strict", "lenient")
#: The confusion table's label for "no span".
NONE = "(none)"


@dataclass(frozen=True)
class Counts:
    """True positives, predicted spans and gold spans of one label (or of all)."""

    tp: int = 0
    predicted: int = 0
    gold: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.predicted + other.predicted, self.gold + other.gold)

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.predicted, self.gold)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.gold, self.predicted)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def errors(self) -> int:
        """False positives plus false negatives."""
        return (self.predicted - self.tp) + (self.gold - self.tp)

    def as_dict(self) -> dict[str, float | int]:
        """Precision, recall, F1 and the three counts, JSON-ready."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "predicted": self.predicted,
            "gold": self.gold,
        }


def _ratio(tp: int, total: int, other: int) -> float:
    if total:
        return tp / total
    return 1.0 if other == 0 else 0.0


@dataclass(frozen=True)
class Scores:
    """Per-label counts of one matching, and their micro and macro averages."""

    per_label: Mapping[str, Counts]

    @property
    def micro(self) -> Counts:
        total = Counts()
        for counts in self.per_label.values():
            total = total + counts
        return total

    def macro(self, metric: Literal["precision", "recall", "f1"]) -> float:
        """The mean of ``metric`` over the labels (1.0 when there is none)."""
        if not self.per_label:
            return 1.0
        return sum(getattr(c, metric) for c in self.per_label.values()) / len(self.per_label)

    def summary(self) -> dict[str, float]:
        """``micro_precision``, ..., ``macro_f1`` and ``<LABEL>_precision``, ... as floats."""
        micro = self.micro
        values = {
            "micro_precision": micro.precision,
            "micro_recall": micro.recall,
            "micro_f1": micro.f1,
            "macro_precision": self.macro("precision"),
            "macro_recall": self.macro("recall"),
            "macro_f1": self.macro("f1"),
        }
        for label, counts in sorted(self.per_label.items()):
            values.update(
                {
                    f"{label}_precision": counts.precision,
                    f"{label}_recall": counts.recall,
                    f"{label}_f1": counts.f1,
                }
            )
        return values


@dataclass(frozen=True)
class DocumentScore:
    """One document's figures: its position, id, span counts and strict/lenient counts."""

    index: int
    doc_id: str | None
    strict: Counts
    lenient: Counts

    @property
    def errors(self) -> int:
        """Strict false positives plus false negatives."""
        return self.strict.errors


@dataclass(frozen=True)
class EvaluationScores:
    """Everything :func:`score_documents` measured."""

    strict: Scores
    lenient: Scores
    confusion: Mapping[tuple[str, str], int]
    documents: Sequence[DocumentScore] = field(default_factory=tuple)

    def scores(self, matching: Matching) -> Scores:
        return self.strict if matching == "strict" else self.lenient

    def worst_documents(self, n: int) -> list[DocumentScore]:
        """The ``n`` documents with the most strict errors (lowest strict F1, then order)."""
        ranked = sorted(
            (d for d in self.documents if d.errors),
            key=lambda d: (-d.errors, d.strict.f1, d.index),
        )
        return ranked[:n]

    def label_errors(self) -> dict[tuple[str, str], int]:
        """The confusion table without its diagonal (only the errors)."""
        return {pair: n for pair, n in self.confusion.items() if pair[0] != pair[1]}


def _overlap(a: SpanLike, b: SpanLike) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def _pairs(gold: Sequence[SpanLike], predicted: Sequence[SpanLike]) -> list[tuple[int, int]]:
    """One-to-one pairs ``(gold index, predicted index)`` of overlapping spans, most overlap
    first; ``same_label`` is left to the caller."""
    candidates = sorted(
        (
            (-_overlap(g, p), gi, pi)
            for gi, g in enumerate(gold)
            for pi, p in enumerate(predicted)
            if _overlap(g, p) > 0
        ),
    )
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    pairs = []
    for _, gi, pi in candidates:
        if gi not in used_gold and pi not in used_pred:
            used_gold.add(gi)
            used_pred.add(pi)
            pairs.append((gi, pi))
    return pairs


def _label_counts(
    gold: Sequence[SpanLike], predicted: Sequence[SpanLike], matched: Iterable[str]
) -> dict[str, Counts]:
    tp = Counter(matched)
    n_gold = Counter(span.label for span in gold)
    n_pred = Counter(span.label for span in predicted)
    return {
        label: Counts(tp[label], n_pred[label], n_gold[label])
        for label in sorted(set(n_gold) | set(n_pred))
    }


def score_document(
    gold: Sequence[SpanLike], predicted: Sequence[SpanLike]
) -> tuple[dict[str, Counts], dict[str, Counts], Counter[tuple[str, str]]]:
    """Strict and lenient per-label counts of one document, and its confusion pairs."""
    gold_keys = {(s.start, s.end, s.label) for s in gold}
    strict = _label_counts(
        gold, predicted, [p.label for p in predicted if (p.start, p.end, p.label) in gold_keys]
    )
    lenient_matches: list[str] = []
    for label in {s.label for s in gold} | {s.label for s in predicted}:
        same_gold = [s for s in gold if s.label == label]
        same_pred = [s for s in predicted if s.label == label]
        lenient_matches += [label] * len(_pairs(same_gold, same_pred))
    lenient = _label_counts(gold, predicted, lenient_matches)

    confusion: Counter[tuple[str, str]] = Counter()
    # Gold spans paired with any-label predictions, preferring same-label ones.
    for g in gold:
        best = max(
            (p for p in predicted if _overlap(g, p) > 0),
            key=lambda p: (p.label == g.label, _overlap(g, p)),
            default=None,
        )
        confusion[(g.label, best.label if best is not None else NONE)] += 1
    for p in predicted:
        if not any(_overlap(g, p) > 0 for g in gold):
            confusion[(NONE, p.label)] += 1
    return strict, lenient, confusion


def _add(total: dict[str, Counts], part: Mapping[str, Counts]) -> None:
    for label, counts in part.items():
        total[label] = total.get(label, Counts()) + counts


def score_documents(
    gold: Sequence[Sequence[SpanLike]],
    predicted: Sequence[Sequence[SpanLike]],
    doc_ids: Sequence[str | None] | None = None,
) -> EvaluationScores:
    """Score ``predicted[i]`` against ``gold[i]`` for every document (see the module docstring).

    ``doc_ids`` name the documents in the per-document figures. Raises :class:`ValueError`
    when the sequences differ in length.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predictions")
    ids = list(doc_ids) if doc_ids is not None else [None] * len(gold)
    strict_total: dict[str, Counts] = {}
    lenient_total: dict[str, Counts] = {}
    confusion: Counter[tuple[str, str]] = Counter()
    documents = []
    for index, (gold_spans, predicted_spans) in enumerate(zip(gold, predicted, strict=True)):
        strict, lenient, pairs = score_document(gold_spans, predicted_spans)
        _add(strict_total, strict)
        _add(lenient_total, lenient)
        confusion.update(pairs)
        documents.append(
            DocumentScore(
                index,
                ids[index],
                sum(strict.values(), Counts()),
                sum(lenient.values(), Counts()),
            )
        )
    return EvaluationScores(
        strict=Scores(dict(sorted(strict_total.items()))),
        lenient=Scores(dict(sorted(lenient_total.items()))),
        confusion=dict(sorted(confusion.items())),
        documents=tuple(documents),
    )
