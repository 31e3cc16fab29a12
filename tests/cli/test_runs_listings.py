"""``runs tree`` and ``runs ls`` on a demo sweep: objectives, why a run stopped, JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from resume_ner.cli.app import run


def _cli(root: Path, *args: str) -> tuple[int, str]:
    from resume_ner.cli import console as console_module

    buffer = io.StringIO()
    console_module.console.file = buffer
    try:
        code = run(["--root", str(root), *args])
    finally:
        console_module.console.file = None
    return code, buffer.getvalue()


#: What the objective writes when the median pruner stops a trial (134 characters).
PRUNED_NOTE = (
    "pruned: trial 1 at step 1 (fold 0, epoch 2): val_macro_f1 0.4100 is below the median "
    "0.5733 of 3 completed trials at that step"
)


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory) -> Path:
    """A demo sweep (3 trials x 2 folds) whose trial 1 was pruned."""
    root = tmp_path_factory.mktemp("demo")
    assert _cli(root, "demo", "--trials", "3", "--folds", "2")[0] == 0
    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("resume-ner-hpo").experiment_id
    (trial,) = client.search_runs(
        [experiment], "tags.`code.stage` = 'hpo_trial' and attributes.run_name LIKE 't01 %'"
    )
    client.set_tag(trial.info.run_id, "code.status_note", PRUNED_NOTE)
    client.set_terminated(trial.info.run_id, "KILLED")
    return root


def test_tree_shows_each_trials_objective_and_why_a_killed_run_stopped(demo_root, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")

    code, output = _cli(demo_root, "runs", "tree")

    assert code == 0, output
    lines = output.splitlines()
    killed = next(i for i, line in enumerate(lines) if "t01 · demo" in line and "KILLED" in line)
    assert lines[killed + 1].strip(" │").startswith("pruned: trial 1 at step 1")
    assert " ".join(line.strip(" │") for line in lines[killed + 1 : killed + 3]) == PRUNED_NOTE
    header = next(line for line in lines if line.startswith("run "))
    assert "macro_f1" in header
    t00 = next(line for line in lines if "t00 · demo" in line)
    assert "0.8" in t00  # the demo's objective of trial 0
    assert all(len(line) <= 80 for line in lines)


LISTINGS = [("runs", "tree"), ("runs", "ls"), ("runs", "ls", "--stage", "hpo_trial")]


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("command", LISTINGS, ids=" ".join)
def test_every_line_of_a_listing_fits_the_width(demo_root, monkeypatch, command, width):
    monkeypatch.setenv("COLUMNS", str(width))

    code, output = _cli(demo_root, *command)

    assert code == 0, output
    assert all(len(line) <= width for line in output.splitlines()), output


def test_tree_json_carries_objectives_and_notes(demo_root):
    code, output = _cli(demo_root, "runs", "tree", "--json")

    assert code == 0
    (group,) = [g for g in json.loads(output) if g["experiment"] == "resume-ner-hpo"]
    (sweep,) = group["runs"]
    trials = {
        c["run_name"].split(" ")[0]: c for c in sweep["children"] if c["stage"] == "hpo_trial"
    }
    assert sweep["objective"] is not None
    assert trials["t00"]["objective"] == pytest.approx(0.8, abs=0.1)
    assert trials["t01"]["status"] == "KILLED"
    assert trials["t01"]["note"].startswith("pruned:")
    assert len(trials["t00"]["children"]) == 2


def test_ls_filters_by_stage_and_status_and_prints_json(demo_root):
    code, output = _cli(
        demo_root, "runs", "ls", "--stage", "hpo_trial", "--status", "killed", "--json"
    )

    assert code == 0
    (killed,) = json.loads(output)
    assert killed["run_name"].startswith("t01 · demo")
    assert killed["stage"] == "hpo_trial" and len(killed["run_id"]) == 32


def test_an_unknown_status_is_bad_input(demo_root):
    assert _cli(demo_root, "runs", "ls", "--status", "DONE")[0] == 2


def test_find_links_the_run_on_the_model_training_view_at_the_configured_ui(demo_root, tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "mlflow.yaml").write_text("ui_url: http://127.0.0.1:8765\n", encoding="utf-8")
    client = MlflowClient(tracking_uri=f"sqlite:///{demo_root / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("resume-ner-hpo").experiment_id
    run_id = client.search_runs([experiment], max_results=1)[0].info.run_id

    code, output = _cli(
        demo_root, "--config-dir", str(config_dir), "runs", "find", "--run-id", run_id, "--json"
    )

    assert code == 0, output
    assert json.loads(output)["url"] == (
        f"http://127.0.0.1:8765/#/experiments/{experiment}/runs/{run_id}"
        "?workflowType=machine_learning"
    )


def test_find_prints_the_run_link_whole_beside_a_report_that_fits_80_columns(
    demo_root, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "80")
    client = MlflowClient(tracking_uri=f"sqlite:///{demo_root / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("resume-ner-hpo").experiment_id
    run_id = client.search_runs([experiment], max_results=1)[0].info.run_id

    code, output = _cli(demo_root, "runs", "find", "--run-id", run_id)

    assert code == 0, output
    *report, link = output.splitlines()
    assert link.split() == [
        "url",
        f"http://127.0.0.1:5000/#/experiments/{experiment}/runs/{run_id}"
        "?workflowType=machine_learning",
    ]
    assert all(len(line) <= 80 for line in report)


def test_tree_shows_the_newest_runs_up_to_its_limit_and_says_older_ones_were_left_out(demo_root):
    code, output = _cli(demo_root, "runs", "tree", "--limit", "3", "--json")
    assert code == 0
    (group,) = [g for g in json.loads(output) if g["experiment"] == "resume-ner-hpo"]
    assert group["older_runs_left_out"] is True

    def count(nodes: list[dict]) -> int:
        return sum(1 + count(node["children"]) for node in nodes)

    assert count(group["runs"]) == 3

    code, output = _cli(demo_root, "runs", "tree", "--limit", "3")
    assert "the newest 3 runs; --limit 0 shows every run" in output

    code, output = _cli(demo_root, "runs", "tree", "--limit", "0", "--json")
    (group,) = [g for g in json.loads(output) if g["experiment"] == "resume-ner-hpo"]
    assert group["older_runs_left_out"] is False
    (sweep,) = group["runs"]
    assert len([c for c in sweep["children"] if c["stage"] == "hpo_trial"]) == 3
