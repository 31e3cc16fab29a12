"""Building the runs selection reads: sweeps with trials and a refit, and benchmark runs.

Every run is created by the product's own trackers on a real MLflow store, so the tags and
metrics are exactly those a sweep and a benchmark write.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from resume_ner.config.paths import ProjectPaths
from resume_ner.config.project import ProjectConfig
from resume_ner.naming.canonical import sha256_hex
from resume_ner.naming.context import NamingContext
from resume_ner.naming.policy import build_parent_training_id
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.trackers.benchmark import LatencyMeasurement, MLflowBenchmarkTracker
from resume_ner.tracking.trackers.sweep import (
    MLflowSweepTracker,
    build_refit_context,
    build_trial_context,
)

FAMILY = sha256_hex("study family under test")
OTHER_FAMILY = sha256_hex("another study family")
METRIC = "macro_f1"
LATENCY_METRIC = "onnx_fp32/latency_b1_s256_p50_ms"
SEARCH_SPACE = {"learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True}}


def hyperparameters(number: int) -> dict[str, float]:
    return {"learning_rate": round(1e-4 * (number + 1), 8)}


@dataclass
class SweepRuns:
    """The runs of one constructed sweep."""

    backbone: str
    study_key_hash: str
    context: NamingContext
    sweep_run_id: str
    trial_run_ids: list[str] = field(default_factory=list)
    ignored_trial_run_ids: list[str] = field(default_factory=list)
    best_trial_run_id: str | None = None
    best_trial_context: NamingContext | None = None
    refit_run_id: str | None = None


class RunBuilder:
    """Creates sweeps and benchmarks through the product's trackers."""

    def __init__(self, tracking: TrackingContext, family: str = FAMILY) -> None:
        self.tracking = tracking
        self.family = family
        self.sweeps = MLflowSweepTracker(tracking)
        self.benchmarks = MLflowBenchmarkTracker(tracking)

    def sweep(
        self,
        backbone: str,
        values: Sequence[float],
        *,
        family: str | None = None,
        failed: Sequence[float] = (),
        interrupted: Sequence[float] = (),
        refit: bool = True,
        status: str = "FINISHED",
        study_key_hash: str | None = None,
    ) -> SweepRuns:
        """A sweep of ``backbone`` whose finished trials score ``values``.

        ``family`` defaults to the builder's. ``failed`` trials end FAILED and ``interrupted``
        ones KILLED and tagged interrupted, both after logging their (high) value. The best
        finished trial is refitted when ``refit``; the sweep run ends with ``status``
        (``RUNNING``: left running).
        """
        family = family or self.family
        study_key_hash = study_key_hash or sha256_hex(f"{family}:{backbone}")
        context = NamingContext(
            "hpo_sweep",
            backbone,
            study_key_hash=study_key_hash,
            study_family_hash=family,
            study_name=f"study-{backbone}-{study_key_hash[:8]}",
        )
        sweep_run_id = self.sweeps.start_sweep_run(
            context,
            study_name=context.study_name or "",
            sampler={"name": "tpe", "seed": 42},
            pruner="median",
            objective_metric=METRIC,
            objective_direction="maximize",
            search_space=SEARCH_SPACE,
            n_trials=len(values),
        )
        assert sweep_run_id is not None
        runs = SweepRuns(backbone, study_key_hash, context, sweep_run_id)
        best_value = None
        outcomes = [("FINISHED", v) for v in values]
        outcomes += [("FAILED", v) for v in failed] + [("KILLED", v) for v in interrupted]
        for number, (end_status, value) in enumerate(outcomes):
            params = hyperparameters(number)
            trial_context = build_trial_context(context, number, params)
            trial_run_id = self.sweeps.start_trial_run(
                sweep_run_id, trial_context, hyperparameters=params
            )
            self.sweeps.log_trial_result(trial_run_id, metrics={METRIC: value})
            tags = None
            if end_status == "KILLED":
                tags = {"process.interrupted": "true", "process.interrupted_reason": "SIGKILL"}
            self.sweeps.end_run(trial_run_id, end_status, tags=tags)
            if end_status == "FINISHED":
                runs.trial_run_ids.append(trial_run_id)
                if best_value is None or value > best_value:
                    best_value = value
                    runs.best_trial_run_id = trial_run_id
                    runs.best_trial_context = trial_context
            else:
                runs.ignored_trial_run_ids.append(trial_run_id)
        if refit and runs.best_trial_context is not None:
            runs.refit_run_id = self.refit(runs, runs.best_trial_run_id, runs.best_trial_context)
        if status != "RUNNING":
            self.sweeps.end_run(sweep_run_id, status)
        return runs

    def refit(
        self,
        runs: SweepRuns,
        of_trial_run_id: str | None,
        trial_context: NamingContext,
        *,
        protocol: str = "refit protocol",
    ) -> str:
        """A FINISHED refit run of the trial ``of_trial_run_id`` under the sweep of ``runs``."""
        context = build_refit_context(trial_context, sha256_hex(protocol))
        refit_run_id = self.sweeps.start_refit_run(
            runs.sweep_run_id,
            context,
            of_trial_run_id=of_trial_run_id or "",
            hyperparameters=hyperparameters(trial_context.trial_number or 0),
        )
        assert refit_run_id is not None
        self.sweeps.end_run(refit_run_id, "FINISHED")
        return refit_run_id

    def benchmark(
        self,
        model_run_id: str,
        latency_ms: float,
        *,
        runtime: str = "onnx_fp32",
        batch_size: int = 1,
        seq_len: int = 256,
        lineage: dict[str, str] | None = None,
        status: str = "FINISHED",
    ) -> str:
        """A benchmark run pointing at ``model_run_id`` that measured ``latency_ms``."""
        spec = sha256_hex(f"spec:{model_run_id}")
        context = NamingContext(
            "benchmarking",
            "model",
            parent_training_id=build_parent_training_id(spec, spec, 1),
            benchmark_config_hash=sha256_hex(f"bench:{model_run_id}:{runtime}:{latency_ms}"),
            target=runtime,
        )
        run_id = self.benchmarks.start_benchmark_run(
            context, model_run_id=model_run_id, lineage=lineage
        )
        assert run_id is not None
        self.benchmarks.log_latency_results(
            run_id,
            [LatencyMeasurement(runtime, batch_size, seq_len, (latency_ms,))],
            baseline_runtime=None,
        )
        self.benchmarks.end_run(run_id, status)
        return run_id


def open_project_store(root: Path, template_db: Path) -> TrackingContext:
    """A project at ``root`` with a copy of the migrated template store, opened as the CLI does
    (the caller closes it)."""
    paths = ProjectPaths.at(root)
    paths.mlflow_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_db, paths.mlflow_db)
    return TrackingContext.open(paths, ProjectConfig.load(), environ={})
