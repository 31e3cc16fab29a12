"""Finding the candidates of a study family in MLflow: sweeps, trials, best trial, refit, latency.

Every lookup is a server-side search with equality filters on registry tags, in the experiment
of its stage: never an unfiltered search of an experiment, never "the most recent run".

1. sweeps: stage ``hpo_sweep``, ``grouping.study_family_hash`` and status FINISHED;
2. trials: stage ``hpo_trial``, the family hash and status FINISHED (pruned, failed and
   interrupted trials end KILLED or FAILED and are left out by the filter); a trial belongs to
   the sweep its ``mlflow.parentRunId`` names and must carry that sweep's study key hash, and a
   run tagged ``process.interrupted`` is ignored whatever its status;
3. refits: stage ``hpo_refit``, the family hash and status FINISHED; the refit of a sweep's
   best trial is the one whose ``refit.of_trial_run_id`` names that trial run, else (a refit
   reused from an earlier version of the sweep) the one carrying the trial's study and trial
   key hashes; two matches are ambiguous and reported, not guessed between;
4. benchmarks, per refit: stage ``benchmarking``, status FINISHED and ``lineage.parent_run_id``
   (the model the benchmark measured) or ``lineage.hpo_refit_run_id`` (a model derived from
   the refit) equal to the refit run id. MLflow's filter grammar has no ``OR``, so these are
   two searches. The latency is the median of the configured metric over those runs.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from resume_ner.config.selection import SelectionConfig
from resume_ner.naming.policy import build_mlflow_experiment_name
from resume_ner.naming.tags import TagsRegistry
from resume_ner.selection.errors import SelectionError
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.experiments import project_experiment_ids
from resume_ner.tracking.filters import (
    and_filters,
    attribute_equals,
    quote_key,
    quote_value,
    tag_equals,
)
from resume_ner.tracking.queries import query_runs_by_tags, search_all_runs
from resume_ner.tracking.retry import retry_with_backoff
from resume_ner.tracking.trackers.benchmark import benchmark_metric_name

if TYPE_CHECKING:
    from mlflow.entities import Run

SWEEP_STAGE = "hpo_sweep"
TRIAL_STAGE = "hpo_trial"
REFIT_STAGE = "hpo_refit"
BENCHMARK_STAGE = "benchmarking"
#: The lineage tags (registry names) by which a benchmark run points at the refit it measured.
BENCHMARK_LINEAGE_TAGS = ("lineage.parent_run_id", "lineage.hpo_refit_run_id")
#: Shortest study-family hash prefix accepted on the command line.
MIN_FAMILY_PREFIX = 6

_HEX = re.compile(r"[0-9a-f]+")
T = TypeVar("T")


@dataclass(frozen=True)
class TrialResult:
    """A finished trial run and its objective value (the mean over CV folds)."""

    run_id: str
    trial_number: int | None
    trial_key_hash: str | None
    value: float


@dataclass(frozen=True)
class LatencyLookup:
    """What the benchmark runs of a refit say about its latency.

    ``value_ms`` is the median of ``metric`` over ``measured_run_ids`` (``None`` when no run
    logged it); ``unmeasured_run_ids`` are benchmark runs of the refit without the metric;
    ``environments`` the distinct environment fingerprint hashes of the measuring runs.
    """

    metric: str
    value_ms: float | None
    measured_run_ids: tuple[str, ...] = ()
    unmeasured_run_ids: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """One FINISHED sweep of the family: its trials (best first), refit and latency.

    ``refit_problem`` says why ``refit_run_id`` is ``None`` (no refit, or an ambiguous one);
    ``latency`` is ``None`` when there is no refit to look benchmarks up for.
    """

    backbone: str
    sweep_run_id: str
    sweep_run_name: str
    study_key_hash: str | None
    study_name: str | None
    trials: tuple[TrialResult, ...]
    refit_run_id: str | None = None
    refit_problem: str | None = None
    latency: LatencyLookup | None = None

    @property
    def best_trial(self) -> TrialResult | None:
        """The trial with the best objective value (ties: the sweep's own pick, then the first)."""
        return self.trials[0] if self.trials else None

    @property
    def latency_ms(self) -> float | None:
        """The refit's latency in milliseconds, ``None`` when it was not measured."""
        return self.latency.value_ms if self.latency is not None else None


@dataclass(frozen=True)
class CandidatePool:
    """The candidates of one study family and what was noticed on the way (``notes``)."""

    study_family_hash: str
    experiment_name: str
    candidates: tuple[Candidate, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FamilyChoice:
    """The study family to compare and, when it was not given in full, how it was chosen."""

    study_family_hash: str
    message: str | None = None


def latency_metric_name(config: SelectionConfig) -> str:
    """The benchmark metric ``config.latency`` names, e.g. ``onnx_fp32/latency_b1_s256_p50_ms``."""
    source = config.latency
    return benchmark_metric_name(source.runtime, source.quantity, source.batch_size, source.seq_len)


def _short(run_or_hash: str) -> str:
    return run_or_hash[:12]


class _Store:
    """Server-filtered searches in the project's experiments, retried on transient errors."""

    def __init__(self, tracking: TrackingContext) -> None:
        self.client = tracking.client
        self.registry: TagsRegistry = tracking.registry
        self.policy = tracking.policy

    def key(self, dotted: str) -> str:
        return self.registry[dotted]

    def experiment_id(self, process_type: str) -> tuple[str, str | None]:
        """The name of the experiment of ``process_type`` and its id (``None``: missing)."""
        name = build_mlflow_experiment_name(process_type, self.policy)
        found = self._call(
            lambda: project_experiment_ids(self.client, self.policy, names=[name]),
            f"get experiment {name}",
        )
        return name, found.get(name)

    def runs(
        self,
        experiment_id: str,
        tags: Mapping[str, str],
        *,
        status: str | None = "FINISHED",
        filter_string: str = "",
        skip_interrupted: bool = True,
    ) -> list[Run]:
        """Runs whose registry-named ``tags`` equal the values, filtered by the server.

        Runs tagged ``process.interrupted`` are left out unless ``skip_interrupted`` is off.
        """
        required = {self.key(name): value for name, value in tags.items()}
        runs = self._call(
            lambda: query_runs_by_tags(
                self.client,
                [experiment_id],
                required,
                status=status,
                filter_string=filter_string,
            ),
            "search runs by tags",
        )
        if not skip_interrupted:
            return runs
        interrupted = self.key("process.interrupted")
        return [run for run in runs if run.data.tags.get(interrupted, "").strip().lower() != "true"]

    def search(
        self,
        experiment_id: str,
        filter_string: str,
        *,
        order_by: Sequence[str] | None = None,
        max_results: int | None = None,
    ) -> list[Run]:
        return self._call(
            lambda: search_all_runs(
                self.client, [experiment_id], filter_string, order_by, max_results=max_results
            ),
            "search runs",
        )

    @staticmethod
    def _call(func: Callable[[], T], operation: str) -> T:
        return retry_with_backoff(func, operation_name=operation)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _trial_number(run: Run, store: _Store) -> int | None:
    text = run.data.tags.get(store.key("hpo.trial_number"), "")
    return int(text) if text.strip().lstrip("-").isdigit() else None


def _trial_results(
    trial_runs: Sequence[Run], store: _Store, config: SelectionConfig, named_best: str | None
) -> tuple[TrialResult, ...]:
    """The trials with a finite objective value, best first.

    Ties on the value go to the trial the sweep itself named best (``hpo.best_trial_run_id``),
    then to the lower trial number, as Optuna breaks them.
    """
    metric = config.objective.metric
    results = []
    for run in trial_runs:
        value = run.data.metrics.get(metric)
        if not _finite(value):
            continue
        results.append(
            TrialResult(
                run.info.run_id,
                _trial_number(run, store),
                run.data.tags.get(store.key("grouping.trial_key_hash")),
                float(value),
            )
        )
    sign = -1.0 if config.maximize else 1.0
    results.sort(
        key=lambda t: (
            sign * t.value,
            t.run_id != named_best,
            t.trial_number if t.trial_number is not None else math.inf,
            t.run_id,
        )
    )
    return tuple(results)


def _match_refit(
    best: TrialResult, study_key_hash: str | None, refits: Sequence[Run], store: _Store
) -> tuple[str | None, str | None]:
    """The refit run of ``best`` and ``None``, or ``None`` and why there is none."""
    of_trial = store.key("refit.of_trial_run_id")
    by_trial_run = [run for run in refits if run.data.tags.get(of_trial) == best.run_id]
    matches = by_trial_run
    if not matches and best.trial_key_hash and study_key_hash:
        study_key = store.key("grouping.study_key_hash")
        trial_key = store.key("grouping.trial_key_hash")
        matches = [
            run
            for run in refits
            if run.data.tags.get(study_key) == study_key_hash
            and run.data.tags.get(trial_key) == best.trial_key_hash
        ]
    trial = f"trial {best.trial_number} (run {best.run_id})"
    if not matches:
        return None, (
            f"no FINISHED refit run of its best {trial}: run `resume-ner hpo` again with "
            "refit.enabled: true in hpo.yaml to retrain it on all training data"
        )
    if len(matches) > 1:
        protocol = store.key("fingerprint.refit_protocol_fp")
        listed = ", ".join(
            f"{run.info.run_id} (refit protocol {_short(run.data.tags.get(protocol, '?'))})"
            for run in sorted(matches, key=lambda run: run.info.run_id)
        )
        return None, (
            f"{len(matches)} FINISHED refit runs retrain its best {trial}: {listed}; "
            "delete the obsolete ones (`mlflow runs delete --run-id ...`) so that one remains"
        )
    return matches[0].info.run_id, None


def _latency(
    store: _Store, experiment_id: str | None, refit_run_id: str, metric: str
) -> LatencyLookup:
    if experiment_id is None:
        return LatencyLookup(metric, None)
    found: dict[str, Run] = {}
    for lineage_tag in BENCHMARK_LINEAGE_TAGS:
        for run in store.runs(
            experiment_id, {"process.stage": BENCHMARK_STAGE, lineage_tag: refit_run_id}
        ):
            found.setdefault(run.info.run_id, run)
    measured = sorted(
        (run for run in found.values() if _finite(run.data.metrics.get(metric))),
        key=lambda run: run.info.run_id,
    )
    unmeasured = sorted(set(found) - {run.info.run_id for run in measured})
    environment_key = store.key("environment.fingerprint_hash")
    environments = sorted(
        {run.data.tags[environment_key] for run in measured if run.data.tags.get(environment_key)}
    )
    value = statistics.median(run.data.metrics[metric] for run in measured) if measured else None
    return LatencyLookup(
        metric,
        value,
        tuple(run.info.run_id for run in measured),
        tuple(unmeasured),
        tuple(environments),
    )


def _unfinished_sweep_notes(store: _Store, experiment_id: str, family: str) -> list[str]:
    runs = store.runs(
        experiment_id,
        {"process.stage": SWEEP_STAGE, "grouping.study_family_hash": family},
        status=None,
        filter_string=f"attributes.status != {quote_value('FINISHED')}",
        skip_interrupted=False,
    )
    notes = []
    for run in sorted(runs, key=lambda run: (run.info.run_name or "", run.info.run_id)):
        backbone = run.data.tags.get(store.key("process.model"), "?")
        state = run.info.status
        action = (
            "it is still running"
            if state == "RUNNING"
            else "run `resume-ner hpo` again to resume it"
        )
        notes.append(
            f"sweep run {run.info.run_name} ({run.info.run_id}, backbone {backbone}) is "
            f"{state}, not FINISHED: it is not compared ({action})"
        )
    return notes


def collect_candidates(
    tracking: TrackingContext, study_family_hash: str, config: SelectionConfig
) -> CandidatePool:
    """The FINISHED sweeps of study family ``study_family_hash`` as candidates (see module doc).

    Each candidate holds its finished trials with a value of ``config.objective.metric`` (best
    first), the refit of its best trial (or why there is none) and the latency the refit's
    benchmark runs logged under :func:`latency_metric_name`. ``notes`` report sweeps of the
    family that have not finished and sweeps that optimised another metric. Raises
    :class:`SelectionError` when no sweep has been tracked at all (no HPO experiment), and
    ``MlflowException`` when the store cannot be searched.
    """
    store = _Store(tracking)
    experiment_name, hpo_experiment = store.experiment_id(SWEEP_STAGE)
    if hpo_experiment is None:
        raise SelectionError(
            f"no sweep has been tracked yet (experiment {experiment_name!r} does not exist): "
            "run `resume-ner hpo` first"
        )
    family = {"grouping.study_family_hash": study_family_hash}
    sweeps = store.runs(hpo_experiment, {"process.stage": SWEEP_STAGE, **family})
    notes = _unfinished_sweep_notes(store, hpo_experiment, study_family_hash)
    if not sweeps:
        return CandidatePool(study_family_hash, experiment_name, (), tuple(notes))
    trials = store.runs(hpo_experiment, {"process.stage": TRIAL_STAGE, **family})
    refits = store.runs(hpo_experiment, {"process.stage": REFIT_STAGE, **family})
    _, benchmark_experiment = store.experiment_id(BENCHMARK_STAGE)
    parent_key = store.key("mlflow.parent_run_id")
    study_key = store.key("grouping.study_key_hash")
    trials_by_sweep: dict[str, list[Run]] = {}
    for run in trials:
        trials_by_sweep.setdefault(run.data.tags.get(parent_key, ""), []).append(run)
    metric = config.objective.metric
    latency_metric = latency_metric_name(config)
    candidates = []
    for sweep in sorted(sweeps, key=lambda run: (run.info.run_name or "", run.info.run_id)):
        tags = sweep.data.tags
        sweep_id = sweep.info.run_id
        study_key_hash = tags.get(study_key)
        swept_metric = tags.get(store.key("objective.metric"))
        if swept_metric and swept_metric != metric:
            notes.append(
                f"sweep run {sweep.info.run_name} optimised {swept_metric!r}; selection compares "
                f"its trials by {metric!r} (objective.metric in selection.yaml)"
            )
        own_trials = [
            run
            for run in trials_by_sweep.get(sweep_id, [])
            if study_key_hash is None or run.data.tags.get(study_key) == study_key_hash
        ]
        results = _trial_results(
            own_trials, store, config, tags.get(store.key("hpo.best_trial_run_id"))
        )
        refit_run_id = refit_problem = None
        latency = None
        if results:
            refit_run_id, refit_problem = _match_refit(results[0], study_key_hash, refits, store)
        if refit_run_id is not None:
            latency = _latency(store, benchmark_experiment, refit_run_id, latency_metric)
        candidates.append(
            Candidate(
                backbone=tags.get(store.key("process.model"), "?"),
                sweep_run_id=sweep_id,
                sweep_run_name=sweep.info.run_name or sweep_id,
                study_key_hash=study_key_hash,
                study_name=tags.get(store.key("study.name")),
                trials=results,
                refit_run_id=refit_run_id,
                refit_problem=refit_problem,
                latency=latency,
            )
        )
    return CandidatePool(study_family_hash, experiment_name, tuple(candidates), tuple(notes))


def resolve_study_family(tracking: TrackingContext, study_family: str | None) -> FamilyChoice:
    """The study family to compare: ``study_family`` (a full hash or a unique prefix) or a default.

    A prefix (at least :data:`MIN_FAMILY_PREFIX` hex digits) is matched against the sweeps'
    family tags on the server. Without ``study_family`` the family of the sweep run that
    finished last is taken, and :attr:`FamilyChoice.message` says so. Raises
    :class:`SelectionError` for a value that is not hex, a prefix no sweep (or more than one
    family) matches, or a store without any FINISHED sweep.
    """
    store = _Store(tracking)
    experiment_name, experiment_id = store.experiment_id(SWEEP_STAGE)
    if experiment_id is None:
        raise SelectionError(
            f"no sweep has been tracked yet (experiment {experiment_name!r} does not exist): "
            "run `resume-ner hpo` first"
        )
    family_key = store.key("grouping.study_family_hash")
    stage = tag_equals(store.key("process.stage"), SWEEP_STAGE)
    if study_family is not None:
        value = study_family.strip().lower()
        if not _HEX.fullmatch(value) or not MIN_FAMILY_PREFIX <= len(value) <= 64:
            raise SelectionError(
                f"--study-family must be a study-family hash or a prefix of at least "
                f"{MIN_FAMILY_PREFIX} of its hex digits, got {study_family!r}"
            )
        if len(value) == 64:
            return FamilyChoice(value)
        runs = store.search(
            experiment_id, and_filters(stage, f"tags.{quote_key(family_key)} LIKE '{value}%'")
        )
        families = sorted(
            {run.data.tags[family_key] for run in runs if family_key in run.data.tags}
        )
        if not families:
            raise SelectionError(f"no sweep run has a study family hash starting with {value!r}")
        if len(families) > 1:
            raise SelectionError(
                f"the prefix {value!r} matches {len(families)} study families "
                f"({', '.join(families)}): give more digits"
            )
        return FamilyChoice(families[0])
    latest = store.search(
        experiment_id,
        and_filters(stage, attribute_equals("status", "FINISHED")),
        order_by=["attributes.end_time DESC"],
        max_results=1,
    )
    if not latest or not latest[0].data.tags.get(family_key):
        raise SelectionError(
            f"no FINISHED sweep run with a study family in experiment {experiment_name!r}: "
            "run `resume-ner hpo` first, or pass --study-family"
        )
    run = latest[0]
    family = run.data.tags[family_key]
    backbone = run.data.tags.get(store.key("process.model"), "?")
    return FamilyChoice(
        family,
        f"no --study-family given: comparing the sweeps of study family {family}, the family of "
        f"the sweep run that finished last ({run.info.run_name}, backbone {backbone}); pass "
        "--study-family to compare another family",
    )
