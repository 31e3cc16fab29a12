"""Hyperparameter search with Optuna, every study, trial and fold tracked in MLflow.

One concern per module: :mod:`~resume_ner.hpo.configs` gathers the configuration a sweep runs
with, :mod:`~resume_ner.hpo.folds` the documents and folds it tunes on,
:mod:`~resume_ner.hpo.search_space` turns ``hpo.yaml``'s space into Optuna suggestions,
:mod:`~resume_ner.hpo.study` names and opens the study (sampler, pruner),
:mod:`~resume_ner.hpo.storage` holds the study storage and fails trials of dead processes,
:mod:`~resume_ner.hpo.budget` makes a study end with exactly its target number of trials,
:mod:`~resume_ner.hpo.trainer` is what trials train with, :mod:`~resume_ner.hpo.objective` runs
one tracked, cross-validated, prunable trial, :mod:`~resume_ner.hpo.workers` runs trials here
or in worker processes, :mod:`~resume_ner.hpo.refit` retrains the best trial on all training
data, :mod:`~resume_ner.hpo.plots` logs Optuna's plots, :mod:`~resume_ner.hpo.progress` reports
progress, and :func:`~resume_ner.hpo.sweep.run_sweep` / :func:`~resume_ner.hpo.sweep.plan_sweep`
tie them together. torch and transformers are imported only when a trial trains.
"""
