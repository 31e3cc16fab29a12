"""Optuna's plots of a study as PNG artifacts of its sweep run.

The optimisation history always; the parameter importances when the study has at least two
complete trials (fANOVA needs variation to attribute). Drawn with Matplotlib's non-interactive
backend, so no display is needed.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from resume_ner.tracking.artifacts.stage_helpers import PLOTS_DIR
from resume_ner.tracking.artifacts.uploader import ArtifactUploader

if TYPE_CHECKING:
    import optuna

logger = logging.getLogger(__name__)

HISTORY_FILE = "optimization_history.png"
IMPORTANCES_FILE = "param_importances.png"
MIN_TRIALS_FOR_IMPORTANCES = 2


def render_study_plots(study: optuna.Study, folder: Path) -> list[Path]:
    """Draw the study's plots into ``folder``; return the files written.

    Importances are skipped (with a log line saying why) for fewer than two complete trials
    or when Optuna cannot attribute them (a search space whose sampled values never varied).
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import optuna
    from optuna.trial import TrialState
    from optuna.visualization import matplotlib as optuna_plots

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        logger.info("study %s has no complete trial: no plots", study.study_name)
        return written
    with warnings.catch_warnings():
        # The Matplotlib flavour of Optuna's plots is marked experimental; that is no news here.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        axes = optuna_plots.plot_optimization_history(study)
        path = folder / HISTORY_FILE
        axes.figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(axes.figure)
        written.append(path)
        if len(complete) < MIN_TRIALS_FOR_IMPORTANCES:
            logger.info("fewer than %d complete trials: no importances", MIN_TRIALS_FOR_IMPORTANCES)
            return written
        try:
            axes = optuna_plots.plot_param_importances(study)
        except (ValueError, RuntimeError, ZeroDivisionError) as exc:
            logger.warning("no parameter importances for study %s: %s", study.study_name, exc)
            return written
        path = folder / IMPORTANCES_FILE
        axes.figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(axes.figure)
        written.append(path)
    return written


def log_study_plots(study: optuna.Study, uploader: ArtifactUploader) -> list[str]:
    """Render the study's plots and upload them into ``plots/`` of the uploader's run.

    Returns the artifact paths written. Raises
    :class:`~resume_ner.tracking.errors.ArtifactUploadError` when an upload fails for good.
    """
    with tempfile.TemporaryDirectory(prefix="resume-ner-plots-") as tmp:
        return [
            uploader.upload_file(path, PLOTS_DIR) for path in render_study_plots(study, Path(tmp))
        ]
