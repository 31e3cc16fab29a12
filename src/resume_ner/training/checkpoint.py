"""Save a trained backbone to a checkpoint folder and load it back.

A checkpoint folder holds the model and tokenizer as transformers writes them
(``save_pretrained``: ``config.json``, ``model.safetensors``, ``tokenizer.json``, ...), the
label schema (``label_schema.json``: the BIO tags in id order) and ``resume_ner.json``: the
backbone name and preset, the window settings predictions must use, and the configurations
training used. The folder is written next to its destination and moved into place, so it is
either complete or absent. Loading never touches the network.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resume_ner.data.labels import LabelSchema
from resume_ner.training.backbones import Backbone
from resume_ner.training.errors import CheckpointError

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
LABEL_SCHEMA_FILE = "label_schema.json"
METADATA_FILE = "resume_ner.json"


@dataclass(frozen=True)
class CheckpointMetadata:
    """What ``resume_ner.json`` and ``label_schema.json`` of a checkpoint hold."""

    backbone: str
    preset: str | None
    max_length: int
    stride: int
    label_schema: LabelSchema
    configs: Mapping[str, Any] = field(default_factory=dict)


def _write_json(path: Path, payload: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _warn_left_behind(function: Any, path: str, exc_info: Any) -> None:
    logger.warning("could not remove the replaced checkpoint file %s: %s", path, exc_info[1])


def save_checkpoint(
    backbone: Backbone,
    path: Path | str,
    *,
    stride: int,
    configs: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``backbone`` (model, tokenizer, label schema) and its metadata to folder ``path``.

    ``stride`` is the window overlap predictions should use; ``configs`` (JSON-serialisable,
    e.g. ``{"train": ..., "model": ..., "data": ...}``) records how the model was trained.
    Raises :class:`CheckpointError` when ``path`` exists and ``overwrite`` is false, and
    :class:`OSError` when the folder cannot be written.
    """
    destination = Path(path)
    if destination.exists() and not overwrite:
        raise CheckpointError(f"{destination} exists; pass overwrite=True to replace it")
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        backbone.model.save_pretrained(staging)
        backbone.tokenizer.save_pretrained(staging)
        _write_json(staging / LABEL_SCHEMA_FILE, {"labels": list(backbone.label_schema.labels)})
        _write_json(
            staging / METADATA_FILE,
            {
                "format_version": FORMAT_VERSION,
                "backbone": backbone.name,
                "preset": backbone.preset,
                "max_length": backbone.max_length,
                "stride": stride,
                "configs": dict(configs or {}),
            },
        )
        if destination.exists():
            retired = destination.with_name(f".{destination.name}.old-{os.getpid()}")
            os.replace(destination, retired)
            os.replace(staging, destination)
            shutil.rmtree(retired, onerror=_warn_left_behind)
        else:
            os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return destination


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CheckpointError(
            f"{path.parent} is not a resume-ner checkpoint: no {path.name}"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} does not hold a JSON object")
    return data


def read_checkpoint_metadata(path: Path | str) -> CheckpointMetadata:
    """The metadata of checkpoint folder ``path``, without loading the model.

    Raises :class:`CheckpointError` when a file is missing or malformed, or the format version
    is newer than this code reads.
    """
    folder = Path(path)
    metadata = _read_json(folder / METADATA_FILE)
    schema = _read_json(folder / LABEL_SCHEMA_FILE)
    if metadata.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{folder}: checkpoint format {metadata.get('format_version')!r} is not "
            f"{FORMAT_VERSION}"
        )
    try:
        return CheckpointMetadata(
            backbone=str(metadata["backbone"]),
            preset=metadata.get("preset"),
            max_length=int(metadata["max_length"]),
            stride=int(metadata["stride"]),
            label_schema=LabelSchema.from_labels(list(schema["labels"])),
            configs=metadata.get("configs") or {},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{folder}: malformed checkpoint metadata ({exc})") from exc


def load_checkpoint(path: Path | str) -> Backbone:
    """Load the model and tokenizer of checkpoint folder ``path`` (offline).

    Raises :class:`CheckpointError` when the folder is not a complete checkpoint or the model's
    labels differ from the saved label schema.
    """
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    folder = Path(path)
    metadata = read_checkpoint_metadata(folder)
    try:
        model = AutoModelForTokenClassification.from_pretrained(folder, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{folder}: cannot load the model or tokenizer ({exc})") from exc
    backbone = Backbone(
        model=model,
        tokenizer=tokenizer,
        name=metadata.backbone,
        preset=metadata.preset,
        max_length=metadata.max_length,
    )
    if backbone.label_schema.labels != metadata.label_schema.labels:
        raise CheckpointError(
            f"{folder}: the model's labels {list(backbone.label_schema.labels)} differ from "
            f"{LABEL_SCHEMA_FILE} {list(metadata.label_schema.labels)}"
        )
    return backbone
