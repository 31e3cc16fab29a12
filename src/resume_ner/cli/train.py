"""``resume-ner train``: train a model on the configured data, evaluate it, track it in MLflow.

The command loads ``data.yaml``, ``model.yaml`` and ``train.yaml``, splits the documents by
document (train / validation / test), trains with per-epoch validation and early stopping, scores
the kept model on the test split and saves a checkpoint. The MLflow run is a ``final_training``
run whose identity is the spec fingerprint (data, labels, backbone, effective settings) and the
exec fingerprint (library versions, threads): a finished run of the same identity is reused
instead of training again, unless ``--force``.

Values an earlier command could not send (spool files under the project's outputs) are sent
first. When the tracking server stops answering during training, training goes on and what the
run is owed waits in its spool; the command then exits 3 (``EXIT_UNSENT``) and says how to send
it (``resume-ner runs sync``).

The ``resume-ner`` entry point asks OpenMP to let waiting threads sleep
(``OMP_WAIT_POLICY=PASSIVE`` unless the environment sets it), see :func:`resume_ner.cli.app.main`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from resume_ner.cli.preflight import checked_state
from resume_ner.cli.state import CliState

if TYPE_CHECKING:
    from rich.progress import Progress

    from resume_ner.training.metrics import EntityMetrics
    from resume_ner.training.run import TrainingResult


def register(app: typer.Typer) -> None:
    """Add the ``train`` command to the root ``app``."""
    app.command("train")(train)


def train(
    ctx: typer.Context,
    backbone: Annotated[
        str | None,
        typer.Option(
            "--backbone",
            help="Preset (tiny, minilm, ... from model.yaml) or a Hugging Face name or path. "
            "Default: model.yaml's default_backbone.",
        ),
    ] = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", min=1, help="Override train.yaml's epochs.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Override train.yaml's seed.")] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            help="Where the checkpoint and metrics.json go. Default: "
            "outputs/final_training/<backbone>/spec-<hash>_exec-<hash>/v1 under the project.",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Train again even if a finished run of this identity exists."),
    ] = False,
) -> None:
    """Train and evaluate a model on the configured data; print per-entity test scores."""
    from resume_ner.cli.console import console
    from resume_ner.config.train import TrainConfig
    from resume_ner.data.corpus import load_corpus
    from resume_ner.data.labels import LabelSchema
    from resume_ner.data.splits import data_fingerprint, split_as_configured
    from resume_ner.naming.canonical import hash_payload
    from resume_ner.training.identity import execution_spec, training_spec
    from resume_ner.training.run import resolve_settings

    state = checked_state(ctx, data=True)
    data_config = state.project.data
    model_config = state.project.model
    train_config = state.project.train
    overrides = {k: v for k, v in {"epochs": epochs, "seed": seed}.items() if v is not None}
    if overrides:
        train_config = TrainConfig.model_validate({**train_config.model_dump(), **overrides})
    settings = resolve_settings(backbone, data_config, model_config, train_config)

    documents = load_corpus(data_config)
    parts = split_as_configured(documents, data_config.split)
    preset = model_config.resolve(settings.backbone)[1]
    effective_train = {
        **train_config.model_dump(mode="json"),
        "learning_rate": settings.learning_rate,
        "dropout": settings.dropout,
        "label_all_subwords": settings.label_all_subwords,
    }
    spec_fp = hash_payload(
        training_spec(
            data_fingerprint=data_fingerprint(documents),
            entities=data_config.labels,
            backbone=settings.backbone,
            preset=preset.model_dump(mode="json"),
            train=effective_train,
            max_length=settings.max_length,
            stride=settings.stride,
            label_all_subwords=settings.label_all_subwords,
        )
    )
    exec_fp = hash_payload(execution_spec(train_config.num_threads))
    folder = output_dir or _default_output_dir(state, settings.backbone, spec_fp, exec_fp)
    console.print(
        f"training [bold]{settings.backbone}[/] on {len(parts['train'])} documents "
        f"(validation {len(parts['validation'])}, test {len(parts['test'])}); "
        f"lr {settings.learning_rate:g}, dropout {settings.dropout:g}, "
        f"windows {settings.max_length}/{settings.stride}",
        highlight=False,
    )

    from resume_ner.cli.sync import send_held_values
    from resume_ner.naming.context import NamingContext
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.spool import raise_if_unsent
    from resume_ner.tracking.trackers.training import MLflowTrainingTracker
    from resume_ner.tracking.training_runs import create_training_mlflow_run

    tracking = ctx.with_resource(
        TrackingContext.open(state.paths, state.project, environ=state.environ)
    )
    send_held_values(state)
    tracker = MLflowTrainingTracker(tracking)
    context = NamingContext(
        process_type="final_training",
        model=settings.backbone,
        spec_fp=spec_fp,
        exec_fp=exec_fp,
    )
    run = create_training_mlflow_run(
        tracker,
        context,
        force=force,
        params={
            **effective_train,
            "backbone": settings.backbone,
            "max_length": settings.max_length,
            "stride": settings.stride,
            "n_train_documents": len(parts["train"]),
        },
        id2label=LabelSchema.from_entities(data_config.labels).id2label,
        lineage={"source": "manual"},
        training_type="final",
        trained_on_full_data=False,
        output_dir=folder,
    )
    if run.reused:
        console.print(
            f"run {run.run_id} already trained this configuration; nothing to do "
            "(--force trains again)",
            highlight=False,
        )
        return

    result = _train_with_progress(
        parts,
        data_config=data_config,
        model_config=model_config,
        train_config=train_config,
        backbone=settings.backbone,
        output_dir=folder,
        tracker=tracker,
        run_id=run.run_id,
    )
    _print_result(result, run.run_id)
    raise_if_unsent(tracker.spools(), root=state.root)


def _default_output_dir(state: CliState, backbone: str, spec_fp: str, exec_fp: str) -> Path:
    from resume_ner.pipeline.final_training import final_training_dir

    return final_training_dir(state.paths.outputs_dir, backbone, spec_fp, exec_fp)


def _epoch_line(progress: Progress, task: Any, total: int) -> Any:
    from resume_ner.cli.console import console

    def on_epoch_end(epoch: int, metrics: Mapping[str, float]) -> None:
        progress.update(task, completed=epoch)
        line = (
            f"epoch {epoch:>3}/{total}  loss {metrics['train_loss']:.4f}  "
            f"lr {metrics['lr_at_epoch_end']:.2e}  {metrics['epoch_seconds']:.1f}s"
        )
        if "val_macro_f1" in metrics:
            line += (
                f"  val macro-F1 {metrics['val_macro_f1']:.4f}  "
                f"micro-F1 {metrics['val_micro_f1']:.4f}"
            )
        console.print(line, highlight=False)

    return on_epoch_end


def _train_with_progress(
    parts: Mapping[str, list[Any]],
    *,
    train_config: Any,
    tracker: Any,
    run_id: str | None,
    **kwargs: Any,
) -> TrainingResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from transformers.utils import logging as transformers_logging

    from resume_ner.cli.console import console
    from resume_ner.training.run import train_and_evaluate

    # Our own progress replaces transformers' bars (saving and loading weights).
    transformers_logging.disable_progress_bar()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("epochs", total=train_config.epochs)
        with tracker.managed_run(run_id):
            return train_and_evaluate(
                parts["train"],
                validation_documents=parts["validation"] or None,
                test_documents=parts["test"] or None,
                train_config=train_config,
                callbacks=[_epoch_line(progress, task, train_config.epochs)],
                tracker=tracker,
                run_id=run_id,
                **kwargs,
            )


def _entity_table(title: str, metrics: EntityMetrics) -> Any:
    from rich.table import Table

    table = Table(title=title)
    for column in ("entity", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "entity" else "right")
    for entity, scores in metrics.per_entity.items():
        table.add_row(
            entity,
            f"{scores.precision:.4f}",
            f"{scores.recall:.4f}",
            f"{scores.f1:.4f}",
            str(scores.support),
        )
    table.add_section()
    table.add_row(
        "micro avg",
        f"{metrics.precision:.4f}",
        f"{metrics.recall:.4f}",
        f"{metrics.micro_f1:.4f}",
        str(metrics.support),
    )
    table.add_row(
        "macro avg",
        f"{metrics.macro_precision:.4f}",
        f"{metrics.macro_recall:.4f}",
        f"{metrics.macro_f1:.4f}",
        str(metrics.support),
    )
    return table


def _print_result(result: TrainingResult, run_id: str | None) -> None:
    from resume_ner.cli.console import console

    scored, split = (
        (result.test_metrics, "test")
        if result.test_metrics is not None
        else (result.validation_metrics, "validation")
    )
    if scored is not None:
        console.print(
            _entity_table(f"Entity scores on the {split} split (seqeval, strict)", scored)
        )
    stop = "early stop" if result.stopped_early else "all epochs"
    console.print(
        f"best epoch {result.best_epoch} of {len(result.history)} ({stop}), "
        f"{result.seconds:.1f}s; checkpoint {result.checkpoint_dir}",
        highlight=False,
    )
    if run_id is not None:
        console.print(f"MLflow run {run_id}", highlight=False)
    for problem in result.tracking_errors:
        console.print(f"[yellow]tracking problem:[/] {problem}", highlight=False)
