"""Configuration files load into typed models; every problem names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from resume_ner.config.errors import ConfigError
from resume_ner.config.loader import (
    default_config_dir,
    infer_config_dir_from_path,
    write_default_configs,
)
from resume_ner.config.mlflow import load_mlflow_config
from resume_ner.config.naming import load_naming_config
from resume_ner.config.tags import load_tags_config


def test_shipped_defaults_load():
    mlflow_config = load_mlflow_config()
    assert mlflow_config.naming.project_name == "resume-ner"
    assert mlflow_config.run_finder.strict_mode_default is True
    assert mlflow_config.naming.run_name.auto_increment.format == "{base}.{version}"
    assert load_naming_config().hash_length == 8
    assert "process" in load_tags_config().root


def test_user_file_replaces_the_default_and_missing_keys_take_defaults(tmp_path: Path):
    (tmp_path / "mlflow.yaml").write_text("naming:\n  project_name: acme\n")
    config = load_mlflow_config(tmp_path)
    assert config.naming.project_name == "acme"
    assert config.index.max_entries == 10_000


def test_invalid_yaml_names_the_file_and_line(tmp_path: Path):
    (tmp_path / "mlflow.yaml").write_text("index:\n  enabled: [true\n")
    with pytest.raises(ConfigError) as error:
        load_mlflow_config(tmp_path)
    assert error.value.file == tmp_path / "mlflow.yaml"
    assert "not valid YAML" in str(error.value)
    assert "line" in str(error.value)


def test_wrong_type_names_the_key_and_the_value(tmp_path: Path):
    (tmp_path / "mlflow.yaml").write_text("index:\n  max_entries: lots\n")
    with pytest.raises(ConfigError) as error:
        load_mlflow_config(tmp_path)
    assert error.value.key == "index.max_entries"
    assert "'lots'" in str(error.value)
    assert str(tmp_path / "mlflow.yaml") in str(error.value)


def test_unknown_key_is_an_error_not_silently_ignored(tmp_path: Path):
    (tmp_path / "mlflow.yaml").write_text("run_finder:\n  strict: false\n")
    with pytest.raises(ConfigError) as error:
        load_mlflow_config(tmp_path)
    assert error.value.key == "run_finder.strict"


def test_auto_increment_format_without_version_is_rejected(tmp_path: Path):
    (tmp_path / "mlflow.yaml").write_text(
        'naming:\n  run_name:\n    auto_increment:\n      format: "{base}"\n'
    )
    with pytest.raises(ConfigError) as error:
        load_mlflow_config(tmp_path)
    assert error.value.key == "naming.run_name.auto_increment.format"


def test_naming_file_without_a_pattern_for_every_process_is_rejected(tmp_path: Path):
    lines = (default_config_dir() / "naming.yaml").read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.startswith('  benchmarking: "'))
    (tmp_path / "naming.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_naming_config(tmp_path)
    assert error.value.key == "run_names"
    assert "benchmarking" in str(error.value)


def test_tags_file_with_an_invalid_or_duplicate_key_is_rejected(tmp_path: Path):
    (tmp_path / "tags.yaml").write_text("process:\n  stage: 'code.stage!'\n")
    with pytest.raises(ConfigError, match="not a valid MLflow tag key"):
        load_tags_config(tmp_path)
    (tmp_path / "tags.yaml").write_text("process:\n  stage: code.stage\n  model: code.stage\n")
    with pytest.raises(ConfigError, match="already used"):
        load_tags_config(tmp_path)


def test_top_level_list_is_rejected(tmp_path: Path):
    (tmp_path / "tags.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_tags_config(tmp_path)


def test_write_default_configs_keeps_existing_files_unless_forced(tmp_path: Path):
    written = write_default_configs(tmp_path)
    assert {p.name for p in written} >= {"mlflow.yaml", "naming.yaml", "tags.yaml"}
    (tmp_path / "mlflow.yaml").write_text("tracking_uri: null\n")
    assert write_default_configs(tmp_path) == []
    assert (tmp_path / "mlflow.yaml").read_text() == "tracking_uri: null\n"
    write_default_configs(tmp_path, overwrite=True)
    assert (tmp_path / "mlflow.yaml").read_text() == (
        default_config_dir() / "mlflow.yaml"
    ).read_text()


def test_config_dir_is_inferred_from_a_path_inside_the_project(tmp_path: Path):
    write_default_configs(tmp_path / "config")
    nested = tmp_path / "outputs" / "hpo" / "trial_1"
    nested.mkdir(parents=True)
    assert infer_config_dir_from_path(nested) == (tmp_path / "config").resolve()
    assert infer_config_dir_from_path(tmp_path / "config") == (tmp_path / "config").resolve()
    assert infer_config_dir_from_path(None) is None
