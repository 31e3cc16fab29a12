"""Predicted spans are fitted to the annotation conventions: no surrounding whitespace,
punctuation, quotes or bullet marks; brackets closed inside the span and abbreviations kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resume_ner.config.data import DataConfig
from resume_ner.data.alignment import WordPrediction, spans_from_words
from resume_ner.data.development_set import development_set_path
from resume_ner.data.span_edges import BAD_END, BAD_START, fit_span_edges
from resume_ner.data.synthetic import generate_documents
from resume_ner.evaluation.run import load_gold


def _fitted(text: str) -> str | None:
    edges = fit_span_edges(text, 0, len(text))
    return None if edges is None else text[edges[0] : edges[1]]


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [
        ("Berlin.", "Berlin"),
        ("  Python, ", "Python"),
        ('"Data Engineer"', "Data Engineer"),
        ("• SQL", "SQL"),
        ("Lisboa (Portugal", "Lisboa"),
        ("LL.B.)", "LL.B."),
        (")", None),
        (" , ", None),
        ("(Berlin)", "Berlin"),
        # What the conventions keep:
        ("Milano (Italy)", "Milano (Italy)"),
        ("Class XII (CBSE)", "Class XII (CBSE)"),
        ("(11) 91234-5678", "(11) 91234-5678"),
        ("+44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
        ("M.Sc.", "M.Sc."),
        ("B.Eng.", "B.Eng."),
        (".NET", ".NET"),
        ("C#", "C#"),
        ("C++", "C++"),
    ],
)
def test_a_span_keeps_its_entity_and_nothing_around_it(predicted, expected):
    assert _fitted(predicted) == expected


def test_a_closing_bracket_after_the_span_is_taken_in_when_the_span_opened_it():
    text = "Class XII (CBSE) from DAV"
    assert fit_span_edges(text, 0, len("Class XII (CBSE")) == (0, len("Class XII (CBSE)"))


@given(st.text(alphabet=st.sampled_from("ab1 .,;:()[]-\"'•#+/"), min_size=1, max_size=30))
def test_a_fitted_span_is_fitted_and_never_starts_or_ends_with_what_the_conventions_exclude(
    text: str,
):
    fitted = _fitted(text)
    if fitted is None:
        return
    assert fitted[0] not in BAD_START or (fitted[0] == "." and fitted[1:2].isalpha())
    assert fitted[-1] not in BAD_END
    assert fitted.count("(") == fitted.count(")") or fitted.count("(") < fitted.count(")")
    assert any(char.isalnum() for char in fitted)
    assert _fitted(fitted) == fitted


@pytest.mark.parametrize("part", ["dev", "final"])
def test_every_hand_annotated_span_is_already_fitted(part: str):
    for document in load_gold(development_set_path(part), "auto", DataConfig()):
        for span in document.spans:
            assert fit_span_edges(document.text, span.start, span.end) == (span.start, span.end), (
                document.doc_id,
                span.text_in(document.text),
            )


def test_every_generated_span_is_already_fitted():
    for document in generate_documents(500, 7):
        for span in document.spans:
            assert fit_span_edges(document.text, span.start, span.end) == (span.start, span.end), (
                document.doc_id,
                span.text_in(document.text),
            )


def test_a_tagged_bracket_or_comma_becomes_no_span_and_no_part_of_one():
    text = "Ana, (Berlin), Python."
    id2label = {0: "O", 1: "B-LOCATION", 2: "I-LOCATION", 3: "B-SKILL", 4: "B-NAME"}
    words = [
        WordPrediction(0, 3, 4, 0.9),  # Ana
        WordPrediction(3, 4, 0, 0.9),  # ,
        WordPrediction(5, 6, 1, 0.9),  # (
        WordPrediction(6, 12, 2, 0.9),  # Berlin
        WordPrediction(12, 13, 2, 0.9),  # )
        WordPrediction(13, 14, 3, 0.9),  # , tagged as a skill of its own
        WordPrediction(15, 21, 3, 0.9),  # Python
        WordPrediction(21, 22, 0, 0.9),  # .
    ]

    spans = spans_from_words(text, words, id2label)

    assert [(text[s.start : s.end], s.label) for s in spans] == [
        ("Ana", "NAME"),
        ("Berlin", "LOCATION"),
        ("Python", "SKILL"),
    ]
