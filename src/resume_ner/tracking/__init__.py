"""The MLflow tracking layer: setup, runs, lifecycle, finder, queries, index, artifacts, trackers.

Importing this package imports neither MLflow, torch nor transformers; modules import MLflow
themselves when they need it, so fast paths (the run index) stay fast.
"""
