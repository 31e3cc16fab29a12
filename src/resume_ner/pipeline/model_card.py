"""The model card of a registered model version: data, scores per entity, latency, lineage.

Built from what MLflow holds (the final training's test metrics, the benchmark's latencies, the
lineage chain with links to each run's page, the version's selection figures), written as Markdown into the version's description, so that whoever looks at the
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


def _latency_table(metrics: Mapping[str, float]) -> list[str]:
    """p50 latencies with a row per runtime and a column per batch size x sequence length."""
    table: dict[str, dict[tuple[int, int], float]] = {}
    for name, value in metrics.items():
        match = _P50.match(name)
        if match:
            shape = (int(match["batch"]), int(match["seq"]))
            table.setdefault(match["runtime"], {})[shape] = value
    if not table:
        return ["No latency was measured."]
    shapes = sorted({shape for row in table.values() for shape in row})
    lines = [
        "| runtime | " + " | ".join(f"{b} x {s}" for b, s in shapes) + " |",
        "|---|" + "---|" * len(shapes),
    ]
    for runtime, row in sorted(table.items()):
        cells = [f"{row[shape]:.2f}" if shape in row else "-" for shape in shapes]
        lines.append(f"| {runtime} | " + " | ".join(cells) + " |")
    return lines


def _selection_note(selection_tags: Mapping[str, str]) -> list[str]:
    score = selection_tags.get("stable_score")
    metric = selection_tags.get("objective_metric", "macro_f1")
    figures = f" (stable {metric} {float(score):.3f})" if score not in (None, "") else ""
    return [
        f"The version's selection tags{figures} hold the sweep's cross-validated score: "
        "the median of its best trials on the validation folds, which chose this model and "
        "decide the champion alias. The scores above are the final model's, retrained on "
        "train and validation data and measured once on the held-out test split, so the two "
        "figures differ.",
    ]


def _threshold_note(conversion_metrics: Mapping[str, float]) -> list[str]:
    from resume_ner.conversion.run import NOT_SERVED, THRESHOLD_METRIC_PREFIX

    thresholds = {
        name.removeprefix(THRESHOLD_METRIC_PREFIX): value
        for name, value in sorted(conversion_metrics.items())
        if name.startswith(THRESHOLD_METRIC_PREFIX)
    }
    if not thresholds:
        return []
    shown = ", ".join(
        f"{label} {'not served' if value >= NOT_SERVED else f'>= {value:.2f}'}"
        for label, value in thresholds.items()
    )
    return [
        "Entities are returned when their calibrated score (the probability that such an "
        f"entity is right, fitted on resumes the model never saw) reaches: {shown}.",
        "",
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
    run_urls: Mapping[str, str] | None = None,
    selection_tags: Mapping[str, str] | None = None,
    conversion_metrics: Mapping[str, float] | None = None,
) -> str:
    """The Markdown model card of ``model_name`` version ``version`` (see the module docstring).

    ``run_urls`` maps run ids to the address of their page (lineage entries become links);
    ``selection_tags`` holds the version's ``selection.*`` tags by their short name;
    ``conversion_metrics`` the conversion run's metrics (scores with and without recognizers).
    """
    urls = run_urls or {}
    served = conversion_metrics or {}

    def link(item: LineageLink) -> str:
        name = f"`{item.run_name}`"
        url = urls.get(item.run_id)
        shown = f"[{item.run_name}]({url})" if url else name
        return f"- {item.stage}: {shown} ({item.run_id})"

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
        *_selection_note(selection_tags or {}),
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
        *_threshold_note(served),
        "",
        "## Latency (p50, ms; batch size x tokens)",
        "",
        *_latency_table(benchmark_metrics),
        "",
        "## Lineage",
        "",
        *(link(item) for item in lineage),
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
    chain = trace_lineage(
        tracking.reader,
        conversion_run_id,
        registry=tracking.registry,
        policy=tracking.policy,
        index=tracking.index,
    )
    prefix = tracking.registry.key("selection", "stable_score").rsplit(".", 1)[0] + "."
    tags = client.get_model_version(model_name, version).tags
    card = build_model_card(
        model_name=model_name,
        version=version,
        backbone=backbone,
        served_format=served_format,
        training_metrics=training.metrics,
        training_params=training.params,
        benchmark_metrics=benchmark,
        lineage=chain,
        run_urls=_run_urls(tracking, chain),
        selection_tags={k[len(prefix) :]: v for k, v in tags.items() if k.startswith(prefix)},
        conversion_metrics=client.get_run(conversion_run_id).data.metrics,
    )
    client.update_model_version(model_name, version, description=card)
    return card


def _run_urls(tracking: TrackingContext, chain: Sequence[LineageLink]) -> dict[str, str]:
    """The UI address of each run of ``chain`` (none for a store with no known UI)."""
    from resume_ner.tracking.urls import get_mlflow_run_url

    urls = {}
    for item in chain:
        experiment_id = tracking.client.get_run(item.run_id).info.experiment_id
        try:
            urls[item.run_id] = get_mlflow_run_url(
                tracking.tracking_uri, experiment_id, item.run_id, ui_url=tracking.config.ui_url
            )
        except ValueError:
            continue
    return urls
