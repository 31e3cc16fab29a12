"""serve.yaml: shipped defaults, errors naming the file and key, and a clear CLI exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from resume_ner.cli.app import EXIT_BAD_INPUT, run
from resume_ner.config.errors import ConfigError
from resume_ner.config.serve import ServeConfig, load_serve_config


def test_shipped_serve_config_listens_on_loopback_with_the_model_defaults():
    config = load_serve_config()
    assert config.host == "127.0.0.1"
    assert config.model.prefer == "best"
    assert config.limits.max_text_chars <= config.limits.max_body_bytes


def test_a_users_serve_yaml_overrides_the_defaults(tmp_path: Path):
    (tmp_path / "serve.yaml").write_text("port: 9000\nlimits:\n  max_batch_texts: 4\n")

    config = load_serve_config(tmp_path)

    assert (config.port, config.limits.max_batch_texts) == (9000, 4)
    assert config.limits.max_text_chars == ServeConfig().limits.max_text_chars


@pytest.mark.parametrize(
    ("content", "key", "problem"),
    [
        ("port: 70000\n", "port", "less than or equal to 65535"),
        ("limits:\n  max_batch_texts: 0\n", "limits.max_batch_texts", "greater than or equal"),
        ("api_key: secret\n", "api_key", "Extra inputs are not permitted"),
        ("limits:\n  max_text_chars: 5000000\n", None, "must not exceed limits.max_body_bytes"),
    ],
)
def test_a_bad_value_names_the_file_and_key(tmp_path: Path, content, key, problem):
    (tmp_path / "serve.yaml").write_text(content)

    with pytest.raises(ConfigError) as error:
        load_serve_config(tmp_path)

    assert error.value.file == tmp_path / "serve.yaml"
    assert error.value.key == key
    assert problem in error.value.problem


def test_cli_serve_with_a_bad_serve_yaml_exits_2(tmp_path: Path, capsys):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "serve.yaml").write_text("port: many\n")

    code = run(["--config-dir", str(config_dir), "serve", "--bundle", str(tmp_path)])

    assert code == EXIT_BAD_INPUT
    assert "key 'port'" in capsys.readouterr().err
