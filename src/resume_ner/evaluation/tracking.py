"""Logging an evaluation as its own MLflow run.

The run is a top-level run (no parent) in the experiment ``<project>-evaluation``, linked to the
model it scored by tags of the tag registry's ``evaluation`` section (model source, registered
name and version, the conversion run the bundle came from) and to the data by its file name and
fingerprint. It holds:

- metrics: the served variant as ``strict_micro_f1``, ``lenient_EMAIL_recall``, ... and both
  variants as ``recognizers_on/<metric>`` and ``recognizers_off/<metric>``;
- ``eval_results_table.json``: one row per document in the ``{"columns", "data"}`` form
  ``mlflow.evaluate`` writes (offsets and labels of gold and predicted spans and the
  document's scores; the text and entity texts only with ``log_text``);
- ``confusion.json`` (label errors) and ``worst_documents.json`` (indices and ids);
- ``groups.json`` (the figures of each document group the data names) and
  ``precision_recall_curves.json`` (each label's precision and recall at score thresholds).

Resume text is personal data: nothing of it is logged unless ``log_text`` asks for it.

:func:`log_recognizer_scores` puts the same with/without figures on a conversion run, for the
model card.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resume_ner.data.documents import Document
from resume_ner.data.splits import data_fingerprint
from resume_ner.evaluation.run import Evaluation
from resume_ner.evaluation.scoring import MATCHINGS, EvaluationScores
from resume_ner.serve.source import ModelInfo
from resume_ner.tracking.context import TrackingContext

RESULTS_TABLE = "eval_results_table.json"
CONFUSION_ARTIFACT = "confusion.json"
WORST_ARTIFACT = "worst_documents.json"
GROUPS_ARTIFACT = "groups.json"
CURVES_ARTIFACT = "precision_recall_curves.json"
STAGE = "evaluation"
#: Metric name prefixes of the two variants.
RECOGNIZERS_ON = "recognizers_on/"
RECOGNIZERS_OFF = "recognizers_off/"
_VARIANTS = (RECOGNIZERS_ON, RECOGNIZERS_OFF)


@dataclass(frozen=True)
class EvaluationTarget:
    """What was evaluated: the model (as described and as found) and the data file."""

    model_reference: str
    model: ModelInfo
    data_file: Path
    data_format: str


def score_metrics(scores: EvaluationScores, prefix: str = "") -> dict[str, float]:
    """``<prefix><strict|lenient>_<metric>`` for every figure of :meth:`Scores.summary`."""
    return {
        f"{prefix}{matching}_{name}": value
        for matching in MATCHINGS
        for name, value in scores.scores(matching).summary().items()
    }


def evaluation_metrics(evaluation: Evaluation) -> dict[str, float]:
    """The served variant's figures, and both variants' under ``recognizers_on/off/``."""
    return {
        **score_metrics(evaluation.served),
        **score_metrics(evaluation.with_recognizers, RECOGNIZERS_ON),
        **score_metrics(evaluation.without_recognizers, RECOGNIZERS_OFF),
        "n_documents": float(len(evaluation.documents)),
    }


def log_recognizer_scores(
    tracking: TrackingContext, run_id: str, bundle_dir: Path, documents: Sequence[Document]
) -> dict[str, float]:
    """Score the bundle ``bundle_dir`` on ``documents`` with and without the pattern
    recognizers and log both as ``recognizers_on/...`` and ``recognizers_off/...`` metrics of
    run ``run_id`` (the conversion run that built the bundle); return them.

    A run that already holds them (a reused conversion) is left as it is and its figures are
    returned. Raises what loading the bundle and MLflow raise.
    """
    from resume_ner.evaluation.run import evaluate_engine
    from resume_ner.serve.engine import InferenceEngine
    from resume_ner.tracking.batching import log_batch_chunked

    logged = tracking.client.get_run(run_id).data.metrics
    if f"{RECOGNIZERS_ON}strict_micro_f1" in logged:
        return {name: value for name, value in logged.items() if name.startswith(_VARIANTS)}
    evaluation = evaluate_engine(InferenceEngine.load(bundle_dir), documents)
    metrics = {
        **score_metrics(evaluation.with_recognizers, RECOGNIZERS_ON),
        **score_metrics(evaluation.without_recognizers, RECOGNIZERS_OFF),
    }
    log_batch_chunked(tracking.client, run_id, metrics=metrics)
    return metrics


def results_table(evaluation: Evaluation, *, log_text: bool = False) -> dict[str, list[Any]]:
    """One row per document (columns as lists), as :func:`log_evaluation` logs it."""
    columns: dict[str, list[Any]] = {
        name: []
        for name in (
            "doc_index",
            "doc_id",
            "gold",
            "predicted",
            "strict_f1",
            "lenient_f1",
            "errors",
        )
    }
    if log_text:
        columns["text"] = []
    scores = evaluation.served.documents
    predictions = evaluation.served_predictions
    for document, score, predicted in zip(evaluation.documents, scores, predictions, strict=True):

        def spans(items: Any, text: str = document.text) -> str:
            rows = [
                [s.start, s.end, s.label, *([text[s.start : s.end]] if log_text else [])]
                for s in items
            ]
            return json.dumps(rows, ensure_ascii=False)

        columns["doc_index"].append(score.index)
        columns["doc_id"].append(document.doc_id)
        columns["gold"].append(spans(document.spans))
        columns["predicted"].append(spans(predicted))
        columns["strict_f1"].append(score.strict.f1)
        columns["lenient_f1"].append(score.lenient.f1)
        columns["errors"].append(score.errors)
        if log_text:
            columns["text"].append(document.text)
    return columns


def _tags(
    tracking: TrackingContext, target: EvaluationTarget, evaluation: Evaluation
) -> dict[str, Any]:
    key = tracking.registry.key
    model = target.model
    return {
        key("process", "stage"): STAGE,
        key("process", "project"): tracking.policy.project,
        key("evaluation", "model_source"): model.source,
        key("evaluation", "model_name"): model.name,
        key("evaluation", "model_version"): model.version,
        key("evaluation", "model_run_id"): model.run_id,
        key("evaluation", "data_file"): target.data_file.name,
        key("evaluation", "data_fp"): data_fingerprint(list(evaluation.documents)),
        key("evaluation", "recognizers"): str(evaluation.recognizers_served).lower(),
    }


def _write_json(folder: Path, name: str, payload: Any) -> Path:
    path = folder / name
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def log_evaluation(
    tracking: TrackingContext,
    target: EvaluationTarget,
    evaluation: Evaluation,
    *,
    worst: int = 10,
    log_text: bool = False,
    params: Mapping[str, Any] | None = None,
) -> str:
    """Log ``evaluation`` of ``target`` as a new top-level run; return its id.

    See the module docstring for what the run holds; ``worst`` documents go into
    ``worst_documents.json``; ``params`` are added to the run's params. The run ends FAILED
    (and the error is raised) when logging fails half-way. Raises what MLflow raises.
    """
    from resume_ner.tracking.batching import log_batch_chunked
    from resume_ner.tracking.runs import create_run_safe, get_or_create_experiment
    from resume_ner.tracking.setup import experiment_artifact_location

    client = tracking.client
    experiment = f"{tracking.policy.project}-{STAGE}"
    experiment_id = get_or_create_experiment(
        client,
        experiment,
        artifact_location=experiment_artifact_location(tracking.artifact_root, experiment),
    )
    model = target.model
    model_label = f"{model.name}-v{model.version}" if model.name else (model.run_id or "bundle")
    run_name = f"evaluation_{model_label}_{target.data_file.stem}"
    run = create_run_safe(client, experiment_id, run_name, tags=_tags(tracking, target, evaluation))
    run_id = run.info.run_id
    try:
        log_batch_chunked(
            client,
            run_id,
            params={
                "model_reference": target.model_reference,
                "data_format": target.data_format,
                "n_documents": len(evaluation.documents),
                "recognizers": evaluation.recognizers_served,
                "log_text": log_text,
                **dict(params or {}),
            },
            metrics=evaluation_metrics(evaluation),
            tag_max_length=tracking.config.naming.tags.max_length,
        )
        client.log_table(
            run_id, data=results_table(evaluation, log_text=log_text), artifact_file=RESULTS_TABLE
        )
        served = evaluation.served
        with tempfile.TemporaryDirectory(prefix="resume-ner-evaluation-") as tmp:
            folder = Path(tmp)
            _write_json(
                folder,
                CONFUSION_ARTIFACT,
                [
                    {"gold": gold, "predicted": predicted, "count": count}
                    for (gold, predicted), count in served.label_errors().items()
                ],
            )
            _write_json(
                folder,
                WORST_ARTIFACT,
                [
                    {"index": d.index, "id": d.doc_id, "errors": d.errors, "strict_f1": d.strict.f1}
                    for d in served.worst_documents(worst)
                ],
            )
            _write_json(folder, GROUPS_ARTIFACT, evaluation.groups_record())
            _write_json(folder, CURVES_ARTIFACT, evaluation.curves_record())
            client.log_artifacts(run_id, str(folder))
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    return run_id
