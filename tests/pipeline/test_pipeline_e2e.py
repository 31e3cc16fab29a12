"""``resume-ner pipeline`` end to end on the tiny preset: the run tree, the registered champion,
idempotence, and ``runs lineage`` back to the sweep."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hpo_helpers import write_config_dir
from mlflow.tracking import MlflowClient

from resume_ner.config.tags import load_tags_config
from resume_ner.naming.tags import TagsRegistry

REGISTRY = TagsRegistry(load_tags_config())
STAGE = REGISTRY["process.stage"]
#: 3 trials x 2 folds; each trained model (refit, final) is converted and benchmarked.
EXPECTED_STAGES = {
    "hpo_sweep": 1,
    "hpo_trial": 3,
    "hpo_trial_fold": 6,
    "hpo_refit": 1,
    "final_training": 1,
    "conversion": 2,
    "benchmarking": 2,
}


@dataclass
class PipelineProject:
    root: Path
    config_dir: Path

    @property
    def client(self):
        return MlflowClient(tracking_uri=f"sqlite:///{self.root / 'mlruns' / 'mlflow.db'}")

    def cli(self, *args: str) -> tuple[int, str]:
        from resume_ner.cli import console as console_module
        from resume_ner.cli.app import run

        buffer = io.StringIO()
        console_module.console.file = buffer
        console_module.console.width = 200
        try:
            code = run(["--root", str(self.root), "--config-dir", str(self.config_dir), *args])
        finally:
            console_module.console.file = None
        return code, buffer.getvalue()

    def runs(self) -> list:
        experiments = [e.experiment_id for e in self.client.search_experiments()]
        return self.client.search_runs(experiments, max_results=1000)


@pytest.fixture(scope="module")
def piped(tmp_path_factory) -> tuple[PipelineProject, str]:
    """A project after one ``resume-ner pipeline`` (about a minute on 2 cores)."""
    root = tmp_path_factory.mktemp("pipeline")
    config_dir = write_config_dir(
        root / "config",
        hpo={"n_trials": 3, "cv": {"k_folds": 2}, "epochs": 2},
        train={"epochs": 2},
    )
    (config_dir / "benchmark.yaml").write_text(
        "batch_sizes: [1]\nsequence_lengths: [128]\nruntimes: [eager, onnx_fp32]\n"
        "warmup_iterations: 1\niterations: 3\nmin_iterations: 3\n",
        encoding="utf-8",
    )
    (config_dir / "conversion.yaml").write_text("parity_sample_size: 8\n", encoding="utf-8")
    project = PipelineProject(root, config_dir)
    result = _run_entry_point(root, config_dir, "pipeline")
    assert result.returncode == 0, result.stdout + result.stderr
    return project, result.stdout + result.stderr


def _run_entry_point(root: Path, config_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """The installed ``resume-ner`` command, as ``scripts/run.sh`` runs it, with none of the
    switches that quiet the libraries set beforehand (an earlier in-process run sets them)."""
    from resume_ner.cli.app import _QUIET_LIBRARY_ENV

    script = Path(sys.executable).parent / "resume-ner"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "resume_ner"]
    env = {k: v for k, v in os.environ.items() if k not in _QUIET_LIBRARY_ENV}
    env["COLUMNS"] = "80"
    return subprocess.run(
        [*command, "--root", str(root), "--config-dir", str(config_dir), *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=root,
        env=env,
    )


def test_the_main_command_prints_no_library_noise(piped):
    _, output = piped

    lines = output.splitlines()
    assert not [line for line in lines if "Warning" in line or "WARNING" in line]
    assert not [line for line in lines if "Downloading artifacts" in line]
    assert not [line for line in lines if line.startswith("W1") or "torch.onnx" in line]


def test_the_main_command_names_runs_and_ends_with_how_to_open_the_ui(piped):
    project, output = piped
    names = {run.info.run_name for run in project.runs()}
    final = _run_of(project, "final_training")

    assert f"final_training run “{final.info.run_name}” created" in output
    assert final.info.run_id in output  # whole, even at 80 columns
    assert "http://127.0.0.1:5000/#/experiments/" not in output.split("runs: ")[0]  # no URLs
    last = output.strip().splitlines()[-1]
    assert last.startswith("runs: ") and "ui --backend-store-uri sqlite:///" in last
    assert "workflowType=machine_learning" in last and "Model training" in last
    assert len(names) == len(project.runs())


def test_the_closing_count_counts_every_run_trials_and_folds_included(piped):
    project, output = piped
    made = ", ".join(f"{count} {stage}" for stage, count in EXPECTED_STAGES.items())

    assert " ".join(output.split()).count(f"{len(project.runs())} runs created ({made}), 0 reused")


def test_the_closing_table_fits_80_columns(piped):
    _, output = piped
    lines = output.splitlines()

    header = next(i for i, line in enumerate(lines) if line.startswith("stage "))
    end = next(i for i, line in enumerate(lines) if line.startswith("Winner:"))
    assert end - header > 7 and all(len(line) <= 80 for line in lines[header:end])


def test_the_sweeps_progress_bar_is_shown_before_the_stages_after_the_sweep(piped):
    _, output = piped
    lines = output.splitlines()

    bar = next(
        i for i, line in enumerate(lines) if line.startswith("tiny trials") and "3/3" in line
    )
    assert bar < lines.index("> candidate benchmark tiny") < lines.index("> registry tiny")
    assert bar > max(i for i, line in enumerate(lines) if line.startswith("trial "))


def test_pipeline_makes_the_full_run_tree(piped):
    project, _ = piped

    runs = project.runs()

    assert Counter(run.data.tags[STAGE] for run in runs) == EXPECTED_STAGES
    assert {run.info.status for run in runs} == {"FINISHED"}
    names = [run.info.run_name for run in runs]
    assert len(names) == len(set(names))


def test_final_training_carries_lineage_to_sweep_trial_and_refit(piped):
    project, _ = piped
    by_stage = {run.data.tags[STAGE]: run for run in project.runs()}
    final = by_stage["final_training"].data.tags

    assert final[REGISTRY["lineage.source"]] == "hpo"
    assert final[REGISTRY["lineage.hpo_sweep_run_id"]] == by_stage["hpo_sweep"].info.run_id
    assert final[REGISTRY["lineage.hpo_refit_run_id"]] == by_stage["hpo_refit"].info.run_id
    assert final[REGISTRY["training.training_type"]] == "final"
    assert final[REGISTRY["training.trained_on_full_data"]] == "true"


def test_pipeline_registers_the_model_with_the_champion_alias(piped):
    project, output = piped
    conversions = [
        run for run in project.runs()
        if run.data.tags[STAGE] == "conversion"
        and run.data.tags[REGISTRY["lineage.parent_run_id"]]
        == next(r for r in project.runs() if r.data.tags[STAGE] == "final_training").info.run_id
    ]  # fmt: skip

    champion = project.client.get_model_version_by_alias("resume-ner", "champion")

    assert champion.run_id == conversions[0].info.run_id
    assert "resume-ner version 1 registered and made champion" in output


def test_the_model_version_carries_a_model_card(piped):
    project, _ = piped

    card = project.client.get_model_version("resume-ner", "1").description

    assert card.startswith("# resume-ner version 1")
    assert "| SKILL |" in card and "| **macro** |" in card  # scores per entity
    assert "| runtime | 1 x 128 |" in card and "| onnx_fp32 | " in card  # latency, pivoted
    assert "- hpo_sweep: [sweep " in card and "](http://127.0.0.1:5000/#/experiments/" in card
    assert "?workflowType=machine_learning) (" in card  # MLflow's Model training view
    assert "stable macro_f1" in card and "held-out test split, so the two" in card


def test_running_the_pipeline_again_creates_no_run(piped):
    project, _ = piped
    before = {run.info.run_id for run in project.runs()}

    code, output = project.cli("pipeline", "--json")

    assert code == 0, output
    summary = json.loads(output)
    assert {run.info.run_id for run in project.runs()} == before
    assert summary["created"] == 0
    assert {step["run_id"] for step in summary["steps"]} <= before
    assert summary["registration"]["champion_version"] == "1"
    assert len(project.client.search_model_versions("name = 'resume-ner'")) == 1


LISTINGS = {
    # command -> which cell of a row holds the run name
    ("runs", "ls", "--limit", "100"): 0,
    ("runs", "tree"): 0,
    ("runs", "lineage", "champion"): 1,
}


@pytest.mark.parametrize("columns", ["80", "120", None], ids=["80-columns", "120-columns", "piped"])
@pytest.mark.parametrize("command", list(LISTINGS), ids=lambda c: " ".join(c[:2]))
def test_listings_show_whole_run_ids_and_distinct_names(piped, monkeypatch, command, columns):
    project, _ = piped
    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    else:
        monkeypatch.delenv("COLUMNS", raising=False)

    code, output = project.cli(*command)

    assert code == 0, output
    ids = {run.info.run_id for run in project.runs()}
    rows = [line for line in output.splitlines() if any(i in line for i in ids)]
    shown = {i for i in ids if any(i in row for row in rows)}
    expected = ids if command[1] != "lineage" else shown
    assert shown == expected and len(shown) >= 5
    cells = [re.split(r"\s{2,}", re.sub(r"^[│├└─ ]+", "", row)) for row in rows]
    names = [cell[LISTINGS[command]] for cell in cells]
    assert len(set(names)) == len(rows), names
    if columns:
        assert all(len(line) <= int(columns) for line in output.splitlines()), output


def test_the_tree_counts_one_run_as_one_run(piped, monkeypatch):
    project, _ = piped
    monkeypatch.setenv("COLUMNS", "120")

    code, output = project.cli("runs", "tree")

    assert code == 0, output
    assert "resume-ner-training (1 run)" in output and "(1 runs)" not in output


@pytest.mark.parametrize("columns", ["80", "120"])
def test_the_plan_table_fits_the_width(piped, monkeypatch, columns):
    project, _ = piped
    monkeypatch.setenv("COLUMNS", columns)

    code, output = project.cli("pipeline", "--plan")

    assert code == 0, output
    table = output.split("pipeline plan", 1)[1].split("plan only:", 1)[0]
    assert all(len(line) <= int(columns) for line in table.splitlines()), table


def test_listings_print_json(piped):
    project, _ = piped
    ids = {run.info.run_id for run in project.runs()}

    listed = json.loads(project.cli("runs", "ls", "--limit", "100", "--json")[1])
    tree = json.loads(project.cli("runs", "tree", "--json")[1])
    lineage = json.loads(project.cli("runs", "lineage", "champion", "--json")[1])

    assert {run["run_id"] for run in listed} == ids
    hpo = next(group for group in tree if group["experiment"] == "resume-ner-hpo")
    (sweep,) = hpo["runs"]
    trials = [child for child in sweep["children"] if child["stage"] == "hpo_trial"]
    assert len(trials) == 3 and all(t["objective_metric"] == "macro_f1" for t in trials)
    assert all(t["objective"] is not None for t in trials if t["status"] == "FINISHED")
    assert [link["stage"] for link in lineage["links"]][-1] == "hpo_sweep"


def test_runs_lineage_prints_the_chain_from_the_champion_to_its_sweep(piped):
    project, _ = piped

    code, output = project.cli("runs", "lineage", "champion")

    assert code == 0, output
    assert "conversion -> final_training -> hpo_refit -> hpo_trial -> hpo_sweep" in output
    assert "alias champion of registered model resume-ner" in output
    assert "run key of spec_" in output  # the final training, by its identity
    assert output.count("code.trial_key_hash=") == 2  # refit and trial, by their keys


def _run_of(project, stage: str):
    return next(run for run in project.runs() if run.data.tags[STAGE] == stage)


def test_convert_and_benchmark_find_the_runs_the_pipeline_made(piped):
    project, _ = piped
    final = _run_of(project, "final_training").info.run_id
    refit = _run_of(project, "hpo_refit").info.run_id
    before = len(project.runs())

    for args in (("convert", final), ("convert", refit), ("benchmark", final)):
        code, output = project.cli(*args)
        assert code == 0, output
        assert " reused" in output

    assert len(project.runs()) == before


def test_convert_refuses_a_run_that_is_not_a_trained_model(piped):
    project, _ = piped
    sweep = _run_of(project, "hpo_sweep").info.run_id

    code, _ = project.cli("convert", sweep)

    assert code == 2


def test_plan_after_the_pipeline_reuses_every_run(piped):
    project, _ = piped
    before = len(project.runs())

    code, output = project.cli("pipeline", "--plan", "--json")

    assert code == 0, output
    steps = json.loads(output)["plan"]
    stages = [step["stage"] for step in steps]
    assert stages.count("conversion") == stages.count("benchmarking") == 2
    assert {step["action"] for step in steps} <= {"reuse", "select"}, steps
    assert len(project.runs()) == before


def test_plan_on_a_new_project_creates_nothing(tmp_path):
    project = PipelineProject(tmp_path / "new", write_config_dir(tmp_path / "config"))

    code, output = project.cli("pipeline", "--plan")

    assert code == 0, output
    assert "after the sweeps" in output
    assert not (tmp_path / "new" / "mlruns").exists()


def test_no_run_logs_a_metric_under_the_name_of_one_of_its_params(piped):
    project, _ = piped

    shadowed = {
        run.info.run_name: sorted(set(run.data.metrics) & set(run.data.params))
        for run in project.runs()
    }

    assert not {name: keys for name, keys in shadowed.items() if keys}


TEXTS = (
    "Jane Doe\nSenior Data Engineer at Acme Corp\njane.doe@example.com\n"
    "Skills: Python, SQL, Apache Spark, Kubernetes",
    "PROFILE\nBackend developer, 7 years of Java and Go. MSc Computer Science, "
    "University of Lyon, 2015. Contact: +33 6 12 34 56 78",
    "Education: BSc Mathematics (2012). Experience: Data Analyst, Northwind Ltd, 2013 - 2018.",
)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process, timeout_s: float = 240.0) -> None:
    import time

    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout_s} s")


@contextmanager
def _process(args, env=None, cwd=None):
    import subprocess

    process = subprocess.Popen(
        args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _spans(results) -> list[list[tuple]]:
    return [
        [(e["start"], e["end"], e["label"], e["text"]) for e in row["entities"]] for row in results
    ]


def _load_champion(tracking_uri: str, monkeypatch):
    """``mlflow.pyfunc.load_model("models:/resume-ner@champion")`` in the store at
    ``tracking_uri`` (MLflow resolves ``models:/`` through its process-wide tracking URI)."""
    import mlflow.pyfunc
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri

    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    with _use_tracking_uri(tracking_uri):
        return mlflow.pyfunc.load_model("models:/resume-ner@champion")


def test_mlflow_serves_the_champion_with_the_entities_of_the_rest_api(piped, tmp_path, monkeypatch):
    import os
    import sys

    import httpx

    from resume_ner.config.serve import ServeConfig
    from resume_ner.serve.app import create_app
    from resume_ner.serve.server import BackgroundServer
    from resume_ner.serve.source import ModelSource, load_served_model

    project, _ = piped
    tracking_uri = f"sqlite:///{project.root / 'mlruns' / 'mlflow.db'}"
    served = load_served_model(
        ModelSource(model_name="resume-ner", alias="champion"),
        client=project.client,
        cache_dir=tmp_path / "cache",
    )
    with BackgroundServer(create_app(served, ServeConfig())) as server:
        rest = httpx.post(f"{server.url}/v1/extract/batch", json={"texts": list(TEXTS)}).json()
    expected = _spans(rest["results"])
    assert any(expected), "the tiny model finds entities in these texts"

    import pandas as pd
    from mlflow.types import DataType

    model = _load_champion(tracking_uri, monkeypatch)
    assert model.metadata.signature.inputs.input_types() == [DataType.string]
    assert model.metadata.signature.inputs.input_names() == ["text"]
    assert model.metadata.signature.outputs.input_names() == ["entities"]
    assert model.metadata.saved_input_example_info is not None
    assert _spans(model.predict(pd.DataFrame({"text": list(TEXTS)}))) == expected

    port = _free_port()
    mlflow_cli = [sys.executable, "-m", "mlflow", "models", "serve"]
    args = ["-m", "models:/resume-ner@champion", "--env-manager", "local"]
    # MLflow starts uvicorn by name: the interpreter's bin folder goes first on PATH, as in an
    # activated environment.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "PATH": path}
    with _process([*mlflow_cli, *args, "-h", "127.0.0.1", "-p", str(port)], env) as process:
        _wait_for(f"http://127.0.0.1:{port}/ping", process)
        records = [{"text": text} for text in TEXTS]
        answers = [
            httpx.post(f"http://127.0.0.1:{port}/invocations", json=body, timeout=60)
            for body in (
                {"dataframe_records": records},
                {"inputs": {"text": list(TEXTS)}},
                {"dataframe_split": {"columns": ["text"], "data": [[text] for text in TEXTS]}},
            )
        ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert _spans(answer.json()["predictions"]) == expected


def _serving_doc_commands() -> tuple[str, str]:
    """The ``mlflow models serve`` command and the ``curl`` that asks it, from the first bash
    block of docs/serving.md that serves the registered model with MLflow."""
    doc = (Path(__file__).parents[2] / "docs" / "serving.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", doc, flags=re.DOTALL)
    block = next(b for b in blocks if "mlflow models serve -m models:/" in b)
    lines = block.replace("\\\n", " ").splitlines()
    commands = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    serve = next(c for c in commands if "mlflow models serve" in c)
    ask = next(c for c in commands if c.startswith("curl"))
    return serve, ask


def test_the_serving_docs_mlflow_commands_work_as_written(piped, tmp_path):
    """Run from the project folder with its environment at ``.venv``, as after scripts/run.sh;
    only the port is changed."""
    project, _ = piped
    serve, ask = _serving_doc_commands()
    port = str(_free_port())
    venv = project.root / ".venv"
    venv.symlink_to(Path(sys.prefix), target_is_directory=True)
    try:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        # exec env: the server is this process, so that stopping it stops the server.
        command = ["bash", "-c", "exec env " + serve.replace("5001", port)]
        with _process(command, env, cwd=project.root) as process:
            _wait_for(f"http://127.0.0.1:{port}/ping", process)
            answer = subprocess.run(
                ["bash", "-c", ask.replace("5001", port)],
                capture_output=True,
                text=True,
                timeout=120,
            )
    finally:
        venv.unlink()
    predictions = json.loads(answer.stdout)["predictions"]
    assert len(predictions) == 1 and isinstance(predictions[0]["entities"], list)


def test_a_copied_project_keeps_working_after_the_original_is_deleted(piped, tmp_path, monkeypatch):
    import shutil
    import sqlite3
    import sys

    import httpx
    import pandas as pd

    project, _ = piped
    copy_root = tmp_path / "copied"
    shutil.copytree(project.root, copy_root)
    shutil.rmtree(copy_root / "outputs" / "cache" / "serve", ignore_errors=True)
    # The original folder is gone while the copy is used (put back after, for the other tests).
    gone = project.root.with_name(project.root.name + "-gone")
    project.root.rename(gone)
    try:
        copy = PipelineProject(copy_root, copy_root / "config")
        code, output = copy.cli("runs", "lineage", "champion")
        assert code == 0, output
        assert "conversion -> final_training -> hpo_refit -> hpo_trial -> hpo_sweep" in output

        with sqlite3.connect(copy_root / "mlruns" / "mlflow.db") as db:
            locations = [row[0] for row in db.execute("SELECT artifact_uri FROM runs")]
            locations += [row[0] for row in db.execute("SELECT source FROM model_versions")]
        assert locations and all(str(copy_root) in location for location in locations)

        port = _free_port()
        cli = [str(Path(sys.executable).parent / "resume-ner"), "--root", str(copy_root)]
        serve = [*cli, "--config-dir", str(copy.config_dir), "serve", "--port", str(port)]
        with _process(serve) as process:
            _wait_for(f"http://127.0.0.1:{port}/health", process)
            answer = httpx.post(f"http://127.0.0.1:{port}/v1/extract", json={"text": TEXTS[0]})
            model = httpx.get(f"http://127.0.0.1:{port}/v1/model").json()
        assert answer.status_code == 200, answer.text
        assert model["alias"] == "champion"

        tracking_uri = f"sqlite:///{copy_root / 'mlruns' / 'mlflow.db'}"
        predicted = _load_champion(tracking_uri, monkeypatch).predict(
            pd.DataFrame({"text": [TEXTS[0]]})
        )
        assert _spans(predicted) == _spans([answer.json()])

        assert _places_naming(copy_root, str(project.root)) == []
        assert _places_naming(copy_root, sys.prefix) == []  # the environment's stack traces
    finally:
        gone.rename(project.root)


def _places_naming(root: Path, folder: str) -> list[str]:
    """Every file under ``root`` whose bytes hold ``folder``, every row of the MLflow store
    (its SQL dump) that does, and every ONNX node whose metadata or doc string does."""
    import sqlite3

    import onnx

    needle = folder.encode()
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        if needle in path.read_bytes():
            found.append(str(path.relative_to(root)))
        if path.suffix == ".onnx":
            graph = onnx.load(str(path)).graph
            found += [
                f"{path.relative_to(root)}: node {node.name}"
                for node in graph.node
                if folder in node.doc_string
                or any(folder in prop.value for prop in node.metadata_props)
            ]
    with sqlite3.connect(root / "mlruns" / "mlflow.db") as db:
        found += [row for row in db.iterdump() if folder in row]
    return found


@pytest.fixture(scope="module")
def mlflow_ui_url(piped, tmp_path_factory):
    """``mlflow server`` over the pipeline's store (starting it takes 9-13 s)."""
    from mlflow_ui import CHROMIUM, mlflow_ui

    assert CHROMIUM.exists(), "Chromium is missing: scripts/test.sh installs it (apt chromium)"
    project, _ = piped
    store = f"sqlite:///{project.root / 'mlruns' / 'mlflow.db'}"
    with mlflow_ui(store, tmp_path_factory.mktemp("mlflow-ui")) as url:
        yield url


def test_mlflow_ui_shows_the_trials_by_distinct_names(piped, mlflow_ui_url, tmp_path):
    from mlflow_ui import EXPAND_CHILDREN, VISIBLE_NAMES_JS, chromium_page

    project, _ = piped
    sweep = _run_of(project, "hpo_sweep")
    trials = {r.info.run_name for r in project.runs() if r.data.tags[STAGE] == "hpo_trial"}

    with chromium_page(tmp_path / "chromium") as page:
        page.goto(
            f"{mlflow_ui_url}/#/experiments/{sweep.info.experiment_id}"
            "?workflowType=machine_learning"
        )
        page.get_by_text(sweep.info.run_name[:8]).first.wait_for(timeout=120_000)
        page.locator(EXPAND_CHILDREN).first.click()
        page.get_by_text(sorted(trials)[0][:3]).first.wait_for(timeout=60_000)
        page.screenshot(path=tmp_path / "runs-table.png")
        names = page.evaluate(VISIBLE_NAMES_JS)

    shown = {full: visible for full, visible in names if full in trials}
    assert set(shown) == trials
    assert len(set(shown.values())) == len(trials), shown  # told apart in the default width
    assert all(visible.startswith(full[:3]) for full, visible in shown.items())
    assert (tmp_path / "runs-table.png").stat().st_size > 0


def test_mlflow_ui_shows_the_experiment_and_model_descriptions(piped, mlflow_ui_url, tmp_path):
    from mlflow_ui import chromium_page

    project, _ = piped
    sweep = _run_of(project, "hpo_sweep")

    with chromium_page(tmp_path / "chromium") as page:
        page.goto(
            f"{mlflow_ui_url}/#/experiments/{sweep.info.experiment_id}"
            "?workflowType=machine_learning"
        )
        description = page.get_by_text("Runs of the resume NER project").first
        description.wait_for(timeout=120_000)
        experiment_text = description.inner_text()
        page.goto(f"{mlflow_ui_url}/#/models/resume-ner?workflowType=machine_learning")
        model = page.get_by_text("Named-entity recognition for resumes").first
        model.wait_for(timeout=120_000)
        page.screenshot(path=tmp_path / "model.png")

    assert "hpo_trial" in experiment_text and "hpo_trial_fold" in experiment_text


#: A run of each training stage and a metric its epochs log (final training and the refit have
#: no validation split, so they draw their training loss).
CURVES = [
    ("hpo_trial", "val_macro_f1"),
    ("hpo_trial_fold", "val_macro_f1"),
    ("hpo_refit", "train_loss"),
    ("final_training", "train_loss"),
]


def test_mlflow_ui_draws_per_epoch_curves_of_every_training_run(piped, mlflow_ui_url, tmp_path):
    from mlflow_ui import chromium_page, show_metric_chart

    project, _ = piped
    charts = {}

    with chromium_page(tmp_path / "chromium") as page:
        for stage, metric in [*CURVES, ("hpo_trial", "macro_f1_std")]:
            run = _run_of(project, stage)
            charts[stage, metric] = show_metric_chart(
                page, mlflow_ui_url, run.info.experiment_id, run.info.run_id, metric
            )
            page.screenshot(path=tmp_path / f"{stage}-{metric}.png")

    # A line over the steps (epochs 1 and 2), not a single-value bar ...
    for stage, metric in CURVES:
        assert charts[stage, metric] == {"points": 2, "bars": 0, "x": ["Step"]}, (stage, charts)
    # ... as a metric logged once (the std of the folds' final scores) is drawn.
    assert charts["hpo_trial", "macro_f1_std"]["bars"] > 0
    assert charts["hpo_trial", "macro_f1_std"]["points"] == 0
