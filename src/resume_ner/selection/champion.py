"""Whether a new model beats the current champion, by the rule that selected it.

The two models are compared as if they were the only candidates of one selection: their stable
scores are normalised with the objective tolerance (scores within ``f1_tolerance`` tie) and their
latencies min-max normalised, then the composite ``w_f1 * objective + w_latency * speed`` decides.
A challenger wins only with a strictly higher composite, so an equal model never moves the alias.
"""

from __future__ import annotations

from dataclasses import dataclass

from resume_ner.config.selection import SelectionConfig
from resume_ner.selection.scoring import min_max, normalise_objective


@dataclass(frozen=True)
class ModelScore:
    """What selection measured of a model: its stable objective score and latency (ms)."""

    stable_score: float
    latency_ms: float | None = None


@dataclass(frozen=True)
class ChampionDecision:
    """Whether the challenger takes the champion alias, and why."""

    promote: bool
    reason: str


def decide_champion(
    challenger: ModelScore, champion: ModelScore | None, config: SelectionConfig
) -> ChampionDecision:
    """Compare ``challenger`` with the current ``champion`` (``None``: there is none).

    The latency counts only when it is weighted and both models have one; otherwise the
    objective alone decides. See the module docstring for the rule.
    """
    metric = config.objective.metric
    if champion is None:
        return ChampionDecision(True, "no model was champion before")
    objective = normalise_objective(
        [challenger.stable_score, champion.stable_score],
        maximize=config.maximize,
        tolerance=config.f1_tolerance,
    )
    w_objective, w_latency = config.weights
    use_latency = (
        config.uses_latency
        and challenger.latency_ms is not None
        and champion.latency_ms is not None
    )
    if use_latency:
        speed = [1.0 - value for value in min_max([challenger.latency_ms, champion.latency_ms])]  # type: ignore[list-item]
    else:
        w_objective, speed = 1.0, [0.0, 0.0]
    ours, theirs = (w_objective * objective[i] + w_latency * speed[i] for i in (0, 1))
    figures = (
        f"{metric} {challenger.stable_score:.4f} vs {champion.stable_score:.4f}"
        + (
            f", latency {challenger.latency_ms:.2f} vs {champion.latency_ms:.2f} ms"
            if use_latency
            else ""
        )
        + f"; composite {ours:.3f} vs {theirs:.3f}"
    )
    if ours > theirs:
        return ChampionDecision(True, f"beats the champion ({figures})")
    return ChampionDecision(False, f"does not beat the champion ({figures})")
