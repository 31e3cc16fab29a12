"""Run the configured benchmark on a bundle and its checkpoint, and track it.

For every sequence length and batch size of ``benchmark.yaml`` the runtimes
(:mod:`resume_ner.benchmark.runtimes`) are timed side by side on the same texts
(:mod:`resume_ner.benchmark.measure`). With a tracker, the benchmark run (lineage to the
conversion and training runs) gets p50/p95/p99/mean latency and throughput per runtime, batch
size and length plus speed-ups against the baseline runtime
(:meth:`~resume_ner.tracking.trackers.benchmark.MLflowBenchmarkTracker.log_latency_results`),
the environment fingerprint, ``benchmark.json`` and the plot ``plots/latency_by_batch_size.png``.
"""

from __future__ import annotations

import json
import logging
import statistics
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from resume_ner.benchmark.measure import TimingPlan, TokenCounter, make_batches, time_side_by_side
from resume_ner.benchmark.runtimes import build_runtimes
from resume_ner.config.benchmark import BenchmarkConfig
from resume_ner.config.conversion import SessionConfig
from resume_ner.naming.canonical import hash_payload
from resume_ner.naming.context import NamingContext
from resume_ner.serve.bundle import TOKENIZER_FILE, read_manifest
from resume_ner.tracking.trackers.benchmark import (
    PERCENTILES,
    LatencyMeasurement,
    MLflowBenchmarkTracker,
    collect_environment_fingerprint,
)

logger = logging.getLogger(__name__)

RESULTS_FILE = "benchmark.json"
PLOT_FILE = "latency_by_batch_size.png"
Statistic = Literal["p50", "p95", "p99", "mean"]


@dataclass(frozen=True)
class BenchmarkResult:
    """What :func:`run_benchmark` measured, and where it was recorded.

    ``metrics`` are the metrics logged (untracked: latency and throughput, without the
    speed-ups, which :meth:`speedup` gives); ``skipped`` maps runtimes
    not measured to the reason; ``results_path``/``plot_path`` are ``None`` without an output
    folder.
    """

    run_id: str | None
    measurements: tuple[LatencyMeasurement, ...]
    metrics: dict[str, float]
    skipped: dict[str, str]
    served_format: str
    threads: int
    environment: dict[str, Any] = field(default_factory=dict)
    results_path: Path | None = None
    plot_path: Path | None = None

    def measurement(self, runtime: str, batch_size: int, seq_len: int) -> LatencyMeasurement:
        """The measurement of ``runtime`` at one shape. Raises :class:`KeyError` when absent."""
        for item in self.measurements:
            if (item.runtime, item.batch_size, item.seq_len) == (runtime, batch_size, seq_len):
                return item
        raise KeyError(f"no measurement of {runtime} at b{batch_size} s{seq_len}")

    def speedup(
        self,
        runtime: str,
        baseline: str,
        batch_size: int,
        seq_len: int,
        statistic: Statistic = "p50",
    ) -> float:
        """How many times faster ``runtime`` is than ``baseline`` at one shape (by latency
        ``statistic``). Raises :class:`KeyError` when either was not measured there."""
        return _statistic(self.measurement(baseline, batch_size, seq_len), statistic) / (
            _statistic(self.measurement(runtime, batch_size, seq_len), statistic)
        )

    def paired_speedup(self, runtime: str, baseline: str, batch_size: int, seq_len: int) -> float:
        """The median over iterations of ``baseline``'s latency divided by ``runtime``'s on the
        same batch in the same iteration: the ratio least moved by other load on the machine
        (the runtimes ran one after the other, see :mod:`resume_ner.benchmark.measure`).
        Raises :class:`KeyError` when either was not measured at that shape."""
        ours = self.measurement(runtime, batch_size, seq_len).latencies_ms
        theirs = self.measurement(baseline, batch_size, seq_len).latencies_ms
        return statistics.median(b / a for a, b in zip(ours, theirs, strict=True))


def _statistic(measurement: LatencyMeasurement, statistic: Statistic) -> float:
    if statistic == "mean":
        return measurement.mean_ms
    return measurement.percentile_ms(int(statistic[1:]))


def benchmark_config_hash(config: BenchmarkConfig) -> str:
    """The hash of ``config`` (the ``benchmark_config_hash`` of a benchmark run's key)."""
    return hash_payload({"benchmark": config.model_dump(mode="json")})


def build_benchmark_context(
    model: str,
    parent_training_id: str,
    config: BenchmarkConfig,
    *,
    target: str = "bundle",
    environment: str = "local",
) -> NamingContext:
    """The naming context of benchmarking the model of final-training run
    ``parent_training_id`` (``target`` names what is measured, e.g. ``bundle``)."""
    return NamingContext(
        process_type="benchmarking",
        model=model,
        environment=environment,
        parent_training_id=parent_training_id,
        benchmark_config_hash=benchmark_config_hash(config),
        target=target,
    )


def _results_document(
    config: BenchmarkConfig,
    measurements: list[LatencyMeasurement],
    skipped: Mapping[str, str],
    served_format: str,
    threads: int,
    environment: Mapping[str, Any],
) -> dict[str, Any]:
    rows = []
    for item in measurements:
        row: dict[str, Any] = {
            "runtime": item.runtime,
            "batch_size": item.batch_size,
            "seq_len": item.seq_len,
            "iterations": len(item.latencies_ms),
            "mean_ms": item.mean_ms,
            "throughput_per_s": item.batch_size * 1000.0 / item.mean_ms,
        }
        row.update({f"p{p}_ms": item.percentile_ms(p) for p in PERCENTILES})
        rows.append(row)
    return {
        "config": config.model_dump(mode="json"),
        "served_format": served_format,
        "threads": threads,
        "skipped": dict(skipped),
        "environment": dict(environment),
        "measurements": rows,
    }


def plot_latency_by_batch_size(
    measurements: list[LatencyMeasurement], path: Path | str, statistic: Statistic = "p50"
) -> Path:
    """Plot latency against batch size (one panel per sequence length, one line per runtime)
    into the PNG ``path``; return it. Uses matplotlib's Agg canvas, no global backend."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    batch_sizes = sorted({item.batch_size for item in measurements})
    seq_lens = sorted({item.seq_len for item in measurements})
    runtimes = list(dict.fromkeys(item.runtime for item in measurements))
    figure = Figure(figsize=(5.0 * len(seq_lens), 4.0), layout="constrained")
    axes = figure.subplots(1, len(seq_lens), squeeze=False)[0]
    for axis, seq_len in zip(axes, seq_lens, strict=True):
        for runtime in runtimes:
            points = sorted(
                (item.batch_size, _statistic(item, statistic))
                for item in measurements
                if item.runtime == runtime and item.seq_len == seq_len
            )
            if points:
                axis.plot(*zip(*points, strict=True), marker="o", label=runtime)
        axis.set_xscale("log", base=2)
        axis.set_xticks(batch_sizes, [str(size) for size in batch_sizes])
        axis.xaxis.set_minor_locator(NullLocator())
        axis.set_yscale("log")
        axis.set_xlabel("batch size (texts per call)")
        axis.set_ylabel(f"{statistic} latency (ms)")
        axis.set_title(f"{seq_len} tokens per text")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=110)
    return target


def _measure(
    bundle_dir: Path | str,
    checkpoint_dir: Path | str | None,
    config: BenchmarkConfig,
) -> tuple[list[LatencyMeasurement], dict[str, str], str, int]:
    runtime_set = build_runtimes(
        config.runtimes, bundle_dir, checkpoint_dir, threads=config.threads
    )
    plan = TimingPlan(
        warmup=config.warmup_iterations,
        iterations=config.iterations,
        min_iterations=config.min_iterations,
        max_seconds=config.max_seconds_per_case,
    )
    measurements: list[LatencyMeasurement] = []
    try:
        counter = TokenCounter(Path(bundle_dir) / TOKENIZER_FILE)
        for seq_len in config.sequence_lengths:
            for batch_size in config.batch_sizes:
                batches = make_batches(counter, batch_size, seq_len, config.seed)
                latencies = time_side_by_side(runtime_set.runtimes, batches, plan)
                for runtime, values in latencies.items():
                    measurements.append(
                        LatencyMeasurement(runtime, batch_size, seq_len, tuple(values))
                    )
                logger.info(
                    "b%d s%d: %s",
                    batch_size,
                    seq_len,
                    ", ".join(
                        f"{m.runtime} p50 {m.percentile_ms(50):.1f} ms"
                        for m in measurements[-len(latencies) :]
                    ),
                )
    finally:
        runtime_set.close()
    return measurements, runtime_set.skipped, runtime_set.served_format, runtime_set.threads


def run_benchmark(
    bundle_dir: Path | str,
    checkpoint_dir: Path | str | None,
    config: BenchmarkConfig,
    tracker: MLflowBenchmarkTracker | None = None,
    *,
    environ: Mapping[str, str],
    context: NamingContext | None = None,
    model_run_id: str | None = None,
    output_dir: Path | str | None = None,
) -> BenchmarkResult:
    """Time ``config.runtimes`` on bundle ``bundle_dir`` (and ``checkpoint_dir`` for the
    PyTorch runtimes) at every configured shape; track it with ``tracker`` when given.

    Tracking needs ``context`` (:func:`build_benchmark_context`); the run points at
    ``model_run_id`` (default: the bundle's conversion run). ``benchmark.json`` and the plot
    are written into ``output_dir`` (a temporary folder, removed afterwards, when ``None``).
    ``environ`` (the command's environment) gives the thread variables the environment
    fingerprint records. A failure ends the run FAILED and propagates. Raises
    :class:`ValueError` when tracking lacks its context or model run, and what building the
    runtimes raises.
    """
    manifest = read_manifest(bundle_dir)
    run_id: str | None = None
    if tracker is not None:
        if context is None:
            raise ValueError("a tracked benchmark needs its naming context")
        model_run_id = model_run_id or manifest.lineage.get("conversion_run_id")
        if not model_run_id:
            raise ValueError("a tracked benchmark needs the run of the model it measures")
        lineage = {
            name: manifest.lineage[name]
            for name in ("conversion_run_id", "final_training_run_id")
            if manifest.lineage.get(name)
        }
        run_id = tracker.start_benchmark_run(
            context,
            model_run_id=model_run_id,
            lineage=lineage,
            params={
                "batch_sizes": config.batch_sizes,
                "sequence_lengths": config.sequence_lengths,
                "runtimes": config.runtimes,
                "warmup_iterations": config.warmup_iterations,
                "iterations": config.iterations,
                "max_seconds_per_case": config.max_seconds_per_case,
                "served_format": manifest.format,
                "window_max_length": manifest.max_length,
                "window_stride": manifest.stride,
            },
        )
    with tempfile.TemporaryDirectory(prefix="resume-ner-benchmark-") as scratch:
        folder = Path(output_dir) if output_dir is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if tracker is None:
            return _run(bundle_dir, checkpoint_dir, config, None, None, folder, output_dir, environ)
        with tracker.managed_run(run_id):
            return _run(
                bundle_dir, checkpoint_dir, config, tracker, run_id, folder, output_dir, environ
            )


def _run(
    bundle_dir: Path | str,
    checkpoint_dir: Path | str | None,
    config: BenchmarkConfig,
    tracker: MLflowBenchmarkTracker | None,
    run_id: str | None,
    folder: Path,
    output_dir: Path | str | None,
    environ: Mapping[str, str],
) -> BenchmarkResult:
    measurements, skipped, served_format, threads = _measure(bundle_dir, checkpoint_dir, config)
    session = SessionConfig.model_validate(dict(read_manifest(bundle_dir).session))
    environment = collect_environment_fingerprint(
        environ=environ,
        thread_settings={
            "benchmark_threads": threads,
            "torch_threads": threads,
            "onnxruntime_intra_op_threads": threads,
            "onnxruntime_inter_op_threads": session.inter_op_threads,
            "onnxruntime_allow_spinning": session.allow_spinning,
        },
    )
    results_path = folder / RESULTS_FILE
    results_path.write_text(
        json.dumps(
            _results_document(config, measurements, skipped, served_format, threads, environment),
            indent=2,
            sort_keys=True,
        )
        + "\n",
        encoding="utf-8",
    )
    plot_path = plot_latency_by_batch_size(measurements, folder / PLOT_FILE)
    if tracker is not None:
        tracker.log_environment(run_id, environment)
        if skipped:
            tracker.defer(run_id, params={"skipped_runtimes": sorted(skipped)})
        metrics = tracker.log_latency_results(
            run_id, measurements, baseline_runtime=config.baseline_runtime
        )
        tracker.log_benchmark_artifacts(run_id, results_path, [plot_path])
    else:
        metrics = {name: value for item in measurements for name, value in item.metrics().items()}
    kept = output_dir is not None
    return BenchmarkResult(
        run_id=run_id,
        measurements=tuple(measurements),
        metrics=metrics,
        skipped=skipped,
        served_format=served_format,
        threads=threads,
        environment=environment,
        results_path=results_path if kept else None,
        plot_path=plot_path if kept else None,
    )
