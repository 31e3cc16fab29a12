"""``resume-ner demo``: a tracked run tree in seconds, to see what the tracking layer records."""

from __future__ import annotations

from typing import Annotated

import typer

from resume_ner.cli.preflight import checked_state


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""
    app.command()(demo)


def demo(
    ctx: typer.Context,
    trials: Annotated[
        int, typer.Option("--trials", min=1, max=20, help="Trials in the demo sweep.")
    ] = 3,
    folds: Annotated[int, typer.Option("--folds", min=1, max=5, help="CV folds per trial.")] = 2,
) -> None:
    """Record a small sweep (trials, folds, refit) with made-up scores, then show the run tree.

    No model is trained: the scores come from a fixed formula, so the demo shows in seconds
    how runs are named, nested, tagged and indexed in the project's MLflow store.
    """
    from rich.progress import track

    from resume_ner.cli.console import console
    from resume_ner.cli.ui import ui_hint
    from resume_ner.naming.context import NamingContext
    from resume_ner.naming.keys import (
        build_hpo_study_key,
        build_hpo_study_key_hash,
        compute_refit_protocol_fp,
    )
    from resume_ner.naming.policy import build_mlflow_experiment_name
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.trackers.sweep import (
        MLflowSweepTracker,
        build_fold_context,
        build_refit_context,
        build_trial_context,
    )
    from resume_ner.tracking.urls import get_mlflow_run_url

    state = checked_state(ctx)
    tracking = ctx.with_resource(
        TrackingContext.open(state.paths, state.project, environ=state.environ)
    )
    study = {
        "data_fingerprint": "demo",
        "search_space": {
            "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True}
        },
        "objective": {"metric": "macro_f1", "direction": "maximize"},
        "cv": {"k_folds": folds},
        "sampler": {"name": "grid"},
        "pruner": {"name": "none"},
    }
    sweep_context = NamingContext(
        "hpo_sweep",
        "demo",
        environment=tracking.policy.env,
        study_key_hash=build_hpo_study_key_hash(build_hpo_study_key(backbone="demo", **study)),
    )
    tracker = MLflowSweepTracker(tracking)
    sweep_id = tracker.start_sweep_run(
        sweep_context,
        study_name="demo",
        sampler="grid",
        pruner=None,
        objective_metric="macro_f1",
        objective_direction="maximize",
        search_space=study["search_space"],
        n_trials=trials,
        n_folds=folds,
    )
    best: tuple[float, int, str | None, NamingContext | None] = (-1.0, -1, None, None)
    with tracker.managed_run(sweep_id):
        for number in track(range(trials), description="demo trials", console=console):
            learning_rate = 10 ** (-4 + 2 * number / max(trials - 1, 1))
            trial_context = build_trial_context(
                sweep_context, number, {"learning_rate": learning_rate}
            )
            trial_id = tracker.start_trial_run(
                sweep_id,
                trial_context,
                hyperparameters={"learning_rate": learning_rate},
                n_folds=folds,
            )
            with tracker.managed_run(trial_id):
                fold_scores = []
                for fold in range(folds):
                    fold_id = tracker.start_fold_run(
                        trial_id, build_fold_context(trial_context, fold)
                    )
                    with tracker.managed_run(fold_id):
                        score = round(0.9 - abs(number - trials / 2) * 0.05 - fold * 0.01, 4)
                        tracker.log_fold_result(fold_id, {"macro_f1": score})
                        fold_scores.append({"macro_f1": score})
                mean = tracker.log_trial_result(trial_id, fold_metrics=fold_scores)["macro_f1"]
            if mean > best[0]:
                best = (mean, number, trial_id, trial_context)
        refit_context = build_refit_context(
            best[3],
            compute_refit_protocol_fp(
                data_fingerprint="demo", refit={"epochs": 1}, objective=study["objective"]
            ),
        )
        refit_id = tracker.start_refit_run(
            sweep_id,
            refit_context,
            of_trial_run_id=best[2] or "",
            hyperparameters={"trial": best[1]},
        )
        with tracker.managed_run(refit_id):
            tracker.log(refit_id, metrics={"macro_f1": best[0]})
        tracker.log_sweep_summary(
            sweep_id,
            best_trial_number=best[1],
            best_value=best[0],
            best_trial_run_id=best[2],
            n_trials=trials,
            n_completed_trials=trials,
            refit_completed=True,
        )
    from resume_ner.cli.runs import tree

    tree(
        ctx,
        experiment=[build_mlflow_experiment_name("hpo_sweep", tracking.policy)],
        tracking_uri=tracking.tracking_uri,
    )
    if sweep_id:
        experiment_id = tracking.client.get_run(sweep_id).info.experiment_id
        ui_url = tracking.config.ui_url
        url = get_mlflow_run_url(tracking.tracking_uri, experiment_id, sweep_id, ui_url=ui_url)
        console.print(f"sweep run: {url}", soft_wrap=True, highlight=False)
        console.print(
            ui_hint(tracking.tracking_uri, experiment_id, ui_url=ui_url),
            soft_wrap=True,
            highlight=False,
        )
