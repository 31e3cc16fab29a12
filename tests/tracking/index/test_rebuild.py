"""Rebuilding the index and the version-counter floors from a real MLflow store."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from resume_ner.naming.keys import build_counter_key
from resume_ner.tracking.index.base import IndexBackend
from resume_ner.tracking.index.run_index import (
    find_in_mlflow_index,
    rebuild_mlflow_index,
    update_mlflow_index,
    version_from_run_name,
)
from resume_ner.tracking.index.version_counter import reserve_run_name_version
from resume_ner.tracking.store.client import ClientStoreReader
from resume_ner.tracking.store.sqlite import SqliteStoreReader

HASH_A = "a" * 64
HASH_B = "b" * 64


def _create_run(
    project, experiment_id: str, run_key_hash: str, name: str, stage: str = "hpo_trial"
):
    registry = project.registry
    tags = {
        registry.key("grouping", "run_key_hash"): run_key_hash,
        registry.key("process", "stage"): stage,
        registry.key("process", "project"): project.policy.project,
        registry.key("process", "env"): project.policy.env,
    }
    run = project.client.create_run(experiment_id, run_name=name, tags=tags)
    time.sleep(0.002)  # distinct start times, so "newest" is well defined
    return run.info.run_id


def _counter_key(project, run_key_hash: str, stage: str = "hpo_trial") -> str:
    return build_counter_key(project.policy.project, stage, run_key_hash, project.policy.env)


def _rebuild(project, backend: IndexBackend, experiment_ids: list[str], **options) -> int:
    return rebuild_mlflow_index(
        backend,
        SqliteStoreReader(project.tracking_uri),
        experiment_ids,
        registry=project.registry,
        policy=project.policy,
        max_entries=options.pop("max_entries", 100),
        **options,
    )


def test_rebuild_restores_an_entry_for_the_newest_run_of_each_hash(project, backend: IndexBackend):
    experiment = project.experiment()
    _create_run(project, experiment, HASH_A, "local_m_hpo_trial_a.1")
    newest_a = _create_run(project, experiment, HASH_A, "local_m_hpo_trial_a.2")
    only_b = _create_run(project, experiment, HASH_B, "local_m_hpo_trial_b.1")
    project.client.create_run(experiment, run_name="untagged")

    assert _rebuild(project, backend, [experiment]) == 2

    entry = find_in_mlflow_index(backend, HASH_A)
    assert (entry.run_id, entry.experiment_id, entry.run_name) == (
        newest_a,
        experiment,
        "local_m_hpo_trial_a.2",
    )
    assert find_in_mlflow_index(backend, HASH_B).run_id == only_b


def test_rebuild_replaces_entries_that_mlflow_does_not_have(project, backend: IndexBackend):
    experiment = project.experiment()
    _create_run(project, experiment, HASH_A, "local_m_hpo_trial_a.1")
    update_mlflow_index(backend, "f" * 64, "gone", experiment)
    _rebuild(project, backend, [experiment])
    assert find_in_mlflow_index(backend, "f" * 64) is None


def test_rebuild_raises_each_counter_to_the_highest_version_in_run_names(
    project, backend: IndexBackend
):
    experiment = project.experiment()
    for version in (1, 3, 2):
        _create_run(project, experiment, HASH_A, f"local_m_hpo_trial_a.{version}")
    _create_run(project, experiment, HASH_B, "local_m_final_training_b.5", stage="final_training")

    _rebuild(project, backend, [experiment])

    assert reserve_run_name_version(backend, _counter_key(project, HASH_A)) == 4
    assert reserve_run_name_version(backend, _counter_key(project, HASH_B, "final_training")) == 6


def test_rebuild_never_lowers_a_counter(project, backend: IndexBackend):
    experiment = project.experiment()
    _create_run(project, experiment, HASH_A, "local_m_hpo_trial_a.2")
    backend.ensure_version_at_least(_counter_key(project, HASH_A), 9)
    _rebuild(project, backend, [experiment])
    assert reserve_run_name_version(backend, _counter_key(project, HASH_A)) == 10


def test_rebuild_through_mlflows_client_reads_the_same_entries(project, backend: IndexBackend):
    experiment = project.experiment()
    hashes = [f"{number:064x}" for number in range(3)]
    for number, run_key_hash in enumerate(hashes):
        _create_run(project, experiment, run_key_hash, f"local_m_hpo_trial_{number}.1")

    written = rebuild_mlflow_index(
        backend,
        ClientStoreReader(project.client),
        [experiment],
        registry=project.registry,
        policy=project.policy,
        max_entries=100,
    )

    assert written == 3
    assert {entry.run_key_hash for entry in backend.list_entries()} == set(hashes)


def test_rebuild_keeps_at_most_max_entries_newest_first(project, backend: IndexBackend):
    experiment = project.experiment()
    hashes = [f"{number:064x}" for number in range(5)]
    for number, run_key_hash in enumerate(hashes):
        _create_run(project, experiment, run_key_hash, f"local_m_hpo_trial_{number}.1")

    assert _rebuild(project, backend, [experiment], max_entries=2) == 2
    assert {entry.run_key_hash for entry in backend.list_entries()} == set(hashes[-2:])


def test_deleted_runs_leave_the_index_but_keep_their_versions_used(project, backend: IndexBackend):
    experiment = project.experiment()
    kept = _create_run(project, experiment, HASH_A, "local_m_hpo_trial_a.1")
    deleted = _create_run(project, experiment, HASH_A, "local_m_hpo_trial_a.2")
    project.client.delete_run(deleted)

    _rebuild(project, backend, [experiment])

    assert find_in_mlflow_index(backend, HASH_A).run_id == kept
    assert reserve_run_name_version(backend, _counter_key(project, HASH_A)) == 3


def test_rebuild_covers_every_experiment_given(project, backend: IndexBackend):
    first, second = project.experiment("one"), project.experiment("two")
    _create_run(project, first, HASH_A, "local_m_hpo_trial_a.1")
    _create_run(project, second, HASH_B, "local_m_hpo_trial_b.1")
    assert _rebuild(project, backend, [first, second]) == 2


def test_rebuild_marks_the_index_as_built(project, backend: IndexBackend):
    assert backend.built_at() is None
    _rebuild(project, backend, [project.experiment()])
    assert backend.built_at() is not None


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        ("local_m_hpo_trial_study-1234_t003.12", "{base}.{version}", 12),
        ("local_m_final_training_spec-ab_exec-cd_v1", "{base}.{version}", None),
        ("local_m_final_training_spec-ab_exec-cd_v1-r7", "{base}-r{version}", 7),
        ("local_m_final_training_v2", "{base}-r{version}", None),
    ],
)
def test_version_is_read_from_the_suffix_the_policy_formats(project, name, fmt, expected):
    settings = project.policy.settings
    auto = settings.run_name.auto_increment.model_copy(update={"format": fmt})
    run_name = settings.run_name.model_copy(update={"auto_increment": auto})
    policy = replace(project.policy, settings=settings.model_copy(update={"run_name": run_name}))
    assert version_from_run_name(name, policy) == expected


def test_a_tracking_session_rebuilds_a_deleted_index_when_it_opens(project):
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.index.backends import open_index_backend

    experiment = project.experiment("resume-ner-hpo")
    run_id = _create_run(project, experiment, HASH_A, "local_m_hpo_trial_a.3")
    (project.paths.mlflow_dir / "index.db").unlink(missing_ok=True)

    with TrackingContext.open(
        project.paths, project.project, tracking_uri=project.tracking_uri, environ={}
    ) as tracking:
        assert find_in_mlflow_index(tracking.index, HASH_A).run_id == run_id
        assert reserve_run_name_version(tracking.index, _counter_key(project, HASH_A)) == 4
    reopened = open_index_backend(project.config.index, project.paths)
    try:
        assert reopened.built_at() is not None
    finally:
        reopened.close()
