"""Does the ONNX model reproduce the PyTorch model, and may its int8 copy be served?

:func:`check_parity` runs the checkpoint's PyTorch model and the bundle's ONNX models on the
same padded batches of the same windows (the sample documents encoded as in training) and
reports:

- fp32 vs PyTorch: the largest absolute logit difference over every real (unpadded) token and
  whether every token gets the same label; parity holds when the difference is at most
  ``atol`` and the labels are identical;
- the entity macro-F1 (:mod:`resume_ner.training.metrics`) of PyTorch, fp32 and int8 on the
  documents' gold spans, and the int8 decision (:func:`decide_quantization`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from resume_ner.config.conversion import ConversionConfig, QuantizeMode
from resume_ner.data.alignment import EncodedWindow, decode_predictions, encode_documents
from resume_ner.data.documents import Document
from resume_ner.serve.bundle import read_manifest
from resume_ner.serve.engine import ForwardFn, InferenceEngine, labels_and_scores
from resume_ner.serve.windows import ATTENTION_MASK, pad_windows

#: Windows per batch of the parity run.
PARITY_BATCH_SIZE = 16


@dataclass(frozen=True)
class QuantizationDecision:
    """Whether the int8 model is served, and why."""

    use_int8: bool
    reason: str


def decide_quantization(
    mode: QuantizeMode, fp32_macro_f1: float, int8_macro_f1: float | None, max_f1_drop: float
) -> QuantizationDecision:
    """Apply ``conversion.yaml``'s rule (``quantize``, ``max_f1_drop``) to measured F1 scores.

    ``never`` and a missing int8 model give fp32; ``always`` gives int8; ``auto`` gives int8
    only when ``fp32_macro_f1 - int8_macro_f1 <= max_f1_drop``.
    """
    if mode == "never":
        return QuantizationDecision(False, "quantize is 'never'")
    if int8_macro_f1 is None:
        return QuantizationDecision(False, "no int8 model was built")
    drop = fp32_macro_f1 - int8_macro_f1
    if mode == "always":
        return QuantizationDecision(True, f"quantize is 'always' (macro-F1 drop {drop:.4f})")
    # A tiny epsilon keeps a drop equal to the tolerance (up to float rounding) inside it.
    if drop <= max_f1_drop + 1e-12:
        return QuantizationDecision(
            True, f"int8 macro-F1 drop {drop:.4f} is within max_f1_drop {max_f1_drop:g}"
        )
    return QuantizationDecision(
        False, f"int8 macro-F1 drop {drop:.4f} exceeds max_f1_drop {max_f1_drop:g}"
    )


@dataclass(frozen=True)
class ParityReport:
    """What :func:`check_parity` measured (see the module docstring)."""

    documents: int
    windows: int
    tokens: int
    atol: float
    max_abs_logit_diff: float
    label_agreement: float
    labels_identical: bool
    torch_macro_f1: float
    fp32_macro_f1: float
    int8_macro_f1: float | None
    int8_max_abs_logit_diff: float | None
    int8_label_agreement: float | None
    quantize: QuantizeMode
    max_f1_drop: float
    decision: QuantizationDecision

    @property
    def passed(self) -> bool:
        """Whether fp32 reproduces PyTorch: identical labels, logits within ``atol``."""
        return self.labels_identical and self.max_abs_logit_diff <= self.atol

    @property
    def served_format(self) -> str:
        """``int8`` or ``fp32``: the format the decision serves."""
        return "int8" if self.decision.use_int8 else "fp32"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (``passed`` and ``served_format`` included)."""
        return {**asdict(self), "passed": self.passed, "served_format": self.served_format}

    def metrics(self) -> dict[str, float]:
        """The figures as MLflow metrics (booleans as 0/1; int8 figures only when measured)."""
        values = {
            "max_abs_logit_diff": self.max_abs_logit_diff,
            "label_agreement": self.label_agreement,
            "labels_identical": float(self.labels_identical),
            "parity_passed": float(self.passed),
            "torch_macro_f1": self.torch_macro_f1,
            "fp32_macro_f1": self.fp32_macro_f1,
            "int8_used": float(self.decision.use_int8),
            "parity_documents": float(self.documents),
            "parity_tokens": float(self.tokens),
        }
        if self.int8_macro_f1 is not None:
            values["int8_macro_f1"] = self.int8_macro_f1
            values["int8_macro_f1_drop"] = self.fp32_macro_f1 - self.int8_macro_f1
        if self.int8_max_abs_logit_diff is not None:
            values["int8_max_abs_logit_diff"] = self.int8_max_abs_logit_diff
        if self.int8_label_agreement is not None:
            values["int8_label_agreement"] = self.int8_label_agreement
        return values


@dataclass
class _Outputs:
    """Per window: label ids and scores (rows as long as the window), and real-token logits."""

    label_ids: list[list[int]]
    scores: list[list[float]]
    logits: list[np.ndarray]


def _run(
    forward: ForwardFn,
    batches: Sequence[Mapping[str, np.ndarray]],
    lengths: Sequence[int],
) -> _Outputs:
    outputs = _Outputs([], [], [])
    row = 0
    for batch in batches:
        logits = np.asarray(forward(batch), dtype=np.float32)
        best, scores = labels_and_scores(logits)
        for i in range(logits.shape[0]):
            length = lengths[row]
            outputs.label_ids.append(best[i, :length].tolist())
            outputs.scores.append(scores[i, :length].tolist())
            outputs.logits.append(logits[i, :length])
            row += 1
    return outputs


def _compare(reference: _Outputs, other: _Outputs) -> tuple[float, float]:
    """Max |logit difference| and the share of tokens with the same label."""
    worst, same, total = 0.0, 0, 0
    for ref_logits, logits, ref_ids, ids in zip(
        reference.logits, other.logits, reference.label_ids, other.label_ids, strict=True
    ):
        if ref_logits.size:
            difference = float(np.abs(ref_logits - logits).max())
            # NaN compares false with everything: count it as an infinite difference.
            worst = max(worst, difference if math.isfinite(difference) else math.inf)
        same += sum(1 for a, b in zip(ref_ids, ids, strict=True) if a == b)
        total += len(ids)
    return worst, (same / total if total else 1.0)


def _macro_f1(
    documents: Sequence[Document],
    windows: Sequence[EncodedWindow],
    outputs: _Outputs,
    id2label: Mapping[int, str],
) -> float:
    from resume_ner.training.metrics import score_documents

    texts = [document.text for document in documents]
    spans = decode_predictions(windows, outputs.label_ids, id2label, texts, outputs.scores)
    return score_documents(documents, spans).macro_f1


def torch_forward(model: Any) -> ForwardFn:
    """A :data:`~resume_ner.serve.engine.ForwardFn` running a transformers model under
    ``torch.inference_mode`` (numpy inputs are shared with torch, not copied). The caller puts
    the model in eval mode."""
    import torch

    def forward(inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        with torch.inference_mode():
            tensors = {name: torch.from_numpy(array) for name, array in inputs.items()}
            return model(**tensors).logits.float().numpy()

    return forward


def check_parity(
    checkpoint_dir: Path | str,
    bundle_dir: Path | str,
    documents: Sequence[Document],
    config: ConversionConfig | None = None,
) -> ParityReport:
    """Compare the bundle's ONNX models with the checkpoint's PyTorch model on ``documents``.

    The first ``config.parity_sample_size`` documents (with their gold spans) are windowed with
    the bundle's ``max_length``/``stride`` and run in batches of :data:`PARITY_BATCH_SIZE`
    windows by every model; ``config`` (default: the shipped ``conversion.yaml``) gives
    ``atol`` and the int8 rule. The int8 model is measured when the bundle has one. Raises
    :class:`ValueError` when ``documents`` is empty,
    :class:`~resume_ner.serve.bundle.BundleError` for a broken bundle and
    :class:`~resume_ner.training.errors.CheckpointError` for a broken checkpoint.
    """
    from resume_ner.training.checkpoint import load_checkpoint

    config = config or ConversionConfig()
    sample = list(documents[: config.parity_sample_size])
    if not sample:
        raise ValueError("parity needs at least one document")
    manifest = read_manifest(bundle_dir)
    backbone = load_checkpoint(checkpoint_dir)
    id2label = dict(backbone.label_schema.id2label)
    windows = encode_documents(
        sample,
        backbone.tokenizer,
        None,
        manifest.max_length,
        manifest.stride,
        pad_to_max_length=False,
    )
    batches = [
        pad_windows(
            windows[first : first + PARITY_BATCH_SIZE],
            manifest.input_names,
            manifest.pad_token_id,
        )
        for first in range(0, len(windows), PARITY_BATCH_SIZE)
    ]
    lengths = [len(window.input_ids) for window in windows]
    if any(int(batch[ATTENTION_MASK].sum()) == 0 for batch in batches):
        raise ValueError("a parity batch holds no token")

    model = backbone.model
    was_training = model.training
    model.eval()
    try:
        reference = _run(torch_forward(model), batches, lengths)
    finally:
        model.train(was_training)
    fp32 = _run(InferenceEngine.load(bundle_dir, prefer="fp32").forward, batches, lengths)
    max_diff, agreement = _compare(reference, fp32)
    torch_f1 = _macro_f1(sample, windows, reference, id2label)
    fp32_f1 = _macro_f1(sample, windows, fp32, id2label)

    int8_f1 = int8_diff = int8_agreement = None
    if "int8" in manifest.models:
        int8 = _run(InferenceEngine.load(bundle_dir, prefer="int8").forward, batches, lengths)
        int8_diff, int8_agreement = _compare(reference, int8)
        int8_f1 = _macro_f1(sample, windows, int8, id2label)

    return ParityReport(
        documents=len(sample),
        windows=len(windows),
        tokens=sum(lengths),
        atol=config.atol,
        max_abs_logit_diff=max_diff,
        label_agreement=agreement,
        labels_identical=agreement == 1.0,
        torch_macro_f1=torch_f1,
        fp32_macro_f1=fp32_f1,
        int8_macro_f1=int8_f1,
        int8_max_abs_logit_diff=int8_diff,
        int8_label_agreement=int8_agreement,
        quantize=config.quantize,
        max_f1_drop=config.max_f1_drop,
        decision=decide_quantization(config.quantize, fp32_f1, int8_f1, config.max_f1_drop),
    )
