"""``selection.yaml``: shipped defaults, weight normalisation and validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from resume_ner.config.errors import ConfigError
from resume_ner.config.selection import SelectionConfig, load_selection_config
from resume_ner.errors import InputError
from resume_ner.selection.candidates import latency_metric_name


def test_shipped_selection_config_holds_the_documented_defaults():
    config = load_selection_config()
    assert config.objective.metric == "macro_f1"
    assert config.objective.direction == "maximize"
    assert (config.f1_weight, config.latency_weight) == (0.7, 0.3)
    assert (config.min_trials_per_group, config.top_k_for_stable_score) == (3, 3)
    assert config.f1_tolerance == 0.01
    assert latency_metric_name(config) == "onnx_fp32/latency_b1_s256_p50_ms"


def test_weights_are_normalised_to_sum_to_one_and_one_may_be_zero():
    assert SelectionConfig(f1_weight=2.0, latency_weight=1.0).weights == pytest.approx(
        (2 / 3, 1 / 3)
    )
    only_f1 = SelectionConfig(latency_weight=0.0)
    assert only_f1.weights == (1.0, 0.0)
    assert not only_f1.uses_latency


def test_latency_source_is_configurable(tmp_path: Path):
    (tmp_path / "selection.yaml").write_text(
        "latency:\n  runtime: onnx_int8\n  batch_size: 8\n  seq_len: 128\n  quantity: p95_ms\n"
    )
    config = load_selection_config(tmp_path)
    assert latency_metric_name(config) == "onnx_int8/latency_b8_s128_p95_ms"


def test_both_weights_zero_is_a_config_error_naming_the_file(tmp_path: Path):
    (tmp_path / "selection.yaml").write_text("f1_weight: 0\nlatency_weight: 0\n")
    with pytest.raises(ConfigError) as error:
        load_selection_config(tmp_path)
    assert isinstance(error.value, InputError)
    assert error.value.file == tmp_path / "selection.yaml"
    assert "must not both be 0" in str(error.value)


def test_unknown_latency_runtime_is_a_config_error_naming_the_key(tmp_path: Path):
    (tmp_path / "selection.yaml").write_text("latency:\n  runtime: tensorrt\n")
    with pytest.raises(ConfigError) as error:
        load_selection_config(tmp_path)
    assert error.value.key == "latency.runtime"
