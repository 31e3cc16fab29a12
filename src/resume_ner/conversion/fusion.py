"""Transformer-specific operator fusion of an exported encoder, before it is quantised.

ONNX Runtime fuses some patterns itself when a session opens, but not every exporter's spelling
of them: the GELU of torch's ``dynamo`` export (``x * (0.5 * (1 + erf(x / sqrt 2)))``) stays five
element-wise operators. onnxruntime's transformer optimizer (``onnxruntime.transformers``,
pure-Python graph fusion, ``opt_level=0`` so that no hardware-specific ONNX Runtime rewrite is
saved into the file) turns them into one ``BiasGelu`` with the bias add before it, rewrites
layer norms as ``LayerNormalization``, and fuses attention (``Attention``) and embeddings
(``EmbedLayerNormalization``) where it recognises the pattern. The fused graph is what gets
quantised, so int8 keeps the fused operators.

Skip-layer-norm fusion is left out on purpose (here and in the served session, see
:class:`~resume_ner.config.conversion.SessionConfig`): ONNX Runtime's CPU
``SkipLayerNormalization`` kernel measured slower than the ``Add`` and ``LayerNormalization`` it
replaces (MiniLM-L6 int8, 256 tokens: 15% of the model's time).

The fused model contains ``com.microsoft`` operators, so it runs on ONNX Runtime only; whether
it still reproduces the PyTorch model is for :mod:`resume_ner.conversion.parity` to say.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from resume_ner.conversion.errors import converter_step

logger = logging.getLogger(__name__)

#: The optimizer's model type for each transformers ``model_type`` it knows how to fuse.
OPTIMIZER_MODEL_TYPES: Mapping[str, str] = {
    "bert": "bert",
    "distilbert": "bert",
    "roberta": "bert",
    "xlm-roberta": "bert",
    "electra": "bert",
}


def optimizer_model_type(model_config: Any) -> str | None:
    """The transformer optimizer's model type for a transformers ``model_config``, or ``None``
    when the architecture is not one it fuses (the model is then served unfused)."""
    return OPTIMIZER_MODEL_TYPES.get(str(getattr(model_config, "model_type", "")))


def _attention_shape(model_config: Any) -> tuple[int, int]:
    heads = getattr(model_config, "num_attention_heads", None) or getattr(
        model_config, "n_heads", 0
    )
    hidden = getattr(model_config, "hidden_size", None) or getattr(model_config, "dim", 0)
    return int(heads or 0), int(hidden or 0)


def fuse_transformer(
    source: Path | str, target: Path | str, model_config: Any
) -> dict[str, int] | None:
    """Write the fused version of the ONNX encoder ``source`` to ``target``.

    ``model_config`` is the checkpoint's transformers config: its ``model_type`` picks the
    optimizer's patterns (:func:`optimizer_model_type`), its head count and hidden size tell
    the attention fusion the shapes. Returns how many of each fused operator the graph holds
    (``{"BiasGelu": 6, "Attention": 0, ...}``), or ``None`` without writing anything when the
    architecture is not one the optimizer knows. Raises :class:`ConversionError` when the
    optimizer fails or cannot save the model.
    """
    model_type = optimizer_model_type(model_config)
    if model_type is None:
        logger.info(
            "no transformer fusion for model type %r", getattr(model_config, "model_type", None)
        )
        return None
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions(model_type)
    options.enable_skip_layer_norm = False
    options.enable_bias_skip_layer_norm = False
    # Symbolic shape inference stops on dynamo graphs (and then leaves a file in the working
    # folder); none of the fusions kept here needs it.
    options.enable_shape_inference = False
    num_heads, hidden_size = _attention_shape(model_config)
    target_path = Path(target)
    with converter_step(f"transformer fusion of {source}", target_path):
        model = optimize_model(
            str(source),
            model_type=model_type,
            num_heads=num_heads,
            hidden_size=hidden_size,
            optimization_options=options,
            opt_level=0,
        )
        fused = {name: int(count) for name, count in model.get_fused_operator_statistics().items()}
        model.save_model_to_file(str(target_path), use_external_data_format=False)
    logger.info(
        "fused %s: %s",
        source,
        ", ".join(f"{name} {count}" for name, count in sorted(fused.items()) if count) or "none",
    )
    return fused
