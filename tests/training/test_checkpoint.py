"""Checkpoints: a saved model loads back offline and predicts exactly the same spans."""

from __future__ import annotations

from pathlib import Path

import pytest

from resume_ner.training.checkpoint import (
    load_checkpoint,
    read_checkpoint_metadata,
    save_checkpoint,
)
from resume_ner.training.errors import CheckpointError
from resume_ner.training.predict import predict_documents


def predictions(backbone, documents, max_length, stride):
    return predict_documents(
        backbone.model, backbone.tokenizer, documents, backbone.label_schema, max_length, stride
    )


def test_a_loaded_checkpoint_predicts_the_same_spans_and_scores(trained, small_split):
    documents = small_split["test"]
    settings = trained.settings
    before = predictions(trained.backbone, documents, settings.max_length, settings.stride)

    loaded = load_checkpoint(trained.checkpoint_dir)
    after = predictions(loaded, documents, settings.max_length, settings.stride)

    assert after == before
    assert any(spans for spans in before), "the trained model should predict some entities"


def test_the_checkpoint_records_the_backbone_windows_labels_and_configs(trained):
    metadata = read_checkpoint_metadata(trained.checkpoint_dir)
    loaded = load_checkpoint(trained.checkpoint_dir)

    assert (metadata.backbone, metadata.preset) == ("tiny", "tiny")
    assert (metadata.max_length, metadata.stride) == (64, 16)
    assert metadata.label_schema.labels == trained.backbone.label_schema.labels
    assert loaded.label_schema.labels == metadata.label_schema.labels
    assert metadata.configs["train"]["epochs"] == 4
    assert metadata.configs["settings"]["dropout"] == trained.settings.dropout


def test_saving_over_an_existing_checkpoint_needs_overwrite(trained, tmp_path: Path):
    target = tmp_path / "checkpoint"
    save_checkpoint(trained.backbone, target, stride=16)

    with pytest.raises(CheckpointError, match="exists"):
        save_checkpoint(trained.backbone, target, stride=16)
    save_checkpoint(trained.backbone, target, stride=8, overwrite=True)

    assert read_checkpoint_metadata(target).stride == 8
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint"], "no staging folder left"


def test_a_folder_that_is_not_a_checkpoint_is_reported(tmp_path: Path):
    with pytest.raises(CheckpointError, match="not a resume-ner checkpoint"):
        load_checkpoint(tmp_path)
