"""The run index (run-key hash -> run id) and the run-name version counter.

Both live behind one backend interface (:class:`~resume_ner.tracking.index.base.IndexBackend`)
with two implementations: JSON files with append-only journals under a file lock (one machine)
and SQL tables through SQLAlchemy (several machines sharing PostgreSQL). Only the rebuild from
MLflow (``rebuild_mlflow_index``) imports MLflow, inside the function.
"""
