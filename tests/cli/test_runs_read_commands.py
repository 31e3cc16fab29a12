"""The read commands (``runs ls/tree/lineage/find``, ``--help``) never import MLflow, on an SQLite
store and through a tracking server, and the run index they use survives a move of the project, a
damaged or deleted file, and a lost entry.

Each command runs in a fresh process, as a user runs it, on a demo sweep whose refit is
registered as the ``champion`` of ``resume-ner``; the server is an ``mlflow server`` on the same
store.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from postgres_server import MlflowServer

#: Runs the CLI with ``sys.argv[1:]`` and says on its last line whether MLflow was imported.
CLI_THEN_MODULES = (
    "import sys\n"
    "from resume_ner.cli.app import run\n"
    "code = run(sys.argv[1:])\n"
    "print('MLFLOW-IMPORTED' if 'mlflow' in sys.modules else 'NO-MLFLOW', code)\n"
)
HASH_TAG = "code.run_key_hash"


def _cli(root: Path, *args: str) -> tuple[int, bool, str, str]:
    """Exit code, whether MLflow was imported, stdout (without the marker line), stderr."""
    result = subprocess.run(
        [sys.executable, "-c", CLI_THEN_MODULES, "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    *output, marker = result.stdout.rstrip("\n").split("\n")
    imported, code = marker.split()
    return int(code), imported == "MLFLOW-IMPORTED", "\n".join(output), result.stderr


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory) -> Path:
    """A demo sweep (2 trials x 2 folds, refit) with the refit registered as the champion."""
    root = tmp_path_factory.mktemp("read-demo")
    demo = subprocess.run(
        [sys.executable, "-m", "resume_ner", "--root", str(root), "demo", "--trials", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("resume-ner-hpo").experiment_id
    (refit,) = client.search_runs([experiment], "tags.`code.stage` = 'hpo_refit'")
    client.create_registered_model("resume-ner")
    version = client.create_model_version(
        "resume-ner", f"runs:/{refit.info.run_id}/model", run_id=refit.info.run_id
    )
    client.set_registered_model_alias("resume-ner", "champion", version.version)
    return root


@pytest.fixture(scope="module")
def demo_server(demo_project: Path, tmp_path_factory) -> str:
    """An ``mlflow server`` on the demo project's store; its URL."""
    server = MlflowServer(
        tmp_path_factory.mktemp("read-server"),
        f"sqlite:///{demo_project / 'mlruns' / 'mlflow.db'}",
    )
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def copied_project(demo_project: Path, tmp_path: Path) -> Path:
    """A copy of the demo project this test may change."""
    copy = tmp_path / "copy"
    shutil.copytree(demo_project, copy)
    return copy


def _sweep_hash(root: Path) -> tuple[str, str]:
    """The run-key hash and run id of the demo's sweep, read from the store."""
    with sqlite3.connect(root / "mlruns" / "mlflow.db") as db:
        return db.execute(
            "SELECT t.value, r.run_uuid FROM runs r JOIN tags t ON t.run_uuid = r.run_uuid "
            "JOIN tags s ON s.run_uuid = r.run_uuid "
            f"WHERE t.key = '{HASH_TAG}' AND s.key = 'code.stage' AND s.value = 'hpo_sweep'"
        ).fetchone()


def _find(root: Path, run_key_hash: str) -> tuple[dict, bool, str]:
    code, imported, out, err = _cli(root, "runs", "find", "--run-key-hash", run_key_hash, "--json")
    assert code == 0, err
    return json.loads(out), imported, err


@pytest.mark.parametrize(
    "args",
    [
        ("runs", "ls"),
        ("runs", "tree"),
        ("runs", "lineage", "champion"),
        ("--help",),
        ("runs", "--help"),
    ],
    ids=["ls", "tree", "lineage", "help", "runs-help"],
)
def test_a_read_command_answers_without_importing_mlflow(demo_project: Path, args):
    code, imported, out, err = _cli(demo_project, *args)
    assert code == 0, err
    assert out.strip()
    assert not imported


def test_runs_find_from_the_index_does_not_import_mlflow(demo_project: Path):
    run_key_hash, sweep_id = _sweep_hash(demo_project)
    report, imported, _ = _find(demo_project, run_key_hash)
    assert (report["run_id"], report["strategy_used"]) == (sweep_id, "local_index")
    assert not imported


def test_runs_ls_reads_names_stages_and_status_from_the_store(demo_project: Path):
    code, _, out, err = _cli(demo_project, "runs", "ls", "--stage", "hpo_sweep", "--json")
    assert code == 0, err
    (sweep,) = json.loads(out)
    assert (sweep["stage"], sweep["status"], sweep["experiment"]) == (
        "hpo_sweep",
        "FINISHED",
        "resume-ner-hpo",
    )


def test_runs_lineage_follows_the_champion_back_to_its_sweep(demo_project: Path):
    code, _, out, err = _cli(demo_project, "runs", "lineage", "champion", "--json")
    assert code == 0, err
    links = json.loads(out)["links"]
    assert [link["stage"] for link in links] == ["hpo_refit", "hpo_trial", "hpo_sweep"]
    assert "alias champion of registered model resume-ner" in links[0]["found_by"]


def test_runs_lineage_of_an_unknown_alias_is_bad_input(demo_project: Path):
    code, _, _, err = _cli(demo_project, "runs", "lineage", "resume-ner@nobody")
    assert code == 2
    assert "no alias 'nobody'" in err


def test_a_moved_project_answers_runs_find_from_its_index(copied_project: Path, tmp_path: Path):
    moved = tmp_path / "moved"
    shutil.copytree(copied_project, moved)
    shutil.rmtree(copied_project)
    run_key_hash, sweep_id = _sweep_hash(moved)

    report, _, _ = _find(moved, run_key_hash)

    assert (report["run_id"], report["strategy_used"]) == (sweep_id, "local_index")
    assert report["tracking_uri"] == f"sqlite:///{moved / 'mlruns' / 'mlflow.db'}"


def test_the_first_read_command_after_a_move_points_the_artifacts_at_the_new_folder(
    copied_project: Path, tmp_path: Path
):
    moved = tmp_path / "moved"
    shutil.copytree(copied_project, moved)
    shutil.rmtree(copied_project)

    first = _cli(moved, "runs", "ls")
    second = _cli(moved, "runs", "ls")

    assert first[0] == second[0] == 0
    with sqlite3.connect(moved / "mlruns" / "mlflow.db") as db:
        locations = [row[0] for row in db.execute("SELECT artifact_uri FROM runs")]
    assert locations and all(str(moved) in location for location in locations)
    assert not second[1], "once moved, the read commands import MLflow no more"


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:1500])


def _garble(path: Path) -> None:
    path.write_bytes(b"not a database at all " * 200)


@pytest.mark.parametrize(
    ("damage", "set_aside"),
    [(_truncate, True), (_garble, True), (Path.unlink, False)],
    ids=["truncated", "garbage", "deleted"],
)
def test_a_damaged_index_is_set_aside_and_rebuilt_by_the_next_command(
    copied_project: Path, damage, set_aside: bool
):
    index_file = copied_project / "mlruns" / "index.db"
    damage(index_file)
    run_key_hash, sweep_id = _sweep_hash(copied_project)

    report, _, err = _find(copied_project, run_key_hash)

    assert (report["run_id"], report["strategy_used"]) == (sweep_id, "local_index")
    assert "rebuilt it from" in err
    assert bool(list(index_file.parent.glob("index.db.damaged-*"))) == set_aside
    again, imported, _ = _find(copied_project, run_key_hash)
    assert again["strategy_used"] == "local_index"
    assert not imported


def test_a_run_found_by_its_tags_is_written_back_to_the_index(copied_project: Path):
    run_key_hash, sweep_id = _sweep_hash(copied_project)
    with sqlite3.connect(copied_project / "mlruns" / "index.db") as db:
        db.execute("DELETE FROM resume_ner_run_keys WHERE run_key_hash = ?", (run_key_hash,))

    first, _, _ = _find(copied_project, run_key_hash)
    second, imported, _ = _find(copied_project, run_key_hash)

    assert (first["run_id"], first["strategy_used"]) == (sweep_id, "tag_run_key_hash")
    assert (second["run_id"], second["strategy_used"]) == (sweep_id, "local_index")
    assert not imported


@pytest.mark.parametrize(
    "args",
    [("runs", "ls"), ("runs", "tree"), ("runs", "lineage", "champion")],
    ids=["ls", "tree", "lineage"],
)
def test_a_read_command_through_a_server_answers_without_importing_mlflow(
    demo_project: Path, demo_server: str, args
):
    code, imported, out, err = _cli(demo_project, *args, "--json", "--tracking-uri", demo_server)
    assert code == 0, err
    assert json.loads(out)
    assert not imported


def test_runs_find_through_a_server_answers_from_the_index_without_mlflow(
    demo_project: Path, demo_server: str
):
    run_key_hash, sweep_id = _sweep_hash(demo_project)
    code, imported, out, err = _cli(
        demo_project, "runs", "find", "--run-key-hash", run_key_hash, "--json",
        "--tracking-uri", demo_server,
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert (report["run_id"], report["strategy_used"]) == (sweep_id, "local_index")
    assert report["url"].startswith(demo_server)
    assert not imported


def test_runs_lineage_through_a_server_matches_the_sqlite_store(
    demo_project: Path, demo_server: str
):
    through_server = _cli(
        demo_project, "runs", "lineage", "champion", "--json", "--tracking-uri", demo_server
    )
    direct = _cli(demo_project, "runs", "lineage", "champion", "--json")
    assert json.loads(through_server[2]) == json.loads(direct[2])
