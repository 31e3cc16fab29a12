"""The model bundle: one folder with everything the inference engine needs, and nothing else.

Layout::

    bundle/
      model.onnx          the fp32 ONNX model
      model.int8.onnx     the int8 model (only when the conversion kept it)
      tokenizer.json      the fast tokenizer (plus the files ``save_pretrained`` writes)
      labels.json         {"0": "O", "1": "B-EMAIL", ...}: the model's id2label
      bundle.json         the manifest (:class:`BundleManifest`)

``bundle.json`` records which model format the conversion chose (``format``), each model file
with its SHA-256 and size, the window settings (``max_length``, ``stride``) predictions must
use, the ONNX opset and input names, the pad token id, the ONNX Runtime session settings, the
parity figures, the lineage (training and conversion run ids), the pattern recognizers'
settings (:mod:`resume_ner.serve.recognizers`) and the calibrated scores and per-label thresholds
(:mod:`resume_ner.serve.calibration`; absent in bundles built without them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from resume_ner.config.serve import Preference
from resume_ner.errors import InputError
from resume_ner.serve.calibration import SpanCalibration

BUNDLE_FORMAT_VERSION = 1
MANIFEST_FILE = "bundle.json"
LABELS_FILE = "labels.json"
TOKENIZER_FILE = "tokenizer.json"
ModelFormat = Literal["fp32", "int8"]
#: The run folder a conversion run stores its bundle in.
BUNDLE_ARTIFACT_DIR = "bundle"
#: The file name of each model format inside a bundle.
MODEL_FILES: Mapping[str, str] = {"fp32": "model.onnx", "int8": "model.int8.onnx"}


class BundleError(InputError):
    """A bundle folder is incomplete, malformed, or a model file does not match its hash."""


@dataclass(frozen=True)
class ModelFile:
    """One model file of a bundle: its name in the folder, SHA-256 and size in bytes."""

    file: str
    sha256: str
    size_bytes: int

    @classmethod
    def describe(cls, path: Path | str) -> ModelFile:
        """Hash and measure the file at ``path``. Raises :class:`OSError` when unreadable."""
        target = Path(path)
        with target.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        return cls(file=target.name, sha256=digest, size_bytes=target.stat().st_size)


@dataclass(frozen=True)
class BundleManifest:
    """What ``bundle.json`` holds (see the module docstring)."""

    format: ModelFormat
    models: Mapping[str, ModelFile]
    max_length: int
    stride: int
    opset: int
    input_names: tuple[str, ...]
    pad_token_id: int
    session: Mapping[str, Any] = field(default_factory=dict)
    backbone: str | None = None
    parity: Mapping[str, Any] = field(default_factory=dict)
    lineage: Mapping[str, Any] = field(default_factory=dict)
    #: The pattern recognizers' settings (``enabled``, ``phone_regions``); empty: on, defaults.
    recognizers: Mapping[str, Any] = field(default_factory=dict)
    #: Calibrated scores and per-label thresholds (:mod:`resume_ner.serve.calibration`).
    calibration: SpanCalibration | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to ``bundle.json``."""
        return {
            "format_version": BUNDLE_FORMAT_VERSION,
            "format": self.format,
            "models": {
                name: {"file": m.file, "sha256": m.sha256, "size_bytes": m.size_bytes}
                for name, m in sorted(self.models.items())
            },
            "max_length": self.max_length,
            "stride": self.stride,
            "opset": self.opset,
            "input_names": list(self.input_names),
            "pad_token_id": self.pad_token_id,
            "session": dict(self.session),
            "backbone": self.backbone,
            "parity": dict(self.parity),
            "lineage": dict(self.lineage),
            "recognizers": dict(self.recognizers),
            "calibration": None if self.calibration is None else self.calibration.to_dict(),
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], source: Path | str = MANIFEST_FILE
    ) -> BundleManifest:
        """Parse the JSON form; raises :class:`BundleError` naming ``source`` when malformed."""
        if data.get("format_version") != BUNDLE_FORMAT_VERSION:
            raise BundleError(
                f"{source}: bundle format {data.get('format_version')!r} is not "
                f"{BUNDLE_FORMAT_VERSION}"
            )
        try:
            models = {
                str(name): ModelFile(str(m["file"]), str(m["sha256"]), int(m["size_bytes"]))
                for name, m in dict(data["models"]).items()
            }
            manifest = cls(
                format=data["format"],
                models=models,
                max_length=int(data["max_length"]),
                stride=int(data["stride"]),
                opset=int(data["opset"]),
                input_names=tuple(str(name) for name in data["input_names"]),
                pad_token_id=int(data["pad_token_id"]),
                session=dict(data.get("session") or {}),
                backbone=data.get("backbone"),
                parity=dict(data.get("parity") or {}),
                lineage=dict(data.get("lineage") or {}),
                recognizers=dict(data.get("recognizers") or {}),
                calibration=(
                    SpanCalibration.from_dict(data["calibration"])
                    if data.get("calibration")
                    else None
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(f"{source}: malformed bundle manifest ({exc!r})") from exc
        if manifest.format not in MODEL_FILES or manifest.format not in manifest.models:
            raise BundleError(
                f"{source}: chosen format {manifest.format!r} has no model file in 'models'"
            )
        unknown = sorted(set(manifest.models) - set(MODEL_FILES))
        if unknown:
            raise BundleError(f"{source}: unknown model formats {unknown}")
        return manifest


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BundleError(f"{path.parent} is not a model bundle: no {path.name}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path} cannot be read: {exc}") from exc


def _write_json(path: Path, payload: Any) -> Path:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_manifest(bundle_dir: Path | str) -> BundleManifest:
    """The manifest of bundle folder ``bundle_dir``. Raises :class:`BundleError`."""
    path = Path(bundle_dir) / MANIFEST_FILE
    data = _read_json(path)
    if not isinstance(data, dict):
        raise BundleError(f"{path} does not hold a JSON object")
    return BundleManifest.from_dict(data, path)


def write_manifest(bundle_dir: Path | str, manifest: BundleManifest) -> Path:
    """Write ``bundle.json`` into ``bundle_dir``; return its path. Raises :class:`OSError`."""
    return _write_json(Path(bundle_dir) / MANIFEST_FILE, manifest.to_dict())


def read_labels(bundle_dir: Path | str) -> dict[int, str]:
    """The id2label of bundle folder ``bundle_dir`` (ids ``0..n-1``). Raises :class:`BundleError`."""
    path = Path(bundle_dir) / LABELS_FILE
    data = _read_json(path)
    try:
        id2label = {int(key): str(value) for key, value in dict(data).items()}
    except (TypeError, ValueError) as exc:
        raise BundleError(f"{path}: expected {{id: label}}, got {data!r}") from exc
    if sorted(id2label) != list(range(len(id2label))) or not id2label:
        raise BundleError(f"{path}: label ids must be 0..n-1, got {sorted(id2label)}")
    return id2label


def write_labels(bundle_dir: Path | str, id2label: Mapping[int, str]) -> Path:
    """Write ``labels.json`` (``{"0": "O", ...}``) into ``bundle_dir``; return its path."""
    return _write_json(
        Path(bundle_dir) / LABELS_FILE, {str(i): id2label[i] for i in sorted(id2label)}
    )


def resolve_model(
    bundle_dir: Path | str, manifest: BundleManifest, prefer: Preference = "best"
) -> tuple[ModelFormat, Path]:
    """The format and path of the model to serve, after checking the file against its hash.

    ``prefer`` ``best`` takes the format the conversion chose; ``fp32``/``int8`` ask for that
    one. Raises :class:`BundleError` when the bundle has no such model, the file is missing,
    or its SHA-256 differs from the manifest's.
    """
    if prefer not in ("best", *MODEL_FILES):
        raise BundleError(f"prefer must be one of best, fp32, int8; got {prefer!r}")
    chosen: ModelFormat = manifest.format if prefer == "best" else prefer
    if chosen not in manifest.models:
        raise BundleError(
            f"{bundle_dir} has no {chosen} model (it holds {sorted(manifest.models)}; the "
            f"conversion chose {manifest.format})"
        )
    entry = manifest.models[chosen]
    path = Path(bundle_dir) / entry.file
    try:
        actual = ModelFile.describe(path)
    except OSError as exc:
        raise BundleError(f"{path}: cannot read the {chosen} model ({exc})") from exc
    if actual.sha256 != entry.sha256:
        raise BundleError(
            f"{path}: SHA-256 {actual.sha256[:16]}... differs from bundle.json's "
            f"{entry.sha256[:16]}...; the bundle was changed after conversion"
        )
    return chosen, path
