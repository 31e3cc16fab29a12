"""``resume-ner serve``: the REST API over a model from the registry, a run, or a bundle folder.

Without a model option it serves the version of ``mlflow.yaml``'s ``registry.model_name`` at its
``registry.champion_alias``. The address, limits and model format come from ``serve.yaml``; the
API key from ``--api-key`` or ``RESUME_NER_API_KEY`` (required beyond loopback). Bad options, a
model that does not exist and an insecure address exit with code 2 before anything is loaded
or bound.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from resume_ner.cli.state import CliState, get_state

if TYPE_CHECKING:
    from resume_ner.config.serve import ServeConfig
    from resume_ner.serve.source import ModelSource, ServedModel


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the root ``app``."""
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Registered model name. Default: mlflow.yaml's registry.model_name.",
        ),
    ] = None,
    alias: Annotated[
        str | None,
        typer.Option(
            "--alias",
            help="Serve the version with this alias. Default: registry.champion_alias.",
        ),
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Serve this version of the model.")
    ] = None,
    run_id: Annotated[
        str | None,
        typer.Option("--run-id", help="Serve the bundle of this conversion run."),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="Serve this local bundle folder (no MLflow needed)."),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Address to listen on. Default: serve.yaml's (127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=0, max=65535, help="Port. Default: serve.yaml's (8000)."),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar="RESUME_NER_API_KEY",
            show_envvar=True,
            help="Require this key in the X-API-Key header of every /v1 request (at least 16 "
            "characters). Required when --host is not a loopback address.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes sharing the port, each with its own model. Default: "
            "serve.yaml's (1).",
        ),
    ] = None,
) -> None:
    """Serve the NER model over HTTP: text, PDF or DOCX in, entities with offsets out."""
    from resume_ner.cli.console import console
    from resume_ner.serve.auth import check_bind, validate_api_key

    state = get_state(ctx)
    config = state.project.serve
    host = host or config.host
    port = config.port if port is None else port
    key = validate_api_key(api_key)
    check_bind(host, protected=key is not None)
    workers = config.workers if workers is None else workers
    source = _model_source(state, model, alias, version, run_id, bundle)
    from resume_ner.serve.app import create_app
    from resume_ner.serve.server import run_server, run_workers

    logging.getLogger("resume_ner.serve").setLevel(
        min(logging.INFO, logging.getLogger().getEffectiveLevel())
    )

    def announce(url: str, served: ServedModel | None = None) -> None:
        engine = served.engine if served else None
        how = (
            f"{engine.model_format}, {engine.threads} threads"
            if engine
            else f"{workers} worker processes"
        )
        console.print(
            f"serving {source.describe()} ({how}) on {url} (try it at {url}/, API docs at "
            f"{url}/docs{'; X-API-Key required' if key else ''}); Ctrl+C stops",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )

    if workers == 1:
        served = load_model(state, config, source)
        app = create_app(served, config, api_key=key)
        run_server(app, host=host, port=port, announce=lambda url: announce(url, served))
        return
    code = run_workers(
        lambda: create_app(load_model(state, config, source), config, api_key=key),
        host=host,
        port=port,
        workers=workers,
        protected=key is not None,
        announce=announce,
    )
    if code:
        raise typer.Exit(code)


def _model_source(
    state: CliState,
    model: str | None,
    alias: str | None,
    version: str | None,
    run_id: str | None,
    bundle: Path | None,
) -> ModelSource:
    from resume_ner.serve.source import ModelSource

    if bundle is None and run_id is None:
        registry = state.project.mlflow.registry
        model = model or registry.model_name
        if not (alias or version):
            alias = registry.champion_alias
    return ModelSource(
        model_name=model, alias=alias, version=version, run_id=run_id, bundle_dir=bundle
    )


def load_model(state: CliState, config: ServeConfig, source: ModelSource) -> ServedModel:
    """Open the model ``source`` names with ``serve.yaml``'s settings (format, threads,
    recognizers), from the project's MLflow store unless it is a bundle folder.

    Raises :class:`~resume_ner.serve.errors.ModelSourceError` when the store does not exist,
    and what :func:`~resume_ner.serve.source.load_served_model` raises.
    """
    from resume_ner.serve.source import load_served_model

    options = {
        "prefer": config.model.prefer,
        "threads": config.model.threads,
        "recognizers": config.recognizers,
    }
    if source.kind == "bundle":
        return load_served_model(source, **options)
    from mlflow.tracking import MlflowClient

    from resume_ner.serve.errors import ModelSourceError
    from resume_ner.tracking.setup import resolve_tracking_uri, setup_mlflow, sqlite_path

    mlflow_config = state.project.mlflow
    uri = resolve_tracking_uri(mlflow_config, state.paths, environ=state.environ)
    database = sqlite_path(uri)
    if database is not None and not database.exists():
        raise ModelSourceError(
            f"cannot serve {source.describe()}: there is no MLflow store at {database} (run "
            "the pipeline first, pass --root, or serve a bundle folder with --bundle)"
        )
    setup = setup_mlflow(mlflow_config, paths=state.paths, environ=state.environ)
    cache_dir = config.cache_dir or state.paths.cache_dir / "serve"
    if not cache_dir.is_absolute():
        cache_dir = state.root / cache_dir
    return load_served_model(
        source,
        client=MlflowClient(tracking_uri=setup.tracking_uri),
        cache_dir=cache_dir,
        **options,
    )
