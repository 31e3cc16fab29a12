"""Running a served model over annotated documents and scoring it with and without the pattern
recognizers.

The model runs once per document (in batches); the recognizers are a post-processing step
(:func:`resume_ner.serve.engine.merge_patterns`), so both variants come from the same model
output: ``without`` is the model's spans alone, ``with`` those spans merged with the patterns'
(the recognizers of the engine, or the default ones for the model's labels when the engine has
none). ``served`` is whichever of the two the engine itself returns from ``extract``.

When the bundle holds a calibration, the model's spans are scored as served, above their
label's threshold; ``scored_predictions`` keeps every span with its calibrated score, from which
:meth:`Evaluation.curves` gives each label's precision and recall at other thresholds. When the
documents name their groups (``"groups": {"format": "markdown", ...}`` in the JSON span
format), :meth:`Evaluation.group_scores` gives the figures of each group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from resume_ner.config.data import DataConfig
from resume_ner.data.documents import Document
from resume_ner.evaluation.calibration import (
    CurvePoint,
    expected_calibration_error,
    label_outcomes,
    precision_recall_curve,
)
from resume_ner.evaluation.scoring import Counts, EvaluationScores, score_documents
from resume_ner.serve.engine import Entity, InferenceEngine, merge_patterns
from resume_ner.serve.recognizers import PatternRecognizers

#: Texts run through the model in one call.
BATCH_TEXTS = 8


@dataclass(frozen=True)
class GroupScore:
    """The served figures of the documents of one group: how many, and their strict and
    lenient counts over every label."""

    documents: int
    strict: Counts
    lenient: Counts


@dataclass(frozen=True)
class Evaluation:
    """The documents, the predictions of both variants and their scores.

    ``recognizers_served`` says which variant the engine serves (``served`` and
    ``served_predictions`` are that one).
    """

    documents: Sequence[Document]
    model_predictions: Sequence[Sequence[Entity]]
    pattern_predictions: Sequence[Sequence[Entity]]
    without_recognizers: EvaluationScores
    with_recognizers: EvaluationScores
    recognizers_served: bool
    scored_predictions: Sequence[Sequence[Entity]] = ()
    #: The per-label thresholds the served spans were kept by (empty: no calibration; ``None``:
    #: the label is not served).
    thresholds: Mapping[str, float | None] = field(default_factory=dict)

    @property
    def served(self) -> EvaluationScores:
        return self.with_recognizers if self.recognizers_served else self.without_recognizers

    @property
    def served_predictions(self) -> Sequence[Sequence[Entity]]:
        if self.recognizers_served:
            return self.pattern_predictions
        return self.model_predictions

    def curves(self) -> dict[str, list[CurvePoint]]:
        """Each label's strict precision and recall of the model's spans (without the
        recognizers) kept at each threshold of their (calibrated) score."""
        gold = [document.spans for document in self.documents]
        return precision_recall_curve(gold, self.scored_predictions)

    def calibration_errors(self) -> dict[str, float]:
        """Each label's expected calibration error: how far the model's span scores are from
        the share of such spans that are right (0: a score of 0.8 is right 80 % of the time)."""
        gold = [document.spans for document in self.documents]
        outcomes, _ = label_outcomes(gold, self.scored_predictions)
        return {label: expected_calibration_error(o) for label, o in sorted(outcomes.items())}

    def group_scores(self) -> dict[str, dict[str, GroupScore]]:
        """The served figures by group name and value (``{"language": {"pt": ...}}``) of the
        documents that name their groups."""
        result: dict[str, dict[str, GroupScore]] = {}
        for document, score in zip(self.documents, self.served.documents, strict=True):
            for name, value in document.groups:
                previous = result.setdefault(name, {}).get(value, GroupScore(0, Counts(), Counts()))
                result[name][value] = GroupScore(
                    previous.documents + 1,
                    previous.strict + score.strict,
                    previous.lenient + score.lenient,
                )
        return {name: dict(sorted(values.items())) for name, values in sorted(result.items())}

    def groups_record(self) -> dict[str, dict[str, dict[str, Any]]]:
        """:meth:`group_scores`, JSON-ready."""
        return {
            name: {
                value: {
                    "documents": group.documents,
                    "strict": group.strict.as_dict(),
                    "lenient": group.lenient.as_dict(),
                }
                for value, group in values.items()
            }
            for name, values in self.group_scores().items()
        }

    def curves_record(self) -> dict[str, list[dict[str, float | int]]]:
        """:meth:`curves`, JSON-ready."""
        return {
            label: [asdict(point) for point in points] for label, points in self.curves().items()
        }


def load_gold(path: Path | str, data_format: str, config: DataConfig) -> list[Document]:
    """The annotated documents of ``path`` (any reader format, or ``auto``), validated against
    ``config``'s labels and mapped to canonical labels with its label map.

    Raises :class:`~resume_ner.data.errors.DataFormatError` for an unreadable file and
    :class:`~resume_ner.data.errors.DataError` naming the file and listing every invalid span.
    """
    from resume_ner.data.errors import DataError
    from resume_ner.data.labels import apply_label_map
    from resume_ner.data.readers import load_documents
    from resume_ner.data.validation import validate_documents

    documents = load_documents(path, data_format)
    report = validate_documents(documents, config.labels, config.label_map)
    if not report.ok:
        raise DataError(f"{path}: {report.summary()}")
    return apply_label_map(documents, config.label_map)


def evaluate_engine(
    engine: InferenceEngine, documents: Sequence[Document], *, batch_texts: int = BATCH_TEXTS
) -> Evaluation:
    """Run ``engine``'s model over ``documents`` and score both variants (module docstring)."""
    texts = [document.text for document in documents]
    scored_predictions: list[list[Entity]] = []
    for begin in range(0, len(texts), batch_texts):
        batch = texts[begin : begin + batch_texts]
        scored_predictions += engine.extract_model(batch, confident_only=False)
    calibration = engine.calibration
    model_predictions = (
        [calibration.confident(entities) for entities in scored_predictions]
        if calibration is not None
        else scored_predictions
    )
    recognizers = engine.recognizers or PatternRecognizers(engine.entity_types)
    pattern_predictions = [
        merge_patterns(text, entities, recognizers)
        for text, entities in zip(texts, model_predictions, strict=True)
    ]
    gold = [document.spans for document in documents]
    ids = [document.doc_id for document in documents]
    return Evaluation(
        documents=list(documents),
        model_predictions=model_predictions,
        pattern_predictions=pattern_predictions,
        without_recognizers=score_documents(gold, model_predictions, ids),
        with_recognizers=score_documents(gold, pattern_predictions, ids),
        recognizers_served=engine.recognizers is not None,
        scored_predictions=scored_predictions,
        thresholds=calibration.thresholds() if calibration is not None else {},
    )
