"""Selecting the best model of a study family, and saying why it won.

:func:`find_best_model_from_mlflow` is the one selection rule of the product:

1. candidates: the FINISHED sweeps of the family (:func:`collect_candidates`);
2. a sweep with fewer than ``min_trials_per_group`` finished trials is excluded;
3. a sweep whose best trial has no (or an ambiguous) refit run is excluded: there is no
   model to hand on;
4. with ``latency_weight`` above 0, a candidate whose refit has no benchmark metric is
   excluded, and when none has one the selection fails with :class:`SelectionError` saying
   what to run (benchmark first, or ``latency_weight: 0``);
5. per backbone the sweep with the best stable score stays;
6. the composite score ranks the rest (:func:`rank_candidates`); rank 1 wins.

Nothing here picks a run because it is the most recent, and no backbone gets a made-up speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from resume_ner.config.selection import SelectionConfig
from resume_ner.selection.candidates import (
    BENCHMARK_LINEAGE_TAGS,
    Candidate,
    collect_candidates,
    latency_metric_name,
)
from resume_ner.selection.errors import SelectionError
from resume_ner.selection.scoring import (
    ScoredCandidate,
    keep_backbone_champions,
    rank_candidates,
    score_candidates,
    within_tolerance,
)
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.lineage import Lineage

BENCHMARK_COMMAND = "resume-ner benchmark"


@dataclass(frozen=True)
class SelectionResult:
    """The ranking of a study family's candidates, the winner and why it won.

    ``ranking`` lists the included candidates by rank, then the excluded ones with their
    reasons; ``notes`` report what was noticed but not compared (unfinished sweeps, ...).
    """

    study_family_hash: str
    config: SelectionConfig
    latency_metric: str
    ranking: tuple[ScoredCandidate, ...]
    winner: ScoredCandidate
    explanation: str
    notes: tuple[str, ...] = ()

    @property
    def included(self) -> list[ScoredCandidate]:
        """The ranked candidates, best first."""
        return [entry for entry in self.ranking if entry.included]

    @property
    def excluded(self) -> list[ScoredCandidate]:
        """The candidates left out, each with its reason."""
        return [entry for entry in self.ranking if not entry.included]

    def lineage(self) -> Lineage:
        """The winner's lineage (sweep, best trial, refit) as a final training run records it."""
        candidate = self.winner.candidate
        best = candidate.best_trial
        return Lineage(
            source="hpo",
            hpo_study_key_hash=candidate.study_key_hash,
            hpo_trial_key_hash=best.trial_key_hash if best else None,
            hpo_sweep_run_id=candidate.sweep_run_id,
            hpo_trial_run_id=best.run_id if best else None,
            hpo_refit_run_id=candidate.refit_run_id,
        )


def _describe(candidate: Candidate) -> str:
    return f"{candidate.backbone} (sweep run {candidate.sweep_run_name})"


def _missing_latency(candidate: Candidate, metric: str) -> str:
    """What is missing for ``candidate``'s latency, and what to run."""
    refit = candidate.refit_run_id
    latency = candidate.latency
    lineage = " or ".join(f"{name}={refit}" for name in BENCHMARK_LINEAGE_TAGS)
    if latency is not None and latency.unmeasured_run_ids:
        return (
            f"benchmark run(s) {', '.join(latency.unmeasured_run_ids)} of refit run {refit} did "
            f"not log {metric}: benchmark that runtime and shape, or change `latency` in "
            "selection.yaml"
        )
    return (
        f"no FINISHED benchmarking run tagged {lineage} logs {metric}: benchmark the model of "
        f"refit run {refit} (`{BENCHMARK_COMMAND}`)"
    )


def _exclude_unusable(scored: Sequence[ScoredCandidate], config: SelectionConfig) -> None:
    """Steps 3 and 4 of the module docstring (raising when no candidate has a latency)."""
    for entry in scored:
        if entry.included and entry.candidate.refit_run_id is None:
            entry.exclude(entry.candidate.refit_problem or "no refit run")
    if not config.uses_latency:
        return
    metric = latency_metric_name(config)
    eligible = [entry for entry in scored if entry.included]
    unmeasured = [entry for entry in eligible if entry.latency_ms is None]
    for entry in unmeasured:
        entry.exclude(f"no latency: {_missing_latency(entry.candidate, metric)}")
    if eligible and len(unmeasured) == len(eligible):
        lines = "\n".join(
            f"- {_describe(entry.candidate)}: {_missing_latency(entry.candidate, metric)}"
            for entry in unmeasured
        )
        raise SelectionError(
            f"latency_weight is {config.latency_weight:g} but no candidate has a latency "
            f"({metric}) to compare:\n{lines}\n"
            f"Fix: benchmark each refit model first (`{BENCHMARK_COMMAND}`), so that a FINISHED "
            f"benchmarking run tagged lineage.parent_run_id=<refit run id> logs {metric}; or "
            f"set latency_weight: 0 in selection.yaml to select on "
            f"{config.objective.metric} alone.",
            ranking=scored,
        )


def _no_winner_message(study_family_hash: str, scored: Sequence[ScoredCandidate]) -> str:
    lines = "\n".join(
        f"- {_describe(entry.candidate)}: {entry.excluded_reason}" for entry in scored
    )
    return f"no candidate of study family {study_family_hash} can be selected:\n{lines}"


def _ms(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.2f} ms"


def _why(
    winner: ScoredCandidate,
    runner_up: ScoredCandidate,
    config: SelectionConfig,
    latency_metric: str,
) -> str:
    """Why ``winner`` ranks above ``runner_up``, in one sentence."""
    name = config.objective.metric
    tolerance = config.f1_tolerance
    w_objective, w_latency = config.weights
    other = runner_up.candidate.backbone
    mine, theirs = winner.stable_score or 0.0, runner_up.stable_score or 0.0
    gap = abs(mine - theirs)
    better = mine > theirs if config.maximize else mine < theirs
    my_latency, their_latency = winner.latency_ms, runner_up.latency_ms
    faster = my_latency is not None and their_latency is not None and my_latency < their_latency
    latencies = f"{_ms(my_latency)} vs {_ms(their_latency)} for {latency_metric}"
    if within_tolerance(gap, tolerance):
        tie = (
            f"its stable {name} {mine:.4f} is within f1_tolerance {tolerance:g} of {other}'s "
            f"{theirs:.4f}, so the two count as tied on {name}"
        )
        if config.uses_latency and faster:
            return f"{tie}, and it is faster ({latencies}): the faster model wins."
        if config.uses_latency:
            return (
                f"{tie} and equally fast ({latencies}); it wins the tie-break "
                f"({name}, then trials)."
            )
        return (
            f"{tie}; latency_weight is 0, so it wins the tie-break "
            f"({name}, then latency, then trials)."
        )
    if better:
        reason = (
            f"its stable {name} {mine:.4f} beats {other}'s {theirs:.4f} by {gap:.4f}, more than "
            f"f1_tolerance {tolerance:g}"
        )
        if not config.uses_latency:
            return f"{reason}; latency_weight is 0, so {name} alone decides."
        if their_latency is not None and my_latency is not None and their_latency < my_latency:
            return (
                f"{reason}; at weights {w_objective:.2f} ({name}) / {w_latency:.2f} (latency) "
                f"that outweighs {other}'s lower latency ({latencies})."
            )
        return f"{reason}, and it is at least as fast ({latencies})."
    return (
        f"{other} is more accurate (stable {name} {theirs:.4f} vs {mine:.4f}, a gap of {gap:.4f}), "
        f"but this model is faster ({latencies}) and latency_weight {w_latency:.2f} lets speed "
        "decide."
    )


def explain_selection(
    ranking: Sequence[ScoredCandidate], config: SelectionConfig, latency_metric: str
) -> str:
    """A human-readable account of the ranking: the winner, its scores, why it won, exclusions.

    Raises :class:`ValueError` when nothing in ``ranking`` is included.
    """
    included = [entry for entry in ranking if entry.included]
    if not included:
        raise ValueError("there is no winner to explain")
    winner = included[0]
    candidate = winner.candidate
    best = candidate.best_trial
    name = config.objective.metric
    w_objective, w_latency = config.weights
    lines = [
        f"Winner: {candidate.backbone} (sweep run {candidate.sweep_run_name}, "
        f"{candidate.sweep_run_id}; best trial {best.trial_number if best else '?'}, run "
        f"{best.run_id if best else '?'}; refit run {candidate.refit_run_id}).",
        f"Stable {name} {winner.stable_score:.4f} (median of its best {winner.top_k_used} of "
        f"{winner.n_trials} finished trials), latency {_ms(winner.latency_ms)} "
        f"({latency_metric}), composite {winner.composite:.3f} = {w_objective:.2f} x normalised "
        f"{name} + {w_latency:.2f} x (1 - normalised latency) over {len(included)} candidate(s).",
    ]
    excluded = [entry for entry in ranking if not entry.included]
    if len(included) == 1:
        after = " left after the exclusions below" if excluded else " of this study family"
        lines.append(f"Why: it is the only candidate{after}.")
    else:
        lines.append(f"Why: {_why(winner, included[1], config, latency_metric)}")
    environments = {
        env
        for entry in included
        if entry.candidate.latency
        for env in entry.candidate.latency.environments
    }
    if config.uses_latency and len(environments) > 1:
        lines.append(
            "Caution: the latencies were measured in different environments (fingerprints "
            f"{', '.join(sorted(env[:12] for env in environments))}); compare them with care."
        )
    if excluded:
        lines.append("Excluded:")
        lines.extend(
            f"- {_describe(entry.candidate)}: {entry.excluded_reason}" for entry in excluded
        )
    return "\n".join(lines)


def find_best_model_from_mlflow(
    tracking: TrackingContext, study_family_hash: str, config: SelectionConfig
) -> SelectionResult:
    """Select the best model among the sweeps of study family ``study_family_hash``.

    Applies the rule of the module docstring to the runs in ``tracking``'s store, found with
    server-side filters only. Returns the ranking, the winner (whose refit run is the model to
    hand on) and an explanation. Raises :class:`SelectionError` (a user-fixable input error)
    when the family has no FINISHED sweep, when every candidate is excluded (the message lists
    each reason), and when latency is weighted but no candidate has a benchmark latency;
    ``MlflowException`` when the store cannot be searched.
    """
    pool = collect_candidates(tracking, study_family_hash, config)
    if not pool.candidates:
        unfinished = "".join(f"\n- {note}" for note in pool.notes)
        raise SelectionError(
            f"no FINISHED sweep run of study family {study_family_hash} in experiment "
            f"{pool.experiment_name!r}{unfinished}\nRun `resume-ner hpo` (it resumes an "
            "interrupted sweep), or pass another --study-family."
        )
    scored = score_candidates(pool.candidates, config)
    _exclude_unusable(scored, config)
    keep_backbone_champions(scored, config)
    if not any(entry.included for entry in scored):
        raise SelectionError(_no_winner_message(study_family_hash, scored), ranking=scored)
    ranking = rank_candidates(scored, config)
    latency_metric = latency_metric_name(config)
    return SelectionResult(
        study_family_hash=study_family_hash,
        config=config,
        latency_metric=latency_metric,
        ranking=tuple(ranking),
        winner=ranking[0],
        explanation=explain_selection(ranking, config, latency_metric),
        notes=pool.notes,
    )
