"""What the run finder reports, and the handle of a run known by its identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from resume_ner.tracking.store.base import RunView


@dataclass
class RunLookupReport:
    """The outcome of a run lookup.

    ``strategies_attempted`` names every strategy that was tried, in the order tried, the
    winning one (``strategy_used``) included; strategies whose inputs were not given are not
    tried. ``errors`` holds one line per problem met on the way (a store error, a stale index
    entry, a run in another experiment), also when a later strategy found the run. ``run`` is
    the run that was found, as the store reader returned it, so that callers need not fetch it again.
    """

    found: bool
    run_id: str | None = None
    strategy_used: str | None = None
    strategies_attempted: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    run: RunView | None = field(default=None, repr=False, compare=False)
