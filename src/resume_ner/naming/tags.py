"""The tag registry and tag building.

Every tag key resume-ner writes is named in ``tags.yaml``; code asks the registry for a key by
section and name, so no key is spelt out twice. Values are sanitised to what every MLflow
backend stores and reads back unchanged, and anything that looks like a secret is never logged.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from resume_ner.config.tags import TagsConfig
from resume_ner.naming.context import NamingContext
from resume_ner.naming.errors import TagKeyError

logger = logging.getLogger(__name__)

DEFAULT_TAG_MAX_LENGTH = 250
TRUNCATION_MARK = "..."
GROUPING_SCHEMA_VERSION = "1"


class TagsRegistry:
    """Tag keys by ``section.name``; an unknown name raises :class:`TagKeyError`."""

    def __init__(self, config: TagsConfig) -> None:
        self._sections: dict[str, dict[str, str]] = {s: dict(n) for s, n in config.root.items()}

    def key(self, section: str, name: str) -> str:
        """The tag key registered as ``section.name``."""
        try:
            return self._sections[section][name]
        except KeyError:
            raise TagKeyError(
                f"tag key {section}.{name} is not in the tag registry (tags.yaml); "
                f"sections: {sorted(self._sections)}"
            ) from None

    def __getitem__(self, dotted: str) -> str:
        section, _, name = dotted.partition(".")
        return self.key(section, name)

    def all_keys(self) -> Iterator[tuple[str, str]]:
        """Every ``("section.name", key)`` pair in the registry."""
        for section, names in self._sections.items():
            for name, key in names.items():
                yield f"{section}.{name}", key

    def __contains__(self, dotted: object) -> bool:
        if not isinstance(dotted, str):
            return False
        section, _, name = dotted.partition(".")
        return name in self._sections.get(section, {})


def sanitize_tag_value(value: Any, max_length: int = DEFAULT_TAG_MAX_LENGTH) -> str:
    """Turn ``value`` into a tag value every MLflow backend stores and returns unchanged.

    Control characters (NUL included, which PostgreSQL rejects) become spaces, lone surrogates
    become U+FFFD, surrounding white space is trimmed, and text longer than ``max_length`` is
    cut, ending in ``...``.
    """
    if max_length < len(TRUNCATION_MARK) + 1:
        raise ValueError(f"max_length must be at least {len(TRUNCATION_MARK) + 1}")
    text = "" if value is None else str(value)
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text).strip()
    if len(text) > max_length:
        text = text[: max_length - len(TRUNCATION_MARK)].rstrip() + TRUNCATION_MARK
    return text


def redact_secrets(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without the entries whose names look like secrets, and with token-shaped
    values redacted (:func:`~resume_ner.naming.secrets.redact_secret_value`), nested mappings
    too. Each dropped or redacted entry is named in a warning."""
    # The secret patterns are imported by the commands that write, not by those that read.
    from resume_ner.naming.secrets import is_secret_name, redact_secret_value

    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if is_secret_name(str(name)):
            logger.warning("not logging %r: its name looks like a secret's", name)
            continue
        cleaned[name] = (
            redact_secrets(value)
            if isinstance(value, Mapping)
            else redact_secret_value(str(name), value)
        )
    return cleaned


def clean_tags(tags: Mapping[str, Any], max_length: int = DEFAULT_TAG_MAX_LENGTH) -> dict[str, str]:
    """``tags`` ready to log: ``None`` values dropped, token-shaped values redacted (with a
    warning naming the key), every value through :func:`sanitize_tag_value`."""
    from resume_ner.naming.secrets import redact_secret_value

    return {
        key: sanitize_tag_value(redact_secret_value(key, value), max_length)
        for key, value in tags.items()
        if value is not None
    }


def build_mlflow_tags(
    registry: TagsRegistry,
    context: NamingContext | None = None,
    *,
    project_name: str,
    created_by: str | None = None,
    run_key: str | None = None,
    run_key_hash: str | None = None,
    output_dir: Path | str | None = None,
    parent_run_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
    max_length: int = DEFAULT_TAG_MAX_LENGTH,
) -> dict[str, str]:
    """The tags of a run described by ``context``; every key comes from ``registry``.

    ``created_by`` is the login name the caller's environment gave (the tracking session's
    ``user``); nothing here reads the environment. ``extra`` maps registry names
    (``"section.name"``) to values and is applied last; names that look like secrets are
    dropped. Values are passed through :func:`sanitize_tag_value`.
    """
    tags: dict[str, Any] = {registry.key("process", "project"): project_name}
    if created_by:
        tags[registry.key("process", "created_by")] = created_by
    if context is not None:
        tags[registry.key("process", "stage")] = context.process_type
        tags[registry.key("process", "model")] = context.model
        tags[registry.key("process", "env")] = context.environment
        if context.process_type == "hpo_refit":
            tags[registry.key("process", "run_type")] = "refit"
        optional = {
            ("grouping", "study_key_hash"): context.study_key_hash,
            ("grouping", "study_family_hash"): context.study_family_hash,
            ("grouping", "trial_key_hash"): context.trial_key_hash,
            ("hpo", "trial_number"): context.trial_number,
            ("hpo", "fold_idx"): context.fold_idx,
            ("fingerprint", "refit_protocol_fp"): context.refit_protocol_fp,
            ("fingerprint", "spec_fp"): context.spec_fp,
            ("fingerprint", "exec_fp"): context.exec_fp,
            ("fingerprint", "conv_fp"): context.conv_fp,
            ("fingerprint", "benchmark_config_hash"): context.benchmark_config_hash,
            ("training", "parent_training_id"): context.parent_training_id,
            ("study", "name"): context.study_name,
        }
        for (section, name), value in optional.items():
            if value is not None:
                tags[registry.key(section, name)] = value
        if context.process_type in ("final_training", "conversion", "benchmarking"):
            tags[registry.key("fingerprint", "variant")] = context.variant
        if context.study_key_hash or context.study_family_hash or context.trial_key_hash:
            tags[registry.key("grouping", "grouping_schema_version")] = GROUPING_SCHEMA_VERSION
    if run_key:
        tags[registry.key("grouping", "run_key")] = run_key
    if run_key_hash:
        tags[registry.key("grouping", "run_key_hash")] = run_key_hash
    if output_dir is not None:
        tags[registry.key("paths", "output_dir")] = str(output_dir)
    if parent_run_id:
        tags[registry.key("mlflow", "parent_run_id")] = parent_run_id
    for dotted, value in redact_secrets(extra or {}).items():
        if value is not None:
            tags[registry[dotted]] = value
    return clean_tags(tags, max_length)
