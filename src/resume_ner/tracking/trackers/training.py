"""Tracking a training run: hyperparameters, per-epoch and per-entity metrics, label schema,
checkpoint.

Params are whatever training configuration the caller gives (nested mappings flattened to
dotted names, secrets dropped, values cut to MLflow's limit). The label schema (``id2label``)
is never a param: it overflows param limits and Azure ML's 200-params cap, so it goes in as a
hashed JSON artifact (``label_schema/<hash>.json``) with its hash as the tag
``artifact.label_schema_hash``. Per-entity metrics are named ``<entity>_<metric>`` (for example
``SKILLS_f1``); per-epoch metrics carry the epoch as their step.

A tracking server that is down never stops training: calls go through the tracker's
:class:`~resume_ner.tracking.breaker.CircuitBreaker`, so the first failing call is retried for a
bounded time and later calls are held at once. Held values, the checkpoint upload and the run's
end go to the run's :class:`~resume_ner.tracking.spool.Spool` (a file beside its outputs), which
is sent, in order and once, by the run's next call that the store answers, by
:meth:`MLflowTrainingTracker.flush`, or after the process ended by ``resume-ner runs sync``.
:meth:`MLflowTrainingTracker.unlogged` says what is still held. Errors a retry cannot mend (a
refused value) still raise.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from resume_ner.naming.context import NamingContext
from resume_ner.tracking.artifacts.stage_helpers import upload_training_artifacts
from resume_ner.tracking.breaker import CircuitBreaker
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.errors import TrackingUnavailableError
from resume_ner.tracking.spool import PendingValues, Spool
from resume_ner.tracking.trackers.base import BaseTracker

logger = logging.getLogger(__name__)

LABEL_SCHEMA_ARTIFACT_DIR = "label_schema"
#: Param names that carry the label schema; they never become params.
LABEL_SCHEMA_NAMES = ("id2label", "label2id")

_METRIC_NAME_UNSAFE = re.compile(r"[^\w.\- /]")


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``params`` with nested mappings flattened to dotted names (``{"a": {"b": 1}}`` -> ``a.b``)."""
    flat: dict[str, Any] = {}
    for name, value in params.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(flatten_params(value, f"{key}."))
        else:
            flat[key] = value
    return flat


def entity_metric_name(entity: str, metric: str) -> str:
    """The name of a per-entity metric: ``<entity>_<metric>`` with unsafe characters as ``_``."""
    return _METRIC_NAME_UNSAFE.sub("_", f"{entity}_{metric}")


def _label_schema(params: Mapping[str, Any]) -> dict[str, str] | None:
    """``id2label`` from ``params`` (a mapping or a list of labels, or inverted from
    ``label2id``), with string keys."""
    id2label = params.get("id2label")
    if id2label and not isinstance(id2label, Mapping):
        return {str(index): str(label) for index, label in enumerate(id2label)}
    if id2label:
        return {str(index): str(label) for index, label in id2label.items()}
    if params.get("label2id"):
        return {str(index): str(label) for label, index in dict(params["label2id"]).items()}
    return None


class MLflowTrainingTracker(BaseTracker):
    """Runs of final training (``tracking.training`` in ``mlflow.yaml``).

    Calls to the store go through ``breaker`` (default: one for the tracking URI); what it
    holds goes to the run's spool, in the run's output folder (``output_dir`` of
    :meth:`start_training_run`) or else the project's outputs folder (see the module
    docstring). Ending a run whose store is unreachable returns ``False`` instead of raising.
    """

    stage = "training"

    def __init__(
        self,
        tracking: TrackingContext,
        *,
        synchronous: bool = True,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        super().__init__(tracking, synchronous=synchronous)
        self.breaker = breaker or CircuitBreaker.for_uri(tracking.tracking_uri)
        self._spool_dirs: dict[str, Path] = {}
        self._spools: dict[str, Spool] = {}

    def _spool(self, run_id: str) -> Spool | None:
        with self._lock:
            return self._spools.get(run_id)

    def _hold(self, run_id: str, error: BaseException) -> Spool:
        with self._lock:
            spool = self._spools.get(run_id)
            if spool is None:
                folder = self._spool_dirs.get(run_id, self.tracking.paths.outputs_dir)
                spool = Spool.for_run(folder, run_id, self.tracking.tracking_uri)
                self._spools[run_id] = spool
                logger.warning(
                    "tracking store unreachable; holding what run %s is owed in %s: %s",
                    run_id,
                    spool.path,
                    error,
                )
        return spool

    def _write(self, run_id: str, values: PendingValues) -> None:
        spool = self._spool(run_id)
        if spool is None:
            try:
                super()._write(run_id, values)
                return
            except TrackingUnavailableError as exc:
                spool = self._hold(run_id, exc)
        spool.hold_values(values, tag_max_length=self.tracking.config.naming.tags.max_length)
        self._deliver(run_id)

    def _terminate(self, run_id: str, status: str, *, check_status: bool) -> bool:
        from mlflow.exceptions import MlflowException

        spool = self._spool(run_id)
        if spool is None:
            if check_status:
                return super()._terminate(run_id, status, check_status=check_status)
            try:
                self.breaker.call(
                    lambda: self.client.set_terminated(run_id, status), f"end run {run_id}"
                )
                return True
            except TrackingUnavailableError as exc:
                spool = self._hold(run_id, exc)
            except MlflowException as exc:
                logger.warning("could not end run %s as %s: %s", run_id, status, exc)
                return False
        spool.hold_end(status)
        return self._deliver(run_id)

    def _deliver(self, run_id: str) -> bool:
        """Send the run's spool if the breaker lets a call through; whether nothing is held."""
        spool = self._spool(run_id)
        if spool is None:
            return True
        if not self.breaker.allows_call():
            return False
        try:
            spool.send(self.client, self.breaker)
        except TrackingUnavailableError:
            return False
        with self._lock:
            self._spools.pop(run_id, None)
        return True

    def flush(self, run_id: str | None) -> bool:
        """Send what is held for ``run_id`` now if the store may be back; return whether
        nothing is left held.

        An error a retry cannot mend (a refused value) raises, as :meth:`log` does.
        """
        return run_id is None or self._deliver(run_id)

    def unlogged(self, run_id: str | None) -> list[str]:
        """What is still held for ``run_id``, in words (:meth:`Spool.describe`); empty if none."""
        spool = None if run_id is None else self._spool(run_id)
        return [] if spool is None else spool.describe()

    def spools(self) -> list[Spool]:
        """The spools of this tracker's runs that still hold something."""
        with self._lock:
            return list(self._spools.values())

    def start_training_run(
        self,
        context: NamingContext,
        *,
        params: Mapping[str, Any] | None = None,
        id2label: Mapping[int | str, str] | Sequence[str] | None = None,
        parent_run_id: str | None = None,
        lineage: Mapping[str, Any] | None = None,
        training_type: str | None = None,
        trained_on_full_data: bool | None = None,
        tags: Mapping[str, Any] | None = None,
        output_dir: Path | str | None = None,
    ) -> str | None:
        """Create a training run, log its params and label schema; return its id.

        ``params`` is the training configuration (``learning_rate``, ``batch_size``,
        ``epochs``, ``weight_decay``, ``warmup_ratio``, ``backbone``, ``seed``,
        ``max_length``, ... whatever it holds), logged in one batch; ``id2label`` /
        ``label2id`` found in it, or ``id2label`` given, become the label schema artifact
        instead. ``lineage`` maps names of the ``lineage`` tag section (``source``,
        ``hpo_sweep_run_id``, ``hpo_trial_key_hash``, ...) to values; ``tags`` takes any
        registry names. With ``output_dir`` the run is recorded in its ``metadata.json``.
        Returns ``None`` when training tracking is off. Raises what
        :meth:`BaseTracker.start_run` raises; a later failure ends the run FAILED first.
        """
        params = dict(params or {})
        schema = _label_schema({"id2label": id2label} if id2label else params)
        for name in LABEL_SCHEMA_NAMES:
            params.pop(name, None)
        all_tags: dict[str, Any] = {
            f"lineage.{name}": value for name, value in (lineage or {}).items()
        }
        all_tags["training.training_type"] = training_type
        if trained_on_full_data is not None:
            all_tags["training.trained_on_full_data"] = str(trained_on_full_data).lower()
        all_tags.update(tags or {})
        stage_run = self.start_run(
            context, parent_run_id=parent_run_id, tags=all_tags, output_dir=output_dir
        )
        if stage_run is None:
            return None
        if output_dir is not None:
            with self._lock:
                self._spool_dirs[stage_run.run_id] = Path(output_dir)
        try:
            if schema is not None:
                self._upload_label_schema(stage_run.run_id, schema)
            self.log(stage_run.run_id, params=flatten_params(params))
        except BaseException as exc:
            self._end_after_error(stage_run.run_id, exc)
            raise
        return stage_run.run_id

    def _upload_label_schema(self, run_id: str, id2label: Mapping[str, str]) -> str:
        digest = self.uploader(run_id).upload_hashed_json(dict(id2label), LABEL_SCHEMA_ARTIFACT_DIR)
        self.defer(run_id, tags={"artifact.label_schema_hash": digest})
        return digest

    def log_label_schema(
        self, run_id: str | None, id2label: Mapping[int | str, str] | Sequence[str]
    ) -> str | None:
        """Store the label schema as a hashed JSON artifact and tag the run with its hash.

        Returns the SHA-256 of the schema's canonical JSON (``None`` when not tracked). Raises
        :class:`~resume_ner.tracking.errors.ArtifactUploadError` when the upload fails.
        """
        if run_id is None:
            return None
        schema = _label_schema({"id2label": id2label}) or {}
        digest = self._upload_label_schema(run_id, schema)
        self.log(run_id)
        return digest

    def log_epoch_metrics(
        self, run_id: str | None, metrics: Mapping[str, float], epoch: int
    ) -> bool:
        """Log one epoch's metrics (loss, learning rate, validation scores) at step ``epoch``.

        Returns whether they reached the store; ``False`` when the store was unreachable and
        they wait in the run's spool (with anything held before) for the run's next call.
        """
        self.log(run_id, metrics=metrics, step=epoch)
        return run_id is None or self._spool(run_id) is None

    def log_evaluation(
        self,
        run_id: str | None,
        metrics: Mapping[str, float],
        *,
        per_entity: Mapping[str, Mapping[str, float]] | None = None,
        step: int | None = None,
    ) -> dict[str, float]:
        """Log evaluation metrics and per-entity metrics in one batch; return what was logged.

        ``per_entity`` maps an entity to its metrics (``{"SKILLS": {"f1": 0.8, "precision":
        ...}}``), logged as ``SKILLS_f1`` and so on (:func:`entity_metric_name`).
        """
        logged = dict(metrics)
        for entity, values in (per_entity or {}).items():
            for metric, value in values.items():
                logged[entity_metric_name(entity, metric)] = value
        self.log(run_id, metrics=logged, step=step)
        return logged

    def log_training_artifacts(
        self,
        run_id: str | None,
        checkpoint_dir: Path | str,
        metrics_json_path: Path | str | None = None,
    ) -> dict[str, object]:
        """Upload the checkpoint archive and ``metrics.json`` as the stage switches allow.

        See :func:`~resume_ner.tracking.artifacts.stage_helpers.upload_training_artifacts`
        (``log_checkpoint``, ``log_metrics_json``). Returns what was uploaded (empty when not
        tracked, and when the store is unreachable: the upload then waits in the run's spool).
        """
        if run_id is None:
            return {}
        spool = self._spool(run_id)
        if spool is None:
            try:
                return self.breaker.call(
                    lambda: upload_training_artifacts(
                        self.uploader(run_id), checkpoint_dir, metrics_json_path
                    ),
                    f"upload artifacts to run {run_id}",
                    retry=False,
                )
            except TrackingUnavailableError as exc:
                spool = self._hold(run_id, exc)
        spool.hold_artifacts(checkpoint_dir, metrics_json_path, self.switches)
        self._deliver(run_id)
        return {}
