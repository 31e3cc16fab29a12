"""benchmark.yaml: shipped defaults and the errors a bad file gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from resume_ner.config.benchmark import load_benchmark_config
from resume_ner.config.errors import ConfigError


def test_shipped_defaults_compare_four_runtimes_at_two_batch_sizes_and_two_lengths():
    config = load_benchmark_config()
    assert config.batch_sizes == [1, 8]
    assert config.sequence_lengths == [128, 256]
    assert config.runtimes == ["eager", "onnx_fp32", "onnx_int8", "hf_pipeline"]
    assert config.baseline_runtime == "eager"


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("batch_sizes: [1, 1]\n", "batch_sizes"),
        ("batch_sizes: [0]\n", "batch_sizes"),
        ("runtimes: [eager, tensorrt]\n", "runtimes.1"),
        ("iterations: 0\n", "iterations"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, content: str, key: str):
    (tmp_path / "benchmark.yaml").write_text(content)

    with pytest.raises(ConfigError) as error:
        load_benchmark_config(tmp_path)

    assert error.value.key == key


def test_sequences_too_short_for_special_tokens_are_rejected(tmp_path: Path):
    (tmp_path / "benchmark.yaml").write_text("sequence_lengths: [2, 128]\n")

    with pytest.raises(ConfigError, match="at least 3"):
        load_benchmark_config(tmp_path)
