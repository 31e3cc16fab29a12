"""``resume-ner index``: maintain the run index and version counter."""

from __future__ import annotations

from typing import Annotated

import typer

from resume_ner.cli.state import get_state

app = typer.Typer(
    help="Maintain the run index (run identity -> MLflow run id) and version counter.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    """Add the ``index`` command group to the ``root`` app; its commands start once the
    configuration files they read are valid."""
    from resume_ner.cli.preflight import check_read_configuration

    root.add_typer(app, name="index", callback=check_read_configuration)


@app.command()
def rebuild(
    ctx: typer.Context,
    tracking_uri: Annotated[
        str | None, typer.Option("--tracking-uri", help="Override the tracking URI.")
    ] = None,
) -> None:
    """Rebuild the run index and version-counter floors from the runs in MLflow.

    Commands rebuild an index that is new, deleted or damaged by themselves; this rebuilds it
    on demand. A damaged index file is set aside first.
    """
    from contextlib import closing

    from resume_ner.cli.console import console
    from resume_ner.naming.policy import NamingPolicy
    from resume_ner.naming.tags import TagsRegistry
    from resume_ner.tracking.experiments import project_experiment_names
    from resume_ner.tracking.index.backends import open_index_backend
    from resume_ner.tracking.index.run_index import rebuild_mlflow_index
    from resume_ner.tracking.liveness import host_name
    from resume_ner.tracking.setup import resolve_tracking_uri
    from resume_ner.tracking.store.base import open_store_reader

    state = get_state(ctx)
    config = state.project.mlflow
    uri = resolve_tracking_uri(
        config, state.paths, environ=state.environ, tracking_uri=tracking_uri
    )
    reader = open_store_reader(uri, environ=state.environ)
    policy = NamingPolicy.from_project(state.project)
    index = ctx.with_resource(
        closing(open_index_backend(config.index, state.paths, host=host_name(state.environ)))
    )
    experiments = reader.experiment_ids(project_experiment_names(policy))
    with console.status("rebuilding the run index from MLflow"):
        count = rebuild_mlflow_index(
            index,
            reader,
            list(experiments.values()),
            registry=TagsRegistry(state.project.tags),
            policy=policy,
            max_entries=config.index.max_entries,
        )
    console.print(f"indexed {count} runs from {len(experiments)} experiments ({uri})")
