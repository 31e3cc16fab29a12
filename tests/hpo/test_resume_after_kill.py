"""A sweep process killed with SIGKILL mid-trial, then the same command again."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from hpo_helpers import cli_command, kill, runs_by_stage, write_config_dir
from mlflow.tracking import MlflowClient

from resume_ner.config.paths import ProjectPaths
from resume_ner.config.project import ProjectConfig
from resume_ner.config.tags import load_tags_config
from resume_ner.hpo.configs import SweepConfigs
from resume_ner.hpo.storage import open_storage, storage_url
from resume_ner.hpo.study import count_trials, load_existing_study
from resume_ner.naming.tags import TagsRegistry

#: Long enough for the interpreter, torch and two trials of the tiny model on a busy machine.
WAIT_FOR_TRIAL_2_S = 240.0


def _fold_of_trial_2_exists(client, registry) -> bool:
    experiment = client.get_experiment_by_name("resume-ner-hpo")
    if experiment is None:
        return False
    stage = registry.key("process", "stage")
    number = registry.key("hpo", "trial_number")
    found = client.search_runs(
        [experiment.experiment_id],
        f"tags.`{stage}` = 'hpo_trial_fold' AND tags.`{number}` = '2'",
        max_results=1,
    )
    return bool(found)


def test_a_sweep_killed_mid_trial_resumes_to_exactly_the_target_without_duplicates(
    tmp_path: Path, template_mlflow_db: Path
):
    root = tmp_path / "project"
    (root / "mlruns").mkdir(parents=True)
    shutil.copyfile(template_mlflow_db, root / "mlruns" / "mlflow.db")
    config_dir = write_config_dir(tmp_path / "config")
    args = cli_command("--root", str(root), "--config-dir", str(config_dir), "hpo")
    registry = TagsRegistry(load_tags_config())
    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlruns' / 'mlflow.db'}")

    log = (tmp_path / "first.log").open("wb")
    first = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + WAIT_FOR_TRIAL_2_S
    try:
        while not _fold_of_trial_2_exists(client, registry):
            assert first.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "trial 2 never started"
            time.sleep(0.1)
    finally:
        kill(first.pid)
        first.wait()
        log.close()

    second = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]

    configs = SweepConfigs.from_project(ProjectConfig.load(config_dir))
    storage = open_storage(storage_url(configs.hpo, ProjectPaths.at(root)), configs.hpo)
    [summary] = storage.get_all_studies()
    counts = count_trials(load_existing_study(storage, summary.study_name))
    assert counts.finished == 4 and counts.running == 0 and counts.failed == 1

    experiment = client.get_experiment_by_name("resume-ner-hpo")
    runs = runs_by_stage(client, [experiment.experiment_id], registry)
    everything = [run for group in runs.values() for run in group]
    assert len(runs["hpo_sweep"]) == 1
    assert runs["hpo_sweep"][0].info.status == "FINISHED"
    assert not [run for run in everything if run.info.status == "RUNNING"]
    names = [run.info.run_name for run in everything]
    assert len(names) == len(set(names))
    interrupted_key = registry.key("process", "interrupted")
    killed = [run for run in everything if run.info.status == "KILLED"]
    stages = [run.data.tags[registry.key("process", "stage")] for run in killed]
    # The trial that was running, and its fold unless the kill fell between two folds.
    assert stages.count("hpo_trial") == 1 and set(stages) <= {"hpo_trial", "hpo_trial_fold"}
    assert all(run.data.tags.get(interrupted_key) == "true" for run in killed)
    finished_trials = [r for r in runs["hpo_trial"] if r.info.status == "FINISHED"]
    assert len(finished_trials) == 4 and len(runs["hpo_refit"]) == 1
    assert "resumed" in second.stdout
