"""Latency and throughput of the ways a model can be run, compared on identical inputs.

:mod:`~resume_ner.benchmark.runtimes` builds the runtimes (PyTorch eager, the served ONNX path
in fp32 and int8, and transformers' token-classification pipeline), each taking texts and
returning entities; :mod:`~resume_ner.benchmark.measure` builds texts of an exact token length
and times the runtimes side by side; :func:`~resume_ner.benchmark.run.run_benchmark` runs the
configured shapes and logs them into a benchmark run with the environment fingerprint and a
latency-by-batch-size plot.
"""
