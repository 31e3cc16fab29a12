"""The resume-ner command: exit codes, bad configuration, and the tracking commands end to end."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from resume_ner.cli.app import EXIT_BAD_INPUT, run


def _run_in_subprocess(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resume_ner", "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_help_lists_the_commands(capsys):
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("init", "data", "runs", "index", "demo"):
        assert command in out


def test_unknown_option_is_a_usage_error_with_exit_code_2():
    assert run(["runs", "ls", "--no-such-option"]) == EXIT_BAD_INPUT


def test_init_writes_the_default_configs_once(tmp_path: Path, capsys):
    assert run(["--root", str(tmp_path), "init"]) == 0
    assert {p.name for p in (tmp_path / "config").iterdir()} >= {
        "mlflow.yaml",
        "naming.yaml",
        "tags.yaml",
    }
    assert run(["--root", str(tmp_path), "init"]) == 0
    assert "already holds every config file" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    ("file_name", "content", "key"),
    [
        ("mlflow.yaml", "index:\n  max_entries: -5\n", "index.max_entries"),
        ("naming.yaml", "hash_length: eight\n", "hash_length"),
        ("tags.yaml", "process:\n  stage: 'bad key!'\n", None),
        ("mlflow.yaml", "naming: [unclosed\n", None),
    ],
)
def test_malformed_config_gives_one_clear_error_exit_2_and_creates_nothing(
    tmp_path: Path, file_name, content, key
):
    config = tmp_path / "config"
    config.mkdir()
    (config / file_name).write_text(content)
    result = _run_in_subprocess(tmp_path, "demo")
    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    assert str(config / file_name) in " ".join(result.stderr.split())
    if key:
        assert key in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"], "nothing else may be created"


def test_demo_records_a_run_tree_and_runs_commands_find_it(tmp_path: Path):
    demo = _run_in_subprocess(tmp_path, "demo", "--trials", "2", "--folds", "2")
    assert demo.returncode == 0, demo.stderr
    assert "refit t" in demo.stdout
    assert demo.stdout.count("/fold") == 4

    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("resume-ner-hpo")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1 + 2 + 4 + 1
    sweep = next(r for r in runs if r.data.tags["code.stage"] == "hpo_sweep")

    found = _run_in_subprocess(
        tmp_path, "runs", "find", "--run-key-hash", sweep.data.tags["code.run_key_hash"], "--json"
    )
    assert found.returncode == 0, found.stderr
    report = json.loads(found.stdout)
    assert report["run_id"] == sweep.info.run_id
    assert report["strategy_used"] == "local_index"

    by_fields = _run_in_subprocess(
        tmp_path, "runs", "find", "--stage", "hpo_sweep", "--model", "demo",
        "--study-key-hash", sweep.data.tags["code.study_key_hash"], "--json",
    )  # fmt: skip
    assert json.loads(by_fields.stdout)["run_id"] == sweep.info.run_id


def test_runs_find_answers_from_the_index_without_importing_mlflow(tmp_path: Path):
    assert _run_in_subprocess(tmp_path, "demo", "--trials", "1", "--folds", "1").returncode == 0
    from resume_ner.config.mlflow import load_mlflow_config
    from resume_ner.config.paths import ProjectPaths
    from resume_ner.tracking.index.backends import open_index_backend

    entry = open_index_backend(
        load_mlflow_config().index, ProjectPaths.at(tmp_path)
    ).list_entries()[0]
    code = (
        "import sys; from resume_ner.cli.app import run;"
        f"code = run(['--root', {str(tmp_path)!r}, 'runs', 'find', '--run-key-hash', {entry.run_key_hash!r}, '--json']);"
        "print('MLFLOW-IMPORTED' if 'mlflow' in sys.modules else 'NO-MLFLOW', code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip().endswith("NO-MLFLOW 0"), result.stdout + result.stderr
    assert entry.run_id in result.stdout


def test_runs_find_without_any_key_is_bad_input():
    assert run(["runs", "find"]) == EXIT_BAD_INPUT


def test_index_rebuild_refills_an_emptied_index(tmp_path: Path):
    assert _run_in_subprocess(tmp_path, "demo", "--trials", "1", "--folds", "1").returncode == 0
    index_file = tmp_path / "mlruns" / "index.db"
    with sqlite3.connect(index_file) as db:
        db.execute("DELETE FROM resume_ner_run_keys")
    rebuilt = _run_in_subprocess(tmp_path, "index", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "indexed 4 runs" in rebuilt.stdout
    with sqlite3.connect(index_file) as db:
        assert db.execute("SELECT count(*) FROM resume_ner_run_keys").fetchone()[0] == 4
