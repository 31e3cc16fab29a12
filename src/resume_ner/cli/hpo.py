"""``resume-ner hpo``: the hyperparameter sweep of each backbone, resumable, with a plan mode."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from resume_ner.cli.preflight import checked_state
from resume_ner.hpo.progress import SweepProgress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from resume_ner.cli.state import CliState
    from resume_ner.hpo.configs import SweepConfigs
    from resume_ner.hpo.sweep import SweepOutcome, SweepPlan
    from resume_ner.tracking.context import TrackingContext


def register(app: typer.Typer) -> None:
    """Add the ``hpo`` command to ``app``."""
    app.command("hpo")(hpo)


#: The backbones to sweep (``hpo`` and ``pipeline``).
BackboneOption = Annotated[
    list[str] | None,
    typer.Option(
        "--backbone", "-b", help="Backbone preset or model (repeatable). Default: hpo.yaml's."
    ),
]
#: The target number of finished trials per sweep (``hpo`` and ``pipeline``).
NTrialsOption = Annotated[
    int | None,
    typer.Option(
        "--n-trials", min=1, help="Target number of finished trials. Default: hpo.yaml's."
    ),
]


def hpo(
    ctx: typer.Context,
    backbone: BackboneOption = None,
    n_trials: NTrialsOption = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.001, help="Stop starting trials after this many seconds."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, max=64, help="Worker processes running trials at once."),
    ] = 1,
    plan: Annotated[
        bool,
        typer.Option(
            "--plan", help="Show which runs would be reused, created or resumed; run nothing."
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Run again: a new version of the sweep and its study.")
    ] = False,
) -> None:
    """Tune hyperparameters per backbone with Optuna, every trial and fold tracked in MLflow.

    Running it again continues an interrupted sweep (finished trials are kept, runs of dead
    processes are closed as KILLED) or reports that the sweep is already complete.
    """

    from resume_ner.cli.console import console
    from resume_ner.hpo.configs import SweepConfigs
    from resume_ner.hpo.study import quiet_optuna

    state = checked_state(ctx, data=True)
    configs = SweepConfigs.from_project(state.project)
    quiet_optuna()
    if plan:
        _show_plans(console, state, configs, backbone, n_trials, force)
        return
    from resume_ner.hpo.sweep import run_sweep
    from resume_ner.tracking.context import TrackingContext

    tracking = ctx.with_resource(
        TrackingContext.open(state.paths, state.project, environ=state.environ)
    )
    with progress_bars(console) as bars:
        outcomes = run_sweep(
            tracking,
            configs,
            backbones=backbone,
            n_trials=n_trials,
            timeout_s=timeout,
            workers=workers,
            force=force,
            progress=RichSweepProgress(console, bars, configs.hpo.objective.metric),
        )
    for outcome in outcomes:
        _show_outcome(console, tracking, outcome, configs.hpo.objective.metric)


def progress_bars(console: Console) -> Progress:
    """The bars of sweeps and their trials (kept on screen when done)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _format_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={_format_value(value)}" for name, value in params.items())


class RichSweepProgress(SweepProgress):
    """Progress bars per sweep (trials) and per trial (folds), plus a line per finished trial."""

    def __init__(self, console: Console, bars: Progress, metric: str) -> None:
        self.console = console
        self.bars = bars
        self.metric = metric
        self._trials: TaskID | None = None
        self._folds: dict[int, TaskID] = {}
        self._n_folds = 1

    def sweep_started(
        self, backbone: str, study_name: str, *, target: int, finished: int, n_folds: int
    ) -> None:
        self._n_folds = n_folds
        self.console.print(
            f"sweep [bold]{backbone}[/]: study {study_name}, {finished} of {target} trials done",
            highlight=False,
        )
        self._trials = self.bars.add_task(f"{backbone} trials", total=target, completed=finished)

    def trial_started(self, number: int, params: Mapping[str, Any]) -> None:
        self._folds[number] = self.bars.add_task(f"  trial {number} folds", total=self._n_folds)

    def fold_finished(self, number: int, fold_idx: int, value: float | None) -> None:
        task = self._folds.get(number)
        if task is not None:
            self.bars.advance(task)

    def trial_finished(self, number: int, state: str, value: float | None) -> None:
        task = self._folds.pop(number, None)
        if task is not None:
            self.bars.remove_task(task)
        if state in ("COMPLETE", "PRUNED") and self._trials is not None:
            self.bars.advance(self._trials)
        score = "" if value is None else f" {self.metric}={value:.4f}"
        self.console.print(f"trial {number} {state}{score}", highlight=False)

    def note(self, text: str) -> None:
        self.console.print(text, highlight=False, soft_wrap=True)


def _run_url(tracking: TrackingContext, experiment_id: str | None, run_id: str | None) -> str:
    from resume_ner.tracking.urls import get_mlflow_run_url

    if not run_id or not experiment_id:
        return "-"
    try:
        return get_mlflow_run_url(
            tracking.tracking_uri, experiment_id, run_id, ui_url=tracking.config.ui_url
        )
    except ValueError:
        return run_id


def _show_outcome(
    console: Console, tracking: TrackingContext, outcome: SweepOutcome, metric: str
) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"{outcome.backbone}: study {outcome.study_name}"))
    for column in ("trial", "params", f"mean {metric}", "state"):
        table.add_column(column, overflow="fold")
    for trial in outcome.trials:
        best = " *" if trial.number == outcome.best_trial_number else ""
        table.add_row(
            f"{trial.number}{best}",
            Text(_format_params(trial.params)),
            "-" if trial.value is None else f"{trial.value:.4f}",
            trial.state,
        )
    console.print(table)
    counts = outcome.counts
    summary = {
        "complete": f"sweep complete: {counts.finished} of {outcome.target} trials finished",
        "already complete": (
            f"sweep already complete: {counts.finished} of {outcome.target} trials finished "
            "and the refit exists; no run was created"
        ),
        "incomplete": (
            f"sweep stopped by its timeout at {counts.finished} of {outcome.target} trials; "
            "run the command again to continue"
        ),
        "joined": "ran trials of a sweep that another process owns",
    }[outcome.status]
    if outcome.resumed:
        summary += " (resumed)"
    console.print(summary, highlight=False)
    for run in outcome.cleaned:
        console.print(f"closed interrupted run {run.run_name}: {run.reason}", highlight=False)
    if outcome.refit_run_id:
        console.print(f"refit run: {outcome.refit_run_id}", highlight=False)
    console.print(
        f"sweep run: {_run_url(tracking, outcome.experiment_id, outcome.sweep_run_id)}",
        highlight=False,
        soft_wrap=True,
    )


@contextmanager
def open_store_for_plan(state: CliState) -> Iterator[TrackingContext | None]:
    """The tracking context to read a plan from, ``None`` when the embedded store does not
    exist yet (a plan creates nothing, not even the store); the context is closed on leaving."""
    from resume_ner.tracking.setup import resolve_tracking_uri, sqlite_path

    db = sqlite_path(resolve_tracking_uri(state.project.mlflow, state.paths, environ=state.environ))
    if db is not None and not db.exists():
        yield None
        return
    from resume_ner.tracking.context import TrackingContext

    with TrackingContext.open(state.paths, state.project, environ=state.environ) as tracking:
        yield tracking


def _show_plans(
    console: Console,
    state: CliState,
    configs: SweepConfigs,
    backbones: list[str] | None,
    n_trials: int | None,
    force: bool,
) -> None:
    from resume_ner.hpo.storage import storage_url
    from resume_ner.hpo.sweep import plan_sweep
    from resume_ner.tracking.liveness import host_name

    with open_store_for_plan(state) as tracking:
        plans = plan_sweep(
            tracking,
            configs,
            project=state.project.mlflow.naming.project_name,
            backbones=backbones,
            n_trials=n_trials,
            force=force,
            storage=storage_url(configs.hpo, state.paths),
            host=host_name(state.environ),
        )
    for plan in plans:
        _show_plan(console, plan)
    console.print("plan only: nothing was run or created", highlight=False)


def _show_plan(console: Console, plan: SweepPlan) -> None:
    from resume_ner.cli.tables import Column, Row, render_table

    sweep = plan.sweep
    why = sweep.reason + (f" (matched by {sweep.matched_by})" if sweep.matched_by else "")
    counts = plan.counts
    rows = [
        Row(["sweep run", sweep.action, sweep.run_id or "-", why]),
        Row(
            [
                "trials",
                "none" if not plan.trials_to_run else f"run {plan.trials_to_run}",
                "-",
                f"{counts.finished} of {plan.target} finished, {counts.running} running, "
                f"{counts.failed} failed; study {'exists' if plan.study_exists else 'is new'} "
                f"(key {plan.study_key_hash[:12]})",
            ]
        ),
    ]
    rows += [
        Row([f"trial {number}", "fail and retry", "-", "RUNNING, its process is gone"])
        for number in plan.dead_trials
    ]
    rows += [
        Row(["interrupted run", "close as KILLED", run.run_id, f"{run.run_name}: {run.reason}"])
        for run in plan.cleanup
    ]
    refit = plan.refit
    rows.append(Row(["refit run", refit.action, refit.run_id or "-", refit.reason]))
    console.print(f"[bold]plan for {plan.backbone}[/]: study {plan.study_name}", highlight=False)
    columns = [
        Column("what"),
        Column("action"),
        Column("run id"),
        Column("why", min_width=0, drop_rank=1, below=True),
    ]
    render_table(console, columns, rows)
    if plan.complete:
        console.print(f"{plan.backbone}: already complete, nothing to do", highlight=False)
