"""Finding the MLflow run of a given identity, by strategies tried in priority order.

Strict strategies only accept a run that carries the identity asked for:

1. ``direct_run_id``: the run id given, if that run is in the experiment and not deleted;
2. ``metadata_json``: the run id a stage recorded in ``<output_dir>/metadata.json``;
3. ``local_index``: the run index entry for the run-key hash (a stale entry is removed);
4. ``tag_run_key_hash``: the newest run (any status, not deleted) tagged with the run-key hash.

When not strict, weaker strategies follow, each limited to the stage asked for:

5. ``tag_context``: the newest run with the context's stage, model, env, spec and variant tags;
6. ``run_name``: the newest run named ``context.run_name``;
7. ``most_recent``: the newest run of the context's stage.

A strategy that fails (store error, unreadable metadata, broken index) is recorded in the
report's ``errors`` and the next one is tried; a strict lookup that finds nothing raises
:class:`~resume_ner.tracking.errors.RunNotFoundError`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

from resume_ner.naming.context import NamingContext
from resume_ner.naming.errors import NamingError
from resume_ner.naming.keys import build_mlflow_run_key, build_mlflow_run_key_hash
from resume_ner.naming.tags import TagsRegistry, build_mlflow_tags
from resume_ner.tracking.errors import RunNotFoundError, TrackingError
from resume_ner.tracking.index.base import IndexBackend
from resume_ner.tracking.index.run_index import (
    DEFAULT_MAX_ENTRIES,
    find_in_mlflow_index,
    remove_from_mlflow_index,
    update_mlflow_index,
)
from resume_ner.tracking.store.base import RunQuery, RunView, StoreReader
from resume_ner.tracking.types import RunLookupReport

logger = logging.getLogger(__name__)

#: Strategies that only accept a run carrying the identity asked for, in priority order.
STRICT_STRATEGIES = ("direct_run_id", "metadata_json", "local_index", "tag_run_key_hash")
#: Weaker strategies tried after those when the lookup is not strict, in priority order.
FALLBACK_STRATEGIES = ("tag_context", "run_name", "most_recent")
#: The file in a stage's output folder that records its run: ``{"mlflow": {"run_id": ...}}``.
METADATA_FILE = "metadata.json"

TRIAL_STAGE = "hpo_trial"
_HASH = re.compile(r"[0-9a-f]{64}")
_CONTEXT_TAG_NAMES = (
    ("process", "stage"),
    ("process", "model"),
    ("process", "env"),
    ("fingerprint", "spec_fp"),
    ("fingerprint", "variant"),
)
#: Failures a strategy records before the next one is tried (programming errors propagate).
_EXPECTED_ERRORS = (TrackingError, NamingError, OSError, ValueError)

Strategy = tuple[str, "Callable[[], RunView | None] | None"]


class _StaleIndexEntryError(TrackingError):
    """The index names a run that no longer carries the identity (removed from the index)."""


class _Lookup:
    """The strategies of one lookup in one experiment; each returns a run, or ``None``."""

    def __init__(
        self,
        reader: StoreReader,
        experiment_id: str,
        registry: TagsRegistry,
        report: RunLookupReport,
    ) -> None:
        self.reader = reader
        self.experiment_id = experiment_id
        self.registry = registry
        self.report = report

    def _rejection(self, run: RunView | None) -> str | None:
        if run is None:
            return "does not exist"
        if run.info.experiment_id != self.experiment_id:
            return f"is in experiment {run.info.experiment_id}, not {self.experiment_id}"
        if run.info.lifecycle_stage != "active":
            return "is deleted"
        return None

    def _checked(self, strategy: str, run_id: str) -> RunView | None:
        run = self.reader.get_run(run_id)
        reason = self._rejection(run)
        if reason is not None:
            self.report.errors.append(f"{strategy}: run {run_id} {reason}")
            return None
        return run

    def by_run_id(self, run_id: str) -> RunView | None:
        return self._checked("direct_run_id", run_id)

    def from_metadata(self, output_dir: Path) -> RunView | None:
        path = output_dir / METADATA_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        section = data.get("mlflow") if isinstance(data, Mapping) else None
        run_id = section.get("run_id") if isinstance(section, Mapping) else None
        if not run_id:
            return None
        if not isinstance(run_id, str):
            raise ValueError(f"{path}: mlflow.run_id is not a string: {run_id!r}")
        return self._checked("metadata_json", run_id)

    def from_index(self, index: IndexBackend, run_key_hash: str) -> RunView | None:
        entry = find_in_mlflow_index(index, run_key_hash)
        if entry is None or entry.experiment_id != self.experiment_id:
            # An entry for another experiment is not stale: that experiment may be searched next.
            return None
        run = self.reader.get_run(entry.run_id)
        reason = self._rejection(run)
        if run is not None and reason is None:
            tagged = run.data.tags.get(self.registry.key("grouping", "run_key_hash"))
            if tagged and tagged != run_key_hash:
                reason = f"carries run-key hash {tagged}"
        if reason is None:
            return run
        removed = remove_from_mlflow_index(index, run_key_hash)
        raise _StaleIndexEntryError(
            f"stale entry for {run_key_hash}: run {entry.run_id} {reason}"
            + ("; removed from the index" if removed else "")
        )

    def newest_tagged(self, tags: Mapping[str, str]) -> RunView | None:
        runs = self.reader.search_runs([self.experiment_id], RunQuery(tags=tags, max_results=1))
        return runs[0] if runs else None

    def tagged_and_indexed(
        self, run_key_hash: str, index: IndexBackend | None, max_entries: int
    ) -> RunView | None:
        """The newest run tagged with ``run_key_hash``, written back to ``index`` (if given) so
        that the next lookup is answered there."""
        run = self.newest_tagged({self.registry.key("grouping", "run_key_hash"): run_key_hash})
        if run is not None and index is not None:
            update_mlflow_index(
                index,
                run_key_hash,
                run.info.run_id,
                run.info.experiment_id,
                run_name=run.info.run_name,
                max_entries=max_entries,
            )
        return run


def _run_strategies(report: RunLookupReport, strategies: Sequence[Strategy]) -> RunLookupReport:
    """Try ``strategies`` in order until one returns a run; fill ``report`` on the way."""
    for name, attempt in strategies:
        if attempt is None:
            continue
        report.strategies_attempted.append(name)
        try:
            run = attempt()
        except _EXPECTED_ERRORS as exc:
            detail = (
                str(exc)
                if isinstance(exc, _StaleIndexEntryError)
                else f"{type(exc).__name__}: {exc}"
            )
            logger.warning("run lookup strategy %s failed: %s", name, detail)
            report.errors.append(f"{name}: {detail}")
            continue
        if run is not None:
            report.found = True
            report.run_id = run.info.run_id
            report.strategy_used = name
            report.run = run
            logger.debug("found run %s by %s", run.info.run_id, name)
            return report
    return report


def _context_tags(registry: TagsRegistry, context: NamingContext) -> dict[str, str]:
    # The tags a run of this context was created with, so that values match as written.
    written = build_mlflow_tags(registry, context, project_name="")
    keys = [registry.key(section, name) for section, name in _CONTEXT_TAG_NAMES]
    return {key: written[key] for key in keys if key in written}


def _not_found_message(experiment_name: str, report: RunLookupReport) -> str:
    tried = ", ".join(report.strategies_attempted) or (
        "none (give run_id, output_dir, run_key_hash or context)"
    )
    message = f"no run found in experiment {experiment_name!r}; strategies tried: {tried}"
    if report.errors:
        message += "; errors: " + " | ".join(report.errors)
    return message


def find_mlflow_run(
    reader: StoreReader,
    experiment_name: str,
    *,
    registry: TagsRegistry,
    context: NamingContext | None = None,
    run_id: str | None = None,
    output_dir: Path | str | None = None,
    run_key_hash: str | None = None,
    index: IndexBackend | None = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    strict: bool | None = None,
    strict_default: bool = True,
) -> RunLookupReport:
    """Find the run in ``experiment_name`` by the strategies of this module, in priority order.

    ``reader`` reads the tracking store (:mod:`resume_ner.tracking.store`). A strategy is tried
    only when its input is given: ``run_id``; ``output_dir``; ``index`` with ``run_key_hash``
    (or one built from ``context``); the run-key hash; ``context`` for the fallbacks, which only
    a non-strict lookup tries. A run found by its run-key hash tag is written back to ``index``
    (bounded by ``max_entries``). ``strict=None`` takes ``strict_default`` (the configured
    ``run_finder.strict_mode_default``). Raises
    :class:`~resume_ner.tracking.errors.RunNotFoundError` (with the report) when a strict lookup
    finds nothing, the experiment missing included; a non-strict one returns ``found=False``.
    :class:`~resume_ner.tracking.store.base.StoreReadError` is raised when the experiment
    cannot be read at all.
    """
    strict = strict_default if strict is None else strict
    report = RunLookupReport(found=False)
    experiment_id = reader.experiment_ids([experiment_name]).get(experiment_name)
    if experiment_id is None:
        report.errors.append(f"experiment {experiment_name!r} does not exist or is deleted")
    else:
        if run_key_hash is None and context is not None:
            try:
                run_key_hash = build_mlflow_run_key_hash(build_mlflow_run_key(context))
            except NamingError as exc:
                report.errors.append(f"run key: {exc}")
        lookup = _Lookup(reader, experiment_id, registry, report)
        strategies: list[Strategy] = [
            ("direct_run_id", partial(lookup.by_run_id, run_id) if run_id else None),
            (
                "metadata_json",
                partial(lookup.from_metadata, Path(output_dir)) if output_dir is not None else None,
            ),
            (
                "local_index",
                partial(lookup.from_index, index, run_key_hash)
                if index is not None and run_key_hash
                else None,
            ),
            (
                "tag_run_key_hash",
                partial(lookup.tagged_and_indexed, run_key_hash, index, max_entries)
                if run_key_hash
                else None,
            ),
        ]
        if not strict and context is not None:
            stage_key = registry.key("process", "stage")
            name_key = registry.key("mlflow", "run_name")
            strategies += [
                ("tag_context", partial(lookup.newest_tagged, _context_tags(registry, context))),
                (
                    "run_name",
                    partial(lookup.newest_tagged, {name_key: context.run_name})
                    if context.run_name
                    else None,
                ),
                ("most_recent", partial(lookup.newest_tagged, {stage_key: context.process_type})),
            ]
        _run_strategies(report, strategies)
    if not report.found and strict:
        raise RunNotFoundError(_not_found_message(experiment_name, report), report=report)
    return report


def find_run_by_trial_id(
    reader: StoreReader,
    trial_key_hash_or_trial_id: str,
    *,
    registry: TagsRegistry,
    experiment_ids: Sequence[str],
) -> RunLookupReport:
    """The trial run (stage ``hpo_trial``) with this trial key hash or trial id.

    ``reader`` reads the tracking store (:mod:`resume_ner.tracking.store`). A 64-character hex
    value is first looked up as the ``grouping.trial_key_hash`` tag (``tag_trial_key_hash``),
    then any value as the ``hpo.trial_id`` tag (``tag_trial_id``). Among the runs a strategy
    matches, the newest FINISHED run is preferred; without one, the newest run not tagged as
    interrupted (a pruned run ended KILLED, or a RUNNING one); runs tagged as interrupted are
    never returned. Only ``experiment_ids`` are searched (``ValueError`` when empty). Store
    errors are recorded in the report, which says ``found=False`` when no run matched.
    """
    if not experiment_ids:
        raise ValueError("find_run_by_trial_id needs the experiment ids to search")
    if not trial_key_hash_or_trial_id:
        raise ValueError("find_run_by_trial_id needs a trial key hash or trial id")
    value = trial_key_hash_or_trial_id
    stage_key = registry.key("process", "stage")
    interrupted_key = registry.key("process", "interrupted")

    def finished_else_newest(tag_key: str) -> RunView | None:
        # MLflow filters cannot say "tag missing OR not true"; the interrupted tag is read here.
        query = RunQuery(tags={tag_key: value, stage_key: TRIAL_STAGE})
        newest: RunView | None = None
        for run in reader.search_runs(experiment_ids, query):
            if run.data.tags.get(interrupted_key, "").strip().lower() == "true":
                continue
            if run.info.status == "FINISHED":
                return run
            newest = newest or run
        return newest

    hash_key = registry.key("grouping", "trial_key_hash")
    strategies: list[Strategy] = [
        (
            "tag_trial_key_hash",
            partial(finished_else_newest, hash_key) if _HASH.fullmatch(value) else None,
        ),
        ("tag_trial_id", partial(finished_else_newest, registry.key("hpo", "trial_id"))),
    ]
    return _run_strategies(RunLookupReport(found=False), strategies)
