"""Encoded windows of each split, without torch: the training code makes tensors from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resume_ner.data.alignment import EncodedWindow, encode_documents
from resume_ner.data.documents import Document

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from resume_ner.config.data import DataConfig


@dataclass(frozen=True)
class EncodedSplit:
    """The documents of one split and their windows (``doc_index`` indexes ``documents``)."""

    name: str
    documents: tuple[Document, ...]
    windows: tuple[EncodedWindow, ...]

    @property
    def texts(self) -> list[str]:
        """Texts by document index, as :func:`~resume_ner.data.alignment.decode_predictions` wants."""
        return [document.text for document in self.documents]

    def features(self) -> list[dict[str, list[int]]]:
        """Every window's model inputs and labels, for a data collator."""
        return [window.features() for window in self.windows]


def encode_splits(
    splits: Mapping[str, Sequence[Document]],
    tokenizer: PreTrainedTokenizerBase,
    label2id: Mapping[str, int],
    config: DataConfig,
) -> dict[str, EncodedSplit]:
    """Encode each named split with the windowing of ``config`` (``max_length``, ``stride``,
    ``label_all_subwords``). Raises what :func:`encode_documents` raises."""
    return {
        name: EncodedSplit(
            name=name,
            documents=tuple(documents),
            windows=tuple(
                encode_documents(
                    documents,
                    tokenizer,
                    label2id,
                    config.max_length,
                    config.stride,
                    label_all_subwords=config.label_all_subwords,
                )
            ),
        )
        for name, documents in splits.items()
    }
