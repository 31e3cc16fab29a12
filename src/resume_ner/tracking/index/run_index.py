"""The run index: run-key hash -> the experiment and run ids of the run with that identity.

The index is a cache in front of a tag search in the tracking store. It is bounded (the least
recently updated entries are evicted) and keyed by what survives a move of the project or its
store. :func:`rebuild_mlflow_index` fills it from the store, version-counter floors included (from
the run names it finds); :func:`ensure_index_built` does so once for an index that was never
filled (new, deleted or set aside as damaged). The store is read through a
:class:`~resume_ner.tracking.store.base.StoreReader`, so that neither imports MLflow on their own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from resume_ner.naming.errors import NamingError
from resume_ner.naming.keys import build_counter_key
from resume_ner.tracking.experiments import project_experiment_names
from resume_ner.tracking.index.base import (
    IndexBackend,
    IndexBackendError,
    IndexEntry,
    utc_now_iso,
)
from resume_ner.tracking.store.base import RunQuery, RunView, StoreReader

if TYPE_CHECKING:
    # Typing only: the lookups below must stay cheap to import (no configuration models).
    from resume_ner.naming.policy import NamingPolicy
    from resume_ner.naming.tags import TagsRegistry

logger = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 10_000
#: Seconds a process waits for another that is rebuilding the index.
REBUILD_LOCK_TIMEOUT_S = 300.0

# A number no format would contain by itself; it marks where the version sits in the suffix.
_VERSION_MARKER = 918_273_645


def update_mlflow_index(
    backend: IndexBackend,
    run_key_hash: str,
    run_id: str,
    experiment_id: str,
    *,
    run_name: str | None = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> None:
    """Record that the run identified by ``run_key_hash`` is ``run_id`` in ``experiment_id``.

    The entry is stamped with the current UTC time; the least recently updated entries are
    evicted beyond ``max_entries``. Raises ``ValueError`` when any of ``run_key_hash``,
    ``run_id`` or ``experiment_id`` is empty. The index is a cache and the run already exists,
    so a backend failure (a lock not obtained, a database or disk error) is logged as a warning
    instead of raised: the run is then found by its tags.
    """
    required = {"run_key_hash": run_key_hash, "run_id": run_id, "experiment_id": experiment_id}
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise ValueError(f"an index entry needs {', '.join(missing)}")
    entry = IndexEntry(
        run_key_hash=run_key_hash,
        run_id=run_id,
        experiment_id=str(experiment_id),
        run_name=run_name,
        updated_at=utc_now_iso(),
    )
    try:
        backend.put_entry(entry, max_entries)
    except (IndexBackendError, OSError) as exc:
        logger.warning("run %s was not recorded in the run index %r: %s", run_id, backend, exc)


def find_in_mlflow_index(backend: IndexBackend, run_key_hash: str) -> IndexEntry | None:
    """The entry for ``run_key_hash``, or ``None``.

    A backend that cannot be read (lock not obtained, database down) raises
    :class:`~resume_ner.tracking.index.base.IndexBackendError`, so that a finder can report it
    before falling back to a tag search.
    """
    if not run_key_hash:
        return None
    return backend.get_entry(run_key_hash)


def remove_from_mlflow_index(backend: IndexBackend, run_key_hash: str) -> bool:
    """Remove the entry for ``run_key_hash`` (a run that no longer exists); whether there was one."""
    if not run_key_hash:
        return False
    return backend.remove_entry(run_key_hash)


def version_from_run_name(run_name: str, policy: NamingPolicy) -> int | None:
    """The auto-increment version at the end of ``run_name`` (per ``policy``), or ``None``."""
    before, _, after = policy.version_suffix(_VERSION_MARKER).partition(str(_VERSION_MARKER))
    match = re.search(re.escape(before) + r"(\d+)" + re.escape(after) + r"$", run_name or "")
    return int(match.group(1)) if match else None


def _start_time_iso(run: RunView) -> str:
    if not run.info.start_time:
        return utc_now_iso()
    moment = datetime.fromtimestamp(run.info.start_time / 1000, tz=UTC)
    return moment.isoformat(timespec="microseconds")


def rebuild_mlflow_index(
    backend: IndexBackend,
    reader: StoreReader,
    experiment_ids: Sequence[str],
    *,
    registry: TagsRegistry,
    policy: NamingPolicy,
    max_entries: int,
) -> int:
    """Rebuild the index and the version-counter floors from the runs in ``experiment_ids``.

    Reads every run tagged with a run-key hash through ``reader``. The index is replaced by one
    entry per hash, for its newest active run (at most ``max_entries``, newest first). Each
    counter key (project, stage, run-key hash and env tags) is raised to the highest version
    found in its runs' names, deleted runs included, so that no version in use is handed out
    again. The index is then marked as built. Returns the number of index entries written.
    Raises :class:`~resume_ner.tracking.store.base.StoreReadError` when the store cannot be read.
    """
    hash_key = registry.key("grouping", "run_key_hash")
    project_key = registry.key("process", "project")
    stage_key = registry.key("process", "stage")
    env_key = registry.key("process", "env")

    newest: dict[str, IndexEntry] = {}
    floors: dict[str, int] = {}
    runs = reader.search_runs(
        list(experiment_ids), RunQuery(has_tag=hash_key, include_deleted=True)
    )
    for run in runs:
        tags = run.data.tags
        run_key_hash = tags.get(hash_key, "")
        if not run_key_hash:
            continue
        version = version_from_run_name(run.info.run_name or "", policy)
        if version is not None:
            try:
                counter_key = build_counter_key(
                    tags.get(project_key, ""),
                    tags.get(stage_key, ""),
                    run_key_hash,
                    tags.get(env_key, ""),
                )
            except NamingError as exc:
                logger.debug("run %s has no counter key (%s)", run.info.run_id, exc)
            else:
                floors[counter_key] = max(floors.get(counter_key, 0), version)
        if run.info.lifecycle_stage != "active":
            continue
        entry = IndexEntry(
            run_key_hash=run_key_hash,
            run_id=run.info.run_id,
            experiment_id=run.info.experiment_id,
            run_name=run.info.run_name,
            updated_at=_start_time_iso(run),
        )
        known = newest.get(run_key_hash)
        if known is None or entry.updated_at > known.updated_at:
            newest[run_key_hash] = entry

    backend.replace_entries(newest.values(), max_entries)
    backend.ensure_versions_at_least(floors)
    backend.mark_built()
    written = min(len(newest), max_entries)
    logger.info(
        "rebuilt the run index from %d runs: %d entries, %d version counters",
        len(runs),
        written,
        len(floors),
    )
    return written


def ensure_index_built(
    backend: IndexBackend,
    reader: StoreReader,
    *,
    registry: TagsRegistry,
    policy: NamingPolicy,
    max_entries: int,
) -> int | None:
    """Rebuild the index from the store behind ``reader`` if it was never built (a new index, or
    one whose file was deleted or set aside as damaged); the entries written, ``None`` when it
    was built already.

    One process rebuilds while others opening the same index wait for it. A rebuild that finds
    runs is announced with a warning. Raises what :func:`rebuild_mlflow_index` raises and
    ``TimeoutError`` when another process's rebuild holds the lock too long.
    """
    if backend.built_at() is not None:
        return None
    with backend.lock("index rebuild", timeout_s=REBUILD_LOCK_TIMEOUT_S):
        if backend.built_at() is not None:
            return None
        experiments = reader.experiment_ids(project_experiment_names(policy))
        written = rebuild_mlflow_index(
            backend,
            reader,
            list(experiments.values()),
            registry=registry,
            policy=policy,
            max_entries=max_entries,
        )
    if written:
        logger.warning(
            "the run index %r was new or had been set aside: rebuilt it from %s (%d runs)",
            backend,
            reader.tracking_uri,
            written,
        )
    return written
