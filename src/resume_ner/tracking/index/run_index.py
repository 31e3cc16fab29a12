"""The run index: run-key hash -> where the run with that identity lives.

The index is a cache in front of a tag search in MLflow. It is bounded (the least recently
updated entries are evicted), never fatal when its storage is damaged, and can be rebuilt from
MLflow with :func:`rebuild_mlflow_index`, which also restores the version-counter floors from
the run names it finds. Only the rebuild imports MLflow.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from resume_ner.naming.errors import NamingError
from resume_ner.naming.keys import build_counter_key
from resume_ner.tracking.index.base import (
    IndexBackend,
    IndexBackendError,
    IndexEntry,
    utc_now_iso,
)

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

    # Typing only: the lookups below must stay cheap to import (no configuration models).
    from resume_ner.naming.policy import NamingPolicy
    from resume_ner.naming.tags import TagsRegistry

logger = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 10_000
SEARCH_PAGE_SIZE = 1000

# A number no format would contain by itself; it marks where the version sits in the suffix.
_VERSION_MARKER = 918_273_645


def _same_tracking_uri(left: str, right: str) -> bool:
    return left.rstrip("/") == right.rstrip("/")


def update_mlflow_index(
    backend: IndexBackend,
    run_key_hash: str,
    run_id: str,
    experiment_id: str,
    tracking_uri: str,
    *,
    run_name: str | None = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> None:
    """Record that the run identified by ``run_key_hash`` is ``run_id`` at ``tracking_uri``.

    The entry is stamped with the current UTC time; the least recently updated entries are
    evicted beyond ``max_entries``. Raises ``ValueError`` when any of ``run_key_hash``,
    ``run_id``, ``experiment_id`` or ``tracking_uri`` is empty. The index is a cache and the run
    already exists, so a backend failure (a lock not obtained, a database or disk error) is
    logged as a warning instead of raised: the run is then found by its tags.
    """
    required = {
        "run_key_hash": run_key_hash,
        "run_id": run_id,
        "experiment_id": experiment_id,
        "tracking_uri": tracking_uri,
    }
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise ValueError(f"an index entry needs {', '.join(missing)}")
    entry = IndexEntry(
        run_key_hash=run_key_hash,
        run_id=run_id,
        experiment_id=str(experiment_id),
        tracking_uri=tracking_uri,
        run_name=run_name,
        updated_at=utc_now_iso(),
    )
    try:
        backend.put_entry(entry, max_entries)
    except (IndexBackendError, OSError) as exc:
        logger.warning("run %s was not recorded in the run index %r: %s", run_id, backend, exc)


def find_in_mlflow_index(
    backend: IndexBackend, run_key_hash: str, tracking_uri: str | None = None
) -> IndexEntry | None:
    """The entry for ``run_key_hash``, or ``None``.

    With ``tracking_uri`` given, an entry recorded for another tracking URI is not returned
    (a run id means nothing in another store). A corrupt index file reads as empty; a backend
    that cannot be read (lock not obtained, database down) raises
    :class:`~resume_ner.tracking.index.base.IndexBackendError`, so that a finder can report it
    before falling back to a tag search.
    """
    if not run_key_hash:
        return None
    entry = backend.get_entry(run_key_hash)
    if entry is None:
        return None
    if tracking_uri is not None and not _same_tracking_uri(entry.tracking_uri, tracking_uri):
        logger.debug(
            "index entry for %s points at %s, not %s; ignored",
            run_key_hash,
            entry.tracking_uri,
            tracking_uri,
        )
        return None
    return entry


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


def _start_time_iso(run: Run) -> str:
    if not run.info.start_time:
        return utc_now_iso()
    moment = datetime.fromtimestamp(run.info.start_time / 1000, tz=UTC)
    return moment.isoformat(timespec="microseconds")


def rebuild_mlflow_index(
    backend: IndexBackend,
    client: MlflowClient,
    experiment_ids: Sequence[str],
    *,
    registry: TagsRegistry,
    policy: NamingPolicy,
    max_entries: int,
    tracking_uri: str | None = None,
    page_size: int = SEARCH_PAGE_SIZE,
) -> int:
    """Rebuild the index and the version-counter floors from the runs in ``experiment_ids``.

    Pages through every run tagged with a run-key hash. The index is replaced by one entry per
    hash, for its newest active run (at most ``max_entries``, newest first), recorded for
    ``tracking_uri`` (default: the client's). Each counter key (project, stage, run-key hash and
    env tags) is raised to the highest version found in its runs' names, deleted runs included,
    so that no version in use is handed out again; an unreadable counter is first set aside.
    Returns the number of index entries written. Raises ``MlflowException`` when the search fails.
    """
    from mlflow.entities import ViewType

    from resume_ner.tracking.queries import iter_all_runs

    hash_key = registry.key("grouping", "run_key_hash")
    project_key = registry.key("process", "project")
    stage_key = registry.key("process", "stage")
    env_key = registry.key("process", "env")
    uri = tracking_uri or client.tracking_uri

    newest: dict[str, IndexEntry] = {}
    floors: dict[str, int] = {}
    scanned = 0
    runs = (
        iter_all_runs(
            client,
            experiment_ids,
            f"tags.`{hash_key}` LIKE '%'",
            order_by=["attributes.start_time DESC"],
            run_view_type=ViewType.ALL,
            page_size=page_size,
        )
        if experiment_ids
        else iter(())
    )
    for run in runs:
        scanned += 1
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
            tracking_uri=uri,
            run_name=run.info.run_name,
            updated_at=_start_time_iso(run),
        )
        known = newest.get(run_key_hash)
        if known is None or entry.updated_at > known.updated_at:
            newest[run_key_hash] = entry

    backend.replace_entries(newest.values(), max_entries)
    backend.discard_corrupt_counters()
    backend.ensure_versions_at_least(floors)
    written = min(len(newest), max_entries)
    logger.info(
        "rebuilt the run index from %d runs: %d entries, %d version counters",
        scanned,
        written,
        len(floors),
    )
    return written
