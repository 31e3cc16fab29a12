"""``resume-ner convert`` and ``resume-ner benchmark``: one trained model at a time.

Both take the run of a trained model (a final training or a refit). ``convert`` makes its ONNX
bundle in a tracked conversion run (parity checked on the test split, int8 only where macro-F1
holds); ``benchmark`` converts it when needed and times it with ``benchmark.yaml``. Each reuses
the FINISHED run of the same identity unless ``--force``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from resume_ner.cli.preflight import checked_state

if TYPE_CHECKING:
    from resume_ner.cli.state import CliState
    from resume_ner.data.documents import Document

RunArgument = Annotated[
    str, typer.Argument(help="Run id of a trained model (final_training or hpo_refit).")
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Make the run again even if one of its identity exists.")
]


def register(app: typer.Typer) -> None:
    """Add the ``convert`` and ``benchmark`` commands to ``app``."""
    app.command("convert")(convert)
    app.command("benchmark")(benchmark)


def _test_documents(state: CliState) -> list[Document]:
    from resume_ner.config.loader import resolve_config_file
    from resume_ner.data.corpus import load_corpus
    from resume_ner.data.splits import split_as_configured

    data = state.project.data
    config_file = resolve_config_file("data.yaml", state.config_dir)
    documents = load_corpus(data, config_file=config_file)
    return split_as_configured(documents, data.split)["test"]


def convert(
    ctx: typer.Context,
    run_id: RunArgument,
    register_model: Annotated[
        bool,
        typer.Option(
            "--register/--no-register",
            help="Also register the model (mlflow.yaml's registry name); the alias is not moved.",
        ),
    ] = False,
    force: ForceOption = False,
) -> None:
    """Convert a trained model to an ONNX bundle with a parity check, tracked in MLflow."""
    from resume_ner.cli.console import console
    from resume_ner.conversion.calibrate import calibration_documents
    from resume_ner.pipeline.models import convert_model, trained_model_from_run
    from resume_ner.tracking.context import TrackingContext

    state = checked_state(ctx, data=True)
    tracking = ctx.with_resource(
        TrackingContext.open(state.paths, state.project, environ=state.environ)
    )
    model = trained_model_from_run(tracking, run_id)
    converted = convert_model(
        tracking,
        model,
        state.project.conversion,
        documents=_test_documents(state),
        calibration_documents=calibration_documents(
            state.project.conversion.calibration, state.project.data
        ),
        log_model=True,
        force=force,
    )
    action = "reused" if converted.run.reused else "created"
    console.print(
        f"conversion run {converted.run.run_id} {action}: {converted.run.detail}\n"
        f"bundle: {converted.bundle_dir}",
        highlight=False,
        soft_wrap=True,
    )
    if register_model and converted.run.run_id:
        from resume_ner.conversion.registry import find_model_version
        from resume_ner.conversion.run import register_bundle

        name = tracking.config.registry.model_name
        existing = find_model_version(tracking, name, converted.run.run_id)
        version = (
            existing.version if existing else register_bundle(tracking, converted.run.run_id, name)
        )
        console.print(f"registered model {name} version {version}", highlight=False)


def benchmark(ctx: typer.Context, run_id: RunArgument, force: ForceOption = False) -> None:
    """Time a trained model: PyTorch eager, ONNX Runtime fp32 / int8 and the transformers
    pipeline, at benchmark.yaml's batch sizes and lengths; tracked in MLflow."""
    from resume_ner.cli.console import console
    from resume_ner.conversion.calibrate import calibration_documents
    from resume_ner.pipeline.models import benchmark_model, convert_model, trained_model_from_run
    from resume_ner.tracking.context import TrackingContext

    state = checked_state(ctx, data=True)
    project = state.project
    tracking = ctx.with_resource(TrackingContext.open(state.paths, project, environ=state.environ))
    model = trained_model_from_run(tracking, run_id)
    converted = convert_model(
        tracking,
        model,
        project.conversion,
        documents=_test_documents(state),
        calibration_documents=calibration_documents(project.conversion.calibration, project.data),
        log_model=True,
    )
    run = benchmark_model(
        tracking, model, converted, project.benchmark, target="bundle", force=force
    )
    action = "reused" if run.reused else "created"
    console.print(f"benchmark run {run.run_id} {action}", highlight=False)
    if run.run_id:
        _print_latencies(tracking, run.run_id)


def _print_latencies(tracking: object, run_id: str) -> None:
    from rich.table import Table

    from resume_ner.cli.console import console

    metrics = tracking.client.get_run(run_id).data.metrics  # type: ignore[attr-defined]
    table = Table(title="latency p50 (ms)")
    for column in ("metric", "value"):
        table.add_column(column)
    for name in sorted(metrics):
        if "_p50_ms" in name:
            table.add_row(name, f"{metrics[name]:.2f}")
    console.print(table)
