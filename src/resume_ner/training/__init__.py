"""Training a token-classification model on resumes, and evaluating it by entity.

One concern per module: :mod:`~resume_ner.training.backbones` builds or loads the model and
tokenizer of a backbone preset, :mod:`~resume_ner.training.features` turns encoded windows into
batches, :mod:`~resume_ner.training.metrics` scores predicted character spans against gold ones
(seqeval, entity level), :mod:`~resume_ner.training.predict` runs a model over documents,
:mod:`~resume_ner.training.evaluation` scores a model on a split, :mod:`~resume_ner.training.loop`
is the seeded optimisation loop with per-epoch evaluation and early stopping,
:mod:`~resume_ner.training.checkpoint` saves and loads trained models,
:mod:`~resume_ner.training.identity` builds the spec and exec payloads a training run's
identity is hashed from, and :func:`~resume_ner.training.run.train_and_evaluate` ties them
together for the CLI, HPO folds, the refit and final training. Errors are in
:mod:`~resume_ner.training.errors`. torch and transformers are imported inside functions, so
importing these modules stays cheap.
"""
