"""``resume-ner pipeline``: every stage from the data to a registered champion, in one command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from resume_ner.cli.hpo import BackboneOption, NTrialsOption, RichSweepProgress, progress_bars
from resume_ner.cli.preflight import checked_state
from resume_ner.cli.state import CliState
from resume_ner.pipeline.progress import PipelineProgress, PipelineStep

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from resume_ner.pipeline.configs import PipelineConfigs
    from resume_ner.pipeline.run import PipelineResult
    from resume_ner.tracking.context import TrackingContext


def register(app: typer.Typer) -> None:
    """Add the ``pipeline`` command to ``app``."""
    app.command("pipeline")(pipeline)


class RichPipelineProgress(RichSweepProgress, PipelineProgress):
    """The sweeps' bars, plus a line per stage and per run made or reused, by its name.

    The bars are left on screen when the sweeps end, above the lines of the stages after them.
    """

    def __init__(self, console: Console, bars: Any, metric: str, tracking: TrackingContext) -> None:
        super().__init__(console, bars, metric)
        self.tracking = tracking

    def sweeps_finished(self) -> None:
        stop_bars(self.bars)

    def stage_started(self, stage: str, backbone: str) -> None:
        label = f"{stage} [bold]{backbone}[/]" if backbone else stage
        self.console.print(f"[cyan]>[/] {label}", highlight=False)

    def step_done(self, step: PipelineStep) -> None:
        action = "reused" if step.reused else "created"
        name = run_name(self.tracking, step.run_id) or step.run_id or "-"
        self.console.print(
            f"  {step.stage} run [bold]“{escape(name)}”[/] {action}"
            + (f": {escape(step.detail)}" if step.detail else ""),
            highlight=False,
            soft_wrap=True,
        )


def stop_bars(bars: Progress) -> None:
    """Stop ``bars`` (left on screen as they are) unless they are stopped already."""
    if bars.live.is_started:
        bars.stop()


def run_name(tracking: TrackingContext, run_id: str | None) -> str | None:
    """The name of run ``run_id``; ``None`` without a run or when it cannot be read."""
    from mlflow.exceptions import MlflowException

    if not run_id:
        return None
    try:
        return tracking.client.get_run(run_id).info.run_name
    except MlflowException:
        return None


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
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the runs made or reused as JSON (progress goes to stderr)."
        ),
    ] = False,
) -> None:
    """Sweep, select, train the final model, convert it to ONNX, benchmark and register it.

    Each stage reuses the FINISHED run of its identity, so running the command again creates
    no run; an interrupted sweep is resumed. The closing table lists every run by name and id,
    and the last line says how to open them in MLflow's UI.
    """
    from resume_ner.cli.console import console, err_console
    from resume_ner.cli.sync import send_held_values
    from resume_ner.hpo.study import quiet_optuna
    from resume_ner.pipeline.configs import PipelineConfigs
    from resume_ner.pipeline.run import run_pipeline
    from resume_ner.tracking.context import TrackingContext

    state = checked_state(ctx, data=True)
    configs = PipelineConfigs.from_project(state.project)
    quiet_optuna()
    if plan:
        _show_plan(console, state, configs, backbone, n_trials, force, as_json)
        return
    tracking = ctx.with_resource(
        TrackingContext.open(state.paths, state.project, environ=state.environ)
    )
    shown_on = err_console if as_json else console
    send_held_values(state, shown_on)
    bars = progress_bars(shown_on)
    bars.start()
    try:
        result = run_pipeline(
            tracking,
            configs,
            backbones=backbone,
            n_trials=n_trials,
            force=force,
            progress=RichPipelineProgress(shown_on, bars, "macro_f1", tracking),
        )
    finally:
        stop_bars(bars)
    summary = _summary(tracking, result)
    if as_json:
        from resume_ner.cli.runs import print_json

        print_json(summary)
        return
    _show_summary(console, summary)


def _show_plan(
    console: Console,
    state: CliState,
    configs: PipelineConfigs,
    backbones: list[str] | None,
    n_trials: int | None,
    force: bool,
    as_json: bool,
) -> None:
    from resume_ner.cli.hpo import open_store_for_plan
    from resume_ner.cli.tables import Column, Row, render_table
    from resume_ner.hpo.storage import storage_url
    from resume_ner.pipeline.plan import plan_pipeline
    from resume_ner.tracking.liveness import host_name

    with open_store_for_plan(state) as tracking:
        steps = plan_pipeline(
            tracking,
            configs,
            project=state.project.mlflow.naming.project_name,
            storage=storage_url(configs.sweep.hpo, state.paths),
            backbones=backbones,
            n_trials=n_trials,
            force=force,
            host=host_name(state.environ),
        )
    if as_json:
        from resume_ner.cli.runs import print_json

        print_json(
            {
                "plan": [
                    {
                        "stage": step.stage,
                        "backbone": step.backbone,
                        "action": step.action,
                        "run_id": step.run_id,
                        "reason": step.reason,
                    }
                    for step in steps
                ]
            }
        )
        return
    columns = [
        Column("stage"),
        Column("backbone", min_width=8),
        Column("action"),
        Column("run id", drop_rank=1),
        Column("why", min_width=0, drop_rank=2, below=True),
    ]
    rows = [
        Row([step.stage, step.backbone, step.action, step.run_id or "-", step.reason])
        for step in steps
    ]
    console.print("[bold]pipeline plan[/]")
    render_table(console, columns, rows)
    console.print("plan only: nothing was run or created", highlight=False)


def _summary(tracking: TrackingContext, result: PipelineResult) -> dict[str, Any]:
    """What the pipeline did, as data: its runs, the selection, the registration, the UI."""
    from resume_ner.cli.ui import ui_hint

    steps = []
    experiment_id = None
    for step in result.steps:
        run = None
        if step.run_id:
            run = tracking.client.get_run(step.run_id)
            experiment_id = experiment_id or run.info.experiment_id
        steps.append(
            {
                "stage": step.stage,
                "backbone": step.backbone,
                "action": "reused" if step.reused else "created",
                "run_name": run.info.run_name if run else None,
                "run_id": step.run_id,
                "experiment_id": run.info.experiment_id if run else None,
                "detail": step.detail,
            }
        )
    registration = None
    if result.registration is not None:
        outcome = result.registration
        registration = {
            "model_name": outcome.model_name,
            "version": outcome.version,
            "created": outcome.created,
            "alias": tracking.config.registry.champion_alias,
            "champion_version": outcome.champion_version,
            "promoted": outcome.decision.promote,
            "reason": outcome.decision.reason,
        }
    from resume_ner.config.mlflow import PROCESS_TYPES

    by_stage = result.created_by_stage()
    order = {stage: position for position, stage in enumerate(PROCESS_TYPES)}
    return {
        "steps": steps,
        "created": sum(by_stage.values()),
        "created_by_stage": {
            stage: by_stage[stage]
            for stage in sorted(by_stage, key=lambda stage: (order.get(stage, len(order)), stage))
        },
        "reused": len(result.steps) - len(result.created),
        "selection": result.selection.explanation if result.selection is not None else None,
        "registration": registration,
        "tracking_uri": tracking.tracking_uri,
        "ui": (
            ui_hint(tracking.tracking_uri, experiment_id, ui_url=tracking.config.ui_url)
            if experiment_id
            else None
        ),
    }


def _registration_line(registration: dict[str, Any]) -> str:
    name, version, alias = (
        registration["model_name"],
        registration["version"],
        registration["alias"],
    )
    registered = "registered" if registration["created"] else "already registered"
    if registration["promoted"]:
        return f"{name} version {version} {registered} and made {alias} ({registration['reason']})"
    return (
        f"{name} version {version} {registered}; {alias} stays version "
        f"{registration['champion_version'] or '-'} ({registration['reason']})"
    )


def _counts_line(summary: dict[str, Any]) -> str:
    """``18 runs created (1 hpo_sweep, 3 hpo_trial, ...), 0 reused``: every run, trials and
    folds included."""
    from resume_ner.cli.console import count_of

    made = ", ".join(f"{count} {stage}" for stage, count in summary["created_by_stage"].items())
    created = count_of(summary["created"], "run") + " created" + (f" ({made})" if made else "")
    return f"{created}, {summary['reused']} reused"


def _show_summary(console: Console, summary: dict[str, Any]) -> None:
    from resume_ner.cli.tables import Column, Row, render_table

    columns = [
        Column("stage"),
        Column("action", drop_rank=2),
        Column("run name", min_width=28),
        Column("run id"),
        Column("backbone", drop_rank=3),
        Column("detail", min_width=0, drop_rank=2, below=True),
    ]
    rows = [
        Row(
            [
                step["stage"],
                step["action"],
                step["run_name"] or "-",
                step["run_id"] or "-",
                step["backbone"],
                step["detail"],
            ],
            styles={5: "dim"},
        )
        for step in summary["steps"]
    ]
    console.print()
    render_table(console, columns, rows)
    if summary["selection"]:
        console.print(summary["selection"], markup=False, highlight=False, soft_wrap=True)
    if summary["registration"] is not None:
        console.print(_registration_line(summary["registration"]), highlight=False, soft_wrap=True)
    console.print(_counts_line(summary), highlight=False)
    if summary["ui"]:
        console.print(summary["ui"], markup=False, highlight=False, soft_wrap=True)
