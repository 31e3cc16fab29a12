"""Serving a converted model: the model bundle and the inference engine that runs it.

:mod:`~resume_ner.serve.bundle` reads and writes the bundle folder (ONNX model files, tokenizer,
labels and ``bundle.json``), :mod:`~resume_ner.serve.windows` turns texts into the overlapping
token windows the model sees, :mod:`~resume_ner.serve.session` opens the ONNX Runtime session,
and :class:`~resume_ner.serve.engine.InferenceEngine` extracts entities with character offsets
from texts, merging in the e-mail, phone and URL spans of :mod:`~resume_ner.serve.recognizers`.
Nothing here imports torch or transformers: a serving install needs only onnxruntime,
tokenizers, numpy and phonenumbers.

The REST API over it: :mod:`~resume_ner.serve.source` finds the model to serve (a registered
model version, a conversion run or a bundle folder), :mod:`~resume_ner.serve.app` builds the
FastAPI app (request and response bodies in :mod:`~resume_ner.serve.schemas`, files read by
:mod:`~resume_ner.serve.documents`, the API key in :mod:`~resume_ner.serve.auth`, body size
limits in :mod:`~resume_ner.serve.limits`, the access log in :mod:`~resume_ner.serve.access_log`)
and :mod:`~resume_ner.serve.server` runs it with uvicorn; their errors are in
:mod:`~resume_ner.serve.errors`.
"""
