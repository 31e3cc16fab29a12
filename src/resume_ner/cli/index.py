"""``resume-ner index``: maintain the run index and version counter."""

from __future__ import annotations

from typing import Annotated

import typer

from resume_ner.cli.state import get_state

app = typer.Typer(
    help="Maintain the run index (run identity -> MLflow run id) and version counter.",
    no_args_is_help=True,
)


@app.command()
def rebuild(
    ctx: typer.Context,
    tracking_uri: Annotated[
        str | None, typer.Option("--tracking-uri", help="Override the tracking URI.")
    ] = None,
) -> None:
    """Rebuild the run index and version-counter floors from the runs in MLflow."""
    from resume_ner.cli.console import console
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.experiments import project_experiment_ids
    from resume_ner.tracking.index.run_index import rebuild_mlflow_index

    state = get_state(ctx)
    tracking = ctx.with_resource(
        TrackingContext.open(
            state.paths, state.project, environ=state.environ, tracking_uri=tracking_uri
        )
    )
    experiments = project_experiment_ids(tracking.client, tracking.policy)
    with console.status("rebuilding the run index from MLflow"):
        count = rebuild_mlflow_index(
            tracking.index,
            tracking.client,
            list(experiments.values()),
            registry=tracking.registry,
            policy=tracking.policy,
            max_entries=tracking.config.index.max_entries,
        )
    console.print(
        f"indexed {count} runs from {len(experiments)} experiments ({tracking.tracking_uri})"
    )
