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


def test_bundle_models_keep_no_stack_trace_or_path_of_the_exporting_machine(bundle):
    import sys

    for name in ("model.onnx", "model.int8.onnx"):
        path = bundle.bundle_dir / name
        model = onnx.load(str(path))
        nodes = list(model.graph.node) + [n for f in model.functions for n in f.node]

        assert not [node.name for node in nodes if node.metadata_props or node.doc_string]
        assert sys.prefix.encode() not in path.read_bytes()
