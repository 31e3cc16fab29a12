"""Configuration files load into typed models; every problem names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from resume_ner.config.errors import ConfigError
from resume_ner.config.loader import (
    MODEL_DEFAULTS,
    default_config_dir,
    default_config_text,
    infer_config_dir_from_path,
    render_defaults,
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
    assert (tmp_path / "mlflow.yaml").read_text() == default_config_text("mlflow.yaml")


def test_config_dir_is_inferred_from_a_path_inside_the_project(tmp_path: Path):
    write_default_configs(tmp_path / "config")
    nested = tmp_path / "outputs" / "hpo" / "trial_1"
    nested.mkdir(parents=True)
    assert infer_config_dir_from_path(nested) == (tmp_path / "config").resolve()
    assert infer_config_dir_from_path(tmp_path / "config") == (tmp_path / "config").resolve()
    assert infer_config_dir_from_path(None) is None


@pytest.mark.parametrize("file_name", sorted(MODEL_DEFAULTS))
def test_init_writes_the_models_defaults_into_the_commented_template(tmp_path: Path, file_name):
    import importlib

    import yaml

    module, _, name = MODEL_DEFAULTS[file_name].partition(":")
    model = getattr(importlib.import_module(module), name)
    write_default_configs(tmp_path)

    written = (tmp_path / file_name).read_text()
    assert model.model_validate(yaml.safe_load(written)) == model()
    template_comments = [
        line for line in (default_config_dir() / file_name).read_text().splitlines() if "#" in line
    ]
    assert len([line for line in written.splitlines() if "#" in line]) == len(template_comments)


def test_rendered_values_come_from_the_model_not_the_template():
    template = "epochs: 99   # how long\nnested:\n  rate: 1.0\n"

    text = render_defaults(template, {"epochs": 3, "nested": {"rate": 0.5}}, "x.yaml")

    assert text == "epochs: 3    # how long\nnested:\n  rate: 0.5\n"


def test_a_template_key_the_model_does_not_have_is_an_error():
    with pytest.raises(ConfigError) as error:
        render_defaults("nested:\n  gone: 1\n", {"nested": {}}, "x.yaml")
    assert error.value.key == "nested.gone"


def test_without_a_user_file_the_models_defaults_apply_not_the_shipped_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from resume_ner.config import loader
    from resume_ner.config.train import TrainConfig, load_train_config

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "train.yaml").write_text("epochs: 99\n")
    monkeypatch.setattr(loader, "default_config_dir", lambda: shipped)

    assert load_train_config(tmp_path / "user") == TrainConfig()


def test_a_partial_naming_file_is_merged_over_the_shipped_one(tmp_path: Path):
    (tmp_path / "naming.yaml").write_text("hash_length: 12\n")

    config = load_naming_config(tmp_path)

    assert config.hash_length == 12
    assert config.run_names == load_naming_config().run_names


def test_a_naming_section_replaces_the_shipped_one_whole(tmp_path: Path):
    (tmp_path / "naming.yaml").write_text("validate:\n  max_length: 200\n")

    with pytest.raises(ConfigError) as error:
        load_naming_config(tmp_path)

    assert error.value.key == "validate.warn_length"


def test_a_duplicate_key_names_the_file_the_key_and_both_lines(tmp_path: Path):
    (tmp_path / "mlflow.yaml").write_text(
        "index:\n  enabled: true\n  max_entries: 3\n  enabled: false\n"
    )
    with pytest.raises(ConfigError) as error:
        load_mlflow_config(tmp_path)
    assert error.value.file == tmp_path / "mlflow.yaml"
    assert error.value.key == "index.enabled"
    assert "line 2" in str(error.value) and "line 4" in str(error.value)


def test_a_duplicate_top_level_key_is_an_error_too(tmp_path: Path):
    (tmp_path / "naming.yaml").write_text("hash_length: 8\nhash_length: 10\n")
    with pytest.raises(ConfigError) as error:
        load_naming_config(tmp_path)
    assert error.value.key == "hash_length"
    assert "line 1" in str(error.value) and "line 2" in str(error.value)


def test_the_same_key_in_two_mappings_is_not_a_duplicate(tmp_path: Path):
    (tmp_path / "mlflow.yaml").write_text(
        "index:\n  enabled: true\ntracking:\n  hpo:\n    enabled: true\n"
    )
    config = load_mlflow_config(tmp_path)
    assert config.index.enabled is True


@pytest.mark.parametrize(
    ("name", "closest"),
    [
        ("mlfow.yaml", "mlflow.yaml"),
        ("mlflow.yml", "mlflow.yaml"),
        ("MLflow.yaml", "mlflow.yaml"),
        ("mlflow.ymal", "mlflow.yaml"),
        ("training.yaml", "train.yaml"),
        ("selections.yml", "selection.yaml"),
    ],
)
def test_a_misnamed_file_is_an_error_naming_the_closest_configuration_file(
    tmp_path: Path, name: str, closest: str
):
    from resume_ner.config.project import ProjectConfig

    (tmp_path / name).write_text("tracking_uri: http://127.0.0.1:5999\n")
    with pytest.raises(ConfigError) as error:
        ProjectConfig.load(tmp_path)
    assert error.value.file == tmp_path / name
    assert f"did you mean {closest}?" in str(error.value)


def test_an_unknown_yaml_file_like_no_configuration_file_lists_the_files_read(tmp_path: Path):
    from resume_ner.config.project import ProjectConfig

    (tmp_path / "extra.yaml").write_text("a: 1\n")
    with pytest.raises(ConfigError) as error:
        ProjectConfig.load(tmp_path)
    assert "did you mean" not in str(error.value)
    assert "mlflow.yaml" in str(error.value) and "subfolder" in str(error.value)


@pytest.mark.parametrize(
    "name", ["README.md", "README", "notes.txt", ".gitignore", "mlflow.yaml~", "hpo.yaml.bak"]
)
def test_documents_hidden_files_and_editor_backups_may_sit_beside_the_configuration(
    tmp_path: Path, name: str
):
    from resume_ner.config.project import ProjectConfig

    (tmp_path / name).write_text("anything\n")
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "sweep.yaml").write_text("a: 1\n")
    assert ProjectConfig.load(tmp_path).config_dir == tmp_path


def test_a_folder_holding_only_a_misnamed_file_is_still_found_as_the_config_folder(
    tmp_path: Path,
):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "mlfow.yaml").write_text("tracking_uri: http://127.0.0.1:5999\n")
    assert infer_config_dir_from_path(tmp_path) == (tmp_path / "config").resolve()


def test_a_folder_holding_unrelated_yaml_is_not_taken_for_a_config_folder(tmp_path: Path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "docker-compose.yaml").write_text("services: {}\n")
    assert infer_config_dir_from_path(tmp_path) is None
