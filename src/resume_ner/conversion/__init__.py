"""Converting a trained checkpoint into a served model bundle, checked against the original.

:mod:`~resume_ner.conversion.export` exports the checkpoint to ONNX,
:mod:`~resume_ner.conversion.fusion` fuses its transformer operators,
:mod:`~resume_ner.conversion.quantize` makes an int8 copy, :mod:`~resume_ner.conversion.parity`
compares both with the PyTorch model (logits, labels, entity macro-F1) and decides whether int8
may be served, :mod:`~resume_ner.conversion.build` assembles the bundle folder
(:mod:`resume_ner.serve.bundle`), and :mod:`~resume_ner.conversion.run` does all of it inside a
tracked MLflow conversion run, logging the bundle and an MLflow model that
:func:`~resume_ner.conversion.run.register_bundle` registers as a model version: the pyfunc of
:mod:`~resume_ner.conversion.pyfunc` (texts in, entities out), with the ``onnx`` flavour too.
"""
