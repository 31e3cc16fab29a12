"""Helpers for sweep tests: a tiny configuration folder, a stand-in trainer, the run tree."""

from __future__ import annotations

import math
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from resume_ner.hpo.folds import FoldSplit
from resume_ner.hpo.trainer import FoldOutcome

STUDY_METRIC = "macro_f1"

#: Small enough that a fold of the real tiny model trains in about a second on one thread.
TINY_DATA = {
    "source": {"type": "synthetic", "n_documents": 24, "seed": 13},
    "max_length": 64,
    "stride": 16,
}
TINY_MODEL = {
    "default_backbone": "tiny",
    "presets": {
        "tiny": {
            "type": "tiny", "max_length": 64, "dropout": 0.1, "learning_rate": 5.0e-3,
            "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
            "intermediate_size": 64, "vocab_size": 500,
        }
    },
}  # fmt: skip
TINY_TRAIN = {"epochs": 1, "batch_size": 8, "num_threads": 1}
TINY_HPO = {
    "backbones": ["tiny"],
    "search_space": {
        "learning_rate": {"type": "float", "low": 1.0e-3, "high": 1.0e-2, "log": True},
        "batch_size": {"type": "categorical", "choices": [4, 8]},
    },
    "n_trials": 4,
    "epochs": 1,
    "cv": {"k_folds": 3, "seed": 42},
    "pruner": {"name": "none"},
    "plots": {"enabled": False},
}


def deep_merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def write_config_dir(folder: Path, **overrides: Mapping[str, Any]) -> Path:
    """A config folder with the tiny data, model, train and hpo files (``hpo={...}`` etc. merge)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"data": TINY_DATA, "model": TINY_MODEL, "train": TINY_TRAIN, "hpo": TINY_HPO}
    for name, content in files.items():
        text = yaml.safe_dump(deep_merge(content, overrides.get(name, {})), sort_keys=False)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


@dataclass(frozen=True)
class FormulaTrainer:
    """Trains nothing: scores follow a formula of the hyperparameters, per epoch and fold.

    ``fail_fold`` makes that fold raise; ``pause_s`` sleeps in each epoch (to be killed in).
    """

    n_epochs: int = 2
    fail_fold: int | None = None
    pause_s: float = 0.0

    def epochs(self, params: Mapping[str, Any]) -> int:
        return int(params.get("epochs", self.n_epochs))

    def score(self, params: Mapping[str, Any], fold_idx: int | None) -> float:
        lr = float(params.get("learning_rate", 3e-3))
        # Best near lr = 3e-3; a little lower on later folds.
        return round(0.9 - 0.2 * abs(math.log10(lr) + 2.5) - 0.01 * (fold_idx or 0), 6)

    def __call__(
        self,
        params: Mapping[str, Any],
        split: FoldSplit,
        *,
        on_epoch=None,
        output_dir: Path | None = None,
    ) -> FoldOutcome:
        import time

        if self.fail_fold is not None and split.fold_idx == self.fail_fold:
            raise RuntimeError(f"fold {split.fold_idx} broke on purpose")
        final = self.score(params, split.fold_idx)
        epochs = self.epochs(params)
        for epoch in range(1, epochs + 1):
            if self.pause_s:
                time.sleep(self.pause_s)
            if on_epoch is not None:
                on_epoch(
                    epoch,
                    {"train_loss": 1.0 / epoch, f"val_{STUDY_METRIC}": final * epoch / epochs},
                )
        checkpoint = None
        if output_dir is not None:
            checkpoint = Path(output_dir) / "checkpoint"
            checkpoint.mkdir(parents=True, exist_ok=True)
            (checkpoint / "weights.bin").write_bytes(b"0" * 64)
        return FoldOutcome({STUDY_METRIC: final, "micro_f1": final + 0.05}, checkpoint)


def formula_trainer(backbone: str, configs) -> FormulaTrainer:
    return FormulaTrainer(n_epochs=configs.hpo.epochs or 1)


def failing_trainer(backbone: str, configs) -> FormulaTrainer:
    return FormulaTrainer(n_epochs=1, fail_fold=1)


def dead_pid() -> int:
    """The pid of a process that has exited (reaped), so that it is surely not alive."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def runs_by_stage(client, experiment_ids: list[str], registry) -> dict[str, list]:
    """Every run of the experiments, grouped by their ``process.stage`` tag."""
    from resume_ner.tracking.queries import search_all_runs

    grouped: dict[str, list] = {}
    for run in search_all_runs(client, experiment_ids):
        grouped.setdefault(run.data.tags.get(registry.key("process", "stage"), "?"), []).append(run)
    return grouped


def cli_command(*args: str) -> list[str]:
    """The command line that runs ``resume-ner ARGS`` in a fresh Python process."""
    return [sys.executable, "-m", "resume_ner", *args]


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def open_new_storage(url: str, start, out) -> None:
    """Wait for the start signal, then open the study storage at ``url``; report success."""
    from resume_ner.config.hpo import HpoConfig
    from resume_ner.hpo.storage import open_storage

    start.wait()
    try:
        open_storage(url, HpoConfig()).get_all_studies()
    except Exception as exc:
        out.put(repr(exc))
    else:
        out.put("ok")
