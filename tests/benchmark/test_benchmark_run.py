"""The tracked benchmark run: latency and throughput per runtime and shape, environment, plot."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from resume_ner.benchmark.run import build_benchmark_context, run_benchmark
from resume_ner.benchmark.runtimes import build_runtimes
from resume_ner.config.benchmark import BenchmarkConfig
from resume_ner.naming.policy import build_parent_training_id
from resume_ner.serve.bundle import MODEL_FILES, read_manifest, write_manifest
from resume_ner.tracking.trackers.benchmark import MLflowBenchmarkTracker

PARENT = build_parent_training_id("c" * 64, "d" * 64, 1)
RUNTIMES = ("eager", "onnx_fp32", "onnx_int8", "hf_pipeline")
# 150 tokens is more than the tiny model's 128-token window: every runtime windows it.
SMALL = BenchmarkConfig(
    batch_sizes=[1, 2],
    sequence_lengths=[32, 150],
    warmup_iterations=1,
    iterations=3,
    min_iterations=3,
)


def test_benchmark_run_logs_percentiles_and_throughput_per_runtime_shape_with_environment(
    project, tracking, trained, bundle, tmp_path
):
    tracker = MLflowBenchmarkTracker(tracking)

    result = run_benchmark(
        bundle.bundle_dir,
        trained.checkpoint_dir,
        SMALL,
        tracker,
        environ={},
        context=build_benchmark_context("tiny", PARENT, SMALL),
        model_run_id="conversion-run-1",
        output_dir=tmp_path / "out",
    )

    run = project.client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    metrics = run.data.metrics
    for runtime in RUNTIMES:
        for b in (1, 2):
            for s in (32, 150):
                shape = f"b{b}_s{s}"
                for statistic in ("p50", "p95", "p99", "mean"):
                    assert metrics[f"{runtime}/latency_{shape}_{statistic}_ms"] > 0
                assert metrics[f"{runtime}/throughput_{shape}_per_s"] > 0
                if runtime != "eager":
                    assert metrics[f"{runtime}/speedup_vs_eager_{shape}"] > 0
    assert run.data.tags["code.lineage.parent_run_id"] == "conversion-run-1"
    assert run.data.tags["code.environment.usable_cores"] == str(result.environment["usable_cores"])
    assert run.data.tags["code.environment.onnxruntime_version"]
    assert "onnxruntime_allow_spinning=False" in run.data.tags["code.environment.threads"]
    assert run.data.params["served_format"] == "int8"
    artifacts = {item.path for item in project.client.list_artifacts(result.run_id)}
    assert {"environment.json", "benchmark.json", "plots"} <= artifacts
    plots = [item.path for item in project.client.list_artifacts(result.run_id, "plots")]
    assert plots == ["plots/latency_by_batch_size.png"]
    assert result.plot_path.read_bytes().startswith(b"\x89PNG")
    document = json.loads(result.results_path.read_text())
    assert len(document["measurements"]) == 4 * 2 * 2
    assert {row["iterations"] for row in document["measurements"]} == {3}


def test_eager_and_served_runtimes_find_the_same_entities_in_the_same_inputs(trained, bundle):
    runtimes = build_runtimes(["eager", "onnx_fp32"], bundle.bundle_dir, trained.checkpoint_dir)
    texts = [document.text for document in trained.test_documents[:4]]
    try:
        eager = runtimes.runtimes["eager"](texts)
        served = runtimes.runtimes["onnx_fp32"](texts)
    finally:
        runtimes.close()

    assert [[(e.start, e.end, e.label) for e in entities] for entities in eager] == [
        [(e.start, e.end, e.label) for e in entities] for entities in served
    ]
    assert any(eager)


def test_building_runtimes_sets_torch_threads_and_closing_restores_them(trained, bundle):
    import torch

    before = torch.get_num_threads()
    runtimes = build_runtimes(["eager"], bundle.bundle_dir, trained.checkpoint_dir, threads=1)
    assert torch.get_num_threads() == 1
    runtimes.close()
    assert torch.get_num_threads() == before


def test_int8_runtime_is_skipped_when_the_bundle_rejected_int8(trained, bundle, tmp_path):
    copy = shutil.copytree(bundle.bundle_dir, tmp_path / "bundle")
    manifest = read_manifest(copy)
    (copy / MODEL_FILES["int8"]).unlink()
    write_manifest(copy, replace(manifest, format="fp32", models={"fp32": manifest.models["fp32"]}))
    config = replace_config(SMALL, runtimes=["onnx_fp32", "onnx_int8"], batch_sizes=[1])

    result = run_benchmark(copy, None, config, environ={})

    assert sorted(result.skipped) == ["onnx_int8"]
    assert "no int8 model" in result.skipped["onnx_int8"]
    assert {m.runtime for m in result.measurements} == {"onnx_fp32"}
    assert result.served_format == "fp32"


def test_tracked_benchmark_needs_its_naming_context(tracking, bundle):
    with pytest.raises(ValueError, match="naming context"):
        run_benchmark(bundle.bundle_dir, None, SMALL, MLflowBenchmarkTracker(tracking), environ={})


def replace_config(config: BenchmarkConfig, **changes) -> BenchmarkConfig:
    return BenchmarkConfig.model_validate({**config.model_dump(), **changes})


def test_paired_speedup_compares_calls_of_the_same_iteration():
    from resume_ner.benchmark.run import BenchmarkResult
    from resume_ner.tracking.trackers.benchmark import LatencyMeasurement

    # Iteration 2 ran while another process held the CPU: both runtimes were slowed alike.
    eager = LatencyMeasurement("eager", 1, 256, (20.0, 100.0, 30.0))
    served = LatencyMeasurement("onnx_int8", 1, 256, (10.0, 90.0, 10.0))
    result = BenchmarkResult(None, (eager, served), {}, {}, "int8", 2)

    # Per-iteration ratios 2.0, 1.11, 3.0; the percentiles mix different iterations.
    assert result.paired_speedup("onnx_int8", "eager", 1, 256) == pytest.approx(2.0)
    assert result.speedup("onnx_int8", "eager", 1, 256, "p50") == pytest.approx(3.0)
    with pytest.raises(KeyError):
        result.paired_speedup("hf_pipeline", "eager", 1, 256)
