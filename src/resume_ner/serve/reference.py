"""Model references: the registered model version, run or bundle folder a user names.

Kept apart from loading the model, so that reading a reference (``runs lineage champion``)
imports nothing heavy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from resume_ner.serve.errors import ModelNotFoundError, ModelSourceError

if TYPE_CHECKING:
    from resume_ner.tracking.store.base import StoreReader

SourceKind = Literal["registry", "run", "bundle"]
#: How MLflow spells a run id in a model reference.
_REFERENCE_RUN_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class ModelSource:
    """Where the model to serve comes from: exactly one of a registered model ``model_name``
    (at ``alias`` or at ``version``), a conversion ``run_id``, or a local ``bundle_dir``.

    Raises :class:`ModelSourceError` when none or several are given, or a model name comes
    without exactly one of ``alias`` and ``version``, or either comes without a model name.
    """

    model_name: str | None = None
    alias: str | None = None
    version: str | None = None
    run_id: str | None = None
    bundle_dir: Path | None = None

    def __post_init__(self) -> None:
        given = [
            option
            for option, value in (
                ("a registered model name", self.model_name),
                ("a run id", self.run_id),
                ("a bundle folder", self.bundle_dir),
            )
            if value
        ]
        if len(given) != 1:
            raise ModelSourceError(
                "name exactly one model to serve: a registered model name, a run id or a "
                f"bundle folder (got {' and '.join(given) or 'none'})"
            )
        if (self.alias or self.version) and not self.model_name:
            raise ModelSourceError("an alias or version needs a registered model name")
        if self.model_name and bool(self.alias) == bool(self.version):
            raise ModelSourceError(
                f"registered model {self.model_name!r}: give an alias or a version (one of them)"
            )

    @property
    def kind(self) -> SourceKind:
        """``registry``, ``run`` or ``bundle``."""
        if self.model_name:
            return "registry"
        return "run" if self.run_id else "bundle"

    def describe(self) -> str:
        """A short human description, e.g. ``registered model resume-ner@champion``."""
        if self.model_name:
            if self.version:
                return f"registered model {self.model_name} version {self.version}"
            return f"registered model {self.model_name}@{self.alias}"
        return f"run {self.run_id}" if self.run_id else f"bundle {self.bundle_dir}"


def parse_model_reference(reference: str, default_model_name: str) -> ModelSource:
    """The :class:`ModelSource` a model reference names.

    ``reference`` is a bundle folder (an existing directory), a run id (32 hex digits),
    ``NAME@ALIAS`` or ``NAME/VERSION`` of a registered model (optionally prefixed with
    ``models:/``; an all-digit alias or version is a version), or an alias (``champion``) of
    ``default_model_name``. Raises :class:`ModelSourceError` for an empty reference.
    """
    text = reference.strip()
    if not text:
        raise ModelSourceError("the model reference is empty")
    if Path(text).is_dir():
        return ModelSource(bundle_dir=Path(text))
    text = text.removeprefix("models:/")
    if _REFERENCE_RUN_ID.fullmatch(text):
        return ModelSource(run_id=text)
    name, tail = default_model_name, text
    for separator in ("@", "/"):
        if separator in text:
            name, tail = text.rsplit(separator, 1)
            break
    if tail.isdigit():
        return ModelSource(model_name=name, version=tail)
    return ModelSource(model_name=name, alias=tail)


def resolve_model_reference(
    reader: StoreReader, reference: str, default_model_name: str
) -> tuple[str, str]:
    """The run behind ``reference`` (see :func:`parse_model_reference`) and how it was found,
    read through ``reader``.

    Raises :class:`~resume_ner.serve.errors.ModelNotFoundError` when the model has no such
    alias or version, and :class:`ModelSourceError` for a bundle folder or a version that
    records no run.
    """
    source = parse_model_reference(reference, default_model_name)
    if source.run_id:
        return source.run_id, "given run id"
    if source.model_name is None:
        raise ModelSourceError(f"{reference} is a bundle folder, not a run or model version")
    name = source.model_name
    found = reader.model_version_run(name, alias=source.alias, version=source.version)
    if found is None:
        wanted = f"alias {source.alias!r}" if source.alias else f"version {source.version}"
        raise ModelNotFoundError(f"registered model {name!r} has no {wanted}")
    version, run_id = found
    if source.version:
        how = f"version {version} of registered model {name}"
    else:
        how = f"alias {source.alias} of registered model {name} (version {version})"
    if not run_id:
        raise ModelSourceError(f"{how} records no run")
    return run_id, how
