"""Identity keys and their hashes.

A key is a canonical payload of everything that determines a result; its SHA-256 hash is the
identity that tags, the run index and the version counter use. Hashes are always 64 hex
characters; run names show a prefix only.

- study key: data identity, search space, objective, CV protocol, sampler, pruner, training
  budget and backbone;
- study-family key: the same without the backbone, to compare backbones on one study;
- trial key: the study key hash and the normalised hyperparameters;
- refit protocol fingerprint: how the best trial is retrained on all training data;
- run key: the stage plus the identities that make one run of it, and its hash;
- counter key: the scope of one run-name version counter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from resume_ner.naming.canonical import hash_payload, normalize_value, sha256_hex
from resume_ner.naming.context import NamingContext
from resume_ner.naming.errors import NamingError

KEY_SCHEMA_VERSION = 1

#: Hyperparameter names that describe the trial rather than the configuration it tries.
NON_IDENTITY_HYPERPARAMETERS = frozenset({"backbone", "trial_number", "run_id"})


def _normalize_model_name(model: str) -> str:
    normalized = model.strip().lower()
    if not normalized:
        raise NamingError("backbone must not be empty")
    return normalized


def build_hpo_study_family_key(
    *,
    data_fingerprint: str,
    search_space: Mapping[str, Any],
    objective: Mapping[str, Any],
    cv: Mapping[str, Any],
    sampler: Mapping[str, Any],
    pruner: Mapping[str, Any],
    training: Mapping[str, Any] | None = None,
    backbone_search_spaces: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The study-family key: a study's identity without its backbone.

    ``backbone_search_spaces`` (the ranges particular backbones search instead of
    ``search_space``'s) belongs to the family only, and only when there are any.
    """
    if not data_fingerprint:
        raise NamingError("data_fingerprint must not be empty")
    hpo = {
        "search_space": dict(search_space),
        "objective": dict(objective),
        "cv": dict(cv),
        "sampler": dict(sampler),
        "pruner": dict(pruner),
    }
    if backbone_search_spaces:
        hpo["backbone_search_spaces"] = dict(backbone_search_spaces)
    return {
        "schema_version": KEY_SCHEMA_VERSION,
        "data": {"fingerprint": data_fingerprint},
        "hpo": hpo,
        "training": dict(training or {}),
    }


def build_hpo_study_key(
    *, backbone: str, backbone_config: Mapping[str, Any] | None = None, **family_fields: Any
) -> dict[str, Any]:
    """The study key: the study-family key plus the (normalised) backbone and its definition.

    Takes the keyword arguments of :func:`build_hpo_study_family_key`, ``backbone`` and, for a
    preset, ``backbone_config`` (its definition, which belongs to the study but not the family).
    """
    key = build_hpo_study_family_key(**family_fields)
    key["model"] = _normalize_model_name(backbone)
    if backbone_config:
        key["model_config"] = dict(backbone_config)
    return key


def build_hpo_study_key_hash(study_key: Mapping[str, Any]) -> str:
    """SHA-256 of a study key."""
    return hash_payload(study_key)


def build_hpo_study_family_hash(study_family_key: Mapping[str, Any]) -> str:
    """SHA-256 of a study-family key."""
    return hash_payload(study_family_key)


def normalize_hyperparameters(hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    """Hyperparameters as they enter a trial key.

    Trial-describing names (:data:`NON_IDENTITY_HYPERPARAMETERS`) are dropped, floats rounded
    to 12 significant digits and strings trimmed and lower-cased (categorical choices are
    case-insensitive).
    """
    normalized: dict[str, Any] = {}
    for name, value in hyperparameters.items():
        if name in NON_IDENTITY_HYPERPARAMETERS:
            continue
        if isinstance(value, str):
            value = value.strip().lower()
        normalized[str(name)] = normalize_value(value)
    return normalized


def build_hpo_trial_key(study_key_hash: str, hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    """The trial key: the study key hash and the normalised hyperparameters."""
    if not isinstance(study_key_hash, str) or len(study_key_hash) != 64:
        raise NamingError(f"study_key_hash must be a 64-character hash, got {study_key_hash!r}")
    return {
        "schema_version": KEY_SCHEMA_VERSION,
        "study_key_hash": study_key_hash,
        "hyperparameters": normalize_hyperparameters(hyperparameters),
    }


def build_hpo_trial_key_hash(trial_key: Mapping[str, Any]) -> str:
    """SHA-256 of a trial key."""
    return hash_payload(trial_key)


def compute_refit_protocol_fp(
    *,
    data_fingerprint: str,
    refit: Mapping[str, Any],
    objective: Mapping[str, Any],
) -> str:
    """Fingerprint of how the best trial is retrained (data, refit settings, objective)."""
    return hash_payload(
        {
            "schema_version": KEY_SCHEMA_VERSION,
            "data": {"fingerprint": data_fingerprint},
            "refit": dict(refit),
            "objective": dict(objective),
        }
    )


def _require(context: NamingContext, *fields: str) -> None:
    missing = [name for name in fields if getattr(context, name) in (None, "")]
    if missing:
        raise NamingError(
            f"a {context.process_type} run key needs {', '.join(missing)}; "
            f"got a context without {'it' if len(missing) == 1 else 'them'}"
        )


def build_mlflow_run_key(context: NamingContext) -> str:
    """The run key of ``context``: its stage and the identities that make one run of it.

    Raises :class:`NamingError` when a field the stage needs is missing.
    """
    model = _normalize_model_name(context.model)
    process = context.process_type
    if process == "hpo_sweep":
        _require(context, "study_key_hash")
        parts = [f"study_{context.study_key_hash}"]
    elif process == "hpo_trial":
        _require(context, "study_key_hash", "trial_key_hash")
        parts = [f"study_{context.study_key_hash}", f"trial_{context.trial_key_hash}"]
    elif process == "hpo_trial_fold":
        _require(context, "study_key_hash", "trial_key_hash", "fold_idx")
        parts = [
            f"study_{context.study_key_hash}",
            f"trial_{context.trial_key_hash}",
            f"fold_{context.fold_idx}",
        ]
    elif process == "hpo_refit":
        _require(context, "study_key_hash", "trial_key_hash", "refit_protocol_fp")
        parts = [
            f"study_{context.study_key_hash}",
            f"trial_{context.trial_key_hash}",
            f"refit_{context.refit_protocol_fp}",
        ]
    elif process == "final_training":
        _require(context, "spec_fp", "exec_fp")
        parts = [f"spec_{context.spec_fp}", f"exec_{context.exec_fp}", f"v{context.variant}"]
    elif process == "conversion":
        _require(context, "parent_training_id", "conv_fp")
        parts = [f"parent_{context.parent_training_id}", f"conv_{context.conv_fp}"]
    else:  # benchmarking
        _require(context, "parent_training_id", "benchmark_config_hash")
        parts = [
            f"parent_{context.parent_training_id}",
            f"target_{context.target or 'default'}",
            f"bench_{context.benchmark_config_hash}",
        ]
    return ":".join([process, model, *parts])


def build_mlflow_run_key_hash(run_key: str) -> str:
    """SHA-256 of a run key."""
    if not run_key:
        raise NamingError("run_key must not be empty")
    return sha256_hex(run_key)


def build_counter_key(project: str, process_type: str, run_key_hash: str, env: str) -> str:
    """The scope of one run-name version counter: ``project:process:run_key_hash:env``."""
    for name, value in (("project", project), ("process_type", process_type), ("env", env)):
        if not value:
            raise NamingError(f"{name} must not be empty")
    return f"{project}:{process_type}:{run_key_hash}:{env}"
