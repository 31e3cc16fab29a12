"""ONNX export: dynamic batch and sequence axes, the inputs the model takes, logits out."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort

from resume_ner.conversion.export import export_onnx


def test_exported_model_takes_any_batch_size_and_length(trained, tmp_path):
    path = export_onnx(trained.checkpoint_dir, tmp_path, opset=18)

    assert path == tmp_path / "model.onnx"
    graph = onnx.load(str(path)).graph
    assert [item.name for item in graph.input] == ["input_ids", "attention_mask", "token_type_ids"]
    assert [item.name for item in graph.output] == ["logits"]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch, length in ((1, 5), (3, 97)):
        ids = np.full((batch, length), 7, dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids),
        }
        (logits,) = session.run(["logits"], feed)
        assert logits.shape == (batch, length, 17)
        assert np.isfinite(logits).all()
