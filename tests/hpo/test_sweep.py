"""The sweep's mechanics with a stand-in trainer: run tree, resume, exact target, reuse, force."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from hpo_helpers import dead_pid, failing_trainer, formula_trainer, runs_by_stage, write_config_dir

from resume_ner.config.project import ProjectConfig
from resume_ner.hpo.configs import SweepConfigs
from resume_ner.hpo.storage import HOST_ATTR, PID_ATTR, open_storage, storage_url
from resume_ner.hpo.study import count_trials, load_existing_study, open_study
from resume_ner.hpo.sweep import run_sweep
from resume_ner.tracking.index.base import ProcessId


def _sweep(project, config_dir, **kwargs):
    tracking = project.tracking_context()
    configs = SweepConfigs.from_project(ProjectConfig.load(config_dir))
    kwargs.setdefault("trainer_factory", formula_trainer)
    return tracking, run_sweep(tracking, configs, **kwargs)


def _hpo_runs(project, tracking) -> dict[str, list]:
    experiment = tracking.client.get_experiment_by_name("resume-ner-hpo")
    return runs_by_stage(tracking.client, [experiment.experiment_id], project.registry)


def _study(project, config_dir, study_name):
    configs = SweepConfigs.from_project(ProjectConfig.load(config_dir))
    storage = open_storage(storage_url(configs.hpo, project.paths), configs.hpo)
    return load_existing_study(storage, study_name)


def test_sweep_nests_trials_and_folds_under_one_sweep_run_with_the_refit(project, config_dir):
    tracking, [outcome] = _sweep(project, config_dir)
    runs = _hpo_runs(project, tracking)
    assert {stage: len(found) for stage, found in runs.items()} == {
        "hpo_sweep": 1, "hpo_trial": 4, "hpo_trial_fold": 12, "hpo_refit": 1,
    }  # fmt: skip
    parent = project.registry.key("mlflow", "parent_run_id")
    sweep_id = runs["hpo_sweep"][0].info.run_id
    trial_ids = {run.info.run_id for run in runs["hpo_trial"]}
    assert all(run.data.tags[parent] == sweep_id for run in runs["hpo_trial"])
    assert all(run.data.tags[parent] in trial_ids for run in runs["hpo_trial_fold"])
    assert runs["hpo_refit"][0].data.tags[parent] == sweep_id
    assert outcome.status == "complete" and outcome.counts.finished == 4
    assert all(run.info.status == "FINISHED" for group in runs.values() for run in group)


def test_trial_runs_hold_fold_mean_and_std_and_the_optuna_trial_knows_its_run(project, config_dir):
    tracking, [outcome] = _sweep(project, config_dir)
    study = _study(project, config_dir, outcome.study_name)
    for trial in study.trials:
        run = tracking.client.get_run(trial.user_attrs["mlflow_run_id"])
        assert run.data.metrics["macro_f1"] == pytest.approx(trial.value)
        assert "macro_f1_std" in run.data.metrics
        assert run.data.params["learning_rate"] == str(trial.params["learning_rate"])


def test_the_study_names_its_objective_and_says_what_it_is_and_where_its_runs_are(
    project, config_dir
):
    tracking, [outcome] = _sweep(project, config_dir, n_trials=2)
    study = _study(project, config_dir, outcome.study_name)
    sweep_run = tracking.client.get_run(outcome.sweep_run_id)
    assert study.metric_names == ["macro_f1"]
    attrs = study.user_attrs
    assert attrs["backbone"] == "tiny"
    assert attrs["mlflow_experiment_id"] == sweep_run.info.experiment_id
    assert attrs["mlflow_sweep_run_id"] == outcome.sweep_run_id
    assert len(attrs["data_fingerprint"]) >= 16
    assert attrs["intermediate_step"].startswith("fold * epochs + epoch - 1")


def test_optuna_dashboard_lists_the_study_with_its_objective_name_and_attributes(
    project, config_dir
):
    import httpx
    from optuna_dashboard import wsgi

    _, [outcome] = _sweep(project, config_dir, n_trials=2)
    configs = SweepConfigs.from_project(ProjectConfig.load(config_dir))
    app = wsgi(storage_url(configs.hpo, project.paths))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://dash") as http:
        listed = http.get("/api/studies").json()["study_summaries"]
        [summary] = [s for s in listed if s["study_name"] == outcome.study_name]
        detail = http.get(f"/api/studies/{summary['study_id']}").json()
    attrs = {attr["key"]: attr["value"] for attr in summary["user_attrs"]}
    assert attrs["backbone"] == "tiny"
    assert attrs["mlflow_sweep_run_id"] == outcome.sweep_run_id
    assert {"mlflow_experiment_id", "data_fingerprint", "intermediate_step"} <= set(attrs)
    assert detail["objective_names"] == ["macro_f1"]


def test_a_trial_run_is_found_by_its_trial_id(project, config_dir):
    from resume_ner.tracking.finder import find_run_by_trial_id

    tracking, [outcome] = _sweep(project, config_dir, n_trials=2)
    experiment = tracking.client.get_experiment_by_name("resume-ner-hpo")
    report = find_run_by_trial_id(
        tracking.reader,
        f"{outcome.study_name}:1",
        registry=project.registry,
        experiment_ids=[experiment.experiment_id],
    )
    assert report.found and report.run_id == outcome.trials[1].run_id


def test_the_refit_run_draws_each_epochs_training_metrics_as_a_curve(project, tmp_path):
    config_dir = write_config_dir(tmp_path / "config", hpo={"epochs": 3, "n_trials": 2})
    tracking, [outcome] = _sweep(project, config_dir)

    history = tracking.client.get_metric_history(outcome.refit_run_id, "train_loss")

    assert [(m.step, m.value) for m in history] == [(1, 1.0), (2, 0.5), (3, pytest.approx(1 / 3))]
    assert "macro_f1" in tracking.client.get_run(outcome.refit_run_id).data.metrics


def test_refit_retrains_the_best_trial_and_points_at_its_run(project, config_dir):
    tracking, [outcome] = _sweep(project, config_dir)
    refit = tracking.client.get_run(outcome.refit_run_id)
    best = next(t for t in outcome.trials if t.number == outcome.best_trial_number)
    assert refit.data.tags[project.registry.key("refit", "of_trial_run_id")] == best.run_id
    assert refit.data.tags[project.registry.key("refit", "has_validation")] == "false"
    assert float(refit.data.params["learning_rate"]) == pytest.approx(best.params["learning_rate"])
    artifacts = {
        item.path for item in tracking.client.list_artifacts(refit.info.run_id, "checkpoint")
    }
    assert "checkpoint/checkpoint.tar.gz" in artifacts


def test_a_higher_target_runs_only_the_missing_trials_under_the_same_sweep_run(project, config_dir):
    tracking, [first] = _sweep(project, config_dir, n_trials=2)
    _, [second] = _sweep(project, config_dir, n_trials=4)
    runs = _hpo_runs(project, tracking)
    assert len(runs["hpo_sweep"]) == 1 and len(runs["hpo_trial"]) == 4
    assert second.sweep_run_id == first.sweep_run_id and second.resumed
    assert [t.number for t in second.trials] == [0, 1, 2, 3]
    sweep = tracking.client.get_run(second.sweep_run_id)
    assert sweep.info.status == "FINISHED"
    assert sweep.data.tags[project.registry.key("hpo", "resumed")] == "true"


def test_a_complete_sweep_run_again_creates_no_run_and_says_already_complete(project, config_dir):
    tracking, _ = _sweep(project, config_dir)
    before = sorted(r.info.run_id for group in _hpo_runs(project, tracking).values() for r in group)
    _, [again] = _sweep(project, config_dir)
    after = sorted(r.info.run_id for group in _hpo_runs(project, tracking).values() for r in group)
    assert again.status == "already complete"
    assert after == before


def test_force_starts_a_new_sweep_version_on_a_new_study_revision(project, config_dir):
    tracking, [first] = _sweep(project, config_dir, n_trials=2)
    _, [forced] = _sweep(project, config_dir, n_trials=2, force=True)
    sweeps = _hpo_runs(project, tracking)["hpo_sweep"]
    assert len(sweeps) == 2 and forced.sweep_run_id != first.sweep_run_id
    assert forced.study_name == f"{first.study_name}-r2"
    assert len({run.info.run_name for run in sweeps}) == 2
    # Without --force, the newest version (and its study revision) is the one that is found.
    _, [again] = _sweep(project, config_dir, n_trials=2)
    assert again.status == "already complete" and again.sweep_run_id == forced.sweep_run_id


def test_a_failing_trial_ends_its_fold_trial_and_sweep_runs_failed(project, config_dir):
    with pytest.raises(RuntimeError, match="broke on purpose"):
        _sweep(project, config_dir, trainer_factory=failing_trainer)
    runs = _hpo_runs(project, project.tracking_context())
    statuses = {stage: sorted(r.info.status for r in group) for stage, group in runs.items()}
    assert statuses["hpo_sweep"] == ["FAILED"]
    assert statuses["hpo_trial"] == ["FAILED"]
    assert statuses["hpo_trial_fold"] == ["FAILED", "FINISHED"]
    note = project.registry.key("process", "status_note")
    assert "broke on purpose" in runs["hpo_trial"][0].data.tags[note]


def test_a_trial_left_running_by_a_dead_process_is_failed_and_retried_with_its_params(
    project, config_dir
):
    _, [first] = _sweep(project, config_dir, n_trials=1)
    configs = SweepConfigs.from_project(ProjectConfig.load(config_dir))
    storage = open_storage(storage_url(configs.hpo, project.paths), configs.hpo)
    study = open_study(storage, first.study_name, configs.hpo)
    orphan = study.ask()
    params = {"learning_rate": orphan.suggest_float("learning_rate", 1e-3, 1e-2, log=True)}
    orphan.suggest_categorical("batch_size", [4, 8])
    orphan.set_user_attr(HOST_ATTR, socket.gethostname())
    orphan.set_user_attr(PID_ATTR, dead_pid())

    _, [outcome] = _sweep(project, config_dir, n_trials=3)

    study = load_existing_study(storage, first.study_name)
    assert study.trials[orphan.number].state.name == "FAIL"
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == orphan.number]
    assert len(retried) == 1 and retried[0].state.name == "COMPLETE"
    assert retried[0].params["learning_rate"] == pytest.approx(params["learning_rate"])
    assert count_trials(study).finished == 3
    assert [d.number for d in outcome.dead_trials] == [orphan.number]


def test_a_sweep_run_left_running_by_a_dead_process_is_taken_over(project, config_dir):
    tracking, [first] = _sweep(project, config_dir, n_trials=1)
    registry = project.registry
    tracking.client.update_run(first.sweep_run_id, status="RUNNING")
    tracking.client.set_tag(first.sweep_run_id, registry.key("process", "pid"), str(dead_pid()))

    _, [second] = _sweep(project, config_dir, n_trials=2)

    assert second.sweep_run_id == first.sweep_run_id and second.resumed
    sweep = tracking.client.get_run(first.sweep_run_id)
    assert sweep.info.status == "FINISHED"
    assert sweep.data.tags[registry.key("process", "pid")] == str(__import__("os").getpid())
    assert len(_hpo_runs(project, tracking)["hpo_sweep"]) == 1


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def _own_sweep_as(tracking, run_id: str, pid: int) -> None:
    """Make live process ``pid`` the sweep's owner, as it records that itself: the sweep's
    lease in the index backend, published run id, RUNNING run with its pid."""
    run_key_hash = tracking.client.get_run(run_id).data.tags[
        tracking.registry.key("grouping", "run_key_hash")
    ]
    owner = ProcessId(socket.gethostname(), pid)
    tracking.index.claim_lease(f"hpo_sweep:{run_key_hash}", owner)
    tracking.index.set_lease_value(f"hpo_sweep:{run_key_hash}", owner, run_id)
    tracking.client.update_run(run_id, status="RUNNING")
    tracking.client.set_tag(run_id, tracking.registry.key("process", "pid"), str(pid))


def test_a_sweep_owned_by_a_live_process_is_joined_not_taken_over(project, config_dir):
    owner = _sleeper()
    try:
        tracking, [first] = _sweep(project, config_dir, n_trials=1)
        _own_sweep_as(tracking, first.sweep_run_id, owner.pid)
        _, [joined] = _sweep(project, config_dir, n_trials=2)
    finally:
        owner.kill()
        owner.wait()
    assert joined.status == "joined" and joined.sweep_run_id == first.sweep_run_id
    registry = project.registry
    sweep = tracking.client.get_run(first.sweep_run_id)
    assert sweep.info.status == "RUNNING"  # the owner ends it, not the joiner
    assert sweep.data.tags[registry.key("process", "pid")] == str(owner.pid)
    trials = _hpo_runs(project, tracking)["hpo_trial"]
    parent = registry.key("mlflow", "parent_run_id")
    assert len(trials) == 2 and {t.data.tags[parent] for t in trials} == {first.sweep_run_id}


def test_a_sweep_whose_owner_died_is_taken_over_by_the_next_process(project, config_dir):
    owner = _sleeper()
    tracking, [first] = _sweep(project, config_dir, n_trials=1)
    _own_sweep_as(tracking, first.sweep_run_id, owner.pid)
    owner.kill()
    owner.wait()
    _, [again] = _sweep(project, config_dir, n_trials=2)
    assert again.status == "complete" and again.sweep_run_id == first.sweep_run_id
    assert again.resumed
    assert tracking.client.get_run(first.sweep_run_id).info.status == "FINISHED"


def test_a_joiner_whose_owner_dies_meanwhile_takes_the_sweep_over_and_ends_it(project, config_dir):
    owner = _sleeper()
    tracking, [first] = _sweep(project, config_dir, n_trials=1)
    _own_sweep_as(tracking, first.sweep_run_id, owner.pid)

    def owner_dies_as_trials_start(backbone, configs):
        owner.kill()
        owner.wait()
        return formula_trainer(backbone, configs)

    _, [outcome] = _sweep(
        project, config_dir, n_trials=2, trainer_factory=owner_dies_as_trials_start
    )

    assert outcome.status == "complete" and outcome.sweep_run_id == first.sweep_run_id
    assert outcome.refit_run_id is not None
    sweep = tracking.client.get_run(first.sweep_run_id)
    assert sweep.info.status == "FINISHED"
    assert sweep.data.tags[project.registry.key("process", "pid")] == str(os.getpid())


def test_without_cv_the_trial_run_holds_the_metrics_and_has_no_fold_runs(project, tmp_path):
    config_dir = write_config_dir(tmp_path / "config", hpo={"cv": {"k_folds": 1}, "n_trials": 2})
    tracking, [outcome] = _sweep(project, config_dir)
    runs = _hpo_runs(project, tracking)
    assert "hpo_trial_fold" not in runs and len(runs["hpo_trial"]) == 2
    for run in runs["hpo_trial"]:
        assert "macro_f1" in run.data.metrics and "macro_f1_std" not in run.data.metrics
        assert run.info.status == "FINISHED" and "learning_rate" in run.data.params
    assert outcome.refit_run_id is not None


def test_two_worker_processes_share_one_sweep_run_and_reach_exactly_the_target(project, config_dir):
    tracking, [outcome] = _sweep(project, config_dir, n_trials=5, workers=2)
    runs = _hpo_runs(project, tracking)
    assert len(runs["hpo_sweep"]) == 1 and len(runs["hpo_trial"]) == 5
    assert outcome.counts.finished == 5 and outcome.counts.total == 5
    assert len({run.info.run_name for group in runs.values() for run in group}) == sum(
        len(group) for group in runs.values()
    )
    pids = {run.data.tags[project.registry.key("process", "pid")] for run in runs["hpo_trial"]}
    assert len(pids) >= 1 and str(__import__("os").getpid()) not in pids


def test_timeout_stops_the_sweep_early_and_running_again_completes_it(project, tmp_path):
    config_dir = write_config_dir(tmp_path / "config", hpo={"timeout_s": 0.001})
    _, [stopped] = _sweep(project, config_dir)
    assert stopped.status == "incomplete" and stopped.counts.finished < 4
    config_dir = write_config_dir(tmp_path / "config", hpo={"timeout_s": None})
    _, [finished] = _sweep(project, config_dir)
    assert finished.status == "complete" and finished.counts.finished == 4
    assert finished.sweep_run_id == stopped.sweep_run_id


def test_a_trial_whose_heartbeat_stopped_elsewhere_has_its_runs_closed_and_is_retried(
    project, tmp_path
):
    """A worker on another machine died: its trial stops beating; the next worker that starts
    a trial fails it (Optuna's heartbeat), closes its MLflow runs and re-queues it."""
    import time

    from resume_ner.naming.context import NamingContext
    from resume_ner.tracking.trackers.sweep import build_fold_context, build_trial_context

    config_dir = write_config_dir(
        tmp_path / "config", hpo={"heartbeat_interval_s": 1, "grace_period_s": 1}
    )
    tracking, [first] = _sweep(project, config_dir, n_trials=1)
    configs = SweepConfigs.from_project(ProjectConfig.load(config_dir))
    storage = open_storage(storage_url(configs.hpo, project.paths), configs.hpo)
    study = open_study(storage, first.study_name, configs.hpo)
    remote = study.ask()
    params = {"learning_rate": remote.suggest_float("learning_rate", 1e-3, 1e-2, log=True)}
    remote.suggest_categorical("batch_size", [4, 8])
    # The remote worker's runs, as it left them: trial and fold RUNNING.
    tracker = tracking.sweep_tracker()
    sweep_context = NamingContext(
        "hpo_sweep", "tiny", study_key_hash=first.study_key_hash, study_name=first.study_name
    )
    context = build_trial_context(sweep_context, remote.number, params)
    trial_run = tracker.start_trial_run(first.sweep_run_id, context, hyperparameters=params)
    fold_run = tracker.start_fold_run(trial_run, build_fold_context(context, 0))
    remote.set_user_attr(HOST_ATTR, "another-host")
    remote.set_user_attr(PID_ATTR, 4242)
    remote.set_user_attr("mlflow_run_id", trial_run)
    study_id = storage.get_study_id_from_name(first.study_name)
    storage.record_heartbeat(
        storage.get_trial_id_from_study_id_trial_number(study_id, remote.number)
    )
    time.sleep(2.5)  # older than the grace period

    _, [outcome] = _sweep(project, config_dir, n_trials=3)

    study = load_existing_study(storage, first.study_name)
    assert study.trials[remote.number].state.name == "FAIL"
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == remote.number]
    assert [t.state.name for t in retried] == ["COMPLETE"]
    interrupted = project.registry.key("process", "interrupted_reason")
    for run_id in (trial_run, fold_run):
        run = tracking.client.get_run(run_id)
        assert run.info.status == "KILLED"
        assert "another-host" in run.data.tags[interrupted]
    assert outcome.counts.finished == 3


def test_with_hpo_tracking_off_the_study_still_runs_and_no_run_is_created(project, config_dir):
    switches = project.config.tracking.hpo.model_copy(update={"enabled": False})
    config = project.config.model_copy(
        update={"tracking": project.config.tracking.model_copy(update={"hpo": switches})}
    )
    tracking = project.tracking_context(config)
    [outcome] = run_sweep(
        tracking,
        SweepConfigs.from_project(ProjectConfig.load(config_dir)),
        trainer_factory=formula_trainer,
    )
    assert outcome.status == "complete" and outcome.counts.finished == 4
    assert outcome.sweep_run_id is None and outcome.refit_run_id is None
    assert tracking.client.get_experiment_by_name("resume-ner-hpo") is None or not _hpo_runs(
        project, tracking
    )


def test_a_sweeps_cleanup_closes_a_silent_machines_run_and_drops_only_dead_heartbeats(
    project, tmp_path
):
    """The heartbeat of a machine silent past the grace period is the evidence its runs are
    closed by; it is kept until it is a day old. A dead local process's heartbeat is dropped."""
    import time

    config_dir = write_config_dir(
        tmp_path / "config", hpo={"heartbeat_interval_s": 1, "grace_period_s": 1}
    )
    tracking = project.tracking_context()
    registry = project.registry
    remote = ProcessId("another-machine", 4242)
    run_id = tracking.client.create_run(
        tracking.experiment_id_for("hpo_sweep"),
        tags={
            registry.key("process", "project"): tracking.policy.project,
            registry.key("process", "host"): remote.host,
            registry.key("process", "pid"): str(remote.pid),
        },
    ).info.run_id
    tracking.index.beat(remote)
    dead = ProcessId(socket.gethostname(), dead_pid())
    tracking.index.beat(dead)
    time.sleep(2.5)  # older than the grace period

    _sweep(project, config_dir, n_trials=1)

    assert tracking.client.get_run(run_id).info.status == "KILLED"
    beats = tracking.index.list_beats()
    assert remote in beats
    assert dead not in beats
