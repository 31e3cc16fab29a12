"""Run a token-classification model over documents and turn its outputs into character spans.

Long documents are cut into overlapping windows (:func:`resume_ner.data.alignment.encode_documents`)
and the windows' predictions merged back (:func:`resume_ner.data.alignment.decode_predictions`),
so no text is dropped whatever its length. Inference runs under ``torch.inference_mode`` with
the model in eval mode (its previous mode is restored afterwards).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from resume_ner.data.alignment import (
    EncodedWindow,
    PredictedSpan,
    decode_predictions,
    encode_documents,
)
from resume_ner.data.documents import Document
from resume_ner.data.labels import LabelSchema
from resume_ner.training.features import inference_batches

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


def predict_windows(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    windows: Sequence[EncodedWindow],
    batch_size: int,
) -> tuple[list[list[int]], list[list[float]]]:
    """Per window, the arg-max label id and its softmax probability at every position.

    Rows are as long as the padded batch the window was in (at least its own length).
    """
    import torch

    was_training = model.training
    model.eval()
    label_ids: list[list[int]] = []
    scores: list[list[float]] = []
    try:
        with torch.inference_mode():
            for batch in inference_batches(windows, tokenizer, batch_size):
                logits = model(**batch).logits
                probabilities, best = logits.softmax(dim=-1).max(dim=-1)
                label_ids.extend(best.tolist())
                scores.extend(probabilities.tolist())
    finally:
        model.train(was_training)
    return label_ids, scores


def predict_spans(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    windows: Sequence[EncodedWindow],
    texts: Sequence[str],
    label_schema: LabelSchema,
    batch_size: int = 64,
) -> list[list[PredictedSpan]]:
    """The spans ``model`` finds in each of ``texts``, from the windows encoded from them.

    ``texts[i]`` is the text of document index ``i`` of ``windows``. Raises
    :class:`ValueError` for a predicted id outside ``label_schema``.
    """
    label_ids, scores = predict_windows(model, tokenizer, windows, batch_size)
    return decode_predictions(windows, label_ids, label_schema.id2label, texts, scores)


def predict_documents(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    documents: Sequence[Document],
    label_schema: LabelSchema,
    max_length: int,
    stride: int,
    batch_size: int = 64,
) -> list[list[PredictedSpan]]:
    """The entities ``model`` finds in each document, as character spans with scores.

    Documents are windowed with ``max_length`` and ``stride`` (as in training); gold spans, if
    any, are ignored. Each span's score is the mean probability of its words' tags. Raises
    :class:`~resume_ner.data.errors.AlignmentError` for a slow tokenizer and
    :class:`ValueError` for a predicted id outside ``label_schema``.
    """
    windows = encode_documents(
        documents, tokenizer, None, max_length, stride, pad_to_max_length=False
    )
    texts = [document.text for document in documents]
    return predict_spans(model, tokenizer, windows, texts, label_schema, batch_size)
