"""Encoded windows as padded torch batches: a seeded, shuffled loader for training, and batches
in window order for inference.

Padding is dynamic (to the longest window of a batch) through transformers'
``DataCollatorForTokenClassification``: input ids get the tokenizer's pad id, the attention mask
0 and labels -100, appended after each window's tokens, so positions keep their meaning.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from resume_ner.data.alignment import IGNORE_INDEX, EncodedWindow

if TYPE_CHECKING:
    import torch
    from torch.utils.data import DataLoader
    from transformers import PreTrainedTokenizerBase


def _collator(tokenizer: PreTrainedTokenizerBase) -> Any:
    from transformers import DataCollatorForTokenClassification

    return DataCollatorForTokenClassification(
        tokenizer, padding=True, label_pad_token_id=IGNORE_INDEX, return_tensors="pt"
    )


def training_loader(
    windows: Sequence[EncodedWindow],
    tokenizer: PreTrainedTokenizerBase,
    batch_size: int,
    seed: int,
) -> DataLoader:
    """A loader over labelled ``windows`` that reshuffles every epoch from its own seeded generator.

    The order of epoch ``k`` depends only on ``seed`` and ``k``, not on other uses of torch's
    global random state. Raises :class:`ValueError` when a window has no labels or there are
    no windows.
    """
    import torch
    from torch.utils.data import DataLoader

    if not windows:
        raise ValueError("no training windows: the training split is empty")
    if any(window.labels is None for window in windows):
        raise ValueError("training windows must carry labels (encode with label2id)")
    generator = torch.Generator()
    generator.manual_seed(seed)
    return DataLoader(
        [window.features() for window in windows],
        batch_size=batch_size,
        shuffle=True,
        collate_fn=_collator(tokenizer),
        generator=generator,
    )


def inference_batches(
    windows: Sequence[EncodedWindow],
    tokenizer: PreTrainedTokenizerBase,
    batch_size: int,
) -> Iterator[dict[str, torch.Tensor]]:
    """Model inputs of ``windows`` in order, ``batch_size`` at a time, without labels."""
    collate = _collator(tokenizer)
    for first in range(0, len(windows), batch_size):
        features = []
        for window in windows[first : first + batch_size]:
            feature = window.features()
            feature.pop("labels", None)
            features.append(feature)
        yield collate(features)
