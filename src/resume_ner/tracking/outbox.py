"""Values a run could not receive while its tracking store was unreachable, kept to send later.

When a call to the tracking server still fails after its bounded retries (a server down for
longer than the retry budget), a tracker that must not stop the work it records (training)
holds the call's values here instead of raising. The run's next successful call sends them
first, with the time they were produced; whatever is still held when the work ends is described
by :meth:`Outbox.describe` so that it can be reported, never lost silently.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: A metric as ``(name, value, step, timestamp_ms)``.
HeldMetric = tuple[str, float, int, int]


@dataclass
class HeldValues:
    """What one run is owed: params, metrics (with their timestamps), tags, and the last error."""

    params: dict[str, Any] = field(default_factory=dict)
    metrics: list[HeldMetric] = field(default_factory=list)
    tags: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def __bool__(self) -> bool:
        return bool(self.params or self.metrics or self.tags)


def stamp_metrics(
    metrics: Iterable[tuple[Any, ...]], now_ms: int | None = None
) -> list[HeldMetric]:
    """``(name, value, step[, timestamp_ms])`` tuples with a timestamp each (``now_ms`` if none)."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    stamped = []
    for item in metrics:
        name, value, step = item[0], item[1], item[2]
        stamp = int(item[3]) if len(item) > 3 and item[3] is not None else now_ms
        stamped.append((str(name), float(value), int(step), stamp))
    return stamped


def _step_ranges(steps: list[int]) -> str:
    """``1-3, 7`` for steps 1, 2, 3 and 7."""
    ordered = sorted(set(steps))
    parts = []
    start = previous = ordered[0]
    for step in ordered[1:]:
        if step != previous + 1:
            parts.append(f"{start}-{previous}" if previous != start else str(start))
            start = step
        previous = step
    parts.append(f"{start}-{previous}" if previous != start else str(start))
    return ", ".join(parts)


class Outbox:
    """Values held per run until its tracking store takes them again. Safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, HeldValues] = {}

    def hold(
        self,
        run_id: str,
        *,
        params: Mapping[str, Any] | None = None,
        metrics: Iterable[tuple[Any, ...]] = (),
        tags: Mapping[str, Any] | None = None,
        error: BaseException | str = "",
    ) -> None:
        """Keep values for ``run_id``; metrics without a timestamp get the current time.

        Values held earlier stay; a param or tag given again replaces the held one.
        """
        stamped = stamp_metrics(metrics)
        with self._lock:
            held = self._held.setdefault(run_id, HeldValues())
            held.params.update(params or {})
            held.metrics.extend(stamped)
            held.tags.update(tags or {})
            if error:
                held.error = error if isinstance(error, str) else f"{type(error).__name__}: {error}"

    def take(self, run_id: str) -> HeldValues | None:
        """Remove and return what is held for ``run_id`` (``None`` when nothing is)."""
        with self._lock:
            return self._held.pop(run_id, None)

    def put_back(self, run_id: str, values: HeldValues) -> None:
        """Hold ``values`` again, before anything held for ``run_id`` since they were taken."""
        if not values:
            return
        with self._lock:
            later = self._held.pop(run_id, None)
            if later:
                values.params.update(later.params)
                values.metrics.extend(later.metrics)
                values.tags.update(later.tags)
                values.error = later.error or values.error
            self._held[run_id] = values

    def holds(self, run_id: str) -> bool:
        """Whether anything is held for ``run_id``."""
        with self._lock:
            return bool(self._held.get(run_id))

    def run_ids(self) -> list[str]:
        """The runs something is held for."""
        with self._lock:
            return [run_id for run_id, held in self._held.items() if held]

    def describe(self, run_id: str) -> list[str]:
        """What is held for ``run_id`` in words: one line per metric (with its steps), then the
        numbers of params and tags, and the last error. Empty when nothing is held."""
        with self._lock:
            held = self._held.get(run_id)
            if not held:
                return []
            steps: dict[str, list[int]] = {}
            for name, _value, step, _stamp in held.metrics:
                steps.setdefault(name, []).append(step)
            lines = [
                f"metric {name} at step {_step_ranges(found)}" for name, found in steps.items()
            ]
            if held.params:
                lines.append(f"{len(held.params)} params ({', '.join(sorted(held.params))})")
            if held.tags:
                lines.append(f"{len(held.tags)} tags ({', '.join(sorted(held.tags))})")
            if held.error:
                lines.append(f"last error: {held.error}")
            return lines
