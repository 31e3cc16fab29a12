"""Scoring candidates: stable score, the winner's-curse guard, normalisation, composite score.

- stable score: the median objective value of a sweep's best ``top_k_for_stable_score``
  trials, so that one lucky trial does not carry a sweep;
- a sweep with fewer than ``min_trials_per_group`` finished trials is excluded, with the reason;
- one candidate per backbone: the backbone's sweep with the best stable score;
- composite: ``w_f1 * norm_objective + w_latency * (1 - norm_latency)`` with the weights
  normalised to sum to 1 and min-max normalisation over the included candidates (0.5 when all
  values are equal). Stable scores within ``f1_tolerance`` of the best count as tied: they
  normalise to the top, so that latency decides between them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from resume_ner.config.selection import SelectionConfig
from resume_ner.selection.candidates import Candidate

#: Slack for float error when comparing a score gap with the tolerance (0.86 - 0.85 > 0.01).
_TOLERANCE_SLACK = 1e-9


@dataclass
class ScoredCandidate:
    """A candidate with its scores, its rank (from 1) or the reason it was excluded.

    The normalised values and the composite are set for included candidates only, by
    :func:`rank_candidates`.
    """

    candidate: Candidate
    stable_score: float | None = None
    top_k_used: int = 0
    norm_objective: float | None = None
    norm_latency: float | None = None
    composite: float | None = None
    excluded_reason: str | None = None
    rank: int | None = None

    @property
    def included(self) -> bool:
        """Whether the candidate is still in the running."""
        return self.excluded_reason is None

    @property
    def n_trials(self) -> int:
        """Finished trials with an objective value."""
        return len(self.candidate.trials)

    @property
    def latency_ms(self) -> float | None:
        """The refit's latency, ``None`` when not measured."""
        return self.candidate.latency_ms

    def exclude(self, reason: str) -> None:
        """Leave the candidate out for ``reason`` (the first reason given is kept)."""
        if self.excluded_reason is None:
            self.excluded_reason = reason


def stable_score(values: Sequence[float], top_k: int, *, maximize: bool = True) -> float:
    """The median of the best ``top_k`` of ``values`` (all of them when there are fewer).

    Raises :class:`ValueError` for no values or ``top_k`` below 1.
    """
    if not values:
        raise ValueError("a stable score needs at least one value")
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    return statistics.median(sorted(values, reverse=maximize)[:top_k])


def score_candidates(
    candidates: Sequence[Candidate], config: SelectionConfig
) -> list[ScoredCandidate]:
    """Each candidate's stable score; sweeps below ``min_trials_per_group`` are excluded."""
    metric = config.objective.metric
    minimum = config.min_trials_per_group
    scored = []
    for candidate in candidates:
        entry = ScoredCandidate(candidate)
        values = [trial.value for trial in candidate.trials]
        if values:
            entry.stable_score = stable_score(
                values, config.top_k_for_stable_score, maximize=config.maximize
            )
            entry.top_k_used = min(config.top_k_for_stable_score, len(values))
        if len(values) < minimum:
            entry.exclude(
                f"only {len(values)} finished trial(s) with {metric} (min_trials_per_group is "
                f"{minimum}); run more trials (`resume-ner hpo --n-trials N`)"
            )
        scored.append(entry)
    return scored


def _better_first(config: SelectionConfig) -> float:
    return -1.0 if config.maximize else 1.0


def keep_backbone_champions(scored: Sequence[ScoredCandidate], config: SelectionConfig) -> None:
    """Keep, per backbone, the included sweep with the best stable score; exclude the others.

    Ties go to the sweep with more trials, then to the lower sweep run id.
    """
    sign = _better_first(config)
    by_backbone: dict[str, list[ScoredCandidate]] = {}
    for entry in scored:
        if entry.included:
            by_backbone.setdefault(entry.candidate.backbone, []).append(entry)
    metric = config.objective.metric
    for backbone, entries in by_backbone.items():
        entries.sort(
            key=lambda e: (sign * (e.stable_score or 0.0), -e.n_trials, e.candidate.sweep_run_id)
        )
        champion = entries[0]
        for entry in entries[1:]:
            entry.exclude(
                f"backbone {backbone} is represented by sweep run "
                f"{champion.candidate.sweep_run_name} (stable {metric} "
                f"{champion.stable_score:.4f} vs {entry.stable_score:.4f})"
            )


def min_max(values: Sequence[float]) -> list[float]:
    """``(v - min) / (max - min)`` for each value; 0.5 for every value when all are equal."""
    low, high = min(values), max(values)
    if math.isclose(high, low, rel_tol=0.0, abs_tol=1e-12):
        return [0.5] * len(values)
    return [(value - low) / (high - low) for value in values]


def within_tolerance(gap: float, tolerance: float) -> bool:
    """Whether an objective gap counts as a tie under ``tolerance``."""
    return gap <= tolerance + _TOLERANCE_SLACK


def normalise_objective(
    scores: Sequence[float], *, maximize: bool, tolerance: float
) -> list[float]:
    """Min-max normalised scores (1 best, 0 worst), with scores near the best counted as tied.

    A score within ``tolerance`` of the best normalises to 1 like the best; the others are
    min-max normalised (``1 - gap / largest gap``). All within tolerance: 0.5 each.
    """
    best = max(scores) if maximize else min(scores)
    gaps = [abs(best - score) for score in scores]
    if all(within_tolerance(gap, tolerance) for gap in gaps):
        return [0.5] * len(scores)
    largest = max(gaps)
    return [1.0 if within_tolerance(gap, tolerance) else 1.0 - gap / largest for gap in gaps]


def rank_candidates(
    scored: Sequence[ScoredCandidate], config: SelectionConfig
) -> list[ScoredCandidate]:
    """Compute the composite of the included candidates and rank them; return the ranking.

    The ranking lists the included candidates best first (rank 1 wins), then the excluded
    ones. Ties on the composite go to the better stable score, the lower latency, more
    trials, then the backbone name. The latency is normalised when every included candidate
    has one (it enters the composite only when ``latency_weight`` is above 0). Raises
    :class:`ValueError` when latency is weighted but an included candidate has none.
    """
    included = [entry for entry in scored if entry.included]
    excluded = [entry for entry in scored if not entry.included]
    w_objective, w_latency = config.weights
    if included:
        norm = normalise_objective(
            [entry.stable_score or 0.0 for entry in included],
            maximize=config.maximize,
            tolerance=config.f1_tolerance,
        )
        latencies = [entry.latency_ms for entry in included]
        measured = [value for value in latencies if value is not None]
        if config.uses_latency and len(measured) < len(latencies):
            raise ValueError("every included candidate needs a latency when latency is weighted")
        norm_latency = min_max(measured) if len(measured) == len(latencies) else None
        for position, entry in enumerate(included):
            entry.norm_objective = norm[position]
            entry.norm_latency = norm_latency[position] if norm_latency else None
            speed = 1.0 - entry.norm_latency if entry.norm_latency is not None else 0.0
            entry.composite = w_objective * entry.norm_objective + w_latency * speed
    sign = _better_first(config)
    included.sort(
        key=lambda e: (
            -(e.composite or 0.0),
            sign * (e.stable_score or 0.0),
            e.latency_ms if e.latency_ms is not None else math.inf,
            -e.n_trials,
            e.candidate.backbone,
            e.candidate.sweep_run_id,
        )
    )
    for rank, entry in enumerate(included, start=1):
        entry.rank = rank
    excluded.sort(key=lambda e: (e.candidate.backbone, e.candidate.sweep_run_name))
    return included + excluded
