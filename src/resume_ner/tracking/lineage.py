"""Lineage: the tags that tie a trained model back to the sweep, trial and refit it came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resume_ner.naming.context import NamingContext
from resume_ner.naming.tags import TagsRegistry, sanitize_tag_value
from resume_ner.tracking.finder import find_mlflow_run
from resume_ner.tracking.index.base import IndexBackend
from resume_ner.tracking.types import RunLookupReport

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient


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


def _set_tags(
    client: MlflowClient, run_id: str, registry: TagsRegistry, named: Mapping[str, Any]
) -> None:
    from mlflow.entities import RunTag

    tags = [
        RunTag(registry[name], sanitize_tag_value(value))
        for name, value in named.items()
        if value is not None
    ]
    if tags:
        client.log_batch(run_id, tags=tags)


def add_training_tags(
    client: MlflowClient,
    run_id: str,
    registry: TagsRegistry,
    *,
    training_type: str,
    trained_on_full_data: bool | None = None,
) -> None:
    """Tag a training run with its type (``final``, ``refit``, ``fold``) and data scope, in one call."""
    named: dict[str, Any] = {"training.training_type": training_type}
    if trained_on_full_data is not None:
        named["training.trained_on_full_data"] = str(trained_on_full_data).lower()
    _set_tags(client, run_id, registry, named)


def add_training_tags_with_lineage(
    client: MlflowClient,
    run_id: str,
    registry: TagsRegistry,
    lineage: Lineage,
    *,
    training_type: str,
    trained_on_full_data: bool | None = None,
) -> None:
    """:func:`add_training_tags` plus the lineage tags, in one call."""
    named: dict[str, Any] = {"training.training_type": training_type, **lineage.tags()}
    if trained_on_full_data is not None:
        named["training.trained_on_full_data"] = str(trained_on_full_data).lower()
    _set_tags(client, run_id, registry, named)


def apply_lineage_tags(
    client: MlflowClient,
    registry: TagsRegistry,
    lineage: Lineage,
    *,
    experiment_name: str,
    context: NamingContext | None = None,
    run_id: str | None = None,
    output_dir: Path | str | None = None,
    index: IndexBackend | None = None,
) -> RunLookupReport:
    """Find an existing training run (strictly, by id, output folder or identity) and tag its lineage.

    Raises :class:`~resume_ner.tracking.errors.RunNotFoundError` when no run carries the
    identity: lineage is never attached to a run found by a weaker guess.
    """
    report = find_mlflow_run(
        client,
        experiment_name,
        registry=registry,
        context=context,
        run_id=run_id,
        output_dir=output_dir,
        index=index,
        strict=True,
    )
    assert report.run_id is not None
    _set_tags(client, report.run_id, registry, lineage.tags())
    return report
