"""Canonical JSON and SHA-256 hashing: the basis of every identity in resume-ner.

Two payloads that mean the same thing hash the same: mapping order does not matter, floats are
rounded to 12 significant digits (so ``0.1 + 0.2`` equals ``0.3``), ``-0.0`` is ``0.0``, tuples
are lists, sets are sorted, paths are strings and pydantic models are their JSON dumps.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from enum import Enum
from pathlib import PurePath
from typing import Any

SIGNIFICANT_DIGITS = 12


def normalize_float(value: float) -> float | str:
    """Round ``value`` to 12 significant digits; NaN and infinities become strings."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    rounded = float(format(value, f".{SIGNIFICANT_DIGITS}g"))
    return 0.0 if rounded == 0 else rounded


def normalize_value(value: Any) -> Any:
    """Return a JSON-ready, order-insensitive form of ``value`` (see the module docstring)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return normalize_float(value)
    if isinstance(value, Enum):
        return normalize_value(value.value)
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, Mapping):
        return {str(k): normalize_value(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [normalize_value(v) for v in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [normalize_value(v) for v in value]
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):
        return normalize_value(model_dump(mode="json"))
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return normalize_value(value.item())
    raise TypeError(f"cannot hash a value of type {type(value).__name__}: {value!r}")


def canonical_json(payload: Any) -> str:
    """Serialise ``payload`` as canonical JSON: normalised values, sorted keys, compact."""
    return json.dumps(
        normalize_value(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def sha256_hex(text: str) -> str:
    """SHA-256 of ``text`` (UTF-8) as 64 hex characters."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_payload(payload: Any) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (64 hex characters)."""
    return sha256_hex(canonical_json(payload))
