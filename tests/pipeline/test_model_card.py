"""The model card's latency table, links and note on the selection figures."""

from __future__ import annotations

from resume_ner.pipeline.model_card import build_model_card
from resume_ner.tracking.lineage import LineageLink

LATENCIES = {
    f"{runtime}/latency_b{batch}_s{seq}_p50_ms": float(batch * seq) / 100
    for runtime in ("eager", "onnx_fp32", "onnx_int8")
    for batch in (1, 8)
    for seq in (128, 256, 512, 1024)
}


def _card(**overrides) -> str:
    arguments = {
        "model_name": "resume-ner",
        "version": "2",
        "backbone": "tiny",
        "served_format": "int8",
        "training_metrics": {"test_macro_f1": 0.871},
        "training_params": {},
        "benchmark_metrics": LATENCIES,
        "lineage": [LineageLink("hpo_sweep", "r1", "sweep 0ca6e7f0 · tiny.1", "tags")],
        "run_urls": {"r1": "http://127.0.0.1:5000/#/experiments/1/runs/r1"},
        "selection_tags": {"stable_score": "0.409", "objective_metric": "macro_f1"},
    }
    return build_model_card(**{**arguments, **overrides})


def test_latency_is_one_row_per_runtime_and_a_column_per_batch_and_length():
    lines = [line for line in _card().splitlines() if line.startswith("| ")]
    header = next(line for line in lines if line.startswith("| runtime |"))

    assert (
        header
        == "| runtime | 1 x 128 | 1 x 256 | 1 x 512 | 1 x 1024 | 8 x 128 | 8 x 256 | 8 x 512 | 8 x 1024 |"
    )
    assert [line.split(" | ")[0] for line in lines if line.startswith(("| eager", "| onnx"))] == [
        "| eager",
        "| onnx_fp32",
        "| onnx_int8",
    ]


def test_lineage_entries_link_to_their_runs():
    assert (
        "- hpo_sweep: [sweep 0ca6e7f0 · tiny.1](http://127.0.0.1:5000/#/experiments/1/runs/r1) (r1)"
        in _card()
    )


def test_a_run_without_an_address_is_named_plainly():
    assert "- hpo_sweep: `sweep 0ca6e7f0 · tiny.1` (r1)" in _card(run_urls={})


def test_the_card_says_what_the_selection_figures_are_beside_the_test_scores():
    card = " ".join(_card().split())

    assert "stable macro_f1 0.409" in card
    assert "cross-validated score" in card and "held-out test split" in card


def test_the_card_names_each_labels_threshold_and_the_labels_not_served():
    card = " ".join(
        _card(conversion_metrics={"threshold_SKILL": 0.62, "threshold_EDUCATION": 1.5}).split()
    )

    assert "calibrated score" in card
    assert "SKILL >= 0.62" in card
    assert "EDUCATION not served" in card


def test_a_card_without_calibration_says_nothing_of_thresholds():
    assert "calibrated score" not in _card(conversion_metrics={})
