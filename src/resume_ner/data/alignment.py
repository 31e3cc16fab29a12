"""Character spans <-> BIO-labelled token windows, and token predictions -> character spans.

Encoding runs a fast tokenizer with ``return_overflowing_tokens`` and ``stride``: a long
document becomes several windows of at most ``max_length`` tokens that overlap by ``stride``
tokens, so no text is dropped. Labels are word-level BIO tags: the first subword of each word
(as the tokenizer's pre-tokenizer splits words) carries ``B-X`` when it starts a span and
``I-X`` inside one; continuation subwords carry ``-100`` (or ``I-X``/``O`` when
``label_all_subwords``); special tokens and padding always carry ``-100``.

Decoding takes per-token label ids of each window, keeps for every token the prediction of the
window where it sits farthest from an edge, reads each word's tag from its first subword,
merges ``B-``/``I-`` runs into spans over the original text and trims whitespace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from resume_ner.data.documents import Document, Span
from resume_ner.data.errors import AlignmentError
from resume_ner.data.labels import OUTSIDE, split_tag
from resume_ner.data.span_edges import fit_span_edges

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100


@dataclass(frozen=True, slots=True)
class EncodedWindow:
    """One window of one document, ready for a token-classification model.

    ``offsets`` are character offsets into the document text ((0, 0) for special tokens and
    padding); ``token_indices`` give each position's index in the document's whole token
    sequence (``None`` for special tokens and padding); ``word_ids`` are the tokenizer's word
    indices over the whole document. ``labels`` is ``None`` when encoded without labels.
    """

    doc_index: int
    window_index: int
    input_ids: tuple[int, ...]
    attention_mask: tuple[int, ...]
    token_type_ids: tuple[int, ...] | None
    labels: tuple[int, ...] | None
    offsets: tuple[tuple[int, int], ...]
    word_ids: tuple[int | None, ...]
    token_indices: tuple[int | None, ...]

    def features(self) -> dict[str, list[int]]:
        """Model inputs (and ``labels`` when present) as lists, e.g. for a data collator."""
        features = {"input_ids": list(self.input_ids), "attention_mask": list(self.attention_mask)}
        if self.token_type_ids is not None:
            features["token_type_ids"] = list(self.token_type_ids)
        if self.labels is not None:
            features["labels"] = list(self.labels)
        return features


@dataclass(frozen=True, slots=True)
class WordPrediction:
    """The tag of one word (its characters ``start``-``end``) and its score, if given."""

    start: int
    end: int
    label_id: int
    score: float | None


@dataclass(frozen=True, slots=True)
class PredictedSpan:
    """An entity found in a text; ``score`` is the mean score of its words, if scores were given."""

    start: int
    end: int
    label: str
    score: float | None = None

    def to_span(self) -> Span:
        """The span without its score."""
        return Span(self.start, self.end, self.label)


def _word_key(word_id: int | None, token_index: int) -> int:
    # A content token without a word id is a word of its own.
    return word_id if word_id is not None else -(token_index + 1)


def _word_tags(
    document: Document, doc_index: int, word_ranges: dict[int, list[int]]
) -> dict[int, str]:
    """BIO tag of each word: the span it overlaps (B- on a span's first word)."""
    spans = sorted(document.spans)
    tags: dict[int, str] = {}
    started = [False] * len(spans)
    pointer = 0
    for key, (start, end) in sorted(word_ranges.items(), key=lambda item: item[1]):
        while pointer < len(spans) and spans[pointer].end <= start:
            pointer += 1
        if pointer < len(spans) and spans[pointer].start < end:
            span = spans[pointer]
            tags[key] = f"{'I' if started[pointer] else 'B'}-{span.label}"
            started[pointer] = True
        else:
            tags[key] = OUTSIDE
    missed = [(s.start, s.end) for s, hit in zip(spans, started, strict=True) if not hit]
    if missed:
        logger.warning(
            "document %d: %d span(s) cover no token start and get no label: %s",
            doc_index,
            len(missed),
            ", ".join(f"[{a}, {b})" for a, b in missed[:10]),
        )
    return tags


def _continuation_tag(word_tag: str) -> str:
    return OUTSIDE if word_tag == OUTSIDE else "I-" + word_tag[2:]


def encode_documents(
    documents: Sequence[Document],
    tokenizer: PreTrainedTokenizerBase,
    label2id: Mapping[str, int] | None,
    max_length: int,
    stride: int,
    *,
    label_all_subwords: bool = False,
    pad_to_max_length: bool = True,
    batch_size: int = 64,
) -> list[EncodedWindow]:
    """Encode ``documents`` into overlapping windows with BIO label ids.

    ``max_length`` counts special tokens; consecutive windows share ``stride`` tokens. With
    ``label2id`` ``None`` the windows carry no labels (inference). Spans must be valid (see
    :func:`resume_ner.data.validation.require_valid`); a span that covers no token start is
    logged as a warning with its offsets. Raises :class:`AlignmentError` for a slow tokenizer,
    a tag missing from ``label2id`` or windows that do not overlap as documented.
    """
    if not getattr(tokenizer, "is_fast", False):
        raise AlignmentError(
            f"{type(tokenizer).__name__} is not a fast tokenizer; offsets need one"
        )
    windows: list[EncodedWindow] = []
    for first in range(0, len(documents), batch_size):
        batch = documents[first : first + batch_size]
        encoding = tokenizer(
            [document.text for document in batch],
            truncation=True,
            max_length=max_length,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding="max_length" if pad_to_max_length else False,
        )
        rows_of: dict[int, list[int]] = {}
        for row, sample in enumerate(encoding["overflow_to_sample_mapping"]):
            rows_of.setdefault(sample, []).append(row)
        for sample, rows in sorted(rows_of.items()):
            windows.extend(
                _encode_one(
                    batch[sample],
                    first + sample,
                    encoding,
                    rows,
                    label2id,
                    stride,
                    label_all_subwords,
                )
            )
    return windows


def _encode_one(
    document: Document,
    doc_index: int,
    encoding: Any,
    rows: list[int],
    label2id: Mapping[str, int] | None,
    stride: int,
    label_all_subwords: bool,
) -> list[EncodedWindow]:
    offsets: list[tuple[int, int]] = []  # per document token
    keys: list[int] = []  # word key per document token
    token_indices_of: list[list[int | None]] = []
    start = 0
    previous_length = 0
    for number, row in enumerate(rows):
        sequence_ids = encoding.sequence_ids(row)
        word_ids = encoding.word_ids(row)
        row_offsets = encoding["offset_mapping"][row]
        if number:
            start = start + previous_length - stride
        if start > len(offsets):
            raise AlignmentError(f"document {doc_index}: windows leave a gap in the tokens")
        indices: list[int | None] = []
        position = start
        for j, sequence_id in enumerate(sequence_ids):
            if sequence_id != 0:
                indices.append(None)
                continue
            pair = (int(row_offsets[j][0]), int(row_offsets[j][1]))
            if position < len(offsets):
                if offsets[position] != pair:
                    raise AlignmentError(
                        f"document {doc_index}: windows do not overlap by stride={stride} tokens"
                    )
            else:
                offsets.append(pair)
                keys.append(_word_key(word_ids[j], position))
            indices.append(position)
            position += 1
        previous_length = position - start
        token_indices_of.append(indices)

    ranges: dict[int, list[int]] = {}
    for (a, b), key in zip(offsets, keys, strict=True):
        if key in ranges:
            ranges[key][1] = max(ranges[key][1], b)
        else:
            ranges[key] = [a, b]
    token_labels: list[int] | None = None
    if label2id is not None:
        word_tags = _word_tags(document, doc_index, ranges)
        token_labels = []
        for index, key in enumerate(keys):
            if index == 0 or keys[index - 1] != key:
                tag = word_tags[key]
            elif label_all_subwords:
                tag = _continuation_tag(word_tags[key])
            else:
                token_labels.append(IGNORE_INDEX)
                continue
            if tag not in label2id:
                raise AlignmentError(f"document {doc_index}: tag {tag!r} is not in label2id")
            token_labels.append(label2id[tag])

    windows = []
    for number, (row, indices) in enumerate(zip(rows, token_indices_of, strict=True)):
        type_ids = encoding.get("token_type_ids")
        windows.append(
            EncodedWindow(
                doc_index=doc_index,
                window_index=number,
                input_ids=tuple(encoding["input_ids"][row]),
                attention_mask=tuple(encoding["attention_mask"][row]),
                token_type_ids=tuple(type_ids[row]) if type_ids is not None else None,
                labels=None
                if token_labels is None
                else tuple(IGNORE_INDEX if i is None else token_labels[i] for i in indices),
                offsets=tuple((0, 0) if i is None else offsets[i] for i in indices),
                word_ids=tuple(encoding.word_ids(row)),
                token_indices=tuple(indices),
            )
        )
    return windows


def merge_windows(
    windows: Sequence[EncodedWindow],
    predictions: Sequence[Sequence[int]],
    scores: Sequence[Sequence[float]] | None = None,
) -> dict[int, list[WordPrediction]]:
    """Word-level predictions per document index, merged over overlapping windows.

    ``predictions[i][j]`` is the label id at position ``j`` of ``windows[i]`` (``scores`` the
    same shape, optional). A token seen in several windows takes the prediction of the window
    where it is farthest from an edge (the earlier window on a tie); a word takes its first
    subword's. Passing each window's ``labels`` as predictions gives the gold word tags.
    Raises :class:`ValueError` when the shapes do not match the windows.
    """
    if len(predictions) != len(windows) or (scores is not None and len(scores) != len(windows)):
        raise ValueError(
            f"got {len(predictions)} prediction rows for {len(windows)} windows"
            + ("" if scores is None else f" and {len(scores)} score rows")
        )
    best: dict[int, dict[int, tuple[int, int, float | None]]] = {}
    tokens: dict[int, dict[int, tuple[int, int, int]]] = {}
    for number, window in enumerate(windows):
        row = predictions[number]
        row_scores = scores[number] if scores is not None else None
        content = [j for j, index in enumerate(window.token_indices) if index is not None]
        if content and len(row) <= content[-1]:
            raise ValueError(f"prediction row {number} is shorter than its window's tokens")
        doc_best = best.setdefault(window.doc_index, {})
        doc_tokens = tokens.setdefault(window.doc_index, {})
        last = len(content) - 1
        for k, j in enumerate(content):
            index = window.token_indices[j]
            assert index is not None
            distance = min(k, last - k)
            score = None if row_scores is None else float(row_scores[j])
            if index not in doc_best or distance > doc_best[index][0]:
                doc_best[index] = (distance, int(row[j]), score)
            a, b = window.offsets[j]
            doc_tokens[index] = (a, b, _word_key(window.word_ids[j], index))

    merged: dict[int, list[WordPrediction]] = {}
    for doc_index, doc_tokens in tokens.items():
        words: list[WordPrediction] = []
        previous_key: int | None = None
        for index in sorted(doc_tokens):
            a, b, key = doc_tokens[index]
            if key == previous_key:
                last_word = words[-1]
                words[-1] = WordPrediction(
                    last_word.start, max(last_word.end, b), last_word.label_id, last_word.score
                )
            else:
                _, label_id, score = best[doc_index][index]
                words.append(WordPrediction(a, b, label_id, score))
            previous_key = key
        merged[doc_index] = words
    return merged


def spans_from_words(
    text: str, words: Sequence[WordPrediction], id2label: Mapping[int, str]
) -> list[PredictedSpan]:
    """Merge word tags into spans: ``B-X`` opens one, ``I-X`` continues an ``X`` run (or opens
    one after ``O`` or another type), ``O`` closes. Span edges are fitted to the annotation
    conventions (:func:`~resume_ner.data.span_edges.fit_span_edges`): no surrounding whitespace
    or punctuation, and no span without a letter or digit.

    Raises :class:`ValueError` for an id not in ``id2label`` or a tag that is not BIO.
    """
    spans: list[PredictedSpan] = []
    current: list[Any] | None = None  # [label, start, end, scores]

    def close() -> None:
        if current is None:
            return
        label, start, end, word_scores = current
        fitted = fit_span_edges(text, start, end)
        if fitted is not None:
            score = None if None in word_scores else sum(word_scores) / len(word_scores)
            spans.append(PredictedSpan(*fitted, label, score))

    for word in words:
        if word.label_id not in id2label:
            raise ValueError(f"label id {word.label_id} is not in id2label")
        prefix, entity = split_tag(id2label[word.label_id])
        if entity is None:
            close()
            current = None
        elif prefix == "B" or current is None or current[0] != entity:
            close()
            current = [entity, word.start, word.end, [word.score]]
        else:
            current[2] = word.end
            current[3].append(word.score)
    close()
    return spans


def decode_predictions(
    windows: Sequence[EncodedWindow],
    predictions: Sequence[Sequence[int]],
    id2label: Mapping[int, str],
    texts: Sequence[str],
    scores: Sequence[Sequence[float]] | None = None,
) -> list[list[PredictedSpan]]:
    """Character spans of each text from per-token label ids of its windows.

    ``texts[i]`` is the text of document index ``i`` the windows were encoded from; the result
    has one list per text (empty when it has no windows or no entities). See
    :func:`merge_windows` and :func:`spans_from_words`; raises :class:`ValueError` as they do.
    """
    merged = merge_windows(windows, predictions, scores)
    if merged and max(merged) >= len(texts):
        raise ValueError(f"windows refer to document {max(merged)} but got {len(texts)} texts")
    return [spans_from_words(text, merged.get(i, []), id2label) for i, text in enumerate(texts)]
