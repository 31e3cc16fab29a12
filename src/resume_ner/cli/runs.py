"""``resume-ner runs``: find, list, show as a tree, and clean up runs.

The read commands (``find``, ``ls``, ``tree``, ``lineage``) read the store through a store
reader (:func:`~resume_ner.tracking.store.base.open_store_reader`): an SQLite store or a
tracking server is read without importing MLflow, so that they answer in a fraction of a second.
"""

from __future__ import annotations

import json
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from resume_ner.cli import sync as sync_cli
from resume_ner.cli.state import CliState, get_state

if TYPE_CHECKING:
    from resume_ner.naming.context import NamingContext
    from resume_ner.naming.policy import NamingPolicy
    from resume_ner.naming.tags import TagsRegistry
    from resume_ner.tracking.store.base import StoreReader

app = typer.Typer(
    help="Find, list and inspect the runs resume-ner tracks in MLflow.", no_args_is_help=True
)


def register(root: typer.Typer) -> None:
    """Add the ``runs`` command group to the ``root`` app; its commands start once the
    configuration files they read are valid."""
    from resume_ner.cli.preflight import check_read_configuration

    root.add_typer(app, name="runs", callback=check_read_configuration)


sync_cli.register(app)

#: How many of an experiment's newest runs ``runs tree`` shows by default (``runs ls``: 50): a
#: sweep of 20 trials with 5 folds each and its refit is 122 runs; more scroll off a terminal.
TREE_LIMIT = 200

TrackingUriOption = Annotated[
    str | None, typer.Option("--tracking-uri", help="Override the tracking URI.")
]
ExperimentOption = Annotated[
    list[str] | None,
    typer.Option(
        "--experiment",
        "-e",
        help="Experiment name (repeatable). Default: every project experiment.",
    ),
]


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _check_stage(stage: str | None) -> str | None:
    """``stage`` when it is a process type; a usage error (exit 2) naming the valid ones."""
    from resume_ner.naming.context import PROCESS_TYPES

    if stage is not None and stage not in PROCESS_TYPES:
        raise typer.BadParameter(
            f"unknown stage {stage!r}; expected one of {', '.join(PROCESS_TYPES)}",
            param_hint="--stage",
        )
    return stage


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON, never wrapped, to the CLI's console."""
    from resume_ner.cli.console import console

    console.print(json.dumps(value, indent=2), markup=False, highlight=False, soft_wrap=True)


_STAGE_HELP = "Process type: hpo_sweep, hpo_trial, hpo_trial_fold, hpo_refit, final_training, conversion or benchmarking."


def _naming_context(fields: dict[str, Any]) -> NamingContext | None:
    from resume_ner.naming.context import NamingContext

    if not fields.get("process_type"):
        given = [name for name, value in fields.items() if value is not None]
        if given:
            from resume_ner.naming.errors import NamingError

            raise NamingError(
                f"--stage is needed with {', '.join('--' + g.replace('_', '-') for g in given)}"
            )
        return None
    if not fields.get("model"):
        from resume_ner.naming.errors import NamingError

        raise NamingError("--model is needed with --stage")
    return NamingContext(**{k: v for k, v in fields.items() if v is not None})


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    from resume_ner.cli.console import console

    if as_json:
        print_json(report)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_header=False, box=None)
    table.add_column()
    table.add_column(overflow="fold")  # long values wrap within the width, never cut
    for key, value in report.items():
        if key == "url":
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value) or "-"
        table.add_row(f"[bold]{key}[/]", "-" if value is None else str(value))
    console.print(table)
    if report.get("url"):
        # Whole on one line, so that it can be opened or copied (the terminal wraps it).
        label = "url".ljust(max(len(key) for key in report))  # aligned with the table's keys
        console.print(
            f" [bold]{label}[/]  {escape(report['url'])}", soft_wrap=True, highlight=False
        )


@dataclass
class _Reading:
    """What a read command needs: the store's reader, its URI, the tag names, naming policy and
    the MLflow UI address its links point at."""

    reader: StoreReader
    tracking_uri: str
    registry: TagsRegistry
    policy: NamingPolicy
    ui_url: str | None = None


def _open_reading(state: CliState, tracking_uri: str | None) -> _Reading:
    """The reader of the project's tracking store. Raises
    :class:`~resume_ner.tracking.schema.StoreSchemaError` when an SQLite store's schema is not
    the installed MLflow's."""
    from resume_ner.naming.policy import NamingPolicy
    from resume_ner.naming.tags import TagsRegistry
    from resume_ner.tracking.setup import resolve_tracking_uri
    from resume_ner.tracking.store.base import open_store_reader

    uri = resolve_tracking_uri(
        state.project.mlflow, state.paths, environ=state.environ, tracking_uri=tracking_uri
    )
    _follow_a_move(state, uri)
    return _Reading(
        open_store_reader(uri, environ=state.environ),
        uri,
        TagsRegistry(state.project.tags),
        NamingPolicy.from_project(state.project),
        state.project.mlflow.ui_url,
    )


def _follow_a_move(state: CliState, tracking_uri: str) -> None:
    """Point the artifact locations of the project's embedded store at this folder when the
    project was moved (MLflow is imported only then: one SELECT tells whether it was)."""
    from resume_ner.tracking.relocation import (
        DEFAULT_EXPERIMENT_ID,
        is_moved_root,
        root_of_default_location,
    )
    from resume_ner.tracking.store.sqlite import SqliteStoreReader

    paths = state.paths
    if tracking_uri != f"sqlite:///{paths.mlflow_db}":
        return
    location = SqliteStoreReader(tracking_uri).experiment_location(str(DEFAULT_EXPERIMENT_ID))
    here = paths.artifacts_dir.resolve().as_uri()
    if is_moved_root(root_of_default_location(location), here):
        from resume_ner.tracking.setup import initialize_store

        initialize_store(tracking_uri, paths.artifacts_dir)


def _open_index(ctx: typer.Context, state: CliState, reading: _Reading) -> Any:
    """The project's index backend, rebuilt from the store first when it needs it."""
    from resume_ner.tracking.index.backends import open_index_backend
    from resume_ner.tracking.index.run_index import ensure_index_built
    from resume_ner.tracking.liveness import host_name

    config = state.project.mlflow.index
    index = ctx.with_resource(
        closing(open_index_backend(config, state.paths, host=host_name(state.environ)))
    )
    ensure_index_built(
        index,
        reading.reader,
        registry=reading.registry,
        policy=reading.policy,
        max_entries=config.max_entries,
    )
    return index


def _index_hit(state: CliState, reading: _Reading, run_key_hash: str) -> dict[str, Any] | None:
    """The report of a lookup answered by the run index alone, read with the standard library;
    ``None`` when the index cannot say (the full lookup then repairs and asks again)."""
    from resume_ner.tracking.index.backends import index_url
    from resume_ner.tracking.index.peek import IndexUnreadableError, peek_index_entry

    try:
        entry = peek_index_entry(index_url(state.project.mlflow.index, state.paths), run_key_hash)
    except IndexUnreadableError:
        return None
    if entry is None:
        return None
    run = reading.reader.get_run(entry.run_id)
    if run is None or run.info.lifecycle_stage != "active":
        return None
    if run.data.tags.get(reading.registry.key("grouping", "run_key_hash")) != run_key_hash:
        return None
    return _found_report(reading, run, "local_index", ["local_index"], [])


def _found_report(
    reading: _Reading, run: Any, strategy: str | None, tried: list[str], errors: list[str]
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "found": True,
        "run_id": run.info.run_id,
        "run_name": run.info.run_name,
        "experiment_id": run.info.experiment_id,
        "status": run.info.status,
        "strategy_used": strategy,
        "strategies_attempted": tried,
        "errors": errors,
        "tracking_uri": reading.tracking_uri,
    }
    result["url"] = _run_url(
        reading.tracking_uri, run.info.experiment_id, run.info.run_id, reading.ui_url
    )
    return result


def _run_url(tracking_uri: str, experiment_id: str | None, run_id: str, ui_url: str | None) -> str:
    """The run's page in MLflow's UI, or why there is none."""
    from resume_ner.tracking.urls import get_mlflow_run_url

    try:
        return get_mlflow_run_url(tracking_uri, experiment_id or "", run_id, ui_url=ui_url)
    except ValueError as exc:
        return f"(no UI address for this tracking URI: {exc})"


@app.command()
def find(
    ctx: typer.Context,
    run_id: Annotated[str | None, typer.Option("--run-id", help="A run id to confirm.")] = None,
    run_key_hash: Annotated[
        str | None, typer.Option("--run-key-hash", help="The run's identity hash.")
    ] = None,
    stage: Annotated[str | None, typer.Option("--stage", help=_STAGE_HELP)] = None,
    model: Annotated[str | None, typer.Option("--model", help="Backbone name.")] = None,
    env: Annotated[
        str | None, typer.Option("--env", help="Environment name (default from mlflow.yaml).")
    ] = None,
    study_key_hash: Annotated[
        str | None,
        typer.Option("--study-key-hash", help="Sweep identity (tag code.study_key_hash)."),
    ] = None,
    trial_key_hash: Annotated[
        str | None,
        typer.Option("--trial-key-hash", help="Trial identity (tag code.trial_key_hash)."),
    ] = None,
    fold_idx: Annotated[
        int | None, typer.Option("--fold", help="CV fold number of an hpo_trial_fold run.")
    ] = None,
    refit_protocol_fp: Annotated[
        str | None, typer.Option("--refit-fp", help="Refit protocol fingerprint (hpo_refit).")
    ] = None,
    spec_fp: Annotated[
        str | None, typer.Option("--spec-fp", help="Training spec fingerprint (final_training).")
    ] = None,
    exec_fp: Annotated[
        str | None,
        typer.Option("--exec-fp", help="Execution environment fingerprint (final_training)."),
    ] = None,
    variant: Annotated[
        int | None, typer.Option("--variant", help="Variant number of a final training.")
    ] = None,
    conv_fp: Annotated[
        str | None, typer.Option("--conv-fp", help="Conversion settings fingerprint.")
    ] = None,
    parent_training_id: Annotated[
        str | None,
        typer.Option(
            "--parent-training-id",
            help="Trained model a conversion or benchmark belongs to: spec_<fp>:exec_<fp>:v<n>.",
        ),
    ] = None,
    benchmark_config_hash: Annotated[
        str | None, typer.Option("--bench-hash", help="Benchmark settings hash.")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", help="What a benchmark measured: bundle or candidate."),
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", help="A stage output folder with metadata.json.")
    ] = None,
    experiment: Annotated[
        str | None, typer.Option("--experiment", "-e", help="Experiment to search.")
    ] = None,
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict",
            help="Only accept a run whose tags match every key field. Default from mlflow.yaml.",
        ),
    ] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the lookup report as JSON.")
    ] = False,
) -> None:
    """Find a run by its id, its identity (key fields or run-key hash) or its output folder.

    Prints the lookup report: which strategy found it and which were tried. A run found by its
    tags is written to the run index, which answers the next lookup.
    """
    from resume_ner.naming.keys import build_mlflow_run_key, build_mlflow_run_key_hash

    state = get_state(ctx)
    fields = {
        "process_type": _check_stage(stage),
        "model": model,
        "environment": env,
        "study_key_hash": study_key_hash,
        "trial_key_hash": trial_key_hash,
        "fold_idx": fold_idx,
        "refit_protocol_fp": refit_protocol_fp,
        "spec_fp": spec_fp,
        "exec_fp": exec_fp,
        "variant": variant,
        "conv_fp": conv_fp,
        "parent_training_id": parent_training_id,
        "benchmark_config_hash": benchmark_config_hash,
        "target": target,
    }
    if fields["environment"] is None and stage:
        fields["environment"] = state.project.mlflow.naming.env
    context = _naming_context(fields)
    if run_key_hash is None and context is not None:
        run_key_hash = build_mlflow_run_key_hash(build_mlflow_run_key(context))
    if not (run_id or run_key_hash or output_dir):
        raise typer.BadParameter(
            "give --run-id, --run-key-hash, --output-dir or --stage with key fields"
        )
    reading = _open_reading(state, tracking_uri)
    report = None
    if run_key_hash and not run_id and not output_dir and state.project.mlflow.index.enabled:
        report = _index_hit(state, reading, run_key_hash)
    if report is None:
        report = _find_in_store(
            ctx, state, reading, context, run_id, run_key_hash, output_dir, experiment, strict
        )
    _print_report(report, as_json)
    if not report["found"]:
        raise typer.Exit(1)


def _find_in_store(
    ctx: typer.Context,
    state: CliState,
    reading: _Reading,
    context: NamingContext | None,
    run_id: str | None,
    run_key_hash: str | None,
    output_dir: Path | None,
    experiment: str | None,
    strict: bool | None,
) -> dict[str, Any]:
    from resume_ner.naming.policy import build_mlflow_experiment_name
    from resume_ner.tracking.experiments import project_experiment_names
    from resume_ner.tracking.finder import find_mlflow_run
    from resume_ner.tracking.types import RunLookupReport

    config = state.project.mlflow
    index = _open_index(ctx, state, reading) if config.index.enabled else None
    experiment_names = [experiment] if experiment else []
    if not experiment_names and context is not None:
        experiment_names = [build_mlflow_experiment_name(context.process_type, reading.policy)]
    if not experiment_names:
        experiment_names = list(
            reading.reader.experiment_ids(project_experiment_names(reading.policy))
        )
    report = RunLookupReport(found=False, errors=["no experiment of the project exists"])
    for name in experiment_names:
        report = find_mlflow_run(
            reading.reader,
            name,
            registry=reading.registry,
            context=context,
            run_id=run_id,
            output_dir=output_dir,
            run_key_hash=run_key_hash,
            index=index,
            max_entries=config.index.max_entries,
            strict=False if strict is None and len(experiment_names) > 1 else strict,
            strict_default=config.run_finder.strict_mode_default,
        )
        if report.found:
            break
    tried, errors = list(report.strategies_attempted), list(report.errors)
    if report.found and report.run is not None:
        return _found_report(reading, report.run, report.strategy_used, tried, errors)
    return {
        "found": False,
        "run_id": None,
        "strategy_used": None,
        "strategies_attempted": tried,
        "errors": errors,
        "tracking_uri": reading.tracking_uri,
    }


def _started(run: Any, fmt: str) -> str:
    from datetime import UTC, datetime

    if not run.info.start_time:
        return "-"
    return datetime.fromtimestamp(run.info.start_time / 1000, UTC).strftime(fmt)


_STATUS_STYLES = {"FINISHED": "green", "RUNNING": "yellow", "FAILED": "red", "KILLED": "red"}


@app.command("ls")
def list_runs(
    ctx: typer.Context,
    experiment: ExperimentOption = None,
    stage: Annotated[
        str | None, typer.Option("--stage", help="Only runs of this stage. " + _STAGE_HELP)
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="Only runs with this status: RUNNING, FINISHED, FAILED or KILLED."
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many runs.")] = 50,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the newest runs of the project's experiments, newest first.

    Run ids are printed whole; names that do not fit are shortened at their end.
    """
    from resume_ner.cli.console import console
    from resume_ner.cli.tables import Column, Row, render_table
    from resume_ner.tracking.experiments import project_experiment_names
    from resume_ner.tracking.store.base import RunQuery

    _check_stage(stage)
    if status is not None and status.upper() not in _STATUS_STYLES:
        raise typer.BadParameter(
            f"unknown status {status!r}; expected one of {', '.join(_STATUS_STYLES)}",
            param_hint="--status",
        )
    state = get_state(ctx)
    reading = _open_reading(state, tracking_uri)
    experiments = reading.reader.experiment_ids(
        project_experiment_names(reading.policy, names=experiment or None)
    )
    stage_key = reading.registry.key("process", "stage")
    runs = reading.reader.search_runs(
        list(experiments.values()),
        RunQuery(
            tags={stage_key: stage} if stage else {},
            status=status.upper() if status else None,
            max_results=limit,
        ),
    )
    names = {v: k for k, v in experiments.items()}
    parent_key = reading.registry.key("mlflow", "parent_run_id")
    if as_json:
        print_json(
            [
                {
                    "run_id": run.info.run_id,
                    "run_name": run.info.run_name,
                    "status": run.info.status,
                    "stage": run.data.tags.get(stage_key),
                    "experiment": names.get(run.info.experiment_id),
                    "experiment_id": run.info.experiment_id,
                    "parent_run_id": run.data.tags.get(parent_key),
                    "start_time": _started(run, "%Y-%m-%dT%H:%M:%SZ"),
                }
                for run in runs
            ]
        )
        return
    if not runs:
        console.print("no runs" if experiments else "no experiments yet")
        return
    columns = [
        Column("run name", min_width=28),
        Column("run id"),
        Column("status"),
        Column("started (UTC)", drop_rank=1),
        Column("stage", drop_rank=3),
        Column("experiment", drop_rank=2),
    ]
    rows = [
        Row(
            [
                run.info.run_name or "-",
                run.info.run_id,
                run.info.status,
                _started(run, "%m-%d %H:%M"),
                run.data.tags.get(stage_key, "-"),
                names.get(run.info.experiment_id, run.info.experiment_id),
            ],
            styles={2: _STATUS_STYLES.get(run.info.status, "")},
        )
        for run in runs
    ]
    render_table(console, columns, rows)


@dataclass
class _TreeNode:
    """A run in the tree: its objective (sweeps: best value; trials: their value), why it
    stopped (KILLED and FAILED runs), and its child runs."""

    run: Any
    objective_metric: str | None
    objective: float | None
    note: str
    children: list[_TreeNode]

    def as_dict(self, stage_key: str) -> dict[str, Any]:
        return {
            "run_id": self.run.info.run_id,
            "run_name": self.run.info.run_name,
            "status": self.run.info.status,
            "stage": self.run.data.tags.get(stage_key),
            "objective_metric": self.objective_metric,
            "objective": self.objective,
            "note": self.note or None,
            "children": [child.as_dict(stage_key) for child in self.children],
        }


def _run_tree(registry: TagsRegistry, runs: list[Any]) -> list[_TreeNode]:
    """The runs nested by parent, each trial with its sweep's objective and each stopped run with
    why it stopped."""
    parent_key = registry.key("mlflow", "parent_run_id")
    stage_key = registry.key("process", "stage")
    metric_key = registry.key("objective", "metric")
    note_keys = [
        registry.key("process", "status_note"),
        registry.key("process", "interrupted_reason"),
    ]
    ids = {run.info.run_id for run in runs}
    children: dict[str | None, list[Any]] = {}
    for run in runs:
        parent = run.data.tags.get(parent_key)
        children.setdefault(parent if parent in ids else None, []).append(run)

    def build(run: Any, metric: str | None) -> _TreeNode:
        stage = run.data.tags.get(stage_key)
        metric = run.data.tags.get(metric_key, metric)
        note = ""
        if run.info.status in ("KILLED", "FAILED"):
            note = next((run.data.tags[k] for k in note_keys if run.data.tags.get(k)), "")
        value = None
        if stage == "hpo_sweep":
            value = run.data.metrics.get("best_value")
        elif stage == "hpo_trial" and metric:
            # A pruned trial has no objective, only the last value it reported.
            metrics = run.data.metrics
            value = metrics.get(metric, metrics.get(f"last_reported_{metric}"))
        shown = metric if stage in ("hpo_sweep", "hpo_trial") else None
        node = _TreeNode(run, shown, value, note, [])
        node.children = [build(child, metric) for child in children.get(run.info.run_id, [])]
        return node

    return [build(run, None) for run in children.get(None, [])]


def _tree_rows(nodes: list[_TreeNode], prefix: str = "", top: bool = True) -> list[Any]:
    """One row per run, its name behind the tree's guide lines."""
    from resume_ner.cli.tables import Row

    rows = []
    for index, node in enumerate(nodes):
        last = index == len(nodes) - 1
        guide = "" if top else ("└── " if last else "├── ")
        follow = "" if top else prefix + ("    " if last else "│   ")
        rows.append(
            Row(
                [
                    prefix + guide + (node.run.info.run_name or "-"),
                    node.run.info.status,
                    "" if node.objective is None else f"{node.objective:.4f}",
                    node.run.info.run_id,
                    node.note,
                ],
                styles={1: _STATUS_STYLES.get(node.run.info.status, ""), 4: "dim"},
                below_indent=follow + "  ",
            )
        )
        rows.extend(_tree_rows(node.children, follow, top=False))
    return rows


@app.command()
def tree(
    ctx: typer.Context,
    experiment: ExperimentOption = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            min=0,
            help="The newest runs of each experiment to show; 0 shows every run.",
        ),
    ] = TREE_LIMIT,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the nested runs (sweep > trials > folds, refit) of the project's experiments.

    Sweeps show their best objective value and trials their objective; a KILLED or FAILED run
    shows why it stopped. Run ids are printed whole. A run whose parent is older than the
    newest ``--limit`` runs is shown at the top level.
    """
    from resume_ner.cli.console import console, count_of
    from resume_ner.cli.tables import Column, render_table
    from resume_ner.tracking.experiments import project_experiment_names
    from resume_ner.tracking.store.base import RunQuery

    state = get_state(ctx)
    reading = _open_reading(state, tracking_uri)
    experiments = reading.reader.experiment_ids(
        project_experiment_names(reading.policy, names=experiment or None)
    )
    stage_key = reading.registry.key("process", "stage")
    report = []
    for name, experiment_id in experiments.items():
        # One run more than shown says whether older ones were left out.
        newest = reading.reader.search_runs(
            [experiment_id], RunQuery(max_results=limit + 1 if limit else None)
        )
        truncated = bool(limit) and len(newest) > limit
        runs = newest[:limit] if truncated else newest
        runs.reverse()
        nodes = _run_tree(reading.registry, runs)
        if as_json:
            report.append(
                {
                    "experiment": name,
                    "experiment_id": experiment_id,
                    "runs": [node.as_dict(stage_key) for node in nodes],
                    "older_runs_left_out": truncated,
                }
            )
            continue
        shown = count_of(len(runs), "run")
        if truncated:
            shown = f"the newest {shown}; --limit 0 shows every run"
        console.print(f"[bold]{name}[/] ({shown})", highlight=False)
        rows = _tree_rows(nodes)
        if not rows:
            continue
        metrics = {n.objective_metric for n in _walk(nodes) if n.objective_metric}
        depth = max(len(row.below_indent) for row in rows)
        columns = [
            Column("run", min_width=depth + 12),
            Column("status"),
            Column(metrics.pop() if len(metrics) == 1 else "objective", drop_rank=1),
            Column("run id"),
            Column("note", min_width=0, drop_rank=2, below=True),
        ]
        render_table(console, columns, rows)
    if as_json:
        print_json(report)
    elif not experiments:
        console.print("no experiments yet")


def _walk(nodes: list[_TreeNode]) -> list[_TreeNode]:
    found = []
    for node in nodes:
        found.append(node)
        found.extend(_walk(node.children))
    return found


@app.command()
def cleanup(
    ctx: typer.Context,
    experiment: ExperimentOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show which runs would be closed.")
    ] = False,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Close RUNNING runs whose process on this machine is gone: tag them interrupted, end them KILLED."""
    from resume_ner.cli.console import console
    from resume_ner.cli.tables import Column, Row, render_table
    from resume_ner.tracking.cleanup import cleanup_interrupted_runs
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.experiments import project_experiment_ids
    from resume_ner.tracking.liveness import prune_beats

    state = get_state(ctx)
    tracking = ctx.with_resource(
        TrackingContext.open(
            state.paths, state.project, environ=state.environ, tracking_uri=tracking_uri
        )
    )
    experiments = project_experiment_ids(tracking.client, tracking.policy, names=experiment or None)
    found = cleanup_interrupted_runs(
        tracking.client,
        list(experiments.values()),
        registry=tracking.registry,
        project=tracking.policy.project,
        host=tracking.host,
        dry_run=dry_run,
    )
    if not dry_run:
        prune_beats(tracking.index)  # this machine's gone processes: no other needs their beats
    if not found:
        console.print("no interrupted runs")
        return
    console.print("[bold]would close[/]" if dry_run else "[bold]closed as KILLED[/]")
    render_table(
        console,
        [
            Column("run name", min_width=20),
            Column("run id"),
            Column("reason", min_width=0, drop_rank=1, below=True),
        ],
        [Row([run.run_name, run.run_id, run.reason]) for run in found],
    )


@app.command()
def lineage(
    ctx: typer.Context,
    reference: Annotated[
        str,
        typer.Argument(
            help="A run id, NAME@ALIAS or NAME/VERSION of a registered model, or an alias of "
            "mlflow.yaml's model (champion)."
        ),
    ],
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the chain from a model version or run back to its sweep, each link found by key."""
    from resume_ner.cli.console import console
    from resume_ner.cli.tables import Column, Row, render_table
    from resume_ner.serve.reference import resolve_model_reference
    from resume_ner.tracking.lineage import trace_lineage

    state = get_state(ctx)
    reading = _open_reading(state, tracking_uri)
    run_id, how = resolve_model_reference(
        reading.reader, reference, state.project.mlflow.registry.model_name
    )
    chain = trace_lineage(
        reading.reader, run_id, registry=reading.registry, policy=reading.policy, found_by=how
    )
    if as_json:
        print_json(
            {
                "reference": reference,
                "links": [
                    {
                        "stage": link.stage,
                        "run_name": link.run_name,
                        "run_id": link.run_id,
                        "found_by": link.found_by,
                    }
                    for link in chain
                ],
            }
        )
        return
    console.print(f"[bold]lineage of {reference}[/]", highlight=False)
    columns = [
        Column("stage"),
        Column("run name", min_width=20),
        Column("run id"),
        Column("found by", min_width=0, drop_rank=1, below=True),
    ]
    rows = [
        Row([link.stage, link.run_name, link.run_id, link.found_by], styles={3: "dim"})
        for link in chain
    ]
    render_table(console, columns, rows)
    console.print(" -> ".join(link.stage for link in chain), highlight=False)
