"""What a run records about where things are holds after the project folder moves: paths inside
the project are recorded relative to it and read back against wherever it is now."""

from __future__ import annotations

import json

from resume_ner.config.paths import ProjectPaths
from resume_ner.tracking.setup import portable_tracking_uri
from resume_ner.tracking.trackers.training import MLflowTrainingTracker


def test_the_output_dir_tag_is_relative_to_the_project_folder(project, tracking, training_context):
    output_dir = project.paths.outputs_dir / "final_training" / "tiny-bert" / "v1"

    run_id = MLflowTrainingTracker(tracking).start_training_run(
        training_context, params={"epochs": 1}, output_dir=output_dir
    )

    tag = project.client.get_run(run_id).data.tags["code.output_dir"]
    assert tag == "outputs/final_training/tiny-bert/v1"
    assert project.paths.locate(tag) == output_dir


def test_run_metadata_records_the_project_store_relative_to_the_project(
    project, tracking, training_context
):
    output_dir = project.paths.outputs_dir / "final_training" / "tiny-bert" / "v1"

    MLflowTrainingTracker(tracking).start_training_run(
        training_context, params={"epochs": 1}, output_dir=output_dir
    )

    metadata = json.loads((output_dir / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["mlflow"]["tracking_uri"] == "sqlite:///mlruns/mlflow.db"
    assert str(project.paths.root) not in json.dumps(metadata)


def test_a_path_outside_the_project_and_a_server_uri_are_recorded_as_they_are(tmp_path):
    paths = ProjectPaths.at(tmp_path / "project")
    outside = tmp_path / "elsewhere" / "mlflow.db"

    assert paths.relative(outside) == outside
    assert paths.locate(outside) == outside
    assert portable_tracking_uri(f"sqlite:///{outside}", paths) == f"sqlite:///{outside}"
    assert portable_tracking_uri("http://127.0.0.1:5000", paths) == "http://127.0.0.1:5000"


def test_a_moved_store_keeps_no_trace_of_its_old_folder(tmp_path):
    import shutil

    from resume_ner.config.mlflow import MlflowConfig
    from resume_ner.tracking.setup import setup_mlflow

    original, moved = tmp_path / "original", tmp_path / "moved"
    setup_mlflow(MlflowConfig(), paths=ProjectPaths.at(original), environ={}, experiment_name="e")
    # What loading a logged model in place leaves: bytecode compiled in the old folder.
    cache = original / "mlruns" / "artifacts" / "e" / "m-1" / "code" / "pkg" / "__pycache__"
    cache.mkdir(parents=True)
    (cache / "mod.cpython-311.pyc").write_bytes(str(original).encode())
    shutil.move(original, moved)

    setup_mlflow(MlflowConfig(), paths=ProjectPaths.at(moved), environ={})

    assert str(original).encode() not in (moved / "mlruns" / "mlflow.db").read_bytes()
    assert not list((moved / "mlruns" / "artifacts").rglob("__pycache__"))
