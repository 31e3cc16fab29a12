"""Texts -> overlapping token windows, and windows -> one padded batch of numpy model inputs.

:class:`WindowTokenizer` drives the ``tokenizers`` library directly on the bundle's
``tokenizer.json`` (no transformers import) exactly as transformers' fast tokenizer does for
:func:`resume_ner.data.alignment.encode_documents`: truncation to ``max_length`` with
``stride`` overlapping tokens, the overflowing windows in order, no padding. The windows it
returns are the same :class:`~resume_ner.data.alignment.EncodedWindow` objects, so
:func:`~resume_ner.data.alignment.decode_predictions` merges their predictions unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from resume_ner.data.alignment import EncodedWindow

if TYPE_CHECKING:
    from tokenizers import Encoding, Tokenizer

INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
TOKEN_TYPE_IDS = "token_type_ids"
#: Tokens of a window taken by [CLS] and [SEP] plus at least one new token.
_WINDOW_OVERHEAD = 3


class WindowTokenizer:
    """Cuts texts into windows of at most ``max_length`` tokens overlapping by ``stride``.

    ``tokenizer`` is a ``tokenizers.Tokenizer``; its truncation and padding settings are
    replaced by these (a saved ``tokenizer.json`` may carry others from its last use).
    Raises :class:`ValueError` when ``stride`` leaves no room for new tokens in a window.
    """

    def __init__(self, tokenizer: Tokenizer, max_length: int, stride: int) -> None:
        if not 0 <= stride <= max_length - _WINDOW_OVERHEAD:
            raise ValueError(
                f"stride must be between 0 and max_length - {_WINDOW_OVERHEAD} "
                f"({max_length - _WINDOW_OVERHEAD}), got {stride}"
            )
        tokenizer.no_padding()
        tokenizer.enable_truncation(
            max_length, stride=stride, strategy="longest_first", direction="right"
        )
        tokenizer.encode_special_tokens = False
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.stride = stride

    @classmethod
    def from_file(cls, path: Path | str, max_length: int, stride: int) -> WindowTokenizer:
        """Load ``tokenizer.json`` from ``path``. Raises :class:`OSError`/:class:`ValueError`
        (from ``tokenizers``) when it cannot be read or parsed."""
        from tokenizers import Tokenizer

        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # tokenizers raises a bare Exception for a bad file
            raise ValueError(f"{path}: cannot load the tokenizer ({exc})") from exc
        return cls(tokenizer, max_length, stride)

    def encode(self, texts: Sequence[str], *, with_token_type_ids: bool) -> list[EncodedWindow]:
        """The windows of ``texts`` in order (document ``i`` is ``texts[i]``).

        ``with_token_type_ids`` keeps the segment ids (for models that take them).
        """
        windows: list[EncodedWindow] = []
        for doc_index, encoding in enumerate(self.tokenizer.encode_batch(list(texts))):
            parts: list[Encoding] = [encoding, *encoding.overflowing]
            start = 0
            for number, part in enumerate(parts):
                sequence_ids = part.sequence_ids
                positions = itertools.count(start)
                token_indices = tuple(
                    next(positions) if sequence_id == 0 else None for sequence_id in sequence_ids
                )
                windows.append(
                    EncodedWindow(
                        doc_index=doc_index,
                        window_index=number,
                        input_ids=tuple(part.ids),
                        attention_mask=tuple(part.attention_mask),
                        token_type_ids=tuple(part.type_ids) if with_token_type_ids else None,
                        labels=None,
                        offsets=tuple(part.offsets),
                        word_ids=tuple(part.word_ids),
                        token_indices=token_indices,
                    )
                )
                start += sequence_ids.count(0) - self.stride
        return windows


def pad_windows(
    windows: Sequence[EncodedWindow], input_names: Sequence[str], pad_token_id: int
) -> dict[str, np.ndarray]:
    """One int64 batch of the model inputs ``input_names`` for ``windows``.

    Rows are padded to the longest window (not to the model's maximum): ``input_ids`` with
    ``pad_token_id``, ``attention_mask`` and ``token_type_ids`` with 0. Raises
    :class:`ValueError` for no windows or an input name windows do not carry.
    """
    if not windows:
        raise ValueError("no windows to batch")
    unknown = set(input_names) - {INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS}
    if unknown:
        raise ValueError(f"unknown model inputs {sorted(unknown)}")
    width = max(len(window.input_ids) for window in windows)
    shape = (len(windows), width)
    batch = {INPUT_IDS: np.full(shape, pad_token_id, dtype=np.int64)}
    mask = np.zeros(shape, dtype=np.int64)
    type_ids = np.zeros(shape, dtype=np.int64) if TOKEN_TYPE_IDS in input_names else None
    for row, window in enumerate(windows):
        length = len(window.input_ids)
        batch[INPUT_IDS][row, :length] = window.input_ids
        mask[row, :length] = window.attention_mask
        if type_ids is not None:
            if window.token_type_ids is None:
                raise ValueError("the model takes token_type_ids but the windows have none")
            type_ids[row, :length] = window.token_type_ids
    batch[ATTENTION_MASK] = mask
    if type_ids is not None:
        batch[TOKEN_TYPE_IDS] = type_ids
    return {name: batch[name] for name in input_names}
