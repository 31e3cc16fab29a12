"""Lineage: the tags that tie a trained model back to the sweep, trial and refit it came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from resume_ner.naming.context import NamingContext
from resume_ner.naming.tags import TagsRegistry
from resume_ner.tracking.errors import TrackingError
from resume_ner.tracking.experiments import project_experiment_names
from resume_ner.tracking.store.base import RunQuery, RunView, StoreReader

if TYPE_CHECKING:
    from resume_ner.naming.policy import NamingPolicy
    from resume_ner.tracking.index.base import IndexBackend


@dataclass(frozen=True)
class Lineage:
    """Where a training run's configuration came from (``source`` is ``hpo`` or ``manual``)."""

    source: str = "hpo"
    hpo_study_key_hash: str | None = None
    hpo_trial_key_hash: str | None = None
    hpo_sweep_run_id: str | None = None
    hpo_trial_run_id: str | None = None
    hpo_refit_run_id: str | None = None

    def tags(self) -> dict[str, str]:
        """The lineage as registry names (``lineage.<field>``) to values, empty fields left out."""
        return {
            f"lineage.{name}": value for name, value in asdict(self).items() if value is not None
        }

    @classmethod
    def from_tags(cls, tags: Mapping[str, str], registry: TagsRegistry) -> Lineage:
        """Read the lineage back from a run's tags."""
        values = {}
        for name in cls.__dataclass_fields__:
            key = registry.key("lineage", name)
            if key in tags:
                values[name] = tags[key]
        return cls(**values)


@dataclass(frozen=True)
class LineageLink:
    """One run of a model's chain: its stage, id, name, and how it was found from the run before."""

    stage: str
    run_id: str
    run_name: str
    found_by: str


class LineageError(TrackingError):
    """A link of a lineage chain cannot be found by its key, or contradicts the recorded id."""


@dataclass(frozen=True)
class _Store:
    """What the links are looked up in: the store, the tag names, the naming policy, the index."""

    reader: StoreReader
    registry: TagsRegistry
    policy: NamingPolicy
    index: IndexBackend | None


def _by_tags(
    store: _Store, stage: str, named: Mapping[str, str | None], expected: str | None
) -> tuple[RunView, str]:
    """The FINISHED ``stage`` run whose tags (registry names) equal ``named``; when several
    carry them, the one whose id is ``expected``."""
    missing = [name for name, value in named.items() if not value]
    if missing:
        raise LineageError(f"cannot look up the {stage} run: no {', '.join(missing)} recorded")
    registry = store.registry
    required_stage = registry["process.stage"]
    required = {required_stage: stage}
    required.update({registry[name]: str(value) for name, value in named.items()})
    experiments = store.reader.experiment_ids(
        project_experiment_names(store.policy, process_types=[stage])
    )
    runs = store.reader.search_runs(
        list(experiments.values()), RunQuery(tags=required, status="FINISHED")
    )
    described = ", ".join(
        f"{key}={_short(value)}" for key, value in required.items() if key != required_stage
    )
    if not runs:
        raise LineageError(f"no FINISHED {stage} run has {described}")
    chosen = next((run for run in runs if run.info.run_id == expected), runs[0])
    if expected is not None and chosen.info.run_id != expected:
        raise LineageError(
            f"the {stage} run found by {described} is {chosen.info.run_id}, but the lineage "
            f"records {expected}"
        )
    return chosen, f"tags {described}"


def _short(value: str, length: int = 12) -> str:
    return value if len(value) <= length else value[:length] + "..."


def _trained_model(store: _Store, run: RunView) -> tuple[RunView, str]:
    """The training run (final or refit) a conversion or benchmark run was made from."""
    from resume_ner.naming.policy import build_mlflow_experiment_name, parse_parent_training_id
    from resume_ner.tracking.errors import RunNotFoundError
    from resume_ner.tracking.finder import find_mlflow_run

    registry = store.registry
    tags = run.data.tags
    expected = tags.get(registry["lineage.parent_run_id"])
    parent_id = tags.get(registry["training.parent_training_id"])
    if not parent_id:
        raise LineageError(f"run {run.info.run_id} records no parent training id")
    parsed = parse_parent_training_id(parent_id)
    context = NamingContext(
        "final_training",
        tags.get(registry["process.model"], ""),
        environment=tags.get(registry["process.env"], "local"),
        spec_fp=parsed["spec_fp"],
        exec_fp=parsed["exec_fp"],
        variant=parsed["variant"],
    )
    try:
        report = find_mlflow_run(
            store.reader,
            build_mlflow_experiment_name("final_training", store.policy),
            registry=registry,
            context=context,
            index=store.index,
            strict=True,
        )
    except RunNotFoundError:
        report = None
    if report is not None and report.run is not None and report.run.info.status == "FINISHED":
        if expected is not None and report.run.info.run_id != expected:
            raise LineageError(
                f"the final training found by key {parent_id} is {report.run.info.run_id}, but "
                f"run {run.info.run_id} records {expected}"
            )
        return report.run, f"run key of {_short(parent_id, 40)} ({report.strategy_used})"
    # A candidate model (a refit) is named by its run-key hash instead of a spec fingerprint.
    return _by_tags(store, "hpo_refit", {"grouping.run_key_hash": parsed["spec_fp"]}, expected)


def _next_link(store: _Store, run: RunView) -> tuple[RunView, str] | None:
    registry = store.registry
    tags = run.data.tags
    stage = tags.get(registry["process.stage"])
    if stage in ("conversion", "benchmarking"):
        return _trained_model(store, run)
    if stage == "final_training":
        if tags.get(registry["lineage.source"]) != "hpo":
            return None
        return _by_tags(
            store,
            "hpo_refit",
            {
                "grouping.study_key_hash": tags.get(registry["lineage.hpo_study_key_hash"]),
                "grouping.trial_key_hash": tags.get(registry["lineage.hpo_trial_key_hash"]),
            },
            tags.get(registry["lineage.hpo_refit_run_id"]),
        )
    if stage == "hpo_refit":
        return _by_tags(
            store,
            "hpo_trial",
            {
                "grouping.study_key_hash": tags.get(registry["grouping.study_key_hash"]),
                "grouping.trial_key_hash": tags.get(registry["grouping.trial_key_hash"]),
            },
            tags.get(registry["refit.of_trial_run_id"]) or None,
        )
    if stage in ("hpo_trial", "hpo_trial_fold"):
        expected = tags.get(registry["mlflow.parent_run_id"]) if stage == "hpo_trial" else None
        return _by_tags(
            store,
            "hpo_sweep",
            {"grouping.study_key_hash": tags.get(registry["grouping.study_key_hash"])},
            expected,
        )
    return None


def trace_lineage(
    reader: StoreReader,
    run_id: str,
    *,
    registry: TagsRegistry,
    policy: NamingPolicy,
    index: IndexBackend | None = None,
    found_by: str = "given",
) -> list[LineageLink]:
    """The chain from run ``run_id`` back to the sweep it came from, first link first.

    ``reader`` reads the store; a final training is looked up in ``index`` first when given.
    Each step is found by key: a conversion's or benchmark's model by its parent training id,
    a final training's refit by the study and trial keys of its lineage tags, a refit's trial
    by its keys, a trial's sweep by the study key; the id the lineage recorded must be the run
    found. A final training without HPO lineage ends the chain. Raises :class:`LineageError`
    when a link cannot be found or contradicts the recorded id (or ``run_id`` does not exist),
    and :class:`~resume_ner.tracking.store.base.StoreReadError` when the store cannot be read.
    """
    store = _Store(reader, registry, policy, index)
    run = reader.get_run(run_id)
    if run is None:
        raise LineageError(f"run {run_id} does not exist")
    chain: list[LineageLink] = []
    seen: set[str] = set()
    how = found_by
    while run is not None and run.info.run_id not in seen:
        seen.add(run.info.run_id)
        chain.append(
            LineageLink(
                run.data.tags.get(registry["process.stage"], "?"),
                run.info.run_id,
                run.info.run_name or "",
                how,
            )
        )
        step = _next_link(store, run)
        run, how = step if step is not None else (None, "")
    return chain
