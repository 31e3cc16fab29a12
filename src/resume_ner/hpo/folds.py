"""The documents a sweep tunes on: the HPO pool, its cross-validation folds, its fingerprint.

The pool is the train and validation splits of ``data.yaml``; the test split is never seen by
the sweep, so no model choice is made on it. With ``k_folds >= 2`` every trial trains on the same
k folds of the pool (stratified by the entity types of each document when the groups are large
enough); with ``k_folds: 1`` a trial trains on the train split and is scored on the validation
split. The refit trains on the whole pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from resume_ner.config.data import DataConfig
from resume_ner.config.hpo import CvConfig
from resume_ner.data.documents import Document
from resume_ner.data.errors import SplitError
from resume_ner.data.splits import (
    data_fingerprint,
    kfold_indices,
    label_strata,
    split_as_configured,
)
from resume_ner.hpo.errors import HpoInputError


@dataclass(frozen=True)
class FoldSplit:
    """The documents one fold trains and is scored on (``fold_idx`` ``None``: no CV)."""

    fold_idx: int | None
    train: tuple[Document, ...]
    validation: tuple[Document, ...]


@dataclass(frozen=True)
class HpoData:
    """The pool, the folds every trial runs, and the pool's fingerprint (the data identity)."""

    pool: tuple[Document, ...]
    folds: tuple[FoldSplit, ...]
    fingerprint: str

    @property
    def uses_cv(self) -> bool:
        """Whether trials cross-validate (their folds carry an index)."""
        return self.folds[0].fold_idx is not None


def load_hpo_data(data: DataConfig, cv: CvConfig) -> HpoData:
    """Load the documents ``data`` describes and build the sweep's pool and folds from them.

    Raises what :func:`~resume_ner.data.corpus.load_corpus` and :func:`build_hpo_data` raise.
    """
    from resume_ner.data.corpus import load_corpus

    return build_hpo_data(load_corpus(data), data, cv)


def build_hpo_data(documents: Sequence[Document], data: DataConfig, cv: CvConfig) -> HpoData:
    """Split ``documents`` as ``data.split`` says and build the folds ``cv`` asks for.

    Raises :class:`HpoInputError` when the pool is smaller than ``k_folds`` or when
    ``k_folds`` is 1 and the validation split is empty.
    """
    try:
        parts = split_as_configured(documents, data.split)
    except SplitError as exc:
        raise HpoInputError(f"cannot split the data for the sweep: {exc}") from exc
    pool = tuple(parts["train"] + parts["validation"])
    if cv.k_folds == 1:
        if not parts["validation"]:
            raise HpoInputError(
                "hpo.yaml cv.k_folds is 1 (no cross-validation), so trials are scored on the "
                "validation split, but data.yaml split.validation gives it no document"
            )
        folds = (FoldSplit(None, tuple(parts["train"]), tuple(parts["validation"])),)
    else:
        try:
            indices = kfold_indices(len(pool), cv.k_folds, cv.seed, strata=label_strata(pool))
        except SplitError as exc:
            raise HpoInputError(
                f"hpo.yaml cv.k_folds={cv.k_folds} needs at least that many documents in the "
                f"train and validation splits (there are {len(pool)}): {exc}"
            ) from exc
        folds = tuple(
            FoldSplit(
                index,
                tuple(pool[i] for i in fold.train),
                tuple(pool[i] for i in fold.validation),
            )
            for index, fold in enumerate(indices)
        )
    return HpoData(pool=pool, folds=folds, fingerprint=data_fingerprint(pool))
