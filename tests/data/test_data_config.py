"""data.yaml: shipped defaults, file sources, and the checks that catch bad settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from resume_ner.config.data import (
    DEFAULT_LABELS,
    FileSource,
    SyntheticSource,
    load_data_config,
)
from resume_ner.config.errors import ConfigError


def test_default_data_config_is_a_quick_synthetic_demo_with_the_eight_labels():
    config = load_data_config()
    assert isinstance(config.source, SyntheticSource)
    assert config.source.n_documents == 800
    assert sorted(config.labels) == sorted(DEFAULT_LABELS) and len(config.labels) == 8
    assert (config.max_length, config.stride) == (128, 32)
    assert config.label_map["PERSON"] == "NAME"
    assert config.split.train + config.split.validation + config.split.test == pytest.approx(1)


def test_a_file_source_in_the_user_config_folder_replaces_the_default(tmp_path: Path):
    (tmp_path / "data.yaml").write_text(
        "source:\n  type: file\n  path: data/resumes.jsonl\n  format: doccano\n"
    )
    config = load_data_config(tmp_path)
    assert isinstance(config.source, FileSource)
    assert config.source.path == Path("data/resumes.jsonl")
    assert config.source.format == "doccano"


@pytest.mark.parametrize(
    ("yaml_text", "key", "fragment"),
    [
        ("label_map:\n  PERSON: HUMAN\n", None, "HUMAN"),
        ("stride: 126\n", None, "stride"),
        ("split:\n  train: 0.5\n  validation: 0.1\n  test: 0.1\n", "split", "must be 1"),
        ("labels: [B-SKILL, NAME]\n", "labels", "B-/I- prefix"),
        ("labels: [SKILL, SKILL]\n", "labels", "duplicate"),
        (
            "source:\n  type: file\n  path: x.json\n  n_documents: 3\n",
            "source.file.n_documents",
            "Extra",
        ),
        ("source:\n  type: file\n  path: x.json\n  format: xml\n", "source.file.format", "xml"),
    ],
)
def test_bad_data_settings_are_config_errors_naming_the_problem(
    tmp_path: Path, yaml_text: str, key: str | None, fragment: str
):
    (tmp_path / "data.yaml").write_text(yaml_text)
    with pytest.raises(ConfigError) as error:
        load_data_config(tmp_path)
    assert error.value.file == tmp_path / "data.yaml"
    if key is not None:
        assert error.value.key == key
    assert fragment in str(error.value)


def test_mapping_a_label_to_o_is_allowed_as_an_explicit_drop(tmp_path: Path):
    (tmp_path / "data.yaml").write_text("label_map:\n  COMPANY: O\n")
    assert load_data_config(tmp_path).label_map == {"COMPANY": "O"}
