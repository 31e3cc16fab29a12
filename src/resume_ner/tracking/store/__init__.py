"""Reading the tracking store: runs, experiments and model aliases, without importing MLflow
where the store allows it.

One interface, :class:`~resume_ner.tracking.store.base.StoreReader`, with three readers chosen
by the tracking URI (:func:`~resume_ner.tracking.store.base.open_store_reader`): an embedded
SQLite store is read through MLflow's schema with the standard library, a tracking server
through MLflow's documented REST API, and any other store through ``MlflowClient``.
"""
