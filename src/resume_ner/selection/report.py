"""The ranking of a selection as a JSON document and a markdown table, and logging them to a run.

:func:`ranking_rows` is the one place a ranking becomes rows; the JSON report, the markdown
table and the CLI's table all read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from resume_ner.selection.scoring import ScoredCandidate
from resume_ner.selection.select import SelectionResult
from resume_ner.tracking.artifacts.upload import upload_with_retry

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

REPORT_DIR = "selection"
JSON_REPORT = "selection.json"
MARKDOWN_REPORT = "selection.md"
#: Column titles of the table, in order (``{metric}`` is the objective metric).
TABLE_COLUMNS = (
    "rank",
    "backbone",
    "stable {metric}",
    "trials",
    "latency (ms)",
    "composite",
    "sweep run",
    "best trial",
    "refit run",
    "status",
)


def ranking_rows(ranking: Sequence[ScoredCandidate]) -> list[dict[str, Any]]:
    """One JSON-ready mapping per candidate: ids, scores, and included or the exclusion reason."""
    rows = []
    for entry in ranking:
        candidate = entry.candidate
        best = candidate.best_trial
        latency = candidate.latency
        rows.append(
            {
                "rank": entry.rank,
                "backbone": candidate.backbone,
                "included": entry.included,
                "excluded_reason": entry.excluded_reason,
                "sweep_run_id": candidate.sweep_run_id,
                "sweep_run_name": candidate.sweep_run_name,
                "study_key_hash": candidate.study_key_hash,
                "study_name": candidate.study_name,
                "best_trial_run_id": best.run_id if best else None,
                "best_trial_number": best.trial_number if best else None,
                "best_trial_value": best.value if best else None,
                "refit_run_id": candidate.refit_run_id,
                "n_trials": entry.n_trials,
                "top_k_used": entry.top_k_used,
                "stable_score": entry.stable_score,
                "latency_ms": entry.latency_ms,
                "benchmark_run_ids": list(latency.measured_run_ids) if latency else [],
                "norm_objective": entry.norm_objective,
                "norm_latency": entry.norm_latency,
                "composite": entry.composite,
            }
        )
    return rows


def selection_report(result: SelectionResult) -> dict[str, Any]:
    """The whole selection as a JSON-ready mapping: settings, winner, ranking, explanation."""
    config = result.config
    w_objective, w_latency = config.weights
    rows = ranking_rows(result.ranking)
    return {
        "study_family_hash": result.study_family_hash,
        "objective": config.objective.model_dump(),
        "weights": {"objective": w_objective, "latency": w_latency},
        "latency_metric": result.latency_metric,
        "f1_tolerance": config.f1_tolerance,
        "min_trials_per_group": config.min_trials_per_group,
        "top_k_for_stable_score": config.top_k_for_stable_score,
        "winner": rows[0],
        "ranking": rows,
        "explanation": result.explanation,
        "notes": list(result.notes),
    }


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_row(row: dict[str, Any]) -> list[str]:
    """A row of :func:`ranking_rows` as the texts of :data:`TABLE_COLUMNS`."""
    if row["best_trial_run_id"] is None:
        trial = "-"
    elif row["best_trial_number"] is None:
        trial = row["best_trial_run_id"]
    else:
        trial = f"#{row['best_trial_number']}"
    return [
        str(row["rank"]) if row["rank"] is not None else "-",
        row["backbone"],
        _number(row["stable_score"], 4),
        f"{row['top_k_used']} of {row['n_trials']}" if row["n_trials"] else "0",
        _number(row["latency_ms"], 2),
        _number(row["composite"], 3),
        row["sweep_run_name"],
        trial,
        row["refit_run_id"] or "-",
        "included" if row["included"] else f"excluded: {row['excluded_reason']}",
    ]


def table_columns(metric: str) -> list[str]:
    """The column titles for objective ``metric``."""
    return [title.format(metric=metric) for title in TABLE_COLUMNS]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def ranking_markdown(result: SelectionResult) -> str:
    """The ranking as a markdown table, followed by the explanation and the notes."""
    columns = table_columns(result.config.objective.metric)
    lines = [
        f"# Model selection: study family `{result.study_family_hash}`",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in ranking_rows(result.ranking):
        lines.append("| " + " | ".join(_cell(text) for text in format_row(row)) + " |")
    lines += ["", "## Why", "", result.explanation]
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def log_selection_report(
    client: MlflowClient,
    run_id: str,
    result: SelectionResult,
    *,
    artifact_dir: str = REPORT_DIR,
) -> list[str]:
    """Log ``selection.json`` and ``selection.md`` into run ``run_id`` under ``artifact_dir``.

    Returns the artifact paths written. Raises
    :class:`~resume_ner.tracking.errors.ArtifactUploadError` when an upload fails for good.
    """
    folder = artifact_dir.strip("/")
    json_path = f"{folder}/{JSON_REPORT}" if folder else JSON_REPORT
    markdown_path = f"{folder}/{MARKDOWN_REPORT}" if folder else MARKDOWN_REPORT
    uploads = [
        (json_path, lambda: client.log_dict(run_id, selection_report(result), json_path)),
        (markdown_path, lambda: client.log_text(run_id, ranking_markdown(result), markdown_path)),
    ]
    for path, upload in uploads:
        upload_with_retry(
            upload,
            run_id=run_id,
            local_path=path,
            description=f"uploading {path} to run {run_id}",
        )
    return [path for path, _ in uploads]
