"""The latency cost of the pattern recognizers on the served path, at batch 1.

Opens one model bundle twice, with the recognizers on and off (the same ONNX Runtime settings),
and times ``InferenceEngine.extract`` on one resume at a time: the synthetic test split of the
shipped data configuration (the default profile) and resumes of the ``varied`` profile. The two
engines take turns on every text, so load from other processes hits them alike; the figure is
the median over texts of the on/off latency ratio on the same text, with the p50 latencies
beside it. The recognizers' own time (the patterns and the merge, no model) is printed too.

Run: ``.venv/bin/python benchmarks/bench_recognizers.py BUNDLE_DIR`` (a bundle folder, e.g.
``outputs/cache/serve/<run id>/bundle`` after ``resume-ner serve`` or ``evaluate`` of the
champion); ``--rounds N`` repeats the texts (default 3).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path


def _texts() -> list[tuple[str, str]]:
    from resume_ner.config.data import DataConfig
    from resume_ner.data.corpus import load_corpus
    from resume_ner.data.splits import split_as_configured
    from resume_ner.data.synthetic import generate_documents

    config = DataConfig()
    test = split_as_configured(load_corpus(config), config.split)["test"]
    varied = generate_documents(40, 29, "varied")
    return [("test split", d.text) for d in test] + [("varied", d.text) for d in varied]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from resume_ner.serve.engine import InferenceEngine

    on = InferenceEngine.load(args.bundle, recognizers=True)
    off = InferenceEngine.load(args.bundle, recognizers=False)
    assert on.recognizers is not None and off.recognizers is None
    texts = _texts()
    for _, text in texts[:5]:  # warm-up: sessions, the phone metadata
        on.extract([text])
        off.extract([text])

    timings: dict[str, list[float]] = {"on": [], "off": [], "patterns": []}
    ratios: list[float] = []
    for round_number in range(args.rounds):
        for _, text in texts:
            pair = {}
            order = (on, off) if round_number % 2 == 0 else (off, on)
            for engine in order:
                start = time.perf_counter()
                engine.extract([text])
                pair["on" if engine is on else "off"] = time.perf_counter() - start
            start = time.perf_counter()
            on.recognizers.find(text)
            timings["patterns"].append(time.perf_counter() - start)
            timings["on"].append(pair["on"])
            timings["off"].append(pair["off"])
            ratios.append(pair["on"] / pair["off"])

    load = os.getloadavg()[0]
    chars = statistics.median(len(text) for _, text in texts)
    print(f"bundle {args.bundle} ({on.manifest.backbone}, {on.model_format}, {on.threads} threads)")
    print(
        f"{len(texts)} resumes x {args.rounds} rounds, median {chars:.0f} characters, load {load:.1f}"
    )
    print()
    print("| extract, batch 1 | p50 ms | p95 ms |")
    print("|---|---|---|")
    for name, label in (
        ("off", "recognizers off"),
        ("on", "recognizers on"),
        ("patterns", "patterns + merge alone"),
    ):
        values = sorted(timings[name])
        p50 = values[len(values) // 2] * 1000
        p95 = values[int(len(values) * 0.95)] * 1000
        print(f"| {label} | {p50:.2f} | {p95:.2f} |")
    print()
    print(f"median on/off latency ratio (same text): {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
