"""The model card of a registered model version: data, scores per entity, latency, lineage.

Built from what MLflow holds (the final training's test metrics, the benchmark's latencies, the
lineage chain), written as Markdown into the version's description, so that whoever looks at the
registry sees what the model is, how good and how fast it is, and where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.lineage import LineageLink

_ENTITY_F1 = re.compile(r"^(?P<entity>[A-Z_]+)_test_(?P<kind>f1|precision|recall|support)$")
_P50 = re.compile(r"^(?P<runtime>[a-z0-9_]+)/latency_b(?P<batch>\d+)_s(?P<seq>\d+)_p50_ms$")


def _entity_rows(metrics: Mapping[str, float]) -> list[str]:
    table: dict[str, dict[str, float]] = {}
    for name, value in metrics.items():
        match = _ENTITY_F1.match(name)
        if match:
            table.setdefault(match["entity"], {})[match["kind"]] = value
    rows = [
        f"| {entity} | {scores.get('precision', 0):.3f} | {scores.get('recall', 0):.3f} | "
        f"{scores.get('f1', 0):.3f} | {int(scores.get('support', 0))} |"
        for entity, scores in sorted(table.items())
    ]
    if "test_macro_f1" in metrics:
        rows.append(
            f"| **macro** | {metrics.get('test_macro_precision', 0):.3f} | "
            f"{metrics.get('test_macro_recall', 0):.3f} | {metrics['test_macro_f1']:.3f} | |"
        )
    return rows


def _latency_rows(metrics: Mapping[str, float]) -> list[str]:
    found = []
    for name, value in metrics.items():
        match = _P50.match(name)
        if match:
            found.append((match["runtime"], int(match["batch"]), int(match["seq"]), value))
    return [
        f"| {runtime} | {batch} | {seq} | {value:.2f} |"
        for runtime, batch, seq, value in sorted(found)
    ]


def build_model_card(
    *,
    model_name: str,
    version: str,
    backbone: str,
    served_format: str,
    training_metrics: Mapping[str, float],
    training_params: Mapping[str, str],
    benchmark_metrics: Mapping[str, float],
    lineage: Sequence[LineageLink],
    conversion_metrics: Mapping[str, float] | None = None,
) -> str:
    """The Markdown model card of ``model_name`` version ``version`` (see the module docstring)."""
    served = conversion_metrics or {}
    lines = [
        f"# {model_name} version {version}",
        "",
        f"Backbone `{backbone}`, served as ONNX {served_format}. Trained on "
        f"{training_params.get('n_train_documents', '?')} documents "
        f"({training_params.get('data_scope', 'train')}); scored on the held-out test split "
        "(seqeval, strict entity matching).",
        "",
        "## Scores per entity (test split)",
        "",
        "| entity | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
        *_entity_rows(training_metrics),
        "",
        *(
            [
                "Served bundle, entity micro-F1 strict / lenient with the pattern recognizers "
                f"(e-mail, phone, URL): {served['recognizers_on/strict_micro_f1']:.3f} / "
                f"{served['recognizers_on/lenient_micro_f1']:.3f}; without: "
                f"{served['recognizers_off/strict_micro_f1']:.3f} / "
                f"{served['recognizers_off/lenient_micro_f1']:.3f}.",
                "",
            ]
            if "recognizers_on/strict_micro_f1" in served
            else []
        ),
        "## Latency (p50, ms)",
        "",
        "| runtime | batch | tokens | p50 ms |",
        "|---|---|---|---|",
        *_latency_rows(benchmark_metrics),
        "",
        "## Lineage",
        "",
        *(f"- {link.stage}: `{link.run_name}` ({link.run_id})" for link in lineage),
        "",
    ]
    return "\n".join(lines)


def describe_model_version(
    tracking: TrackingContext,
    *,
    model_name: str,
    version: str,
    backbone: str,
    served_format: str,
    conversion_run_id: str,
    final_training_run_id: str,
    benchmark_run_id: str | None,
) -> str:
    """Build the card of ``model_name`` ``version`` and store it as the version's description.

    Returns the card. Raises what the MLflow client and :func:`trace_lineage` raise.
    """
    from resume_ner.tracking.lineage import trace_lineage

    client = tracking.client
    training = client.get_run(final_training_run_id).data
    benchmark = client.get_run(benchmark_run_id).data.metrics if benchmark_run_id else {}
    card = build_model_card(
        model_name=model_name,
        version=version,
        backbone=backbone,
        served_format=served_format,
        training_metrics=training.metrics,
        training_params=training.params,
        benchmark_metrics=benchmark,
        lineage=trace_lineage(tracking, conversion_run_id),
        conversion_metrics=client.get_run(conversion_run_id).data.metrics,
    )
    client.update_model_version(model_name, version, description=card)
    return card
