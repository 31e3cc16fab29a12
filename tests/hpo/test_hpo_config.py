"""hpo.yaml: defaults, validation errors that name the key, what enters the study identity."""

from __future__ import annotations

from pathlib import Path

import pytest

from resume_ner.config.errors import ConfigError
from resume_ner.config.hpo import HpoConfig, load_hpo_config
from resume_ner.config.loader import default_config_dir
from resume_ner.config.project import ProjectConfig
from resume_ner.hpo.configs import SweepConfigs
from resume_ner.hpo.errors import HpoInputError


def _write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hpo.yaml").write_text(text, encoding="utf-8")
    return folder


def test_the_shipped_hpo_yaml_is_there_to_be_written_by_init():
    assert (default_config_dir() / "hpo.yaml").is_file()


def test_the_default_sweep_is_small_enough_for_the_demo():
    config = HpoConfig()
    assert config.backbones == ["auto"] and config.n_trials == 3 and config.cv.k_folds == 1
    assert config.epochs is not None and config.epochs <= 2
    assert config.sampler.seed is not None and config.sampler.name == "tpe"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("search_space: {lr: {type: categorical}}", "search_space.lr"),
        ("search_space: {lr: {type: float, low: 0.0, high: 0.1, log: true}}", "search_space.lr"),
        ("search_space: {lr: {type: float, low: 0.2, high: 0.1}}", "search_space.lr"),
        ("search_space: {n: {type: int, low: 1.5, high: 4}}", "search_space.n"),
        ("sampler: {name: grid}", "sampler.name"),
        ("n_trials: 0", "n_trials"),
        ("cv: {k_folds: 0}", "cv.k_folds"),
        ("storage: optuna.db", "storage"),
        ("backbones: [tiny, tiny]", "backbones"),
        ("n_trails: 4", "n_trails"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_file_and_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as caught:
        load_hpo_config(_write(tmp_path, text))
    assert caught.value.key == key
    assert caught.value.file == tmp_path / "hpo.yaml"


def test_the_budget_is_not_part_of_the_study_identity_but_the_search_space_is():
    base = HpoConfig()
    assert base.model_copy(update={"n_trials": 40, "timeout_s": 60.0}).study_identity() == (
        base.study_identity()
    )
    narrower = HpoConfig.model_validate(
        {"search_space": {"learning_rate": {"type": "float", "low": 1e-3, "high": 2e-3}}}
    )
    assert narrower.study_identity() != base.study_identity()


def test_a_searched_name_that_train_yaml_does_not_have_is_an_input_error(tmp_path):
    config_dir = _write(tmp_path, "search_space: {hidden_size: {type: int, low: 8, high: 16}}")
    with pytest.raises(HpoInputError, match="hidden_size"):
        SweepConfigs.from_project(ProjectConfig.load(config_dir))


def test_auto_sweeps_tiny_and_every_preset_whose_package_is_installed():
    from resume_ner.config.model import ModelConfig, PackagePreset
    from resume_ner.hpo.configs import resolve_backbones

    model = ModelConfig()
    assert resolve_backbones(["auto"], model) == ["tiny", "minilm"]  # the dev extras have minilm
    missing = model.model_copy(
        update={
            "presets": {
                **model.presets,
                "minilm": PackagePreset(type="package", package="no_such_package_xyz"),
            }
        }
    )
    assert resolve_backbones(["auto"], missing) == ["tiny"]
    assert resolve_backbones(["tiny"], model) == ["tiny"]
    assert resolve_backbones(["minilm", "auto"], model) == ["minilm", "tiny"]


def test_the_shipped_sweep_configs_resolve_auto():
    assert SweepConfigs.from_project(ProjectConfig.load()).hpo.backbones == ["tiny", "minilm"]
