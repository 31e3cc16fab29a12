"""``resume-ner evaluate MODEL_REF DATA_FILE``: score a served model on annotated resumes.

MODEL_REF names the model as ``serve`` finds it (``champion``, ``NAME@ALIAS``, ``NAME/VERSION``,
a conversion run id or a bundle folder); the model is opened with ``serve.yaml``'s settings, so
it runs exactly as the REST API runs it. DATA_FILE is any format the readers know. The figures
(strict and lenient entity precision/recall/F1 per label, micro and macro, with and without the
pattern recognizers, label errors, the worst documents) are printed as tables or, with
``--json``, as one JSON object, and logged as an evaluation run (see
:mod:`resume_ner.evaluation.tracking`). Bad input exits with code 2 before anything is logged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from resume_ner.cli.state import get_state

if TYPE_CHECKING:
    from resume_ner.evaluation.run import Evaluation
    from resume_ner.evaluation.scoring import EvaluationScores


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` command to the root ``app``."""
    app.command("evaluate")(evaluate)


def evaluate(
    ctx: typer.Context,
    model_ref: Annotated[
        str,
        typer.Argument(
            metavar="MODEL_REF",
            help="champion, NAME@ALIAS, NAME/VERSION, a conversion run id or a bundle folder.",
        ),
    ],
    data_file: Annotated[
        Path, typer.Argument(metavar="DATA_FILE", help="Annotated resumes to score on.")
    ],
    data_format: Annotated[
        str,
        typer.Option("--format", help="auto, json, jsonl, label_studio, doccano or conll."),
    ] = "auto",
    worst: Annotated[
        int, typer.Option("--worst", min=0, help="How many worst documents to list.")
    ] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    track: Annotated[
        bool,
        typer.Option("--track/--no-track", help="Log the evaluation as an MLflow run."),
    ] = True,
    log_text: Annotated[
        bool,
        typer.Option(
            "--log-text",
            help="Also log the resume texts and entity texts in the results table "
            "(personal data; off by default).",
        ),
    ] = False,
) -> None:
    """Score a model on annotated resumes: strict and lenient entity F1, label errors."""
    from resume_ner.cli.serve import load_model
    from resume_ner.evaluation.run import evaluate_engine, load_gold
    from resume_ner.serve.reference import parse_model_reference

    state = get_state(ctx)
    project = state.project
    documents = load_gold(data_file, data_format, project.data)
    source = parse_model_reference(model_ref, project.mlflow.registry.model_name)
    served = load_model(state, project.serve, source)
    evaluation = evaluate_engine(served.engine, documents)

    run_id = None
    if track:
        from resume_ner.evaluation.tracking import EvaluationTarget, log_evaluation
        from resume_ner.tracking.context import TrackingContext

        tracking = ctx.with_resource(
            TrackingContext.open(state.paths, project, environ=state.environ)
        )
        target = EvaluationTarget(model_ref, served.info, data_file, data_format)
        run_id = log_evaluation(tracking, target, evaluation, worst=worst, log_text=log_text)
    if as_json:
        payload = evaluation_json(evaluation, worst=worst)
        payload.update({"model": model_ref, "data_file": str(data_file), "run_id": run_id})
        typer.echo(json.dumps(payload, indent=2))
    else:
        _print(evaluation, worst, f"{source.describe()} on {data_file}", run_id)


def _scores_json(scores: EvaluationScores) -> dict[str, Any]:
    return {
        matching: {
            "micro": scores.scores(matching).micro.as_dict(),
            "macro": {
                metric: scores.scores(matching).macro(metric)
                for metric in ("precision", "recall", "f1")
            },
            "per_label": {
                label: counts.as_dict()
                for label, counts in scores.scores(matching).per_label.items()
            },
        }
        for matching in ("strict", "lenient")
    }


def evaluation_json(evaluation: Evaluation, *, worst: int) -> dict[str, Any]:
    """The figures of ``evaluation`` as a JSON-ready mapping (what ``--json`` prints)."""
    served = evaluation.served
    return {
        "n_documents": len(evaluation.documents),
        "recognizers_served": evaluation.recognizers_served,
        "thresholds": evaluation.thresholds,
        "calibration_error": evaluation.calibration_errors(),
        "with_recognizers": _scores_json(evaluation.with_recognizers),
        "without_recognizers": _scores_json(evaluation.without_recognizers),
        "groups": evaluation.groups_record(),
        "precision_recall_curves": evaluation.curves_record(),
        "label_errors": [
            {"gold": gold, "predicted": predicted, "count": count}
            for (gold, predicted), count in served.label_errors().items()
        ],
        "worst_documents": [
            {
                "index": d.index,
                "id": d.doc_id,
                "errors": d.errors,
                "gold": d.strict.gold,
                "predicted": d.strict.predicted,
                "strict_f1": d.strict.f1,
                "lenient_f1": d.lenient.f1,
            }
            for d in served.worst_documents(worst)
        ],
    }


def _print(evaluation: Evaluation, worst: int, title: str, run_id: str | None) -> None:
    from rich.table import Table
    from rich.text import Text

    from resume_ner.cli.console import console

    served = evaluation.served
    variant = "on" if evaluation.recognizers_served else "off"
    table = Table(
        title=Text(f"{title} ({len(evaluation.documents)} documents, recognizers {variant})")
    )
    table.add_column("label", no_wrap=True)
    table.add_column("gold", justify="right")
    table.add_column("predicted", justify="right")
    for matching in ("strict", "lenient"):
        for metric in ("P", "R", "F1"):
            table.add_column(f"{matching} {metric}", justify="right")
    labels = list(served.lenient.per_label)
    for label in labels:
        strict, lenient = served.strict.per_label[label], served.lenient.per_label[label]
        table.add_row(
            Text(label),
            str(strict.gold),
            str(strict.predicted),
            *(f"{v:.3f}" for c in (strict, lenient) for v in (c.precision, c.recall, c.f1)),
        )
    strict_micro, lenient_micro = served.strict.micro, served.lenient.micro
    table.add_row(
        "micro",
        str(strict_micro.gold),
        str(strict_micro.predicted),
        *(f"{v:.3f}" for c in (strict_micro, lenient_micro) for v in (c.precision, c.recall, c.f1)),
        style="bold",
    )
    table.add_row(
        "macro",
        "",
        "",
        *(
            f"{served.scores(m).macro(metric):.3f}"
            for m in ("strict", "lenient")
            for metric in ("precision", "recall", "f1")
        ),
        style="bold",
    )
    console.print(table)

    variants = Table(title="pattern recognizers (e-mail, phone, URL)")
    for column in ("F1", "recognizers on", "recognizers off"):
        variants.add_column(column, justify="right" if column != "F1" else "left")
    for matching in ("strict", "lenient"):
        for average in ("micro", "macro"):
            on = evaluation.with_recognizers.scores(matching)
            off = evaluation.without_recognizers.scores(matching)
            values = [s.micro.f1 if average == "micro" else s.macro("f1") for s in (on, off)]
            variants.add_row(f"{matching} {average}", *(f"{v:.3f}" for v in values))
    console.print(variants)

    _print_groups(evaluation)
    _print_curves(evaluation)

    errors = served.label_errors()
    if errors:
        confusion = Table(title="label errors (gold -> predicted, overlapping spans)")
        for column in ("gold", "predicted", "count"):
            confusion.add_column(column)
        for (gold, predicted), count in sorted(errors.items(), key=lambda item: -item[1]):
            confusion.add_row(Text(gold), Text(predicted), str(count))
        console.print(confusion)
    worst_documents = served.worst_documents(worst)
    if worst_documents:
        worst_table = Table(title=f"worst {len(worst_documents)} documents (strict errors)")
        for column in ("index", "id", "gold", "predicted", "errors", "strict F1", "lenient F1"):
            worst_table.add_column(column)
        for d in worst_documents:
            worst_table.add_row(
                str(d.index),
                Text(d.doc_id or ""),
                str(d.strict.gold),
                str(d.strict.predicted),
                str(d.errors),
                f"{d.strict.f1:.3f}",
                f"{d.lenient.f1:.3f}",
            )
        console.print(worst_table)
    if run_id:
        console.print(f"logged as evaluation run {run_id}", highlight=False)


def _print_groups(evaluation: Evaluation) -> None:
    from rich.table import Table
    from rich.text import Text

    from resume_ner.cli.console import console

    groups = evaluation.group_scores()
    if not groups:
        return
    table = Table(title="by document group (served, micro over labels)")
    for column in ("group", "docs", "strict P", "strict R", "strict F1", "lenient F1"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for name, values in groups.items():
        for value, group in values.items():
            strict = group.strict
            table.add_row(
                Text(f"{name}={value}"),
                str(group.documents),
                *(f"{v:.3f}" for v in (strict.precision, strict.recall, strict.f1)),
                f"{group.lenient.f1:.3f}",
            )
    console.print(table)


def _print_curves(evaluation: Evaluation) -> None:
    from rich.table import Table
    from rich.text import Text

    from resume_ner.cli.console import console

    curves = evaluation.curves()
    if not curves:
        return
    shown = (0.0, 0.3, 0.5, 0.7, 0.9)
    kind = "calibrated" if evaluation.thresholds else "raw"
    table = Table(
        title=f"strict precision / recall of the model's spans kept at a {kind} score of at least"
    )
    table.add_column("label", no_wrap=True)
    table.add_column("served at", justify="right")
    for threshold in shown:
        table.add_column(f"{threshold:.1f}", justify="right")
    for label, points in curves.items():
        by_threshold = {point.threshold: point for point in points}
        if label not in evaluation.thresholds:
            served_at = ""
        else:
            threshold = evaluation.thresholds[label]
            served_at = "not served" if threshold is None else f"{threshold:.2f}"
        table.add_row(
            Text(label),
            served_at,
            *(
                f"{by_threshold[t].precision:.2f}/{by_threshold[t].recall:.2f}"
                for t in shown
                if t in by_threshold
            ),
        )
    console.print(table)
