"""Parity of the ONNX models with PyTorch, and the rule that decides whether int8 is served."""

from __future__ import annotations

import json

import pytest

from resume_ner.config.conversion import ConversionConfig
from resume_ner.conversion.build import build_bundle
from resume_ner.conversion.parity import check_parity, decide_quantization
from resume_ner.serve.bundle import MODEL_FILES, read_manifest


def test_onnx_fp32_predicts_the_same_label_as_pytorch_at_every_token_of_the_test_split(bundle):
    report = bundle.parity

    assert report.documents == 20
    assert report.windows > report.documents, "some test documents span several windows"
    assert report.labels_identical
    assert report.label_agreement == 1.0
    assert report.max_abs_logit_diff < 1e-4 < report.atol
    assert report.passed
    assert report.fp32_macro_f1 == pytest.approx(report.torch_macro_f1)
    assert report.torch_macro_f1 > 0.1, "the test model must find entities for F1 to mean much"


def test_int8_within_the_default_tolerance_is_served(bundle):
    report = bundle.parity

    assert report.int8_macro_f1 is not None
    assert report.fp32_macro_f1 - report.int8_macro_f1 <= 0.01
    assert report.decision.use_int8
    assert bundle.served_format == "int8"
    assert (bundle.bundle_dir / MODEL_FILES["int8"]).is_file()
    assert read_manifest(bundle.bundle_dir).format == "int8"


def test_zero_tolerance_rejects_an_int8_model_that_loses_f1_and_serves_fp32_only(trained, tmp_path):
    # One scale per weight tensor (not per channel) costs this model some F1.
    config = ConversionConfig(max_f1_drop=0.0, quantize_per_channel=False)

    result = build_bundle(
        trained.checkpoint_dir, tmp_path / "bundle", config, documents=trained.test_documents
    )

    report = result.parity
    assert report.int8_macro_f1 < report.fp32_macro_f1
    assert not report.decision.use_int8
    assert "exceeds max_f1_drop 0" in report.decision.reason
    assert result.served_format == "fp32"
    assert sorted(result.manifest.models) == ["fp32"]
    assert not (result.bundle_dir / MODEL_FILES["int8"]).exists()
    assert json.loads((result.bundle_dir / "bundle.json").read_text())["format"] == "fp32"


def test_parity_fails_when_logits_must_match_beyond_float_precision(trained, bundle):
    report = check_parity(
        trained.checkpoint_dir,
        bundle.bundle_dir,
        trained.test_documents,
        ConversionConfig(atol=1e-12),
    )

    assert report.labels_identical
    assert report.max_abs_logit_diff > report.atol
    assert not report.passed


@pytest.mark.parametrize(
    ("mode", "int8_f1", "tolerance", "use_int8"),
    [
        ("auto", 0.795, 0.01, True),
        ("auto", 0.80, 0.0, True),
        ("auto", 0.789, 0.01, False),
        ("auto", 0.7999, 0.0, False),
        ("auto", None, 0.01, False),
        ("always", 0.10, 0.01, True),
        ("never", 0.80, 0.01, False),
    ],
)
def test_quantization_rule(mode, int8_f1, tolerance, use_int8):
    decision = decide_quantization(mode, 0.80, int8_f1, tolerance)

    assert decision.use_int8 is use_int8
    assert decision.reason
