"""Deterministic document-level splits, k-fold indices and the fingerprint of a data set.

Splits are made once, by document, from a seed: no document is in two splits and validation
never overlaps training. When every group of documents sharing the same set of entity types
is large enough to reach every split, each group is spread over the splits in proportion
(stratified); otherwise the documents are shuffled as a whole.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from resume_ner.data.documents import Document, documents_to_records
from resume_ner.data.errors import SplitError
from resume_ner.naming.canonical import hash_payload

if TYPE_CHECKING:
    from resume_ner.config.data import SplitConfig

SPLIT_NAMES = ("train", "validation", "test")


@dataclass(frozen=True)
class SplitIndices:
    """Sorted document indices of each split, and whether the split was stratified."""

    train: tuple[int, ...]
    validation: tuple[int, ...]
    test: tuple[int, ...]
    stratified: bool

    def take(self, documents: Sequence[Document]) -> dict[str, list[Document]]:
        """The documents of each split (``train``, ``validation``, ``test``), in index order."""
        return {name: [documents[i] for i in getattr(self, name)] for name in SPLIT_NAMES}


class Fold(NamedTuple):
    """One cross-validation fold: positions to train on and positions to validate on."""

    train: list[int]
    validation: list[int]


def label_strata(documents: Sequence[Document]) -> list[tuple[str, ...]]:
    """The stratum of each document: the sorted tuple of entity types it holds."""
    return [tuple(sorted(document.labels())) for document in documents]


def _target_counts(n: int, fractions: Sequence[float]) -> list[int]:
    """Split ``n`` into integer counts proportional to ``fractions`` (largest remainder)."""
    total = sum(fractions)
    exact = [n * f / total for f in fractions]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(fractions)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _assign(n_items: int, fractions: Sequence[float]) -> list[int]:
    """Bucket of each position 0..n-1, interleaved so that every run of positions is spread
    over the buckets in proportion to ``fractions``, and totals match exactly."""
    targets = _target_counts(n_items, fractions)
    assigned = [0] * len(targets)
    buckets = []
    for position in range(n_items):
        deficits = [
            (targets[b] * (position + 1) / n_items - assigned[b], -b)
            for b in range(len(targets))
            if assigned[b] < targets[b]
        ]
        bucket = -max(deficits)[1]
        assigned[bucket] += 1
        buckets.append(bucket)
    return buckets


def _ordering(
    n: int, strata: Sequence[Hashable] | None, min_group: int, rng: random.Random
) -> tuple[list[int], bool]:
    """Positions grouped by stratum (each group shuffled) when every group has ``min_group``
    members, else one shuffled list. Returns the order and whether it is stratified."""
    if strata is not None:
        groups: dict[Hashable, list[int]] = {}
        for index, key in enumerate(strata):
            groups.setdefault(key, []).append(index)
        if len(groups) > 1 and min(len(g) for g in groups.values()) >= min_group:
            order: list[int] = []
            for key in sorted(groups, key=repr):
                members = groups[key]
                rng.shuffle(members)
                order.extend(members)
            return order, True
    order = list(range(n))
    rng.shuffle(order)
    return order, False


def split_documents(
    documents: Sequence[Document],
    *,
    train: float = 0.8,
    validation: float = 0.1,
    test: float = 0.1,
    seed: int = 42,
    stratify: bool = True,
) -> SplitIndices:
    """Split ``documents`` into train, validation and test indices, deterministically by seed.

    Counts follow the fractions exactly (largest remainder). Stratification by
    :func:`label_strata` applies when ``stratify`` is true and every group can reach each
    non-empty split; ``stratified`` in the result says whether it did. Raises
    :class:`SplitError` for negative fractions, a zero train fraction or no documents.
    """
    fractions = (train, validation, test)
    if any(f < 0 for f in fractions) or train <= 0:
        raise SplitError(f"fractions must be >= 0 with train > 0, got {fractions}")
    if not documents:
        raise SplitError("no documents to split")
    rng = random.Random(seed)
    smallest = min(f for f in fractions if f > 0) / sum(fractions)
    min_group = math.ceil(1 / smallest - 1e-9)
    strata = label_strata(documents) if stratify else None
    order, stratified = _ordering(len(documents), strata, min_group, rng)
    buckets: list[list[int]] = [[], [], []]
    for index, bucket in zip(order, _assign(len(order), fractions), strict=True):
        buckets[bucket].append(index)
    return SplitIndices(
        train=tuple(sorted(buckets[0])),
        validation=tuple(sorted(buckets[1])),
        test=tuple(sorted(buckets[2])),
        stratified=stratified,
    )


def kfold_indices(
    n: int, k: int, seed: int, strata: Sequence[Hashable] | None = None
) -> list[Fold]:
    """``k`` folds over positions ``0..n-1``: validation parts partition them, sizes differ by
    at most one, and each fold trains on every other position. Deterministic by ``seed``.

    With ``strata`` (one key per position, e.g. :func:`label_strata` of the training set),
    folds are stratified when every group has at least ``k`` members. Raises
    :class:`SplitError` unless ``2 <= k <= n``.
    """
    if k < 2 or k > n:
        raise SplitError(f"k-fold needs 2 <= k <= n (got k={k}, n={n})")
    if strata is not None and len(strata) != n:
        raise SplitError(f"got {len(strata)} strata for {n} positions")
    order, _ = _ordering(n, strata, k, random.Random(seed))
    parts: list[list[int]] = [[] for _ in range(k)]
    for index, fold in zip(order, _assign(n, [1.0] * k), strict=True):
        parts[fold].append(index)
    folds = []
    for fold in range(k):
        held_out = set(parts[fold])
        folds.append(
            Fold(
                train=[i for i in range(n) if i not in held_out],
                validation=sorted(held_out),
            )
        )
    return folds


def data_fingerprint(documents: Sequence[Document]) -> str:
    """SHA-256 over the canonical JSON records of ``documents`` (order, ids, text, spans).

    Any change to the data changes it, so keys built from it (study keys) change too.
    """
    return hash_payload(documents_to_records(documents))


def split_as_configured(
    documents: Sequence[Document], split: SplitConfig
) -> dict[str, list[Document]]:
    """``documents`` split by ``data.yaml``'s ``split`` into ``train``, ``validation``, ``test``.

    Raises :class:`SplitError` when the fractions leave a needed part empty.
    """
    return split_documents(
        documents,
        train=split.train,
        validation=split.validation,
        test=split.test,
        seed=split.seed,
        stratify=split.stratify,
    ).take(documents)
