"""The inference engine: texts in, entities with character offsets and scores out.

One call of :meth:`InferenceEngine.extract` tokenises every text with offsets, cuts long texts
into overlapping windows (``max_length``/``stride`` of the bundle, the same as in training), so
nothing past the model's length is lost, runs all windows as ONE batch padded to its longest
window, turns the logits into labels and softmax scores with numpy, and merges the windows back
into character spans with :func:`resume_ner.data.alignment.decode_predictions`. When the engine
has pattern recognizers (:mod:`resume_ner.serve.recognizers`, on unless the bundle or the caller
switches them off), their e-mail, phone and URL spans are merged with the model's by the rule
documented there. When the bundle holds a calibration (:mod:`resume_ner.serve.calibration`),
every model span's score is its calibrated probability of being right, and spans below their
label's threshold are left out, before the patterns are merged.

The model runs behind a :data:`ForwardFn` (numpy inputs -> numpy logits): an ONNX Runtime
session for served bundles (:meth:`InferenceEngine.load`); benchmarks plug other backends in
to compare them on exactly the same pre- and post-processing. This module never imports torch
or transformers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from resume_ner.config.conversion import SessionConfig
from resume_ner.config.serve import Preference
from resume_ner.data.alignment import EncodedWindow, decode_predictions
from resume_ner.serve.bundle import (
    TOKENIZER_FILE,
    BundleError,
    BundleManifest,
    ModelFormat,
    read_labels,
    read_manifest,
    resolve_model,
)
from resume_ner.serve.calibration import SpanCalibration
from resume_ner.serve.recognizers import PatternRecognizers
from resume_ner.serve.session import open_session
from resume_ner.serve.windows import TOKEN_TYPE_IDS, WindowTokenizer, pad_windows

#: Runs the model: a batch of int64 inputs by name -> float logits (windows, tokens, labels).
ForwardFn = Callable[[Mapping[str, np.ndarray]], np.ndarray]


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity found in a text: characters ``start``-``end`` (``text``), its type, and the
    mean softmax probability of its words' tags."""

    start: int
    end: int
    label: str
    text: str
    score: float


def labels_and_scores(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The arg-max label id at every position and its softmax probability.

    ``logits`` has shape (windows, tokens, labels); both results have shape (windows, tokens).
    """
    best = logits.argmax(axis=-1)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    # The arg-max's shifted logit is 0, so its probability is 1 / sum(exp(shifted)).
    scores = 1.0 / np.exp(shifted).sum(axis=-1)
    return best, scores


def onnx_forward(session: object) -> ForwardFn:
    """A :data:`ForwardFn` over an ``onnxruntime.InferenceSession`` whose first output is logits."""
    output_names = [session.get_outputs()[0].name]  # type: ignore[attr-defined]
    run = session.run  # type: ignore[attr-defined]

    def forward(inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        return run(output_names, dict(inputs))[0]

    return forward


class InferenceEngine:
    """Extracts entities from texts with a token-classification model.

    ``forward`` runs the model; ``windows`` cuts texts into windows; ``id2label`` maps label
    ids to BIO tags; ``input_names`` are the inputs the model takes (``input_ids``,
    ``attention_mask`` and, for BERT-like models, ``token_type_ids``); ``pad_token_id`` pads
    ``input_ids``. ``manifest`` and ``model_format`` describe the bundle it was loaded from.
    ``recognizers`` (``None``: none) are merged into what :meth:`extract` returns;
    ``calibration`` (``None``: raw scores, no thresholds) is applied to the model's spans.
    """

    def __init__(
        self,
        forward: ForwardFn,
        windows: WindowTokenizer,
        id2label: Mapping[int, str],
        *,
        input_names: Sequence[str],
        pad_token_id: int,
        manifest: BundleManifest | None = None,
        model_format: ModelFormat | None = None,
        threads: int | None = None,
        recognizers: PatternRecognizers | None = None,
        calibration: SpanCalibration | None = None,
    ) -> None:
        self.forward = forward
        self.windows = windows
        self.id2label = dict(id2label)
        self.input_names = tuple(input_names)
        self.pad_token_id = pad_token_id
        self.manifest = manifest
        self.model_format = model_format
        self.threads = threads
        self.recognizers = recognizers
        self.calibration = calibration
        self._with_token_type_ids = TOKEN_TYPE_IDS in self.input_names

    @property
    def entity_types(self) -> frozenset[str]:
        """The entity types the model tags (``SKILL``, ``EMAIL``, ...)."""
        return frozenset(tag[2:] for tag in self.id2label.values() if tag[:2] in ("B-", "I-"))

    @classmethod
    def load(
        cls,
        bundle_dir: Path | str,
        *,
        prefer: Preference = "best",
        threads: int | None = None,
        recognizers: bool | None = None,
    ) -> InferenceEngine:
        """Open the model bundle ``bundle_dir`` (see :mod:`resume_ner.serve.bundle`).

        ``prefer`` ``best`` serves the format the conversion chose (int8 only when it kept its
        accuracy), ``fp32``/``int8`` ask for one. ``threads`` overrides the bundle's intra-op
        thread count (default: one per physical core). ``recognizers`` switches the pattern
        recognizers on or off (``None``: as the bundle's ``recognizers`` setting says, with its
        phone regions). One ONNX Runtime session on the CPU
        provider, with the bundle's session settings (:mod:`resume_ner.serve.session`). Raises
        :class:`BundleError` when the bundle is incomplete, lacks the asked format or a model
        file does not match its hash.
        """
        folder = Path(bundle_dir)
        manifest = read_manifest(folder)
        id2label = read_labels(folder)
        model_format, model_path = resolve_model(folder, manifest, prefer)
        try:
            windows = WindowTokenizer.from_file(
                folder / TOKENIZER_FILE, manifest.max_length, manifest.stride
            )
        except ValueError as exc:
            raise BundleError(str(exc)) from exc
        try:
            session_config = SessionConfig.model_validate(dict(manifest.session))
        except ValueError as exc:
            raise BundleError(f"{folder}: bad session settings in bundle.json ({exc})") from exc
        session = open_session(model_path, session_config, threads=threads)
        session_inputs = [item.name for item in session.get_inputs()]
        if sorted(session_inputs) != sorted(manifest.input_names):
            raise BundleError(
                f"{model_path} takes inputs {session_inputs}, bundle.json says "
                f"{list(manifest.input_names)}"
            )
        engine = cls(
            onnx_forward(session),
            windows,
            id2label,
            input_names=manifest.input_names,
            pad_token_id=manifest.pad_token_id,
            manifest=manifest,
            model_format=model_format,
            threads=session.get_session_options().intra_op_num_threads,
            calibration=manifest.calibration,
        )
        settings = manifest.recognizers
        enabled = settings.get("enabled", True) if recognizers is None else recognizers
        if enabled:
            regions = settings.get("phone_regions")
            engine.recognizers = PatternRecognizers(
                engine.entity_types,
                **({"phone_regions": tuple(regions)} if regions else {}),
            )
        return engine

    def encode(self, texts: Sequence[str]) -> list[EncodedWindow]:
        """The windows of ``texts`` (document ``i`` is ``texts[i]``)."""
        return self.windows.encode(texts, with_token_type_ids=self._with_token_type_ids)

    def predict_windows(self, windows: Sequence[EncodedWindow]) -> tuple[np.ndarray, np.ndarray]:
        """Label ids and their probabilities for ``windows``, run as one padded batch.

        Both arrays have shape (windows, longest window).
        """
        batch = pad_windows(windows, self.input_names, self.pad_token_id)
        return labels_and_scores(self.forward(batch))

    def extract(self, texts: Sequence[str]) -> list[list[Entity]]:
        """The entities of each text, in text order (see the module docstring).

        Raises :class:`TypeError` when ``texts`` is a string or holds a non-string, and
        :class:`ValueError` when the model predicts a label id it has no tag for.
        """
        texts = _checked_texts(texts)
        found = self.extract_model(texts)
        if self.recognizers is None:
            return found
        return [
            merge_patterns(text, entities, self.recognizers)
            for text, entities in zip(texts, found, strict=True)
        ]

    def extract_model(
        self, texts: Sequence[str], *, confident_only: bool = True
    ) -> list[list[Entity]]:
        """The model's entities of each text, without the pattern recognizers, with calibrated
        scores; ``confident_only`` leaves out those below their label's threshold.

        Raises like :meth:`extract`.
        """
        texts = _checked_texts(texts)
        if not texts:
            return []
        windows = self.encode(texts)
        label_ids, scores = self.predict_windows(windows)
        spans = decode_predictions(
            windows, label_ids.tolist(), self.id2label, texts, scores.tolist()
        )
        found = [
            [
                Entity(
                    span.start,
                    span.end,
                    span.label,
                    text[span.start : span.end],
                    float(span.score or 0.0),
                )
                for span in text_spans
            ]
            for text, text_spans in zip(texts, spans, strict=True)
        ]
        if self.calibration is None:
            return found
        calibrated = [self.calibration.calibrated(entities) for entities in found]
        if not confident_only:
            return calibrated
        return [self.calibration.confident(entities) for entities in calibrated]


def _checked_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("extract takes a sequence of texts, not one string")
    texts = list(texts)
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"texts must be strings, got {type(text).__name__}")
    return texts


def merge_patterns(
    text: str, entities: Sequence[Entity], recognizers: PatternRecognizers
) -> list[Entity]:
    """``entities`` of ``text`` merged with the pattern spans of ``recognizers``, in text order.

    The rule is :meth:`PatternRecognizers.merge`'s; pattern entities score 1.0.
    """
    kept, patterns = recognizers.merge(text, entities)
    added = [Entity(p.start, p.end, p.label, text[p.start : p.end], 1.0) for p in patterns]
    return sorted([*kept, *added], key=lambda entity: (entity.start, entity.end))
