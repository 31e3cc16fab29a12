"""Scoring a served model on annotated resumes.

:mod:`~resume_ner.evaluation.scoring` compares predicted spans with gold spans (strict and
lenient, per label, micro and macro, label errors, per document) and knows nothing of models;
:mod:`~resume_ner.evaluation.run` runs an inference engine over documents and scores it with and
without the pattern recognizers; :mod:`~resume_ner.evaluation.tracking` logs the result as an
evaluation run.
"""
