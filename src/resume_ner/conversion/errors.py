"""Errors raised while converting a checkpoint into a model bundle."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from resume_ner.errors import ResumeNerError

if TYPE_CHECKING:
    from resume_ner.conversion.parity import ParityReport


class ConversionError(ResumeNerError, RuntimeError):
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


@contextmanager
def converter_step(description: str, target: Path) -> Iterator[None]:
    """Run one call of an external converter that writes ``target``.

    When it fails, ``target`` is removed and :class:`ConversionError` (``<description> failed:
    <reason>``) is raised.
    """
    try:
        yield
    except Exception as exc:
        # torch's exporters, onnx's checker and onnxruntime's tools fail with arbitrary types
        # (RuntimeError, AssertionError, onnx's ValidationError, even a bare Exception); every
        # one of them means this step produced no usable file.
        target.unlink(missing_ok=True)
        if isinstance(exc, ConversionError):
            raise
        raise ConversionError(f"{description} failed: {exc}") from exc
