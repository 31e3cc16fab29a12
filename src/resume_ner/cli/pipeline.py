"""``resume-ner pipeline``: every stage from the data to a registered champion, in one command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from resume_ner.cli.hpo import BackboneOption, NTrialsOption, RichSweepProgress, progress_bars
from resume_ner.cli.preflight import checked_state
from resume_ner.cli.state import CliState
from resume_ner.pipeline.progress import PipelineProgress, PipelineStep

if TYPE_CHECKING:
    from rich.console import Console

    from resume_ner.pipeline.run import PipelineResult
    from resume_ner.tracking.context import TrackingContext


def register(app: typer.Typer) -> None:
    """Add the ``pipeline`` command to ``app``."""
    app.command("pipeline")(pipeline)


class RichPipelineProgress(RichSweepProgress, PipelineProgress):
    """The sweeps' bars, plus a line per stage and per run made or reused."""

    def stage_started(self, stage: str, backbone: str) -> None:
        label = f"{stage} [bold]{backbone}[/]" if backbone else stage
        self.console.print(f"[cyan]>[/] {label}", highlight=False)

    def step_done(self, step: PipelineStep) -> None:
        action = "reused" if step.reused else "created"
        self.console.print(
            f"  {step.stage} run {step.run_id or '-'} {action}"
            + (f" ({step.detail})" if step.detail else ""),
            highlight=False,
        )


def pipeline(
    ctx: typer.Context,
    backbone: BackboneOption = None,
    n_trials: NTrialsOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Run every stage again, even when its run exists.")
    ] = False,
    plan: Annotated[
        bool,
        typer.Option(
            "--plan", help="Show which runs would be reused or created, and why; run nothing."
        ),
    ] = False,
) -> None:
    """Sweep, select, train the final model, convert it to ONNX, benchmark and register it.

    Each stage reuses the FINISHED run of its identity, so running the command again creates
    no run; an interrupted sweep is resumed. The closing table lists every run with its URL.
    """
    from resume_ner.cli.console import console
    from resume_ner.hpo.study import quiet_optuna
    from resume_ner.pipeline.run import run_pipeline
    from resume_ner.tracking.context import TrackingContext

    state = checked_state(ctx, data=True)
    quiet_optuna()
    if plan:
        _show_plan(console, state, backbone, n_trials, force)
        return
    _quiet_transformers()
    tracking = TrackingContext.open(state.paths, config_dir=state.config_dir)
    with progress_bars(console) as bars:
        result = run_pipeline(
            tracking,
            config_dir=state.config_dir,
            backbones=backbone,
            n_trials=n_trials,
            force=force,
            progress=RichPipelineProgress(console, bars, "macro_f1"),
        )
    _show_summary(console, tracking, result)


def _show_plan(
    console: Console,
    state: CliState,
    backbones: list[str] | None,
    n_trials: int | None,
    force: bool,
) -> None:
    from rich.table import Table
    from rich.text import Text

    from resume_ner.cli.hpo import open_store_for_plan
    from resume_ner.hpo.storage import storage_url
    from resume_ner.pipeline.configs import PipelineConfigs
    from resume_ner.pipeline.plan import plan_pipeline

    configs = PipelineConfigs.load(state.config_dir)
    tracking, mlflow_config = open_store_for_plan(state.paths, state.config_dir)
    steps = plan_pipeline(
        tracking,
        configs,
        project=mlflow_config.naming.project_name,
        storage=storage_url(configs.sweep.hpo, state.paths),
        backbones=backbones,
        n_trials=n_trials,
        force=force,
    )
    table = Table(title="pipeline plan")
    for column in ("stage", "backbone", "action", "run", "why"):
        table.add_column(column, overflow="fold")
    for step in steps:
        table.add_row(step.stage, step.backbone, step.action, step.run_id or "-", Text(step.reason))
    console.print(table)
    console.print("plan only: nothing was run or created", highlight=False)


def _quiet_transformers() -> None:
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()


def _run_url(tracking: TrackingContext, run_id: str | None) -> str:
    from resume_ner.tracking.urls import get_mlflow_run_url

    if not run_id:
        return "-"
    try:
        experiment_id = tracking.client.get_run(run_id).info.experiment_id
        return get_mlflow_run_url(tracking.tracking_uri, experiment_id, run_id)
    except (ValueError, LookupError):
        return run_id


def _show_summary(console: Console, tracking: TrackingContext, result: PipelineResult) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="pipeline runs")
    for column in ("stage", "backbone", "action", "detail", "run"):
        table.add_column(column, overflow="fold")
    for step in result.steps:
        table.add_row(
            step.stage,
            step.backbone,
            "reused" if step.reused else "created",
            Text(step.detail),
            Text(_run_url(tracking, step.run_id)),
        )
    console.print(table)
    if result.selection is not None:
        console.print(result.selection.explanation, markup=False, highlight=False, soft_wrap=True)
    registration = result.registration
    if registration is not None:
        new = "registered as" if registration.created else "already registered as"
        alias = tracking.config.registry.champion_alias
        console.print(
            f"model {new} {registration.model_name} version {registration.version}; "
            f"{alias}: version {registration.champion_version or '-'} "
            f"(this version {registration.decision.reason})",
            highlight=False,
            soft_wrap=True,
        )
    created = len(result.created)
    console.print(
        f"{created} run(s) created, {len(result.steps) - created} reused",
        highlight=False,
    )
