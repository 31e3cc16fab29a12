"""Choosing the model to train and serve among the sweeps of one study family.

:func:`resume_ner.selection.select.find_best_model_from_mlflow` compares backbones swept on the
same data, search space, objective and protocol (one study family):

- :mod:`~resume_ner.selection.candidates` finds, with server-side filters only, each FINISHED
  sweep of the family, its finished trials, its best trial, the refit of that trial (by the
  refit's ``refit.of_trial_run_id`` tag, else its study and trial key hashes) and the benchmark
  runs that measured the refit (by their lineage tags), never by recency;
- :mod:`~resume_ner.selection.scoring` gives each sweep a stable score (the median objective of
  its best trials), leaves out sweeps with too few trials, and computes the composite score of
  ``selection.yaml``;
- :mod:`~resume_ner.selection.select` applies the rule, names the winner and explains why;
- :mod:`~resume_ner.selection.report` renders the ranking as JSON and markdown and logs them.
"""
