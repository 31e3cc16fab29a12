"""Tracking an inference benchmark: latency and throughput per runtime, batch size and length.

Metric names (built by :func:`benchmark_metric_name`), for runtime ``<rt>`` (``eager``,
``onnx_fp32``, ``onnx_int8``, ...), batch size ``<b>`` and sequence length ``<s>``:

- ``<rt>/latency_b<b>_s<s>_p50_ms``, ``..._p95_ms``, ``..._p99_ms``, ``..._mean_ms``: latency
  of one call on a batch, in milliseconds (percentiles interpolated linearly between samples);
- ``<rt>/throughput_b<b>_s<s>_per_s``: sequences per second, ``b * 1000 / mean latency``;
- ``<rt>/speedup_vs_<baseline>_b<b>_s<s>``: the baseline runtime's mean latency divided by
  this runtime's, when the baseline was measured at the same batch size and length.

The ``/`` groups a runtime's charts together in the MLflow UI. Every run also carries an
environment fingerprint (:func:`collect_environment_fingerprint`: CPU model, cores, thread
settings, Python and runtime versions, ONNX Runtime providers) as ``environment.*`` tags and as
the artifact ``environment.json``, since latency means nothing without the machine it was
measured on. This module never imports torch: versions come from package metadata.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resume_ner.naming.canonical import hash_payload
from resume_ner.naming.context import NamingContext
from resume_ner.tracking.artifacts.stage_helpers import upload_benchmark_artifacts
from resume_ner.tracking.trackers.base import BaseTracker

ENVIRONMENT_ARTIFACT = "environment.json"
DEFAULT_BASELINE_RUNTIME = "eager"
#: Packages whose versions enter the environment fingerprint.
RUNTIME_PACKAGES = ("torch", "onnxruntime", "transformers", "tokenizers", "onnx", "numpy")
#: Environment variables that set thread counts of the math libraries the runtimes use.
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
PERCENTILES = (50, 95, 99)
CPUINFO_PATH = Path("/proc/cpuinfo")

_RUNTIME_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CPU_MODEL_FIELDS = ("model name", "hardware", "processor", "cpu model")


def _check_runtime(runtime: str) -> str:
    if not _RUNTIME_NAME.match(runtime):
        raise ValueError(f"runtime name must be lower_snake_case, got {runtime!r}")
    return runtime


def benchmark_metric_name(runtime: str, quantity: str, batch_size: int, seq_len: int) -> str:
    """The metric name of ``quantity`` for a runtime, batch size and sequence length.

    ``quantity`` is ``p50_ms``, ``p95_ms``, ``p99_ms``, ``mean_ms`` (latency),
    ``per_s`` (throughput) or ``vs_<baseline>`` (speedup); see the module docstring. Raises
    :class:`ValueError` for a runtime name that is not lower_snake_case.
    """
    _check_runtime(runtime)
    shape = f"b{batch_size}_s{seq_len}"
    if quantity.endswith("_ms"):
        return f"{runtime}/latency_{shape}_{quantity}"
    if quantity == "per_s":
        return f"{runtime}/throughput_{shape}_per_s"
    if quantity.startswith("vs_"):
        return f"{runtime}/speedup_{quantity}_{shape}"
    raise ValueError(f"unknown benchmark quantity {quantity!r}")


@dataclass(frozen=True)
class LatencyMeasurement:
    """Latencies (ms) of repeated calls of one runtime on batches of one shape."""

    runtime: str
    batch_size: int
    seq_len: int
    latencies_ms: tuple[float, ...]

    def __post_init__(self) -> None:
        _check_runtime(self.runtime)
        if self.batch_size < 1 or self.seq_len < 1:
            raise ValueError("batch_size and seq_len must be positive")
        if not self.latencies_ms:
            raise ValueError("a measurement needs at least one latency")
        object.__setattr__(self, "latencies_ms", tuple(float(v) for v in self.latencies_ms))

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies_ms)

    def percentile_ms(self, percent: int) -> float:
        """The ``percent``-th percentile, interpolated linearly between samples."""
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[percent - 1]

    def metrics(self) -> dict[str, float]:
        """Latency percentiles, mean and throughput under their metric names."""
        b, s, rt = self.batch_size, self.seq_len, self.runtime
        named = {
            benchmark_metric_name(rt, f"p{p}_ms", b, s): self.percentile_ms(p) for p in PERCENTILES
        }
        named[benchmark_metric_name(rt, "mean_ms", b, s)] = self.mean_ms
        if self.mean_ms > 0:
            named[benchmark_metric_name(rt, "per_s", b, s)] = b * 1000.0 / self.mean_ms
        return named


def read_cpu_model(cpuinfo_path: Path = CPUINFO_PATH) -> str:
    """The CPU model name from ``/proc/cpuinfo``, else from :mod:`platform`, else ``unknown``."""
    try:
        text = cpuinfo_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if (
            name.strip().lower() in _CPU_MODEL_FIELDS
            and value.strip()
            and not value.strip().isdigit()
        ):
            return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def _package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _onnxruntime_providers() -> list[str] | None:
    if importlib.util.find_spec("onnxruntime") is None:
        return None
    import onnxruntime

    return list(onnxruntime.get_available_providers())


def collect_environment_fingerprint(
    *,
    environ: Mapping[str, str],
    thread_settings: Mapping[str, Any] | None = None,
    cpuinfo_path: Path = CPUINFO_PATH,
) -> dict[str, Any]:
    """Describe the machine and software a benchmark runs on.

    Holds ``cpu_model``, ``logical_cores``, ``usable_cores`` (the CPUs this process may run
    on), ``machine``, ``platform``, ``python_version``, ``threads`` (the thread variables of
    :data:`THREAD_ENV_VARS` found in ``environ`` (the command's environment), plus
    ``thread_settings`` such as the session's intra-op threads), ``packages`` (versions of
    :data:`RUNTIME_PACKAGES` from package metadata, ``None`` when not installed, never by
    importing them) and ``onnxruntime_providers`` (``None`` without ONNX Runtime).
    """
    threads: dict[str, Any] = {name: environ[name] for name in THREAD_ENV_VARS if name in environ}
    threads.update(thread_settings or {})
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu_model": read_cpu_model(cpuinfo_path),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "machine": platform.machine(),
        "platform": platform.platform(),
        "python_version": platform.python_version(),
        "threads": threads,
        "packages": {name: _package_version(name) for name in RUNTIME_PACKAGES},
        "onnxruntime_providers": _onnxruntime_providers(),
    }


def environment_tags(fingerprint: Mapping[str, Any]) -> dict[str, Any]:
    """The ``environment.*`` tags (registry names) of an environment fingerprint."""
    packages = fingerprint.get("packages") or {}
    threads = fingerprint.get("threads") or {}
    providers = fingerprint.get("onnxruntime_providers")
    return {
        "environment.fingerprint_hash": hash_payload(dict(fingerprint)),
        "environment.cpu_model": fingerprint.get("cpu_model"),
        "environment.logical_cores": fingerprint.get("logical_cores"),
        "environment.usable_cores": fingerprint.get("usable_cores"),
        "environment.threads": ",".join(f"{k}={v}" for k, v in sorted(threads.items())) or None,
        "environment.python_version": fingerprint.get("python_version"),
        "environment.torch_version": packages.get("torch"),
        "environment.onnxruntime_version": packages.get("onnxruntime"),
        "environment.transformers_version": packages.get("transformers"),
        "environment.onnxruntime_providers": ",".join(providers) if providers else None,
    }


class MLflowBenchmarkTracker(BaseTracker):
    """Runs of inference benchmarks (``tracking.benchmark`` in ``mlflow.yaml``)."""

    stage = "benchmark"

    def start_benchmark_run(
        self,
        context: NamingContext,
        *,
        model_run_id: str,
        params: Mapping[str, Any] | None = None,
        lineage: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        output_dir: Path | str | None = None,
    ) -> str | None:
        """Create a benchmark run for the model of run ``model_run_id``; return its id.

        Tag ``lineage.parent_run_id`` points at the model's run; ``lineage`` adds other names
        of the lineage section (``conversion_run_id``, ``final_training_run_id``, ...).
        ``params`` (batch sizes, lengths, iterations, warm-up, ...) are deferred to the
        results batch. Returns ``None`` when benchmark tracking is off. Raises what
        :meth:`BaseTracker.start_run` raises.
        """
        all_tags: dict[str, Any] = {"lineage.parent_run_id": model_run_id}
        all_tags.update({f"lineage.{name}": value for name, value in (lineage or {}).items()})
        all_tags.update(tags or {})
        stage_run = self.start_run(
            context, tags=all_tags, params=params, defer_params=True, output_dir=output_dir
        )
        return stage_run.run_id if stage_run else None

    def log_environment(
        self,
        run_id: str | None,
        fingerprint: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Store the environment fingerprint (:func:`collect_environment_fingerprint`) as
        ``environment.json`` and ``environment.*`` tags.

        The artifact is uploaded now; the tags travel with the run's next batch. Returns the
        fingerprint (also when not tracked). Raises
        :class:`~resume_ner.tracking.errors.ArtifactUploadError` when the upload fails.
        """
        fingerprint = dict(fingerprint)
        if run_id is None:
            return fingerprint
        self.uploader(run_id).upload_json(fingerprint, ENVIRONMENT_ARTIFACT)
        self.defer(run_id, tags=environment_tags(fingerprint))
        return fingerprint

    def log_latency_results(
        self,
        run_id: str | None,
        measurements: Iterable[LatencyMeasurement],
        *,
        baseline_runtime: str | None = DEFAULT_BASELINE_RUNTIME,
    ) -> dict[str, float]:
        """Log latency and throughput of every measurement, and speed-ups, in one batch.

        Speed-ups against ``baseline_runtime`` are added for each shape it was measured at.
        Returns the metrics logged (also when not tracked). Raises :class:`ValueError` when two
        measurements share runtime, batch size and length.
        """
        measured: dict[tuple[str, int, int], LatencyMeasurement] = {}
        for measurement in measurements:
            key = (measurement.runtime, measurement.batch_size, measurement.seq_len)
            if key in measured:
                raise ValueError(f"two measurements for runtime {key[0]}, b{key[1]}, s{key[2]}")
            measured[key] = measurement
        logged: dict[str, float] = {}
        for (runtime, b, s), measurement in measured.items():
            logged.update(measurement.metrics())
            baseline = measured.get((baseline_runtime or "", b, s))
            if baseline is not None and runtime != baseline_runtime and measurement.mean_ms > 0:
                name = benchmark_metric_name(runtime, f"vs_{baseline_runtime}", b, s)
                logged[name] = baseline.mean_ms / measurement.mean_ms
        self.log(run_id, metrics=logged)
        return logged

    def log_benchmark_artifacts(
        self,
        run_id: str | None,
        benchmark_json_path: Path | str,
        plots: Iterable[Path | str] = (),
    ) -> dict[str, object]:
        """Upload the results JSON and plots when ``log_artifacts`` is on.

        See :func:`~resume_ner.tracking.artifacts.stage_helpers.upload_benchmark_artifacts`.
        Returns what was uploaded (empty when not tracked).
        """
        if run_id is None:
            return {}
        return upload_benchmark_artifacts(self.uploader(run_id), benchmark_json_path, plots)
