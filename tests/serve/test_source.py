"""Loading the model to serve from the MLflow registry (alias or version), from a conversion run,
or from a bundle folder, against a real SQLite MLflow store; and the named errors when it is not
there."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from serve_helpers import serve_command

from resume_ner.cli.app import EXIT_BAD_INPUT, run
from resume_ner.config.conversion import ConversionConfig
from resume_ner.config.paths import ProjectPaths
from resume_ner.config.project import ProjectConfig
from resume_ner.conversion.run import build_conversion_context, register_bundle, run_conversion
from resume_ner.naming.policy import build_parent_training_id
from resume_ner.serve.bundle import MODEL_FILES, ModelFile, read_manifest
from resume_ner.serve.errors import ModelNotFoundError, ModelSourceError, RunHasNoBundleError
from resume_ner.serve.source import ModelSource, fetch_run_bundle, load_served_model
from resume_ner.tracking.context import TrackingContext

MODEL_NAME = "resume-ner"
TRAINING_RUN_ID = "0123456789abcdef0123456789abcdef"
TEXT = "Jane Doe\njane.doe@example.com\nSenior Python developer in Berlin, 5 years of experience."


@dataclass(frozen=True)
class Registry:
    """A project store holding one conversion run, registered as version 1 with ``champion``."""

    paths: ProjectPaths
    tracking: TrackingContext
    run_id: str
    version: str
    bundle_dir: Path

    @property
    def client(self):
        return self.tracking.client


@pytest.fixture(scope="module")
def registry(tmp_path_factory, template_mlflow_db, trained) -> Iterator[Registry]:
    """One real conversion run (fp32 only, a 4-document parity sample), registered and aliased."""
    root = tmp_path_factory.mktemp("registry-project")
    paths = ProjectPaths.at(root)
    paths.mlflow_dir.mkdir(parents=True)
    shutil.copyfile(template_mlflow_db, paths.mlflow_db)
    tracking = TrackingContext.open(paths, ProjectConfig.load(), environ={})
    config = ConversionConfig(quantize="never")
    result = run_conversion(
        tracking,
        trained.checkpoint_dir,
        root / "bundle",
        config,
        documents=trained.test_documents[:4],
        context=build_conversion_context(
            "tiny", build_parent_training_id("c" * 64, "d" * 64, 1), config
        ),
        source_run_id=TRAINING_RUN_ID,
    )
    version = register_bundle(tracking, result.run_id, MODEL_NAME)
    tracking.client.set_registered_model_alias(MODEL_NAME, "champion", version)
    yield Registry(paths, tracking, result.run_id, version, result.bundle.bundle_dir)
    tracking.close()


def _load(registry: Registry, source: ModelSource, cache_dir: Path):
    return load_served_model(source, client=registry.client, cache_dir=cache_dir)


def _spans(served) -> list[tuple[int, int, str]]:
    (entities,) = served.engine.extract([TEXT])
    return [(e.start, e.end, e.label) for e in entities]


def test_registry_alias_serves_the_bundle_of_the_aliased_versions_run(registry, tmp_path):
    served = _load(registry, ModelSource(model_name=MODEL_NAME, alias="champion"), tmp_path)

    assert served.info.source == "registry"
    assert (served.info.name, served.info.version, served.info.alias) == (
        MODEL_NAME,
        registry.version,
        "champion",
    )
    assert served.info.run_id == registry.run_id
    assert served.bundle_dir == tmp_path / registry.run_id / "bundle"
    assert served.engine.manifest.lineage["conversion_run_id"] == registry.run_id
    local = load_served_model(ModelSource(bundle_dir=registry.bundle_dir))
    assert _spans(served) == _spans(local)
    assert _spans(served), "the model finds entities in a resume"


def test_registry_version_serves_that_version_and_reports_its_aliases(registry, tmp_path):
    served = _load(registry, ModelSource(model_name=MODEL_NAME, version="1"), tmp_path)

    assert (served.info.version, served.info.alias) == ("1", None)
    assert served.info.aliases == ("champion",)
    assert served.info.run_id == registry.run_id


def test_run_id_serves_the_runs_bundle(registry, tmp_path):
    served = _load(registry, ModelSource(run_id=registry.run_id), tmp_path)

    assert served.info.source == "run"
    assert served.info.run_id == registry.run_id
    assert served.info.name is None
    assert read_manifest(served.bundle_dir) == read_manifest(registry.bundle_dir)


def test_a_cached_bundle_is_reused_and_a_changed_one_downloaded_again(registry, tmp_path):
    first = fetch_run_bundle(registry.client, registry.run_id, tmp_path)
    marker = first / "kept.txt"
    marker.write_text("cached")
    assert fetch_run_bundle(registry.client, registry.run_id, tmp_path) == first
    assert marker.exists(), "the second fetch reuses the cached folder"
    manifest = read_manifest(first)
    model_file = first / MODEL_FILES[manifest.format]
    with model_file.open("ab") as stream:
        stream.write(b"\0")

    served = _load(registry, ModelSource(run_id=registry.run_id), tmp_path)

    assert ModelFile.describe(model_file).sha256 == manifest.models[manifest.format].sha256
    assert not marker.exists(), "the changed bundle was replaced by a fresh download"
    assert _spans(served)


def test_unknown_registered_model_is_a_named_error(registry, tmp_path):
    with pytest.raises(ModelNotFoundError, match="no registered model named 'nope'"):
        _load(registry, ModelSource(model_name="nope", alias="champion"), tmp_path)


def test_unknown_alias_is_a_named_error_listing_the_aliases(registry, tmp_path):
    with pytest.raises(ModelNotFoundError, match=r"no alias 'staging' \(its aliases: champion\)"):
        _load(registry, ModelSource(model_name=MODEL_NAME, alias="staging"), tmp_path)


def test_unknown_version_is_a_named_error(registry, tmp_path):
    with pytest.raises(ModelNotFoundError, match="has no version '9'"):
        _load(registry, ModelSource(model_name=MODEL_NAME, version="9"), tmp_path)


def test_unknown_run_is_a_named_error(registry, tmp_path):
    with pytest.raises(ModelNotFoundError, match=r"no run with id 'f+'"):
        _load(registry, ModelSource(run_id="f" * 32), tmp_path)
    with pytest.raises(ModelNotFoundError, match="is not a run id"):
        _load(registry, ModelSource(run_id="../escape"), tmp_path)
    assert not (tmp_path.parent / "escape").exists()


def test_run_without_a_bundle_is_a_named_error(registry, tmp_path):
    client = registry.client
    run = client.create_run(client.get_run(registry.run_id).info.experiment_id)
    client.set_terminated(run.info.run_id)

    with pytest.raises(RunHasNoBundleError, match="holds no model bundle"):
        _load(registry, ModelSource(run_id=run.info.run_id), tmp_path)
    assert not (tmp_path / run.info.run_id).exists(), "nothing is left in the cache"


def test_missing_bundle_folder_is_a_named_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        load_served_model(ModelSource(bundle_dir=tmp_path / "none"))


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({}, "got none"),
        ({"model_name": MODEL_NAME, "alias": "champion", "run_id": "a" * 32}, "name exactly one"),
        ({"run_id": "a" * 32, "alias": "champion"}, "needs a registered model name"),
        ({"model_name": MODEL_NAME, "alias": "champion", "version": "1"}, "one of them"),
        ({"model_name": MODEL_NAME}, "one of them"),
    ],
)
def test_a_source_names_exactly_one_model(options, problem):
    with pytest.raises(ModelSourceError, match=problem):
        ModelSource(**options)


def test_cli_serve_exits_2_for_a_model_that_is_not_registered(registry, capsys):
    code = run(["--root", str(registry.paths.root), "serve", "--model", "nope", "--port", "0"])

    assert code == EXIT_BAD_INPUT
    assert "no registered model named 'nope'" in " ".join(capsys.readouterr().err.split())


def test_cli_serve_exits_2_for_a_run_without_a_bundle(registry, capsys):
    client = registry.client
    run_id = client.create_run(client.get_run(registry.run_id).info.experiment_id).info.run_id

    code = run(["--root", str(registry.paths.root), "serve", "--run-id", run_id, "--port", "0"])

    assert code == EXIT_BAD_INPUT
    assert "holds no model bundle" in " ".join(capsys.readouterr().err.split())


def test_cli_serve_exits_2_without_a_store_and_creates_none(tmp_path, capsys):
    code = run(["--root", str(tmp_path), "serve", "--port", "0"])

    assert code == EXIT_BAD_INPUT
    err = " ".join(capsys.readouterr().err.split())
    assert "registered model resume-ner@champion" in err
    assert "no MLflow store" in err
    assert list(tmp_path.iterdir()) == []


def test_cli_serve_without_model_options_serves_the_champion_from_the_project_store(
    registry, tmp_path
):
    """About 3 s: the command starts in a fresh interpreter and imports MLflow."""
    with serve_command(registry.paths.root, "serve", log=tmp_path / "serve.log") as (url, _):
        model = httpx.get(f"{url}/v1/model", timeout=60).json()
        answer = httpx.post(f"{url}/v1/extract", json={"text": TEXT}, timeout=60)

    assert (model["source"], model["name"], model["version"], model["alias"]) == (
        "registry",
        MODEL_NAME,
        registry.version,
        "champion",
    )
    assert model["run_id"] == registry.run_id
    assert model["lineage"]["conversion_run_id"] == registry.run_id
    assert answer.status_code == 200
    assert (registry.paths.cache_dir / "serve" / registry.run_id / "bundle").is_dir()
