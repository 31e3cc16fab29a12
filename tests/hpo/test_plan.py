"""``plan_sweep``: what a sweep would reuse, create, resume or clean up, read without writing."""

from __future__ import annotations

from hpo_helpers import dead_pid, formula_trainer

from resume_ner.config.project import ProjectConfig
from resume_ner.hpo.configs import SweepConfigs
from resume_ner.hpo.storage import HOST_ATTR, PID_ATTR, open_storage, storage_url
from resume_ner.hpo.study import open_study
from resume_ner.hpo.sweep import plan_sweep, run_sweep
from resume_ner.tracking.queries import search_all_runs


def _plan(tracking, config_dir, **kwargs):
    configs = SweepConfigs.from_project(ProjectConfig.load(config_dir))
    return plan_sweep(tracking, configs, project="resume-ner", **kwargs)


def _snapshot(tracking) -> list[tuple[str, str]]:
    experiment = tracking.client.get_experiment_by_name("resume-ner-hpo")
    runs = search_all_runs(tracking.client, [experiment.experiment_id])
    return sorted((run.info.run_id, run.info.status) for run in runs)


def test_before_any_sweep_everything_would_be_created(project, config_dir):
    [plan] = _plan(project.tracking_context(), config_dir)
    assert plan.sweep.action == "create" and plan.sweep.run_id is None
    assert plan.trials_to_run == 4 and not plan.study_exists
    assert plan.refit.action == "create" and not plan.complete


def test_after_a_sweep_the_plan_reuses_it_and_names_the_matching_key(project, config_dir):
    tracking = project.tracking_context()
    [outcome] = run_sweep(
        tracking,
        SweepConfigs.from_project(ProjectConfig.load(config_dir)),
        trainer_factory=formula_trainer,
    )
    [plan] = _plan(tracking, config_dir)
    assert plan.complete and plan.trials_to_run == 0
    assert (plan.sweep.action, plan.sweep.run_id) == ("reuse", outcome.sweep_run_id)
    assert plan.sweep.matched_by in ("local_index", "tag_run_key_hash")
    assert (plan.refit.action, plan.refit.run_id) == ("reuse", outcome.refit_run_id)
    [more] = _plan(tracking, config_dir, n_trials=6)
    assert more.sweep.action == "resume" and more.trials_to_run == 2


def test_an_interrupted_sweep_is_planned_as_resumed_with_its_dead_runs_and_trials_listed(
    project, config_dir
):
    tracking = project.tracking_context()
    configs = SweepConfigs.from_project(ProjectConfig.load(config_dir))
    [outcome] = run_sweep(tracking, configs, n_trials=2, trainer_factory=formula_trainer)
    registry = project.registry
    pid = str(dead_pid())
    tracking.client.update_run(outcome.sweep_run_id, status="RUNNING")
    tracking.client.set_tag(outcome.sweep_run_id, registry.key("process", "pid"), pid)
    orphan_run = outcome.trials[0].run_id
    tracking.client.update_run(orphan_run, status="RUNNING")
    tracking.client.set_tag(orphan_run, registry.key("process", "pid"), pid)
    storage = open_storage(storage_url(configs.hpo, project.paths), configs.hpo)
    orphan = open_study(storage, outcome.study_name, configs.hpo).ask()
    orphan.set_user_attr(HOST_ATTR, tracking.host)
    orphan.set_user_attr(PID_ATTR, int(pid))
    before = _snapshot(tracking)

    [plan] = _plan(tracking, config_dir)

    assert plan.sweep.action == "resume" and plan.sweep.run_id == outcome.sweep_run_id
    assert "is gone" in plan.sweep.reason
    assert plan.dead_trials == [orphan.number]
    assert [run.run_id for run in plan.cleanup] == [orphan_run]
    assert plan.trials_to_run == 2
    assert _snapshot(tracking) == before
