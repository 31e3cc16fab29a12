"""Errors raised while converting a checkpoint into a model bundle."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from resume_ner.conversion.parity import ParityReport


class ConversionError(RuntimeError):
    """The checkpoint could not be exported, quantised or assembled into a bundle."""


class ParityError(ConversionError):
    """The ONNX model does not reproduce the PyTorch model: its ``report`` says by how much."""

    def __init__(self, report: ParityReport) -> None:
        self.report = report
        super().__init__(
            f"ONNX fp32 does not match PyTorch on {report.documents} documents: max |logit "
            f"difference| {report.max_abs_logit_diff:.3g} (atol {report.atol:g}), "
            f"{report.label_agreement:.4%} of {report.tokens} token labels identical"
        )
