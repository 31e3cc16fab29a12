"""Score a model on a fixed set of documents, encoding them once for every evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resume_ner.data.alignment import EncodedWindow, PredictedSpan, encode_documents
from resume_ner.data.documents import Document
from resume_ner.data.labels import LabelSchema
from resume_ner.training.metrics import EntityMetrics, score_documents
from resume_ner.training.predict import predict_spans

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass
class Evaluator:
    """The windows of ``documents`` (encoded once) and how to score a model on them.

    Predictions are decoded to character spans and scored against the documents' own spans
    with :func:`~resume_ner.training.metrics.score_documents`, so the figures are the same
    whichever tokenizer or window size the model uses.
    """

    documents: Sequence[Document]
    windows: Sequence[EncodedWindow]
    tokenizer: PreTrainedTokenizerBase
    label_schema: LabelSchema
    batch_size: int

    @classmethod
    def for_documents(
        cls,
        documents: Sequence[Document],
        tokenizer: PreTrainedTokenizerBase,
        label_schema: LabelSchema,
        max_length: int,
        stride: int,
        batch_size: int = 64,
    ) -> Evaluator:
        """Encode ``documents`` (without labels) into windows of ``max_length``/``stride``."""
        windows = encode_documents(
            documents, tokenizer, None, max_length, stride, pad_to_max_length=False
        )
        return cls(documents, windows, tokenizer, label_schema, batch_size)

    def predict(self, model: PreTrainedModel) -> list[list[PredictedSpan]]:
        """The spans ``model`` predicts in each document."""
        texts = [document.text for document in self.documents]
        return predict_spans(
            model, self.tokenizer, self.windows, texts, self.label_schema, self.batch_size
        )

    def evaluate(self, model: PreTrainedModel) -> EntityMetrics:
        """Entity-level scores of ``model`` on the documents."""
        return score_documents(self.documents, self.predict(model))
