"""Ending runs: terminal status plus tags, without surprises for runs that already ended."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from resume_ner.naming.tags import clean_tags

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)

TERMINAL_STATUSES = frozenset({"FINISHED", "FAILED", "KILLED"})


def terminate_run_safe(
    client: MlflowClient,
    run_id: str,
    status: str = "FINISHED",
    tags: Mapping[str, Any] | None = None,
    check_status: bool = True,
) -> bool:
    """Set ``tags`` on the run, then end it with ``status``.

    Tags are written even when the run has already ended. With ``check_status`` a run that is
    no longer RUNNING keeps its status. Returns ``False`` (and logs why) when MLflow refused,
    so that cleanup paths never raise.
    """
    from mlflow.entities import RunTag
    from mlflow.exceptions import MlflowException

    if status not in TERMINAL_STATUSES:
        raise ValueError(f"status must be one of {sorted(TERMINAL_STATUSES)}, got {status!r}")
    try:
        if tags:
            client.log_batch(
                run_id,
                tags=[RunTag(k, v) for k, v in clean_tags(tags).items()],
            )
        if check_status and client.get_run(run_id).info.status != "RUNNING":
            return True
        client.set_terminated(run_id, status)
        return True
    except (MlflowException, OSError) as exc:
        logger.warning("could not end run %s as %s: %s", run_id, status, exc)
        return False


def terminate_run_with_tags(
    client: MlflowClient, run_id: str, status: str, tags: Mapping[str, Any]
) -> bool:
    """End a RUNNING run with ``status`` after setting ``tags`` (tags are set in any case)."""
    return terminate_run_safe(client, run_id, status=status, tags=tags, check_status=True)
