"""The benchmark tracker: latency and throughput names, the environment fingerprint, no torch."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import version

import pytest
from tracker_helpers import make_tracking, with_stage_disabled

from resume_ner.tracking.trackers.benchmark import (
    LatencyMeasurement,
    MLflowBenchmarkTracker,
    benchmark_metric_name,
    collect_environment_fingerprint,
    read_cpu_model,
)


@pytest.fixture
def tracker(tracking) -> MLflowBenchmarkTracker:
    return MLflowBenchmarkTracker(tracking)


def test_percentiles_interpolate_linearly_between_samples():
    measurement = LatencyMeasurement("eager", 1, 256, tuple(float(v) for v in range(1, 101)))

    assert measurement.percentile_ms(50) == pytest.approx(50.5)
    assert measurement.percentile_ms(95) == pytest.approx(95.05)
    assert measurement.percentile_ms(99) == pytest.approx(99.01)
    assert measurement.mean_ms == pytest.approx(50.5)


def test_metric_names_say_runtime_batch_size_length_and_statistic():
    assert (
        benchmark_metric_name("onnx_int8", "p95_ms", 8, 128) == "onnx_int8/latency_b8_s128_p95_ms"
    )
    assert benchmark_metric_name("eager", "per_s", 1, 256) == "eager/throughput_b1_s256_per_s"
    assert (
        benchmark_metric_name("onnx_fp32", "vs_eager", 1, 256)
        == "onnx_fp32/speedup_vs_eager_b1_s256"
    )
    with pytest.raises(ValueError):
        benchmark_metric_name("ONNX int8", "p50_ms", 1, 256)


def test_latency_throughput_and_speedup_are_logged_per_runtime_and_shape(
    project, tracker, benchmark_context
):
    run_id = tracker.start_benchmark_run(
        benchmark_context,
        model_run_id="conv123",
        params={"batch_sizes": [1, 8], "seq_lengths": [256], "iterations": 3},
    )
    with tracker.managed_run(run_id):
        tracker.log_latency_results(
            run_id,
            [
                LatencyMeasurement("eager", 1, 256, (20.0, 20.0, 20.0)),
                LatencyMeasurement("onnx_int8", 1, 256, (8.0, 10.0, 12.0)),
                LatencyMeasurement("onnx_int8", 8, 256, (40.0, 40.0, 40.0)),
            ],
        )

    data = project.client.get_run(run_id).data
    assert data.tags["code.lineage.parent_run_id"] == "conv123"
    assert data.params["batch_sizes"] == "[1, 8]"
    assert data.metrics["onnx_int8/latency_b1_s256_p50_ms"] == pytest.approx(10.0)
    assert data.metrics["onnx_int8/latency_b1_s256_mean_ms"] == pytest.approx(10.0)
    assert data.metrics["onnx_int8/latency_b1_s256_p99_ms"] == pytest.approx(11.96)
    assert data.metrics["onnx_int8/throughput_b8_s256_per_s"] == pytest.approx(200.0)
    assert data.metrics["eager/throughput_b1_s256_per_s"] == pytest.approx(50.0)
    assert data.metrics["onnx_int8/speedup_vs_eager_b1_s256"] == pytest.approx(2.0)
    assert "onnx_int8/speedup_vs_eager_b8_s256" not in data.metrics


def test_environment_fingerprint_holds_cpu_model_cores_and_runtime_versions(
    project, tracker, benchmark_context
):
    run_id = tracker.start_benchmark_run(benchmark_context, model_run_id="conv123")
    with tracker.managed_run(run_id):
        fingerprint = tracker.log_environment(
            run_id,
            collect_environment_fingerprint(
                environ={}, thread_settings={"intra_op_num_threads": 2}
            ),
        )

    tags = project.client.get_run(run_id).data.tags
    assert tags["code.environment.cpu_model"] == read_cpu_model() != ""
    assert int(tags["code.environment.logical_cores"]) >= 1
    assert tags["code.environment.torch_version"] == version("torch")
    assert tags["code.environment.onnxruntime_version"] == version("onnxruntime")
    assert tags["code.environment.transformers_version"] == version("transformers")
    assert "CPUExecutionProvider" in tags["code.environment.onnxruntime_providers"]
    assert "intra_op_num_threads=2" in tags["code.environment.threads"]
    path = project.client.download_artifacts(run_id, "environment.json")
    with open(path, encoding="utf-8") as stream:
        stored = json.load(stream)
    assert stored == fingerprint
    assert stored["packages"]["onnxruntime"] == version("onnxruntime")


def test_cpu_model_is_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU @ 3.0GHz\n"
    )

    assert read_cpu_model(cpuinfo) == "Test CPU @ 3.0GHz"


def test_thread_variables_come_from_the_given_environment(tmp_path):
    fingerprint = collect_environment_fingerprint(
        environ={"OMP_NUM_THREADS": "2", "HOME": "/root"}, thread_settings={"torch_threads": 2}
    )

    assert fingerprint["threads"] == {"OMP_NUM_THREADS": "2", "torch_threads": 2}


def test_benchmark_tracking_imports_and_fingerprints_without_torch():
    script = textwrap.dedent(
        """
        import sys
        from resume_ner.tracking.trackers.benchmark import collect_environment_fingerprint
        fingerprint = collect_environment_fingerprint(environ={})
        assert fingerprint["packages"]["torch"], fingerprint
        assert "torch" not in sys.modules, "torch was imported"
        assert "transformers" not in sys.modules, "transformers was imported"
        """
    )

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr


def test_disabled_benchmark_tracking_creates_no_run(project, benchmark_context):
    tracker = MLflowBenchmarkTracker(
        make_tracking(project, with_stage_disabled(project.config, "benchmark"))
    )

    run_id = tracker.start_benchmark_run(benchmark_context, model_run_id="conv123")
    tracker.log_environment(run_id, collect_environment_fingerprint(environ={}))
    tracker.log_latency_results(run_id, [LatencyMeasurement("eager", 1, 8, (1.0,))])

    assert run_id is None
    experiments = project.client.search_experiments()
    assert project.client.search_runs([e.experiment_id for e in experiments]) == []
