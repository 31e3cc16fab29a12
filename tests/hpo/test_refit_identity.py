"""A refit model's identity is what the refit run recorded, not what train.yaml says today."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hpo_helpers import formula_trainer

from resume_ner.config.project import ProjectConfig
from resume_ner.errors import InputError
from resume_ner.hpo.configs import SweepConfigs
from resume_ner.hpo.sweep import run_sweep
from resume_ner.naming.canonical import hash_payload
from resume_ner.naming.policy import parse_parent_training_id
from resume_ner.pipeline.models import refit_model, trained_model_from_run
from resume_ner.tracking.context import TrackingContext
from resume_ner.training.identity import execution_spec


def _sweep(project, config_dir: Path):
    tracking = project.tracking_context()
    configs = SweepConfigs.from_project(ProjectConfig.load(config_dir))
    [outcome] = run_sweep(tracking, configs, n_trials=2, trainer_factory=formula_trainer)
    assert outcome.refit_run_id is not None
    return tracking, outcome


def test_editing_num_threads_after_a_sweep_keeps_the_refit_models_identity(project, config_dir):
    tracking, outcome = _sweep(project, config_dir)
    before = trained_model_from_run(tracking, outcome.refit_run_id)

    train_file = config_dir / "train.yaml"
    train = yaml.safe_load(train_file.read_text(encoding="utf-8"))
    train["num_threads"] = 3
    train_file.write_text(yaml.safe_dump(train), encoding="utf-8")
    edited = ProjectConfig.load(config_dir)
    assert edited.train.num_threads == 3
    today = TrackingContext.open(
        project.paths, edited, tracking_uri=project.tracking_uri, environ={}
    )

    after = trained_model_from_run(today, outcome.refit_run_id)
    assert after == before
    assert refit_model(today, "tiny", outcome.study_name, outcome.refit_run_id) == before
    recorded = parse_parent_training_id(before.parent_training_id)["exec_fp"]
    assert recorded == hash_payload(execution_spec(1))  # the sweep's train.yaml: 1 thread
    assert recorded != hash_payload(execution_spec(3))


def test_a_refit_run_without_its_exec_fingerprint_is_an_input_error(project, config_dir):
    tracking, outcome = _sweep(project, config_dir)
    key = tracking.registry["fingerprint.exec_fp"]
    tracking.client.delete_tag(outcome.refit_run_id, key)

    with pytest.raises(InputError, match=key):
        trained_model_from_run(tracking, outcome.refit_run_id)
