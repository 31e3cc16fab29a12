"""Tracking set-up: URI order, one-time store initialisation, artifacts under the project."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from resume_ner.config.mlflow import MlflowConfig
from resume_ner.config.paths import ProjectPaths
from resume_ner.tracking.errors import TrackingSetupError
from resume_ner.tracking.setup import resolve_tracking_uri, setup_mlflow


def test_explicit_uri_wins_over_config_and_environment(tmp_path: Path):
    config = MlflowConfig(tracking_uri="http://config:5000")
    environ = {"MLFLOW_TRACKING_URI": "http://env:5000"}
    paths = ProjectPaths.at(tmp_path)
    assert (
        resolve_tracking_uri(config, paths, tracking_uri="http://explicit", environ=environ)
        == "http://explicit"
    )
    assert resolve_tracking_uri(config, paths, environ=environ) == "http://config:5000"
    assert resolve_tracking_uri(MlflowConfig(), paths, environ=environ) == "http://env:5000"


def test_embedded_default_is_sqlite_under_the_project_folder(tmp_path: Path):
    uri = resolve_tracking_uri(MlflowConfig(), ProjectPaths.at(tmp_path), environ={})
    assert uri == f"sqlite:///{tmp_path.resolve()}/mlruns/mlflow.db"


def test_azure_ml_without_workspace_settings_is_a_clear_setup_error(tmp_path: Path):
    config = MlflowConfig.model_validate({"azure_ml": {"enabled": True}})
    with pytest.raises(TrackingSetupError, match=r"azure_ml\.subscription_id"):
        resolve_tracking_uri(config, ProjectPaths.at(tmp_path), environ={})


RACE_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from resume_ner.config.mlflow import MlflowConfig
    from resume_ner.config.paths import ProjectPaths
    from resume_ner.tracking.setup import setup_mlflow
    from mlflow.tracking import MlflowClient

    root, start_at, name = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    while time.time() < start_at:
        time.sleep(0.001)
    setup = setup_mlflow(MlflowConfig(), paths=ProjectPaths.at(root), experiment_name="race", environ={})
    client = MlflowClient(tracking_uri=setup.tracking_uri)
    run = client.create_run(setup.experiment_id, run_name=name)
    client.set_terminated(run.info.run_id)
    print(setup.experiment_id)
    """
)


def test_a_fresh_sqlite_store_opened_by_four_processes_at_once_ends_initialised(tmp_path: Path):
    import time

    start_at = time.time() + 4.0  # every process has imported MLflow by then, so they really race
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RACE_SCRIPT, str(tmp_path), str(start_at), f"worker-{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outputs = [p.communicate(timeout=180) for p in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-2000:]
    assert len({out.strip() for out, _ in outputs}) == 1, "all workers share one experiment"

    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("race")
    names = sorted(r.info.run_name for r in client.search_runs([experiment.experiment_id]))
    assert names == [f"worker-{i}" for i in range(4)]


def test_artifacts_land_under_the_project_folder_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    paths = ProjectPaths.at(tmp_path / "project")
    setup = setup_mlflow(MlflowConfig(), paths=paths, experiment_name="artifacts", environ={})
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=setup.tracking_uri)
    run = client.create_run(setup.experiment_id)
    note = tmp_path / "note.txt"
    note.write_text("hello")
    client.log_artifact(run.info.run_id, str(note))
    stored = list(paths.artifacts_dir.rglob("note.txt"))
    assert len(stored) == 1
    assert not (elsewhere / "mlruns").exists()
    assert os.listdir(elsewhere) == []


def _project_with_an_artifact(root: Path) -> tuple[str, str]:
    from mlflow.tracking import MlflowClient

    setup = setup_mlflow(
        MlflowConfig(), paths=ProjectPaths.at(root), experiment_name="moving", environ={}
    )
    client = MlflowClient(tracking_uri=setup.tracking_uri)
    run_id = client.create_run(setup.experiment_id).info.run_id
    note = root / "note.txt"
    note.write_text("hello", encoding="utf-8")
    client.log_artifact(run_id, str(note))
    client.set_terminated(run_id)
    return setup.experiment_id, run_id


def test_a_copied_project_reads_its_own_artifacts_after_the_original_is_deleted(tmp_path: Path):
    import shutil

    from mlflow.tracking import MlflowClient

    original, copy = tmp_path / "original", tmp_path / "copy"
    experiment_id, run_id = _project_with_an_artifact(original)
    shutil.copytree(original, copy)
    shutil.rmtree(original)

    paths = ProjectPaths.at(copy)
    setup = setup_mlflow(MlflowConfig(), paths=paths, experiment_name="moving", environ={})
    client = MlflowClient(tracking_uri=setup.tracking_uri)
    assert client.get_run(run_id).info.artifact_uri.startswith(paths.artifacts_dir.as_uri())
    assert client.get_experiment(experiment_id).artifact_location.startswith(
        paths.artifacts_dir.as_uri()
    )
    downloaded = client.download_artifacts(run_id, "note.txt", str(tmp_path))
    assert Path(downloaded).read_text(encoding="utf-8") == "hello"
    new_run = client.create_run(experiment_id).info.run_id
    assert client.get_run(new_run).info.artifact_uri.startswith(paths.artifacts_dir.as_uri())
    assert not original.exists()


def test_moving_a_project_leaves_an_experiment_with_its_own_location_alone(tmp_path: Path):
    import shutil

    from mlflow.tracking import MlflowClient

    original, moved = tmp_path / "original", tmp_path / "moved"
    setup = setup_mlflow(MlflowConfig(), paths=ProjectPaths.at(original), environ={})
    outside = (tmp_path / "shared-artifacts").as_uri()
    experiment_id = MlflowClient(tracking_uri=setup.tracking_uri).create_experiment("own", outside)
    shutil.move(original, moved)

    setup = setup_mlflow(MlflowConfig(), paths=ProjectPaths.at(moved), environ={})
    assert (
        MlflowClient(tracking_uri=setup.tracking_uri)
        .get_experiment(experiment_id)
        .artifact_location
        == outside
    )


def test_a_store_created_with_another_artifact_layout_is_not_relocated(tmp_path: Path):
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from mlflow.tracking import MlflowClient

    paths = ProjectPaths.at(tmp_path / "project")
    paths.mlflow_dir.mkdir(parents=True)
    elsewhere = (tmp_path / "mlartifacts").as_uri()
    SqlAlchemyStore(f"sqlite:///{paths.mlflow_db}", elsewhere).engine.dispose()

    setup = setup_mlflow(MlflowConfig(), paths=paths, environ={})

    assert MlflowClient(tracking_uri=setup.tracking_uri).get_experiment("0").artifact_location == (
        f"{elsewhere}/0"
    )
