"""The model registry: one version per conversion run, and the champion alias.

A conversion run is registered once: registering it again finds its version instead of adding
another. The version carries the selection's figures as tags (stable score, latency, study
family), so that the next pipeline can compare its model with the champion by the rule of
:mod:`resume_ner.selection.champion`; the alias moves only when the new version wins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resume_ner.config.selection import SelectionConfig
from resume_ner.conversion.run import register_bundle
from resume_ner.selection.champion import ChampionDecision, ModelScore, decide_champion
from resume_ner.tracking.context import TrackingContext

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegistrationOutcome:
    """The model version of a conversion run, whether it was new, and the alias decision."""

    model_name: str
    version: str
    created: bool
    champion_version: str | None
    decision: ChampionDecision


def find_model_version(
    tracking: TrackingContext, model_name: str, run_id: str
) -> ModelVersion | None:
    """The version of ``model_name`` registered from run ``run_id``, ``None`` when there is none."""
    from mlflow.exceptions import MlflowException

    try:
        found = tracking.client.search_model_versions(
            f"name = '{_quote(model_name)}' and run_id = '{_quote(run_id)}'"
        )
    except MlflowException:
        return None
    return min(found, key=lambda version: int(version.version)) if found else None


def current_champion(tracking: TrackingContext, model_name: str, alias: str) -> ModelVersion | None:
    """The version ``alias`` points at, ``None`` when the model or the alias does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        return tracking.client.get_model_version_by_alias(model_name, alias)
    except MlflowException:
        return None


def _quote(value: str) -> str:
    return value.replace("'", "''")


def _score_of(tracking: TrackingContext, version: ModelVersion) -> ModelScore | None:
    registry = tracking.registry
    score = version.tags.get(registry.key("selection", "stable_score"))
    if score is None:
        return None
    latency = version.tags.get(registry.key("selection", "latency_ms"))
    return ModelScore(float(score), float(latency) if latency not in (None, "") else None)


def registered_model_description(model_name: str, alias: str) -> str:
    """The Markdown description of registered model ``model_name``: what it does, what its
    versions are and what alias ``alias`` means."""
    return (
        "Named-entity recognition for resumes: resume text in, entities (skills, education, "
        "job titles, contact details, ... as each version's model card lists) with character "
        "offsets out. "
        "Each version is an MLflow pyfunc on a `text` column, with the ONNX model it runs, "
        "registered by `resume-ner pipeline`; its description is its model card (data, scores "
        "per entity, latency, lineage back to the sweep).\n\n"
        f"The alias `{alias}` marks the version to serve: it moves to a new version only when "
        "that version beats it by `selection.yaml`'s rule. Serve it with `resume-ner serve` or "
        f"`mlflow models serve -m models:/{model_name}@{alias}`."
    )


def describe_registered_model(tracking: TrackingContext, model_name: str, alias: str) -> None:
    """Give registered model ``model_name`` its description unless it has one (one written by
    hand is kept). Raises what the MLflow client raises."""
    client = tracking.client
    if not (client.get_registered_model(model_name).description or "").strip():
        client.update_registered_model(
            model_name, description=registered_model_description(model_name, alias)
        )


def register_and_promote(
    tracking: TrackingContext,
    conversion_run_id: str,
    score: ModelScore,
    selection: SelectionConfig,
    *,
    study_family_hash: str | None = None,
    model_name: str | None = None,
) -> RegistrationOutcome:
    """Register conversion run ``conversion_run_id``'s model (once) and move the champion alias
    to it when ``score`` beats the current champion's.

    The model name (unless ``model_name``) and alias come from ``mlflow.yaml``'s
    ``registry``. A champion without
    selection figures (registered by hand) is kept: the alias is never taken from a model the
    rule cannot compare. Raises what :func:`register_bundle` and the MLflow client raise.
    """
    settings = tracking.config.registry
    name, alias = model_name or settings.model_name, settings.champion_alias
    client = tracking.client
    existing = find_model_version(tracking, name, conversion_run_id)
    created = existing is None
    version = register_bundle(tracking, conversion_run_id, name) if created else existing.version
    describe_registered_model(tracking, name, alias)
    key = tracking.registry.key
    tags = {
        key("selection", "stable_score"): repr(float(score.stable_score)),
        key("selection", "objective_metric"): selection.objective.metric,
    }
    if score.latency_ms is not None:
        tags[key("selection", "latency_ms")] = repr(float(score.latency_ms))
    if study_family_hash:
        tags[key("selection", "study_family_hash")] = study_family_hash
    for tag, value in tags.items():
        client.set_model_version_tag(name, str(version), tag, value)
    champion = current_champion(tracking, name, alias)
    if champion is not None and str(champion.version) == str(version):
        decision = ChampionDecision(False, f"version {version} is already {alias}")
        return RegistrationOutcome(name, str(version), created, str(version), decision)
    champion_score = _score_of(tracking, champion) if champion is not None else None
    if champion is not None and champion_score is None:
        decision = ChampionDecision(
            False,
            f"{alias} (version {champion.version}) has no selection figures to compare with; "
            f"move the alias by hand if version {version} should replace it",
        )
    else:
        decision = decide_champion(score, champion_score, selection)
    if decision.promote:
        client.set_registered_model_alias(name, alias, str(version))
        logger.info("%s version %s is now %s: %s", name, version, alias, decision.reason)
        champion_version = str(version)
    else:
        champion_version = str(champion.version) if champion is not None else None
    return RegistrationOutcome(name, str(version), created, champion_version, decision)
