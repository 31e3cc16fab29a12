"""What each pipeline stage logs to MLflow, and how.

One tracker per stage: :class:`~resume_ner.tracking.trackers.sweep.MLflowSweepTracker` (sweep,
trials, folds, refit), :class:`~resume_ner.tracking.trackers.training.MLflowTrainingTracker`,
:class:`~resume_ner.tracking.trackers.conversion.MLflowConversionTracker` and
:class:`~resume_ner.tracking.trackers.benchmark.MLflowBenchmarkTracker`, all built on
:class:`~resume_ner.tracking.trackers.base.BaseTracker`. Trackers take a
:class:`~resume_ner.tracking.context.TrackingContext` and explicit run ids, never MLflow's
global active run; they create runs through
:func:`~resume_ner.tracking.stage_runs.start_stage_run` and log in batches
(:func:`~resume_ner.tracking.batching.log_batch_chunked`), never one call per value. A stage
whose ``tracking.<stage>.enabled`` is off gets ``None`` for every run id and logs nothing.
"""
