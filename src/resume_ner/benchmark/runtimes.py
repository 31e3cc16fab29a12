"""The runtimes a benchmark compares, each doing the whole job: texts in, entities out.

- ``eager``: the checkpoint's PyTorch model (eval mode, ``torch.inference_mode``) behind the
  served path's own tokenisation, windowing, padding and decoding, so that against
  ``onnx_fp32``/``onnx_int8`` only the model runner differs;
- ``onnx_fp32``, ``onnx_int8``: :class:`~resume_ner.serve.engine.InferenceEngine` on the
  bundle's fp32 or int8 model, exactly as served (``onnx_int8`` is skipped when the bundle
  holds no int8 model because the conversion rejected it);
- ``hf_pipeline``: transformers' ``pipeline("token-classification", aggregation_strategy=
  "simple", device=-1)`` on the checkpoint, what a user would otherwise call, given the same
  window length and stride so that it too reads every token of a long text.

torch runs on the same number of threads as ONNX Runtime; :meth:`RuntimeSet.close` restores
torch's previous setting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resume_ner.benchmark.measure import Runtime
from resume_ner.config.benchmark import RuntimeName
from resume_ner.serve.bundle import TOKENIZER_FILE, BundleManifest, read_labels, read_manifest
from resume_ner.serve.engine import InferenceEngine
from resume_ner.serve.session import physical_core_count
from resume_ner.serve.windows import WindowTokenizer


def eager_engine(model: Any, bundle_dir: Path | str, manifest: BundleManifest) -> InferenceEngine:
    """The served path of bundle ``bundle_dir`` with ``model`` (PyTorch, in eval mode) as the
    model runner."""
    from resume_ner.conversion.parity import torch_forward

    folder = Path(bundle_dir)
    return InferenceEngine(
        torch_forward(model),
        WindowTokenizer.from_file(folder / TOKENIZER_FILE, manifest.max_length, manifest.stride),
        read_labels(folder),
        input_names=manifest.input_names,
        pad_token_id=manifest.pad_token_id,
        manifest=manifest,
    )


def pipeline_runtime(model: Any, tokenizer: Any, manifest: BundleManifest) -> Runtime:
    """transformers' token-classification pipeline (``aggregation_strategy="simple"``, CPU),
    windowing at the bundle's ``max_length`` with its ``stride``; one call per batch."""
    from transformers import pipeline

    tokenizer.model_max_length = manifest.max_length
    classifier = pipeline(
        "token-classification",
        model=model,
        tokenizer=tokenizer,
        aggregation_strategy="simple",
        device=-1,
        stride=manifest.stride,
    )

    def run(texts: Sequence[str]) -> object:
        return classifier(list(texts), batch_size=len(texts))

    return run


@dataclass
class RuntimeSet:
    """The runtimes built for a benchmark, those skipped (with why), and the thread count."""

    runtimes: dict[str, Runtime]
    skipped: dict[str, str]
    threads: int
    served_format: str
    _restore: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Restore what building the runtimes changed (torch's thread count)."""
        while self._restore:
            self._restore.pop()()


def build_runtimes(
    names: Sequence[RuntimeName],
    bundle_dir: Path | str,
    checkpoint_dir: Path | str | None,
    *,
    threads: int | None = None,
) -> RuntimeSet:
    """Build the runtimes ``names`` on bundle ``bundle_dir`` and checkpoint ``checkpoint_dir``.

    ``threads`` (default: one per physical core) is every runtime's thread count. ``eager``
    and ``hf_pipeline`` need the checkpoint. Raises :class:`ValueError` when they are asked
    for without one, and :class:`~resume_ner.serve.bundle.BundleError` for a broken bundle.
    """
    threads = threads or physical_core_count()
    manifest = read_manifest(bundle_dir)
    result = RuntimeSet({}, {}, threads, manifest.format)
    try:
        torch_names = [name for name in names if name in ("eager", "hf_pipeline")]
        backbone = None
        if torch_names:
            if checkpoint_dir is None:
                raise ValueError(f"runtimes {torch_names} need the checkpoint folder")
            import torch

            from resume_ner.training.checkpoint import load_checkpoint

            previous = torch.get_num_threads()
            torch.set_num_threads(threads)
            result._restore.append(lambda: torch.set_num_threads(previous))
            backbone = load_checkpoint(checkpoint_dir)
            backbone.model.eval()
        for name in names:
            if name == "eager":
                assert backbone is not None
                result.runtimes[name] = eager_engine(backbone.model, bundle_dir, manifest).extract
            elif name == "hf_pipeline":
                assert backbone is not None
                result.runtimes[name] = pipeline_runtime(
                    backbone.model, backbone.tokenizer, manifest
                )
            else:
                model_format = "fp32" if name == "onnx_fp32" else "int8"
                if model_format not in manifest.models:
                    why = dict(manifest.parity.get("decision") or {}).get("reason", "not built")
                    result.skipped[name] = f"the bundle has no {model_format} model ({why})"
                    continue
                # The model alone, like the eager and pipeline runtimes it is compared with.
                engine = InferenceEngine.load(
                    bundle_dir, prefer=model_format, threads=threads, recognizers=False
                )
                result.runtimes[name] = engine.extract
    except BaseException:
        result.close()
        raise
    return result
