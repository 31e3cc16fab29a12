"""Loading the configured corpus and encoding its splits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resume_ner.config.data import DataConfig
from resume_ner.data.corpus import load_corpus
from resume_ner.data.documents import Span
from resume_ner.data.errors import DataSourceError, DataValidationError


def _file_config(path: Path, **extra) -> DataConfig:
    return DataConfig.model_validate({"source": {"type": "file", "path": str(path)}, **extra})


def test_the_default_corpus_is_the_seeded_synthetic_set(default_corpus):
    corpus = load_corpus(DataConfig())
    assert len(corpus) == DataConfig().source.n_documents == 800
    assert corpus[: len(default_corpus)] == default_corpus  # the same seed: the same documents


def test_a_file_corpus_maps_source_labels_to_canonical_ones(tmp_path: Path):
    path = tmp_path / "data.json"
    path.write_text(
        json.dumps([{"text": "Ana from Lagos", "annotations": [[0, 3, "PERSON"], [9, 14, "GPE"]]}])
    )
    (document,) = load_corpus(_file_config(path))
    assert document.spans == (Span(0, 3, "NAME"), Span(9, 14, "LOCATION"))


def test_a_file_corpus_with_an_unmapped_label_is_rejected_not_relabelled_o(tmp_path: Path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps([{"text": "Ana at Acme", "annotations": [[7, 11, "COMPANY"]]}]))
    with pytest.raises(DataSourceError) as error:
        load_corpus(_file_config(path))
    assert isinstance(error.value.cause, DataValidationError)
    assert error.value.cause.report.errors[0].label == "COMPANY"
    (document,) = load_corpus(_file_config(path, label_map={"COMPANY": "O"}))
    assert document.spans == ()


def test_a_missing_data_file_is_named_with_the_data_yaml_key(tmp_path: Path):
    with pytest.raises(DataSourceError) as error:
        load_corpus(_file_config(tmp_path / "absent.json"), config_file=tmp_path / "data.yaml")
    message = str(error.value)
    assert message.startswith(f"{tmp_path / 'data.yaml'}, key 'source.path'")
    assert str(tmp_path / "absent.json") in message


def test_a_bad_span_is_named_with_the_file_the_key_and_the_record(tmp_path: Path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps([{"text": "Ana", "annotations": [[0, 99, "PERSON"]]}]))
    with pytest.raises(DataSourceError) as error:
        load_corpus(_file_config(path), config_file=tmp_path / "data.yaml")
    message = str(error.value)
    assert f"{tmp_path / 'data.yaml'}, key 'source.path' ({path})" in message
    assert "record 0" in message or "document 0" in message
