"""The model of ``tags.yaml``: the registry of every tag key, grouped by purpose.

A user's ``tags.yaml`` is merged over the shipped registry section by section: a section it
holds replaces the shipped one and must name every key of :data:`REQUIRED_TAG_KEYS` in that
section; sections it leaves out keep their shipped keys. So renaming one key means copying its
section, and a missing key is an error at load, before anything is created, never halfway
through a run.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import RootModel, field_validator

from resume_ner.config.errors import ConfigError
from resume_ner.config.loader import (
    default_config_dir,
    load_config_file,
    read_yaml,
    resolve_config_file,
    validate_mapping,
)

_SECTION = re.compile(r"^[a-z][a-z0-9_]*$")
_TAG_KEY = re.compile(r"^[A-Za-z0-9_.\-/ ]{1,250}$")

#: Every ``section.name`` the code asks the registry for; a merged registry must hold them all.
REQUIRED_TAG_KEYS: frozenset[str] = frozenset(
    {
        "artifact.label_schema_hash",
        "azureml.run_type",
        "azureml.trial",
        "environment.cpu_model",
        "environment.fingerprint_hash",
        "environment.logical_cores",
        "environment.onnxruntime_providers",
        "environment.onnxruntime_version",
        "environment.python_version",
        "environment.threads",
        "environment.torch_version",
        "environment.transformers_version",
        "environment.usable_cores",
        "evaluation.data_file",
        "evaluation.data_fp",
        "evaluation.model_name",
        "evaluation.model_run_id",
        "evaluation.model_source",
        "evaluation.model_version",
        "evaluation.recognizers",
        "fingerprint.benchmark_config_hash",
        "fingerprint.conv_fp",
        "fingerprint.exec_fp",
        "fingerprint.refit_protocol_fp",
        "fingerprint.spec_fp",
        "fingerprint.variant",
        "grouping.grouping_schema_version",
        "grouping.run_key",
        "grouping.run_key_hash",
        "grouping.study_family_hash",
        "grouping.study_key_hash",
        "grouping.trial_key_hash",
        "hpo.best_trial_number",
        "hpo.best_trial_run_id",
        "hpo.fold_idx",
        "hpo.n_folds",
        "hpo.refit_completed",
        "hpo.resumed",
        "hpo.trial_id",
        "hpo.trial_number",
        "lineage.final_training_run_id",
        "lineage.hpo_refit_run_id",
        "lineage.hpo_study_key_hash",
        "lineage.hpo_sweep_run_id",
        "lineage.hpo_trial_key_hash",
        "lineage.hpo_trial_run_id",
        "lineage.parent_run_id",
        "lineage.source",
        "mlflow.note",
        "mlflow.parent_run_id",
        "mlflow.run_name",
        "objective.direction",
        "objective.metric",
        "paths.output_dir",
        "process.created_by",
        "process.env",
        "process.host",
        "process.interrupted",
        "process.interrupted_reason",
        "process.model",
        "process.pid",
        "process.pid_started",
        "process.project",
        "process.run_type",
        "process.stage",
        "process.status_note",
        "refit.has_validation",
        "refit.of_trial_run_id",
        "selection.latency_ms",
        "selection.objective_metric",
        "selection.stable_score",
        "selection.study_family_hash",
        "study.name",
        "study.pruner",
        "study.sampler",
        "training.parent_training_id",
        "training.trained_on_full_data",
        "training.training_type",
    }
)


class TagsConfig(RootModel[dict[str, dict[str, str]]]):
    """``section -> name -> tag key``; every key must be a valid MLflow tag key."""

    @field_validator("root")
    @classmethod
    def _valid_keys(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        seen: dict[str, str] = {}
        for section, names in value.items():
            if not _SECTION.match(section):
                raise ValueError(f"section name {section!r} must be lower_snake_case")
            for name, key in names.items():
                if not _TAG_KEY.match(key):
                    raise ValueError(f"{section}.{name}: {key!r} is not a valid MLflow tag key")
                if key in seen and seen[key] != f"{section}.{name}":
                    raise ValueError(
                        f"{section}.{name}: key {key!r} is already used by {seen[key]}"
                    )
                seen[key] = f"{section}.{name}"
        return value


def _missing_required(sections: dict[str, dict[str, str]], user_sections: set[str]) -> list[str]:
    missing = []
    for dotted in sorted(REQUIRED_TAG_KEYS):
        section, _, name = dotted.partition(".")
        if section in user_sections and name not in sections.get(section, {}):
            missing.append(dotted)
    return missing


def load_tags_config(config_dir: Path | None = None) -> TagsConfig:
    """Load ``tags.yaml`` from ``config_dir`` merged over the shipped registry.

    Raises :class:`ConfigError` naming the file and the first missing ``section.name`` when a
    section of the user's file lacks a key of :data:`REQUIRED_TAG_KEYS`, and for invalid or
    duplicate tag keys (also across the merged sections).
    """
    shipped = load_config_file("tags.yaml", TagsConfig, None)
    path = resolve_config_file("tags.yaml", config_dir)
    if path == default_config_dir() / "tags.yaml":
        return shipped
    user = validate_mapping(path, read_yaml(path), TagsConfig)
    merged = {**shipped.root, **user.root}
    missing = _missing_required(merged, set(user.root))
    if missing:
        more = f" (and {', '.join(missing[1:])})" if len(missing) > 1 else ""
        section, _, name = missing[0].partition(".")
        raise ConfigError(
            path,
            missing[0],
            f"missing{more}: the code writes this tag; add it (the shipped key is "
            f"{shipped.root[section][name]!r}) or leave the section '{section}' out to use the "
            "shipped one",
        )
    return validate_mapping(path, merged, TagsConfig)
