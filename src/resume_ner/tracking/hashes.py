"""Reading a run's study, study-family and trial key hashes: its tags first, recomputed if asked.

Tags are the source of truth. A run written before a tag existed has no tag; then the hash is
recomputed only when the caller supplies what it is computed from (``recompute``), with the
same key builders that produced the tags (:mod:`resume_ner.naming.keys`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from resume_ner.naming.keys import (
    build_hpo_study_family_hash,
    build_hpo_study_family_key,
    build_hpo_study_key,
    build_hpo_study_key_hash,
    build_hpo_trial_key,
    build_hpo_trial_key_hash,
)
from resume_ner.naming.tags import TagsRegistry

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

#: How to recompute a missing hash: a function of the run, or the key builder's keyword inputs.
Recompute: TypeAlias = "Callable[[Run], str | None] | Mapping[str, Any]"


def _resolve_run(run_or_id: Run | str, client: MlflowClient | None) -> Run:
    if not isinstance(run_or_id, str):
        return run_or_id
    if client is None:
        raise ValueError(f"a client is needed to read run {run_or_id}")
    return client.get_run(run_or_id)


def _read_or_recompute(
    run_or_id: Run | str,
    client: MlflowClient | None,
    registry: TagsRegistry,
    tag_name: str,
    recompute: Recompute | None,
    from_inputs: Callable[[Mapping[str, Any]], str],
) -> str | None:
    run = _resolve_run(run_or_id, client)
    value = run.data.tags.get(registry.key("grouping", tag_name))
    if value:
        return value
    if recompute is None:
        return None
    if isinstance(recompute, Mapping):
        return from_inputs(recompute)
    return recompute(run)


def get_study_key_hash_from_run(
    run_or_id: Run | str,
    client: MlflowClient | None,
    registry: TagsRegistry,
    *,
    recompute: Recompute | None = None,
) -> str | None:
    """The study key hash of a run (a ``Run`` or a run id read with ``client``).

    Read from the registry's ``grouping.study_key_hash`` tag. When the tag is missing,
    ``recompute`` is used: a function of the run, or the keyword arguments of
    :func:`~resume_ner.naming.keys.build_hpo_study_key`; without it the result is ``None``.
    Raises ``MlflowException`` when the run does not exist and
    :class:`~resume_ner.naming.errors.NamingError` for inputs the key builder rejects.
    """
    return _read_or_recompute(
        run_or_id,
        client,
        registry,
        "study_key_hash",
        recompute,
        lambda inputs: build_hpo_study_key_hash(build_hpo_study_key(**inputs)),
    )


def get_study_family_hash_from_run(
    run_or_id: Run | str,
    client: MlflowClient | None,
    registry: TagsRegistry,
    *,
    recompute: Recompute | None = None,
) -> str | None:
    """The study-family hash of a run, as :func:`get_study_key_hash_from_run` reads it.

    Tag ``grouping.study_family_hash``; ``recompute`` inputs are the keyword arguments of
    :func:`~resume_ner.naming.keys.build_hpo_study_family_key`. Raises as that function does.
    """
    return _read_or_recompute(
        run_or_id,
        client,
        registry,
        "study_family_hash",
        recompute,
        lambda inputs: build_hpo_study_family_hash(build_hpo_study_family_key(**inputs)),
    )


def get_trial_key_hash_from_run(
    run_or_id: Run | str,
    client: MlflowClient | None,
    registry: TagsRegistry,
    *,
    recompute: Recompute | None = None,
) -> str | None:
    """The trial key hash of a run, as :func:`get_study_key_hash_from_run` reads it.

    Tag ``grouping.trial_key_hash``; ``recompute`` inputs are ``study_key_hash`` and
    ``hyperparameters``, the arguments of :func:`~resume_ner.naming.keys.build_hpo_trial_key`.
    Raises as that function does.
    """
    return _read_or_recompute(
        run_or_id,
        client,
        registry,
        "trial_key_hash",
        recompute,
        lambda inputs: build_hpo_trial_key_hash(build_hpo_trial_key(**inputs)),
    )
