"""The logged pyfunc model as MLflow's own tools use it: its requirements, its signature, its
shipped code, and an MLmodel that names no folder of the machine that built it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

from resume_ner.conversion.pyfunc import REQUIRED_DISTRIBUTIONS
from resume_ner.conversion.run import log_bundle_model

TEXTS = (
    "Jane Doe\njane.doe@example.com | +1 555 0100\nSenior Python developer in Berlin",
    "John Roe, data engineer. SQL, Spark. john@example.org",
)


@dataclass(frozen=True)
class LoggedPyfunc:
    """A tiny bundle logged as a pyfunc model, downloaded to ``folder``."""

    folder: Path
    model_id: str
    bundle_dir: Path
    project_root: Path


@pytest.fixture(scope="module")
def logged(new_project, bundle, tmp_path_factory) -> LoggedPyfunc:
    from mlflow.artifacts import download_artifacts

    project = new_project(tmp_path_factory.mktemp("pyfunc-project"))
    client = project.client
    experiment_id = project.experiment()
    run_id = client.create_run(experiment_id).info.run_id
    model_id = log_bundle_model(client, run_id, experiment_id, bundle)
    client.set_terminated(run_id)
    location = client.get_logged_model(model_id).artifact_location
    folder = Path(
        download_artifacts(
            artifact_uri=location, dst_path=str(tmp_path_factory.mktemp("pyfunc-download"))
        )
    )
    return LoggedPyfunc(folder, model_id, bundle.bundle_dir, project.paths.root)


def _spans(predictions) -> list[list[tuple[int, int, str]]]:
    return [
        [(entity["start"], entity["end"], entity["label"]) for entity in item["entities"]]
        for item in predictions
    ]


def _engine_spans(bundle_dir: Path) -> list[list[tuple[int, int, str]]]:
    from resume_ner.serve.engine import InferenceEngine

    found = InferenceEngine.load(bundle_dir).extract(list(TEXTS))
    return [[(e.start, e.end, e.label) for e in entities] for entities in found]


def test_requirements_pin_published_packages_and_phonenumbers_not_resume_ner(logged):
    lines = (logged.folder / "requirements.txt").read_text(encoding="utf-8").split()
    pins = dict(line.split("==") for line in lines if "==" in line)

    assert not any(line.lower().startswith(("resume-ner", "resume_ner")) for line in lines)
    assert pins["phonenumbers"] == version("phonenumbers")
    assert set(REQUIRED_DISTRIBUTIONS) <= set(pins)
    assert all(pins[name] == version(name) for name in REQUIRED_DISTRIBUTIONS)


def test_the_model_ships_the_resume_ner_code_it_runs(logged):
    import yaml

    flavor = yaml.safe_load((logged.folder / "MLmodel").read_text())["flavors"]["python_function"]
    code = logged.folder / flavor["code"] / "resume_ner"

    assert (code / "conversion" / "pyfunc.py").is_file()
    assert (code / "serve" / "engine.py").is_file()
    assert not list(code.rglob("__pycache__"))


def test_the_signature_names_the_text_column(logged):
    from mlflow.models import Model

    signature = Model.load(str(logged.folder / "MLmodel")).signature

    assert signature.inputs.input_names() == ["text"]
    assert signature.outputs.input_names() == ["entities"]


@pytest.mark.parametrize(
    "body",
    [
        {"inputs": {"text": list(TEXTS)}},
        {"inputs": list(TEXTS)},
        {"dataframe_split": {"columns": ["text"], "data": [[text] for text in TEXTS]}},
        {"dataframe_records": [{"text": text} for text in TEXTS]},
    ],
    ids=["inputs-text", "inputs-list", "dataframe_split", "dataframe_records"],
)
def test_every_scoring_input_format_gets_the_engines_entities(logged, body):
    import mlflow.pyfunc
    from mlflow.pyfunc.scoring_server import infer_and_parse_data

    model = mlflow.pyfunc.load_model(str(logged.folder))
    data = infer_and_parse_data(body, model.metadata.get_input_schema())

    assert _spans(model.predict(data)) == _engine_spans(logged.bundle_dir)


def test_the_mlmodel_names_no_folder_of_the_building_machine(logged):
    text = (logged.folder / "MLmodel").read_text(encoding="utf-8")

    assert f"artifact_path: models:/{logged.model_id}" in text
    assert str(logged.project_root) not in text
    assert str(logged.bundle_dir) not in text
    assert "file://" not in text


def test_the_model_loads_and_predicts_where_resume_ner_is_not_installed(logged, tmp_path):
    """Only the environment's site-packages on the path, without its ``.pth`` files (which put
    the development install of resume_ner there): the code shipped with the model runs."""
    script = tmp_path / "predict.py"
    script.write_text(
        "import json, sys\n"
        "import importlib.util\n"
        "assert importlib.util.find_spec('resume_ner') is None, 'resume_ner is importable'\n"
        "import mlflow.pyfunc, pandas\n"
        "model = mlflow.pyfunc.load_model(sys.argv[1])\n"
        "import resume_ner\n"
        "print(json.dumps({'code': resume_ner.__file__,\n"
        "                  'predictions': model.predict(pandas.DataFrame({'text': sys.argv[2:]}))}))\n",
        encoding="utf-8",
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "MLFLOW_ENABLE_DBFS_FUSE_ARTIFACT_REPO": "false",
    }
    answer = subprocess.run(
        [sys.executable, "-S", str(script), str(logged.folder), *TEXTS],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )

    assert answer.returncode == 0, answer.stderr[-3000:]
    result = json.loads(answer.stdout.strip().splitlines()[-1])
    assert Path(result["code"]).is_relative_to(logged.folder)
    assert _spans(result["predictions"]) == _engine_spans(logged.bundle_dir)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_mlflow_serves_the_model_from_a_fresh_environment_of_its_own_requirements(logged, tmp_path):
    """What ``mlflow models serve`` with a virtualenv does: a new environment, the model's
    ``requirements.txt`` installed with pip (from PyPI or the local wheel cache), then the
    environment's own ``mlflow models serve --env-manager local`` answers on text."""
    import time

    import httpx

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bin_dir = venv / "bin"
    install = subprocess.run(
        [str(bin_dir / "pip"), "install", "-q", "-r", str(logged.folder / "requirements.txt")],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    port = _free_port()
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(tmp_path)}
    command = [str(bin_dir / "mlflow"), "models", "serve", "-m", str(logged.folder)]
    options = ["--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        [*command, *options],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/invocations",
            json={"inputs": {"text": list(TEXTS)}},
            timeout=60,
        )
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    assert answer.status_code == 200, output.decode(errors="replace")[-3000:]
    assert _spans(answer.json()["predictions"]) == _engine_spans(logged.bundle_dir)
