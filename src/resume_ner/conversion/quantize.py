"""Dynamic int8 quantisation of an exported model (onnxruntime ``quantize_dynamic``).

Weights of MatMul/Gemm nodes become signed int8 (``QInt8``) with one scale per tensor;
activations are quantised on the fly at run time, so no calibration data is needed. Whether
the int8 model is good enough to serve is for :mod:`resume_ner.conversion.parity` to say.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from resume_ner.conversion.errors import ConversionError

logger = logging.getLogger(__name__)


def quantize_onnx(fp32_path: Path | str, int8_path: Path | str, *, preprocess: bool = True) -> Path:
    """Write the int8 version of the ONNX model ``fp32_path`` to ``int8_path``; return it.

    With ``preprocess``, onnxruntime's quantisation pre-processing (symbolic shape inference
    and graph clean-up) runs first, so that every MatMul has the shape information the
    quantiser needs. Raises :class:`ConversionError` when quantisation fails.
    """
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    source, target = Path(fp32_path), Path(int8_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="resume-ner-quantize-") as tmp:
            model = source
            if preprocess:
                model = Path(tmp) / "preprocessed.onnx"
                quant_pre_process(str(source), str(model), skip_symbolic_shape=True)
            quantize_dynamic(
                str(model),
                str(target),
                weight_type=QuantType.QInt8,
                # Nodes of the com.microsoft domain have no shape inference; their outputs are
                # float tensors.
                extra_options={"DefaultTensorType": TensorProto.FLOAT},
            )
    except Exception as exc:
        target.unlink(missing_ok=True)
        raise ConversionError(f"int8 quantisation of {source} failed: {exc}") from exc
    logger.info("quantised %s to %s", source, target)
    return target
