"""Registering conversion runs once, and moving the champion alias only to a better model."""

from __future__ import annotations

import itertools

import pytest

from resume_ner.config.conversion import ConversionConfig
from resume_ner.config.selection import SelectionConfig
from resume_ner.conversion.registry import (
    register_and_promote,
)
from resume_ner.conversion.run import build_conversion_context, register_bundle, run_conversion
from resume_ner.naming.policy import build_parent_training_id
from resume_ner.selection.champion import ModelScore
from resume_ner.serve.errors import ModelNotFoundError
from resume_ner.serve.reference import resolve_model_reference

SELECTION = SelectionConfig()
CONFIG = ConversionConfig(quantize="never")
_names = itertools.count(1)


@pytest.fixture(scope="module")
def registry_project(tmp_path_factory, new_project, trained):
    """A store with three conversion runs of the tiny model (exporting takes a few seconds
    each, so they are shared); every test registers them under a model name of its own."""
    project = new_project(tmp_path_factory.mktemp("registry"))
    tracking = project.tracking_context()
    run_ids = []
    for n in range(1, 4):
        parent = build_parent_training_id(f"{n:x}" * 64, "d" * 64, 1)
        run_ids.append(
            run_conversion(
                tracking,
                trained.checkpoint_dir,
                tmp_path_factory.mktemp(f"bundle-{n}"),
                CONFIG,
                documents=trained.test_documents[:4],
                context=build_conversion_context("tiny", parent, CONFIG),
                source_run_id="0123456789abcdef0123456789abcdef",
                overwrite=True,
            ).run_id
        )
    yield tracking, run_ids
    project.close()


@pytest.fixture
def setting(registry_project):
    """(tracking, conversion run ids, a model name no other test uses)."""
    tracking, run_ids = registry_project
    return tracking, run_ids, f"resume-ner-{next(_names)}"


def champion(tracking, name: str) -> str:
    return str(tracking.client.get_model_version_by_alias(name, "champion").version)


def register(tracking, run_id, name, score):
    return register_and_promote(tracking, run_id, score, SELECTION, model_name=name)


def test_the_first_registered_model_becomes_champion_with_its_figures(setting):
    tracking, runs, name = setting

    outcome = register(tracking, runs[0], name, ModelScore(0.8, 12.5))

    assert (outcome.version, outcome.created, outcome.champion_version) == ("1", True, "1")
    assert champion(tracking, name) == "1"
    tags = tracking.client.get_model_version(name, "1").tags
    assert tags["code.selection.stable_score"] == "0.8"
    assert tags["code.selection.latency_ms"] == "12.5"


def test_the_registered_model_gets_a_description_of_what_it_does(setting):
    tracking, runs, name = setting

    register(tracking, runs[0], name, ModelScore(0.8, 12.5))

    description = tracking.client.get_registered_model(name).description
    assert description.startswith("Named-entity recognition for resumes")
    assert "`champion`" in description and "model card" in description


def test_a_registered_model_description_written_by_hand_is_kept(setting):
    tracking, runs, name = setting
    tracking.client.create_registered_model(name, description="Our resume model.")

    register(tracking, runs[0], name, ModelScore(0.8, 12.5))

    assert tracking.client.get_registered_model(name).description == "Our resume model."


def test_registering_the_same_run_again_adds_no_version(setting):
    tracking, runs, name = setting
    register(tracking, runs[0], name, ModelScore(0.8, 12.5))

    again = register(tracking, runs[0], name, ModelScore(0.8, 12.5))

    assert (again.version, again.created) == ("1", False)
    assert len(tracking.client.search_model_versions(f"name = '{name}'")) == 1


def test_a_worse_model_is_registered_but_the_alias_stays(setting):
    tracking, runs, name = setting
    register(tracking, runs[0], name, ModelScore(0.85, 10.0))

    worse = register(tracking, runs[1], name, ModelScore(0.70, 9.0))

    assert (worse.version, worse.champion_version) == ("2", "1")
    assert not worse.decision.promote
    assert champion(tracking, name) == "1"


def test_a_better_model_takes_the_alias(setting):
    tracking, runs, name = setting
    register(tracking, runs[0], name, ModelScore(0.85, 10.0))

    better = register(tracking, runs[1], name, ModelScore(0.95, 11.0))

    assert better.decision.promote
    assert champion(tracking, name) == "2"


def test_a_champion_set_by_hand_without_figures_is_kept(setting):
    tracking, runs, name = setting
    by_hand = register_bundle(tracking, runs[2], name)
    tracking.client.set_registered_model_alias(name, "champion", by_hand)

    outcome = register(tracking, runs[0], name, ModelScore(0.99, 1.0))

    assert not outcome.decision.promote
    assert "no selection figures" in outcome.decision.reason
    assert champion(tracking, name) == by_hand


def test_model_references_resolve_to_the_run_of_the_version(setting):
    tracking, runs, name = setting
    register(tracking, runs[0], name, ModelScore(0.8, 12.5))

    for reference in (f"{name}@champion", f"models:/{name}/1", f"models:/{name}@champion", runs[0]):
        assert resolve_model_reference(tracking.reader, reference, name)[0] == runs[0]
    with pytest.raises(ModelNotFoundError, match="has no alias 'nobody'"):
        resolve_model_reference(tracking.reader, f"{name}@nobody", name)
