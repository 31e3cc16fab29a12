"""Serving a converted model: the model bundle and the inference engine that runs it.

:mod:`~resume_ner.serve.bundle` reads and writes the bundle folder (ONNX model files, tokenizer,
labels and ``bundle.json``), :mod:`~resume_ner.serve.windows` turns texts into the overlapping
token windows the model sees, :mod:`~resume_ner.serve.session` opens the ONNX Runtime session,
and :class:`~resume_ner.serve.engine.InferenceEngine` extracts entities with character offsets
from texts. Nothing here imports torch or transformers: a serving install needs only
onnxruntime, tokenizers and numpy.
"""
