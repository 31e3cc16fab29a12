"""``resume-ner runs``: find, list, show as a tree, and clean up runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from resume_ner.cli.state import CliState, get_state

if TYPE_CHECKING:
    from resume_ner.naming.context import NamingContext

app = typer.Typer(
    help="Find, list and inspect the runs resume-ner tracks in MLflow.", no_args_is_help=True
)

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
        console.print_json(json.dumps(report))
        return
    from rich.table import Table

    table = Table(show_header=False, box=None)
    for key, value in report.items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value) or "-"
        table.add_row(f"[bold]{key}[/]", "-" if value is None else str(value))
    console.print(table)


def _fast_index_lookup(
    state: CliState, run_key_hash: str, tracking_uri: str | None
) -> dict[str, Any] | None:
    """Answer from the run index, checking the run exists without importing MLflow."""
    from resume_ner.config.mlflow import load_mlflow_config
    from resume_ner.tracking.index.backends import open_index_backend
    from resume_ner.tracking.index.run_index import find_in_mlflow_index
    from resume_ner.tracking.probe import run_exists_without_mlflow
    from resume_ner.tracking.setup import resolve_tracking_uri

    config = load_mlflow_config(state.config_dir)
    if not config.index.enabled:
        return None
    uri = resolve_tracking_uri(config, state.paths, tracking_uri=tracking_uri)
    entry = find_in_mlflow_index(
        open_index_backend(config.index, state.paths), run_key_hash, tracking_uri=uri
    )
    if entry is None or run_exists_without_mlflow(uri, entry.run_id) is not True:
        return None
    return {
        "found": True,
        "run_id": entry.run_id,
        "run_name": entry.run_name,
        "experiment_id": entry.experiment_id,
        "strategy_used": "local_index",
        "strategies_attempted": ["local_index"],
        "errors": [],
        "tracking_uri": uri,
    }


@app.command()
def find(
    ctx: typer.Context,
    run_id: Annotated[str | None, typer.Option("--run-id", help="A run id to confirm.")] = None,
    run_key_hash: Annotated[
        str | None, typer.Option("--run-key-hash", help="The run's identity hash.")
    ] = None,
    stage: Annotated[
        str | None, typer.Option("--stage", help="Process type, e.g. hpo_sweep, final_training.")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Backbone name.")] = None,
    env: Annotated[
        str | None, typer.Option("--env", help="Environment name (default from mlflow.yaml).")
    ] = None,
    study_key_hash: Annotated[str | None, typer.Option("--study-key-hash")] = None,
    trial_key_hash: Annotated[str | None, typer.Option("--trial-key-hash")] = None,
    fold_idx: Annotated[int | None, typer.Option("--fold")] = None,
    refit_protocol_fp: Annotated[str | None, typer.Option("--refit-fp")] = None,
    spec_fp: Annotated[str | None, typer.Option("--spec-fp")] = None,
    exec_fp: Annotated[str | None, typer.Option("--exec-fp")] = None,
    variant: Annotated[int | None, typer.Option("--variant")] = None,
    conv_fp: Annotated[str | None, typer.Option("--conv-fp")] = None,
    parent_training_id: Annotated[str | None, typer.Option("--parent-training-id")] = None,
    benchmark_config_hash: Annotated[str | None, typer.Option("--bench-hash")] = None,
    target: Annotated[str | None, typer.Option("--target")] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", help="A stage output folder with metadata.json.")
    ] = None,
    experiment: Annotated[
        str | None, typer.Option("--experiment", "-e", help="Experiment to search.")
    ] = None,
    strict: Annotated[
        bool | None, typer.Option("--strict/--no-strict", help="Default from mlflow.yaml.")
    ] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the lookup report as JSON.")
    ] = False,
) -> None:
    """Find a run by its id, its identity (key fields or run-key hash) or its output folder.

    Prints the lookup report: which strategy found it and which were tried. Answered from the
    run index without starting MLflow when the index knows the key.
    """
    from resume_ner.naming.keys import build_mlflow_run_key, build_mlflow_run_key_hash

    state = get_state(ctx)
    fields = {
        "process_type": stage,
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
        from resume_ner.config.mlflow import load_mlflow_config

        fields["environment"] = load_mlflow_config(state.config_dir).naming.env
    context = _naming_context(fields)
    if run_key_hash is None and context is not None:
        run_key_hash = build_mlflow_run_key_hash(build_mlflow_run_key(context))
    if not (run_id or run_key_hash or output_dir):
        raise typer.BadParameter(
            "give --run-id, --run-key-hash, --output-dir or --stage with key fields"
        )
    if run_key_hash and not run_id and not output_dir:
        report = _fast_index_lookup(state, run_key_hash, tracking_uri)
        if report is not None:
            _print_report(report, as_json)
            return
    report = _find_with_mlflow(
        state, context, run_id, run_key_hash, output_dir, experiment, strict, tracking_uri
    )
    _print_report(report, as_json)
    if not report["found"]:
        raise typer.Exit(1)


def _find_with_mlflow(
    state: CliState,
    context: NamingContext | None,
    run_id: str | None,
    run_key_hash: str | None,
    output_dir: Path | None,
    experiment: str | None,
    strict: bool | None,
    tracking_uri: str | None,
) -> dict[str, Any]:
    from resume_ner.naming.policy import build_mlflow_experiment_name
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.finder import find_mlflow_run
    from resume_ner.tracking.urls import get_mlflow_run_url

    tracking = TrackingContext.open(
        state.paths, config_dir=state.config_dir, tracking_uri=tracking_uri
    )
    experiment_names = [experiment] if experiment else []
    if not experiment_names and context is not None:
        experiment_names = [build_mlflow_experiment_name(context.process_type, tracking.policy)]
    if not experiment_names:
        experiment_names = sorted(
            {
                build_mlflow_experiment_name(p, tracking.policy)
                for p in tracking.policy.naming.stage_groups
            }
        )
    report = None
    for name in experiment_names:
        report = find_mlflow_run(
            tracking.client,
            name,
            registry=tracking.registry,
            context=context,
            run_id=run_id,
            output_dir=output_dir,
            run_key_hash=run_key_hash,
            index=tracking.index if tracking.config.index.enabled else None,
            tracking_uri=tracking.tracking_uri,
            strict=False if strict is None and len(experiment_names) > 1 else strict,
            strict_default=tracking.config.run_finder.strict_mode_default,
        )
        if report.found:
            break
    assert report is not None
    result: dict[str, Any] = {
        "found": report.found,
        "run_id": report.run_id,
        "strategy_used": report.strategy_used,
        "strategies_attempted": list(report.strategies_attempted),
        "errors": list(report.errors),
        "tracking_uri": tracking.tracking_uri,
    }
    if report.found and report.run_id:
        run = tracking.client.get_run(report.run_id)
        result["run_name"] = run.info.run_name
        result["experiment_id"] = run.info.experiment_id
        result["status"] = run.info.status
        try:
            result["url"] = get_mlflow_run_url(
                tracking.tracking_uri, run.info.experiment_id, run.info.run_id
            )
        except ValueError as exc:
            result["url"] = f"(no UI address for this tracking URI: {exc})"
    return result


def _project_experiment_ids(tracking: Any, names: list[str] | None) -> dict[str, str]:
    from resume_ner.naming.policy import build_mlflow_experiment_name

    if not names:
        names = sorted(
            {
                build_mlflow_experiment_name(p, tracking.policy)
                for p in tracking.policy.naming.stage_groups
            }
        )
    found = {}
    for name in names:
        experiment = tracking.client.get_experiment_by_name(name)
        if experiment is not None:
            found[name] = experiment.experiment_id
    return found


@app.command("ls")
def list_runs(
    ctx: typer.Context,
    experiment: ExperimentOption = None,
    stage: Annotated[
        str | None, typer.Option("--stage", help="Only runs of this process type.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only runs with this status, e.g. RUNNING.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many runs.")] = 50,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """List the newest runs of the project's experiments."""
    from rich.table import Table

    from resume_ner.cli.console import console
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.filters import (
        UnquotableValueError,
        and_filters,
        attribute_equals,
        can_quote,
        tag_equals,
    )
    from resume_ner.tracking.queries import search_all_runs

    state = get_state(ctx)
    for option, value in (("--stage", stage), ("--status", status)):
        if value is not None and not can_quote(value):  # checked before the store is opened
            raise UnquotableValueError(
                f"{option} {value!r}: an MLflow filter cannot hold both ' and \""
            )
    tracking = TrackingContext.open(
        state.paths, config_dir=state.config_dir, tracking_uri=tracking_uri
    )
    experiments = _project_experiment_ids(tracking, experiment)
    if not experiments:
        console.print("no experiments yet")
        return
    clauses = []
    if stage:
        clauses.append(tag_equals(tracking.registry.key("process", "stage"), stage))
    if status:
        clauses.append(attribute_equals("status", status.upper()))
    runs = search_all_runs(
        tracking.client,
        list(experiments.values()),
        filter_string=and_filters(*clauses),
        order_by=["attributes.start_time DESC"],
        max_results=limit,
    )
    names = {v: k for k, v in experiments.items()}
    stage_key = tracking.registry.key("process", "stage")
    table = Table("run name", "run id", "status", "stage", "experiment", "started (UTC)")
    from datetime import UTC, datetime

    for run in runs:
        started = datetime.fromtimestamp(run.info.start_time / 1000, UTC).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
        table.add_row(
            run.info.run_name,
            run.info.run_id,
            run.info.status,
            run.data.tags.get(stage_key, "-"),
            names.get(run.info.experiment_id, run.info.experiment_id),
            started,
        )
    console.print(table)


@app.command()
def tree(
    ctx: typer.Context,
    experiment: ExperimentOption = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Show the nested run tree (sweep > trials > folds, refit) of the project's experiments."""
    from rich.tree import Tree

    from resume_ner.cli.console import console
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.queries import search_all_runs

    state = get_state(ctx)
    tracking = TrackingContext.open(
        state.paths, config_dir=state.config_dir, tracking_uri=tracking_uri
    )
    experiments = _project_experiment_ids(tracking, experiment)
    if not experiments:
        console.print("no experiments yet")
        return
    parent_key = tracking.registry.key("mlflow", "parent_run_id")
    for name, experiment_id in experiments.items():
        runs = search_all_runs(
            tracking.client, [experiment_id], order_by=["attributes.start_time ASC"]
        )
        children: dict[str | None, list[Any]] = {}
        ids = {run.info.run_id for run in runs}
        for run in runs:
            parent = run.data.tags.get(parent_key)
            children.setdefault(parent if parent in ids else None, []).append(run)
        root = Tree(f"[bold]{name}[/] ({len(runs)} runs)")
        _add_children(root, None, children)
        console.print(root)


_STATUS_COLOURS = {"FINISHED": "green", "RUNNING": "yellow", "FAILED": "red", "KILLED": "red"}


def _add_children(node: Any, parent_id: str | None, children: dict[str | None, list[Any]]) -> None:
    for run in children.get(parent_id, []):
        colour = _STATUS_COLOURS.get(run.info.status, "white")
        branch = node.add(
            f"{run.info.run_name} [{colour}]{run.info.status}[/] [dim]{run.info.run_id}[/]"
        )
        _add_children(branch, run.info.run_id, children)


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
    from rich.table import Table

    from resume_ner.cli.console import console
    from resume_ner.tracking.cleanup import cleanup_interrupted_runs
    from resume_ner.tracking.context import TrackingContext

    state = get_state(ctx)
    tracking = TrackingContext.open(
        state.paths, config_dir=state.config_dir, tracking_uri=tracking_uri
    )
    experiments = _project_experiment_ids(tracking, experiment)
    found = cleanup_interrupted_runs(
        tracking.client,
        list(experiments.values()),
        registry=tracking.registry,
        project=tracking.policy.project,
        dry_run=dry_run,
    )
    if not found:
        console.print("no interrupted runs")
        return
    table = Table(
        "run name", "run id", "reason", title="would close" if dry_run else "closed as KILLED"
    )
    for run in found:
        table.add_row(run.run_name, run.run_id, run.reason)
    console.print(table)


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
) -> None:
    """Print the chain from a model version or run back to its sweep, each link found by key."""
    from rich.table import Table
    from rich.text import Text

    from resume_ner.cli.console import console
    from resume_ner.conversion.registry import resolve_model_reference
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.lineage import trace_lineage

    state = get_state(ctx)
    tracking = TrackingContext.open(
        state.paths, config_dir=state.config_dir, tracking_uri=tracking_uri
    )
    run_id, how = resolve_model_reference(tracking, reference)
    chain = trace_lineage(tracking, run_id, found_by=how)
    table = Table(title=f"lineage of {reference}")
    for column in ("stage", "run name", "run id", "found by"):
        table.add_column(column, overflow="fold")
    for link in chain:
        table.add_row(link.stage, Text(link.run_name), link.run_id, Text(link.found_by))
    console.print(table)
    console.print(" -> ".join(link.stage for link in chain), highlight=False)
