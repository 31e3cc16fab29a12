"""The naming policy: run names and experiment names from ``naming.yaml`` and ``mlflow.yaml``."""

from __future__ import annotations

import logging
import re
import string
from dataclasses import dataclass
from typing import Any

from resume_ner.config.mlflow import NamingSettings
from resume_ner.config.naming import NamingConfig
from resume_ner.config.project import ProjectConfig
from resume_ner.naming.context import NamingContext
from resume_ner.naming.errors import NamingError

logger = logging.getLogger(__name__)

_PARENT_TRAINING_ID = re.compile(
    r"^spec_(?P<spec_fp>[0-9a-f]+):exec_(?P<exec_fp>[0-9a-f]+):v(?P<variant>\d+)$"
)


@dataclass(frozen=True)
class NamingPolicy:
    """Run-name patterns and limits (``naming.yaml``) with the project settings (``mlflow.yaml``)."""

    naming: NamingConfig
    settings: NamingSettings

    @property
    def project(self) -> str:
        return self.settings.project_name

    @property
    def env(self) -> str:
        return self.settings.env

    def is_versioned(self, process_type: str) -> bool:
        """Whether runs of ``process_type`` get an auto-incremented version suffix."""
        auto = self.settings.run_name.auto_increment
        return auto.enabled and process_type in auto.processes

    @classmethod
    def from_project(cls, project: ProjectConfig) -> NamingPolicy:
        """The policy of ``project``'s ``naming.yaml`` and ``mlflow.yaml``."""
        return cls(naming=project.naming, settings=project.mlflow.naming)

    def version_suffix(self, version: int) -> str:
        """The text the version adds to a name, from ``auto_increment.format``."""
        return self.settings.run_name.auto_increment.format.format(base="", version=version)


def normalize_name_part(value: str, policy: NamingPolicy) -> str:
    """Apply the policy's replacements (and lower-casing) to a name component."""
    rules = policy.naming.normalize
    for old, new in rules.replace.items():
        value = value.replace(old, new)
    return value.lower() if rules.lowercase else value


def build_parent_training_id(spec_fp: str, exec_fp: str, variant: int) -> str:
    """The identity of a final-training run that conversion and benchmarking point at."""
    return f"spec_{spec_fp}:exec_{exec_fp}:v{variant}"


def parse_parent_training_id(parent_training_id: str) -> dict[str, Any]:
    """Split a parent training id into ``spec_fp``, ``exec_fp`` and ``variant``.

    Raises :class:`NamingError` when the text is not of the form ``spec_<fp>:exec_<fp>:v<n>``.
    """
    match = _PARENT_TRAINING_ID.match(parent_training_id or "")
    if not match:
        raise NamingError(
            f"parent training id {parent_training_id!r} is not of the form spec_<fp>:exec_<fp>:v<n>"
        )
    return {
        "spec_fp": match["spec_fp"],
        "exec_fp": match["exec_fp"],
        "variant": int(match["variant"]),
    }


def _name_fields(context: NamingContext, policy: NamingPolicy) -> dict[str, str | None]:
    short = policy.naming.hash_length

    def prefix(value: str | None) -> str | None:
        return value[:short] if value else None

    spec_fp, exec_fp, variant = context.spec_fp, context.exec_fp, context.variant
    if context.parent_training_id and context.process_type in ("conversion", "benchmarking"):
        parsed = parse_parent_training_id(context.parent_training_id)
        spec_fp, exec_fp, variant = parsed["spec_fp"], parsed["exec_fp"], parsed["variant"]
    pad = policy.naming.trial_number_padding
    return {
        "env": normalize_name_part(context.environment, policy),
        "model": normalize_name_part(context.model, policy),
        "study_hash": prefix(context.study_key_hash),
        "trial_hash": prefix(context.trial_key_hash),
        "trial_number": None
        if context.trial_number is None
        else str(context.trial_number).zfill(pad),
        "fold_idx": None if context.fold_idx is None else str(context.fold_idx),
        "refit_hash": prefix(context.refit_protocol_fp),
        "spec_hash": prefix(spec_fp),
        "exec_hash": prefix(exec_fp),
        "variant": str(variant),
        "conv_hash": prefix(context.conv_fp),
        "bench_hash": prefix(context.benchmark_config_hash),
        "target": normalize_name_part(context.target, policy) if context.target else None,
    }


def format_run_name(
    context: NamingContext, policy: NamingPolicy, version: int | None = None
) -> str:
    """Fill the policy's pattern for ``context.process_type``.

    ``version`` adds the auto-increment suffix where the pattern has ``{version}``. Raises
    :class:`NamingError` when the pattern needs a field the context does not have.
    """
    pattern = policy.naming.run_names[context.process_type]
    fields = _name_fields(context, policy)
    fields["version"] = "" if version is None else policy.version_suffix(version)
    needed = {name for _, name, _, _ in string.Formatter().parse(pattern) if name}
    unknown = needed - fields.keys()
    if unknown:
        raise NamingError(
            f"pattern for {context.process_type} uses unknown placeholders {sorted(unknown)}"
        )
    missing = sorted(name for name in needed if fields[name] is None)
    if missing:
        raise NamingError(f"a {context.process_type} run name needs {', '.join(missing)}")
    return pattern.format(**fields)


def validate_run_name(name: str, policy: NamingPolicy) -> str:
    """Check ``name`` against the policy's limits; return it, or raise :class:`NamingError`."""
    rules = policy.naming.validate_
    if not name or not name.strip():
        raise NamingError("run name must not be empty")
    if len(name) > rules.max_length:
        raise NamingError(
            f"run name is {len(name)} characters, longer than {rules.max_length}: {name!r}"
        )
    bad = sorted({char for char in name if char in rules.forbidden_chars})
    if bad:
        raise NamingError(f"run name {name!r} contains forbidden characters {bad}")
    if len(name) > rules.warn_length:
        logger.warning(
            "run name is %d characters (over %d): %s", len(name), rules.warn_length, name
        )
    return name


def build_mlflow_run_name(
    context: NamingContext, policy: NamingPolicy, version: int | None = None
) -> str:
    """The validated run name of ``context`` (with ``version`` when the process is versioned)."""
    if version is not None and not policy.is_versioned(context.process_type):
        version = None
    return validate_run_name(format_run_name(context, policy, version), policy)


def build_mlflow_experiment_name(process_type: str, policy: NamingPolicy) -> str:
    """The experiment that runs of ``process_type`` belong to (one per project and stage group)."""
    try:
        group = policy.naming.stage_groups[process_type]
    except KeyError:
        raise NamingError(f"no stage group for process type {process_type!r}") from None
    return policy.naming.experiment_name.format(project=policy.project, stage_group=group)


TRAINING_PROCESS_TYPES = frozenset({"final_training", "hpo_refit"})
_FALLBACK_LABELS = {"final_training": "final", "hpo_refit": "refit"}
_FALLBACK_MODEL_LENGTH = 40


def build_training_run_name_with_fallback(
    context: NamingContext, policy: NamingPolicy, run_key_hash: str, version: int | None = None
) -> str:
    """The run name of a training run; a short identity-based name when the pattern fails.

    A backbone given as a long local path or hub name can make the policy's name too long or
    bring forbidden characters. Instead of failing a training run over its name, fall back to
    ``{final|refit} · {model} · key {run_key_hash prefix}`` with the model cut to its last 40
    characters.
    """
    try:
        return build_mlflow_run_name(context, policy, version)
    except NamingError as exc:
        logger.warning("run name falls back to the identity form: %s", exc)
    forbidden = set(policy.naming.validate_.forbidden_chars)
    model = "".join(
        "-" if c in forbidden else c for c in normalize_name_part(context.model, policy)
    )
    model = model.strip("-")[-_FALLBACK_MODEL_LENGTH:] or "model"
    label = _FALLBACK_LABELS.get(context.process_type, context.process_type)
    base = f"{label} · {model} · key {run_key_hash[: policy.naming.hash_length]}"
    if version is not None and policy.is_versioned(context.process_type):
        base += policy.version_suffix(version)
    return validate_run_name(base, policy)
