"""The identity of a training run: what it learns from (spec) and how it is executed (exec).

The spec fingerprint covers everything that determines the trained model: the data
fingerprint, the entity types, the backbone and its preset settings, the effective training
settings and the windowing. The exec fingerprint covers the execution environment that can
change the numbers for the same spec: library versions and the thread count. Both are SHA-256
hashes of canonical JSON (:func:`resume_ner.naming.canonical.hash_payload`) and become the
``spec_fp`` and ``exec_fp`` of a ``final_training`` naming context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any

SPEC_SCHEMA_VERSION = 1
#: Training settings that change how fast a run goes, not what it learns.
NON_SPEC_TRAIN_SETTINGS = frozenset({"num_threads", "eval_batch_size"})


def training_spec(
    *,
    data_fingerprint: str,
    entities: Sequence[str],
    backbone: str,
    preset: Mapping[str, Any],
    train: Mapping[str, Any],
    max_length: int,
    stride: int,
    label_all_subwords: bool,
) -> dict[str, Any]:
    """The spec payload: data, labels, backbone and its settings, training settings, windows.

    ``preset`` and ``train`` are the JSON dumps of the preset and the train config with the
    values training really uses (learning rate and dropout resolved).
    """
    return {
        "schema_version": SPEC_SCHEMA_VERSION,
        "data": {"fingerprint": data_fingerprint, "entities": sorted(entities)},
        "model": {"backbone": backbone.strip().lower(), "preset": dict(preset)},
        "train": {k: v for k, v in train.items() if k not in NON_SPEC_TRAIN_SETTINGS},
        "windows": {
            "max_length": max_length,
            "stride": stride,
            "label_all_subwords": label_all_subwords,
        },
    }


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def execution_spec(num_threads: int | None) -> dict[str, Any]:
    """The exec payload: versions of resume-ner, torch and transformers, and the thread count."""
    return {
        "schema_version": SPEC_SCHEMA_VERSION,
        "versions": {name: _version(name) for name in ("resume-ner", "torch", "transformers")},
        "num_threads": num_threads,
    }
