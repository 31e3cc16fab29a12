"""What the run finder reports, and the handle of a run known by its identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow.entities import Run


@dataclass
class RunLookupReport:
    """The outcome of a run lookup.

    ``strategies_attempted`` names every strategy that was tried, in the order tried, the
    winning one (``strategy_used``) included; strategies whose inputs were not given are not
    tried. ``errors`` holds one line per problem met on the way (a store error, a stale index
    entry, a run in another experiment), also when a later strategy found the run. ``run`` is
    the run that was found, as MLflow returned it, so that callers need not fetch it again.
    """

    found: bool
    run_id: str | None = None
    strategy_used: str | None = None
    strategies_attempted: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    run: Run | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class RunHandle:
    """A run together with the identity it was created for and where it lives.

    ``run_id``, ``experiment_id`` and ``tracking_uri`` are required (``ValueError`` when
    empty): a run id means nothing without its store.
    """

    run_id: str
    run_key: str
    run_key_hash: str
    experiment_id: str
    experiment_name: str
    tracking_uri: str
    artifact_uri: str | None = None
    study_key_hash: str | None = None
    study_family_hash: str | None = None

    def __post_init__(self) -> None:
        missing = [
            name for name in ("run_id", "experiment_id", "tracking_uri") if not getattr(self, name)
        ]
        if missing:
            raise ValueError(f"a run handle needs {', '.join(missing)}")
