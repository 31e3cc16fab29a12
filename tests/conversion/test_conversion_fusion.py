"""Transformer fusion: the bundle's models carry the fused operators, and architectures the
optimizer does not know are served unfused."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import onnx

from resume_ner.conversion.build import EXPORTED_FILE
from resume_ner.conversion.export import export_onnx
from resume_ner.conversion.fusion import fuse_transformer, optimizer_model_type
from resume_ner.serve.bundle import MODEL_FILES


def _operators(path: Path) -> Counter[str]:
    return Counter(node.op_type for node in onnx.load(str(path)).graph.node)


def test_bundle_models_compute_gelu_in_one_fused_operator_and_keep_plain_layer_norms(bundle):
    fp32 = _operators(bundle.bundle_dir / MODEL_FILES["fp32"])
    int8 = _operators(bundle.bundle_dir / MODEL_FILES["int8"])

    layers = 2  # the tiny preset
    assert bundle.fused_operators["BiasGelu"] == fp32["BiasGelu"] == int8["BiasGelu"] == layers
    assert fp32["Erf"] == int8["Erf"] == 0
    assert fp32["SkipLayerNormalization"] == 0
    assert fp32["LayerNormalization"] == 1 + 2 * layers
    assert not (bundle.bundle_dir / EXPORTED_FILE).exists()


def test_an_architecture_the_optimizer_does_not_know_is_left_unfused(trained, tmp_path):
    exported = export_onnx(trained.checkpoint_dir, tmp_path / "exported")
    target = tmp_path / "fused.onnx"

    assert optimizer_model_type(SimpleNamespace(model_type="gpt2")) is None
    assert fuse_transformer(exported, target, SimpleNamespace(model_type="gpt2")) is None
    assert not target.exists()
