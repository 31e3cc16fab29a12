"""Lineage: the tags that tie a trained model back to the sweep, trial and refit it came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from resume_ner.naming.context import NamingContext
from resume_ner.naming.tags import TagsRegistry
from resume_ner.tracking.errors import TrackingError
from resume_ner.tracking.experiments import project_experiment_ids

if TYPE_CHECKING:
    from mlflow.entities import Run

    from resume_ner.tracking.context import TrackingContext


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


def _by_tags(
    tracking: TrackingContext, stage: str, named: Mapping[str, str | None], expected: str | None
) -> tuple[Run, str]:
    """The FINISHED ``stage`` run whose tags (registry names) equal ``named``; when several
    carry them, the one whose id is ``expected``."""
    from resume_ner.tracking.queries import query_runs_by_tags

    missing = [name for name, value in named.items() if not value]
    if missing:
        raise LineageError(f"cannot look up the {stage} run: no {', '.join(missing)} recorded")
    registry = tracking.registry
    required_stage = registry["process.stage"]
    required = {required_stage: stage}
    required.update({registry[name]: str(value) for name, value in named.items()})
    runs = query_runs_by_tags(
        tracking.client,
        list(
            project_experiment_ids(tracking.client, tracking.policy, process_types=[stage]).values()
        ),
        required,
        order_by=["attributes.start_time DESC"],
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


def _trained_model(tracking: TrackingContext, run: Run) -> tuple[Run, str]:
    """The training run (final or refit) a conversion or benchmark run was made from."""
    from resume_ner.naming.policy import parse_parent_training_id
    from resume_ner.tracking.reuse import find_stage_run

    registry = tracking.registry
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
    report = find_stage_run(tracking, context)
    if report is not None and report.run.info.status == "FINISHED":
        if expected is not None and report.run.info.run_id != expected:
            raise LineageError(
                f"the final training found by key {parent_id} is {report.run.info.run_id}, but "
                f"run {run.info.run_id} records {expected}"
            )
        return report.run, f"run key of {_short(parent_id, 40)} ({report.strategy_used})"
    # A candidate model (a refit) is named by its run-key hash instead of a spec fingerprint.
    return _by_tags(tracking, "hpo_refit", {"grouping.run_key_hash": parsed["spec_fp"]}, expected)


def _next_link(tracking: TrackingContext, run: Run) -> tuple[Run, str] | None:
    registry = tracking.registry
    tags = run.data.tags
    stage = tags.get(registry["process.stage"])
    if stage in ("conversion", "benchmarking"):
        return _trained_model(tracking, run)
    if stage == "final_training":
        if tags.get(registry["lineage.source"]) != "hpo":
            return None
        return _by_tags(
            tracking,
            "hpo_refit",
            {
                "grouping.study_key_hash": tags.get(registry["lineage.hpo_study_key_hash"]),
                "grouping.trial_key_hash": tags.get(registry["lineage.hpo_trial_key_hash"]),
            },
            tags.get(registry["lineage.hpo_refit_run_id"]),
        )
    if stage == "hpo_refit":
        return _by_tags(
            tracking,
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
            tracking,
            "hpo_sweep",
            {"grouping.study_key_hash": tags.get(registry["grouping.study_key_hash"])},
            expected,
        )
    return None


def trace_lineage(
    tracking: TrackingContext, run_id: str, *, found_by: str = "given"
) -> list[LineageLink]:
    """The chain from run ``run_id`` back to the sweep it came from, first link first.

    Each step is found by key: a conversion's or benchmark's model by its parent training id,
    a final training's refit by the study and trial keys of its lineage tags, a refit's trial
    by its keys, a trial's sweep by the study key; the id the lineage recorded must be the run
    found. A final training without HPO lineage ends the chain. Raises :class:`LineageError`
    when a link cannot be found or contradicts the recorded id, and what MLflow raises.
    """
    registry = tracking.registry
    run = tracking.client.get_run(run_id)
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
        step = _next_link(tracking, run)
        run, how = step if step is not None else (None, "")
    return chain
