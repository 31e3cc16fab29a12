"""The run index (run-key hash -> MLflow experiment and run ids), the run-name version counter,
and the leases and heartbeats of the processes that share them.

All of them live in one database through SQLAlchemy (:mod:`resume_ner.tracking.index.sql`): an
SQLite file in the project by default, a PostgreSQL database for several machines. The index is
rebuilt from the tracking store when it was never built or its file was damaged or deleted.
"""
