"""conversion.yaml: shipped defaults and the errors a bad file gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from resume_ner.config.conversion import load_conversion_config
from resume_ner.config.errors import ConfigError


def test_shipped_defaults_quantize_only_within_one_point_of_f1_on_sleeping_physical_cores():
    config = load_conversion_config()
    assert config.quantize == "auto"
    assert config.max_f1_drop == 0.01
    assert config.exporter == "dynamo"
    assert config.attention == "eager"
    assert config.session.graph_optimization == "all"
    assert config.session.intra_op_threads is None
    assert config.session.allow_spinning is False


def test_unknown_quantize_mode_names_the_file_and_key(tmp_path: Path):
    (tmp_path / "conversion.yaml").write_text("quantize: sometimes\n")

    with pytest.raises(ConfigError) as error:
        load_conversion_config(tmp_path)

    assert error.value.key == "quantize"
    assert error.value.file == tmp_path / "conversion.yaml"


def test_negative_tolerance_and_zero_threads_are_rejected(tmp_path: Path):
    (tmp_path / "conversion.yaml").write_text("max_f1_drop: -0.1\n")
    with pytest.raises(ConfigError) as error:
        load_conversion_config(tmp_path)
    assert error.value.key == "max_f1_drop"

    (tmp_path / "conversion.yaml").write_text("session:\n  intra_op_threads: 0\n")
    with pytest.raises(ConfigError) as error:
        load_conversion_config(tmp_path)
    assert error.value.key == "session.intra_op_threads"
