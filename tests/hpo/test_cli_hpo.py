"""``resume-ner hpo`` end to end with real training of the tiny model on a real MLflow store."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hpo_helpers import runs_by_stage, write_config_dir
from mlflow.tracking import MlflowClient

from resume_ner.config.tags import load_tags_config
from resume_ner.naming.tags import TagsRegistry

STAGE_COUNTS = {"hpo_sweep": 1, "hpo_trial": 4, "hpo_trial_fold": 12, "hpo_refit": 1}


@dataclass
class Project:
    root: Path
    config_dir: Path
    #: Run-writer threads the command left running (none: it closes its tracking session).
    writers_left: list = field(default_factory=list)

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.root / 'mlruns' / 'mlflow.db'}"

    def args(self, *extra: str) -> list[str]:
        return ["--root", str(self.root), "--config-dir", str(self.config_dir), "hpo", *extra]

    def runs(self) -> dict[str, list]:
        client = MlflowClient(tracking_uri=self.tracking_uri)
        experiment = client.get_experiment_by_name("resume-ner-hpo")
        return runs_by_stage(client, [experiment.experiment_id], TagsRegistry(load_tags_config()))


def _new_project(folder: Path, template_db: Path) -> Project:
    (folder / "mlruns").mkdir(parents=True)
    shutil.copyfile(template_db, folder / "mlruns" / "mlflow.db")
    return Project(folder, write_config_dir(folder / "config"))


@pytest.fixture(scope="module")
def swept(tmp_path_factory, template_mlflow_db) -> tuple[Project, int, str]:
    """A project after one real ``resume-ner hpo`` (4 trials x 3 folds, 1 epoch, tiny model).

    Takes about 20-40 s on 2 cores, shared by the tests of this module.
    """
    from resume_ner.cli.app import run

    project = _new_project(tmp_path_factory.mktemp("swept"), template_mlflow_db)
    import io

    from resume_ner.cli import console as console_module

    buffer = io.StringIO()
    console_module.console.file = buffer
    before = set(_writer_threads())
    try:
        code = run(project.args())
    finally:
        console_module.console.file = None  # back to sys.stdout
    project.writers_left = [thread.name for thread in _writer_threads() if thread not in before]
    return project, code, buffer.getvalue()


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "resume-ner-run-writer" and t.is_alive()]


def test_hpo_makes_one_sweep_four_trials_twelve_folds_and_one_refit(swept):
    project, code, output = swept
    assert code == 0, output
    runs = project.runs()
    assert {stage: len(group) for stage, group in runs.items()} == STAGE_COUNTS
    assert all(run.info.status == "FINISHED" for group in runs.values() for run in group)
    assert "sweep complete: 4 of 4 trials finished" in output


def test_hpo_closes_its_tracking_session_so_no_run_writer_is_left_running(swept):
    project, code, _ = swept
    assert code == 0
    assert project.writers_left == []


def test_hpo_reports_each_trial_and_closes_with_a_table_and_the_sweep_url(swept):
    _, _, output = swept
    for number in range(4):
        assert f"trial {number} COMPLETE macro_f1=" in output
    assert "mean macro_f1" in output and "learning_rate=" in output
    assert "sweep run: http://127.0.0.1:5000/#/experiments/" in output


def test_the_run_tree_is_sweep_trial_fold_and_sweep_refit(swept):
    project, _, _ = swept
    registry = TagsRegistry(load_tags_config())
    parent_key = registry.key("mlflow", "parent_run_id")
    runs = project.runs()
    by_id = {run.info.run_id: run for group in runs.values() for run in group}
    stage_of = {
        run_id: run.data.tags[registry.key("process", "stage")] for run_id, run in by_id.items()
    }
    children: dict[str | None, list[str]] = {}
    for run_id, run in by_id.items():
        children.setdefault(run.data.tags.get(parent_key), []).append(run_id)

    def walk(run_id: str) -> dict:
        return {stage_of[run_id]: [walk(child) for child in sorted(children.get(run_id, []))]}

    [root] = children[None]
    tree = walk(root)
    assert stage_of[root] == "hpo_sweep"
    below_sweep = tree["hpo_sweep"]
    assert sorted(next(iter(node)) for node in below_sweep) == ["hpo_refit"] + ["hpo_trial"] * 4
    for node in below_sweep:
        if "hpo_trial" in node:
            assert node["hpo_trial"] == [{"hpo_trial_fold": []}] * 3
        else:
            assert node == {"hpo_refit": []}


def test_every_code_tag_key_comes_from_the_tag_registry(swept):
    project, _, _ = swept
    registered = {key for _, key in TagsRegistry(load_tags_config()).all_keys()}
    used = {
        key
        for group in project.runs().values()
        for run in group
        for key in run.data.tags
        if key.startswith("code.")
    }
    assert used and used <= registered, sorted(used - registered)


def test_running_it_again_creates_no_run_and_says_already_complete(swept, capsys):
    from resume_ner.cli.app import run

    project, _, _ = swept
    before = sorted(r.info.run_id for group in project.runs().values() for r in group)
    assert run(project.args()) == 0
    after = sorted(r.info.run_id for group in project.runs().values() for r in group)
    assert after == before
    assert "already complete" in capsys.readouterr().out


def test_plan_on_the_complete_sweep_says_reuse_and_creates_nothing(swept, capsys):
    from resume_ner.cli.app import run

    project, _, _ = swept
    before = sorted(r.info.run_id for group in project.runs().values() for r in group)
    assert run(project.args("--plan")) == 0
    output = capsys.readouterr().out
    assert "reuse" in output and "already complete" in output
    assert sorted(r.info.run_id for group in project.runs().values() for r in group) == before


def test_plan_on_a_new_project_lists_what_would_be_created_and_writes_nothing(tmp_path, capsys):
    from resume_ner.cli.app import run

    config_dir = write_config_dir(tmp_path / "config")
    root = tmp_path / "project"
    root.mkdir()
    assert run(["--root", str(root), "--config-dir", str(config_dir), "hpo", "--plan"]) == 0
    output = capsys.readouterr().out
    assert "create" in output and "run 4" in output and "nothing was run or created" in output
    assert list(root.iterdir()) == []


def test_a_bad_hpo_yaml_exits_2_naming_the_file_and_key_and_writes_nothing(tmp_path, capsys):
    from resume_ner.cli.app import run

    config_dir = write_config_dir(tmp_path / "config")
    (config_dir / "hpo.yaml").write_text("n_trials: many\n", encoding="utf-8")
    root = tmp_path / "project"
    root.mkdir()
    assert run(["--root", str(root), "--config-dir", str(config_dir), "hpo"]) == 2
    error = capsys.readouterr().err
    assert "hpo.yaml" in error and "n_trials" in error
    assert list(root.iterdir()) == []
