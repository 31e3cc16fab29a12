"""The ``resume-ner`` command line: a thin layer over the library.

Heavy libraries (MLflow, torch, transformers) are imported inside the commands that need them,
so that ``resume-ner --help`` and index lookups start fast.
"""
