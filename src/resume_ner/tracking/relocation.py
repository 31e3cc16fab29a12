"""Keeping an embedded SQLite store's artifact locations inside the project when it moves.

MLflow stores every artifact location as an absolute URI (it resolves a relative root against
the working directory when it writes one), in the experiments, runs, logged models, model
versions and trace tags of the database. A project folder that is copied or moved would then
read, and write, the old folder's artifacts, and lose them once that folder is gone.

The embedded default keeps its artifacts in a folder beside the database (``mlruns/artifacts``
next to ``mlruns/mlflow.db``), so the two always move together. The store remembers the root it
was opened with in the location of its Default experiment (``<root>/0``, which MLflow derives
from the root when it creates the store). When the project is opened from another folder that
location no longer matches, and :func:`relocate_artifact_root` rewrites every location under the
old root to the same place under the new one, in one transaction. Locations outside the old root
(an experiment with its own artifact location) are left alone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

DEFAULT_EXPERIMENT_ID = 0
#: (table, column, extra condition) of every artifact location MLflow stores.
LOCATION_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("experiments", "artifact_location", ""),
    ("runs", "artifact_uri", ""),
    ("logged_models", "artifact_location", ""),
    ("model_versions", "source", ""),
    ("model_versions", "storage_location", ""),
    ("trace_tags", "value", "key = 'mlflow.artifactLocation'"),
)


def root_of_default_location(location: str | None) -> str | None:
    """The artifact root a store was last opened with, from its Default experiment's location
    (``<root>/0``); ``None`` for a location of another shape or none."""
    suffix = f"/{DEFAULT_EXPERIMENT_ID}"
    if not location or not location.endswith(suffix):
        return None
    return location[: -len(suffix)]


def is_moved_root(old_root: str | None, new_root: str) -> bool:
    """Whether a store recorded with ``old_root`` was moved to ``new_root``: the roots differ
    and end in the same two folders (a moved project keeps its ``.../mlruns/artifacts`` layout;
    a root of another shape was chosen by something else, ``mlflow ui`` say, and is not ours to
    move)."""
    new_root = new_root.rstrip("/")
    if old_root is None or old_root == new_root:
        return False
    return old_root.rsplit("/", 2)[-2:] == new_root.rsplit("/", 2)[-2:]


def recorded_artifact_root(engine: Engine) -> str | None:
    """The artifact root the store was last opened with (:func:`root_of_default_location`)."""
    import sqlalchemy as sa

    with engine.connect() as connection:
        location = connection.execute(
            sa.text("SELECT artifact_location FROM experiments WHERE experiment_id = :id"),
            {"id": DEFAULT_EXPERIMENT_ID},
        ).scalar()
    return root_of_default_location(location)


def relocate_artifact_root(engine: Engine, artifact_root_uri: str) -> str | None:
    """Point every stored location under the store's recorded root at ``artifact_root_uri``.

    Returns the old root when locations were rewritten, ``None`` when they already point at
    ``artifact_root_uri``, the store records no root, or the recorded root does not end in the
    same two folders as ``artifact_root_uri``. The caller holds the store's lock.
    Raises what SQLAlchemy raises; a failed rewrite changes nothing (one transaction).
    """
    import sqlalchemy as sa

    new_root = artifact_root_uri.rstrip("/")
    old_root = recorded_artifact_root(engine)
    if old_root is None or not is_moved_root(old_root, new_root):
        return None
    tables = set(sa.inspect(engine).get_table_names())
    with engine.begin() as connection:
        for table, column, condition in LOCATION_COLUMNS:
            if table not in tables:
                continue
            extra = f" AND {condition}" if condition else ""
            connection.execute(
                sa.text(
                    f"UPDATE {table} SET {column} = :new || substr({column}, :length + 1) "
                    f"WHERE ({column} = :old OR substr({column}, 1, :length + 1) = :old_dir)"
                    f"{extra}"
                ),
                {
                    "new": new_root,
                    "old": old_root,
                    "old_dir": f"{old_root}/",
                    "length": len(old_root),
                },
            )
    logger.info(
        "the project moved: artifact locations under %s now point at %s", old_root, new_root
    )
    return old_root
