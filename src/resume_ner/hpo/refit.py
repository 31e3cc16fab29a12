"""The refit: the best trial's hyperparameters retrained on the whole HPO pool.

The refit run is a child of the sweep run (process type ``hpo_refit``), tagged with the trial it
retrains (``refit.of_trial_run_id``) and without validation (``refit.has_validation=false``):
selection used the trials' cross-validated scores, and the test split stays unseen. Its identity
is the study, the best trial's key and the refit protocol (data fingerprint, refit settings,
objective), so a sweep run again finds the FINISHED refit of the same identity and does not train
again. It records the exec fingerprint it trained under (``fingerprint.exec_fp``), part of its
model's identity downstream. Its checkpoint is always uploaded, whatever
``tracking.hpo.log_checkpoint`` says of trial checkpoints: downstream stages start from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resume_ner.config.hpo import HpoConfig
from resume_ner.hpo.configs import SweepConfigs, refit_epochs
from resume_ner.hpo.folds import FoldSplit, HpoData
from resume_ner.hpo.storage import RUN_ID_ATTR
from resume_ner.hpo.trainer import FoldTrainer
from resume_ner.naming.canonical import hash_payload
from resume_ner.naming.context import NamingContext
from resume_ner.naming.keys import compute_refit_protocol_fp
from resume_ner.tracking.artifacts.uploader import ArtifactUploader
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.reuse import find_finished_stage_run
from resume_ner.tracking.trackers.base import write_run_metadata
from resume_ner.tracking.trackers.sweep import build_refit_context, build_trial_context
from resume_ner.training.identity import execution_spec

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial


@dataclass(frozen=True)
class RefitOutcome:
    """The refit run of a sweep (``None`` when not tracked) and whether it already existed."""

    run_id: str | None
    reused: bool
    trial_number: int
    params: dict[str, Any]
    metrics: dict[str, float]


def refit_params(configs: SweepConfigs, best: FrozenTrial) -> dict[str, Any]:
    """The best trial's hyperparameters with the refit's number of epochs."""
    return {**best.params, "epochs": refit_epochs(configs, best.params)}


def refit_protocol(hpo: HpoConfig, data_fingerprint: str, params: dict[str, Any]) -> str:
    """The refit protocol fingerprint: the pool's data, the refit settings, the objective."""
    return compute_refit_protocol_fp(
        data_fingerprint=data_fingerprint,
        refit={"epochs": params["epochs"], "data": "train+validation", "validation": None},
        objective=hpo.objective.model_dump(),
    )


def build_refit_naming(
    sweep_context: NamingContext, best: FrozenTrial, configs: SweepConfigs, data_fingerprint: str
) -> NamingContext:
    """The naming context of the refit of ``best`` (its identity, see the module docstring),
    with the exec fingerprint it trains under, recorded on the run for the stages after it."""
    trial_context = build_trial_context(sweep_context, best.number, best.params)
    fingerprint = refit_protocol(configs.hpo, data_fingerprint, refit_params(configs, best))
    exec_fp = hash_payload(execution_spec(configs.train.num_threads))
    return build_refit_context(trial_context, fingerprint).with_changes(exec_fp=exec_fp)


def run_refit(
    *,
    tracking: TrackingContext,
    sweep_run_id: str | None,
    sweep_context: NamingContext,
    best: FrozenTrial,
    configs: SweepConfigs,
    data: HpoData,
    trainer: FoldTrainer,
    output_dir: Path,
    force: bool = False,
) -> RefitOutcome:
    """Retrain ``best``'s hyperparameters on the whole pool, unless that refit already exists.

    Skipped (``reused=True``) when a FINISHED refit run of the same identity exists, unless
    ``force``. Otherwise the refit run is created under ``sweep_run_id``, the model is trained
    into ``output_dir`` (which records the run in ``metadata.json``), and the run gets the
    training metrics and the checkpoint archive. The run ends FINISHED, FAILED on error, KILLED
    when interrupted. Raises what training and the tracker raise.
    """
    params = refit_params(configs, best)
    context = build_refit_naming(sweep_context, best, configs, data.fingerprint)
    if not force:
        existing = find_finished_stage_run(tracking, context)
        if existing is not None:
            return RefitOutcome(existing, True, best.number, params, {})
    tracker = tracking.sweep_tracker()
    run_id = tracker.start_refit_run(
        sweep_run_id,
        context,
        of_trial_run_id=str(best.user_attrs.get(RUN_ID_ATTR, "")),
        hyperparameters=params,
        has_validation=False,
    )
    with tracker.managed_run(run_id):
        stage_run = tracker.stage_run(run_id) if run_id else None
        if stage_run is not None:
            write_run_metadata(output_dir, stage_run, tracking.tracking_uri)
        curves: set[str] = set()

        def on_epoch(epoch: int, epoch_metrics: Mapping[str, float]) -> None:
            curves.update(epoch_metrics)
            tracker.defer(run_id, metrics=dict(epoch_metrics), step=epoch)

        outcome = trainer(
            params, FoldSplit(None, data.pool, ()), output_dir=output_dir, on_epoch=on_epoch
        )
        metrics = {name: float(value) for name, value in outcome.metrics.items()}
        # What the epochs logged already (the last train loss) is not logged twice.
        summary = {name: value for name, value in metrics.items() if name not in curves}
        tracker.defer(run_id, metrics=summary, step=params["epochs"])
        if run_id is not None and outcome.checkpoint_dir is not None:
            # The refit's checkpoint is kept whatever the switch for trial checkpoints says.
            switches = tracker.switches.model_copy(update={"log_checkpoint": True})
            ArtifactUploader(
                tracking.client,
                run_id,
                switches,
                secret_file_patterns=tracking.config.artifacts.secret_file_patterns,
            ).upload_checkpoint(outcome.checkpoint_dir)
    return RefitOutcome(run_id, False, best.number, params, metrics)
