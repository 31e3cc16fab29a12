"""The model of ``conversion.yaml``: ONNX export, int8 quantisation and its accuracy rule, the
parity check against the source model, and the ONNX Runtime session the bundle is served with.

``quantize`` decides whether the served bundle uses int8 weights:

- ``never``: fp32 only, no int8 model is built;
- ``always``: int8, whatever its accuracy (still measured and logged);
- ``auto``: int8 only when its entity macro-F1 on the parity sample is at most ``max_f1_drop``
  below the fp32 model's; otherwise fp32.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from resume_ner.config.base import StrictModel
from resume_ner.config.loader import load_config_file

#: Regions whose national phone formats the recognizers know by default (ISO 3166 codes).
PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "IN", "DE", "FR", "BR", "JP", "NG", "ES")

QuantizeMode = Literal["auto", "always", "never"]
GraphOptimization = Literal["disable", "basic", "extended", "all"]
Exporter = Literal["dynamo", "torchscript"]
Attention = Literal["eager", "sdpa"]


class SessionConfig(StrictModel):
    """How ONNX Runtime runs the model: graph optimisation and threads.

    ``intra_op_threads`` ``None`` means one thread per physical core of the machine the session
    opens on (hyper-threads slow the matrix kernels down rather than up). ``allow_spinning``
    lets idle intra-op threads busy-wait for the next operator instead of sleeping: a little
    faster on cores nothing else uses, but as soon as other work shares them (the API's own
    tokenisation, other processes) the spinning threads take its time slices and the model's
    latency doubles. ``disabled_optimizers`` names ONNX Runtime graph rewrites the session
    skips (names ONNX Runtime does not know are ignored): ``SkipLayerNormFusion`` by default,
    because its CPU ``SkipLayerNormalization`` kernel is slower than the ``Add`` and
    ``LayerNormalization`` it replaces.
    """

    graph_optimization: GraphOptimization = "all"
    intra_op_threads: int | None = Field(None, ge=1)
    inter_op_threads: int = Field(1, ge=1)
    allow_spinning: bool = False
    disabled_optimizers: tuple[str, ...] = ("SkipLayerNormFusion",)


class RecognizerConfig(StrictModel):
    """The pattern recognizers of the served model (:mod:`resume_ner.serve.recognizers`).

    ``enabled`` merges their e-mail, phone and URL spans with the model's; ``phone_regions``
    are the regions (ISO 3166 codes) whose national phone formats are recognised, besides
    every number written with a ``+`` country code.
    """

    enabled: bool = True
    phone_regions: tuple[str, ...] = PHONE_REGIONS

    @field_validator("phone_regions")
    @classmethod
    def _known_regions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [region for region in value if not re.fullmatch(r"[A-Z]{2}", region)]
        if bad:
            raise ValueError(f"{bad} are not ISO 3166 region codes such as US, GB, DE")
        return value


class CalibrationConfig(StrictModel):
    """How a bundle's entity scores are calibrated and its per-label thresholds chosen
    (:mod:`resume_ner.evaluation.calibration`).

    ``data`` is the annotated file the model is run over (any reader format; ``None``: the
    realistic development set shipped with the package, hand-written resumes never trained
    on). ``beta`` weighs precision against recall when a threshold is chosen (below 1: precision
    counts more); a label that reaches ``min_precision`` at no threshold is not served. A label
    with fewer than ``min_spans`` predicted spans in that data gets no threshold of its own.
    """

    enabled: bool = True
    data: Path | None = None
    beta: float = Field(0.5, gt=0.0)
    min_precision: float = Field(0.0, ge=0.0, lt=1.0)
    min_spans: int = Field(10, ge=1)


class ConversionConfig(StrictModel):
    """Everything ``conversion.yaml`` holds."""

    opset: int = Field(18, ge=14, le=23)
    exporter: Exporter = "dynamo"
    #: Attention implementation the model is exported with: ``eager`` (explicit MatMul and
    #: Softmax, which ONNX Runtime fuses and int8 quantises well) or ``sdpa``.
    attention: Attention = "eager"
    #: Fuse GELU, layer norms, attention and embeddings with onnxruntime's transformer
    #: optimizer before quantising (:mod:`resume_ner.conversion.fusion`).
    transformer_fusion: bool = True
    quantize: QuantizeMode = "auto"
    max_f1_drop: float = Field(0.01, ge=0.0, le=1.0)
    quantize_preprocess: bool = True
    quantize_per_channel: bool = True
    parity_sample_size: int = Field(64, ge=1)
    atol: float = Field(1e-3, gt=0.0)
    session: SessionConfig = Field(default_factory=SessionConfig)
    recognizers: RecognizerConfig = Field(default_factory=RecognizerConfig)
    calibration: CalibrationConfig = Field(default_factory=CalibrationConfig)


def load_conversion_config(config_dir: Path | None = None) -> ConversionConfig:
    """Load ``conversion.yaml`` from ``config_dir`` (or the shipped default).

    Raises :class:`resume_ner.config.errors.ConfigError` naming the file and key of any problem.
    """
    return load_config_file("conversion.yaml", ConversionConfig, config_dir)
