"""The realistic development set shipped with the package: hand-written resumes annotated by
docs/annotation.md, in two parts that share no document, each naming its groups."""

from __future__ import annotations

import re

import pytest

from resume_ner.config.data import DataConfig
from resume_ner.data.development_set import development_set_path
from resume_ner.data.documents import Document
from resume_ner.evaluation.run import load_gold

PARTS = ("dev", "final")
GROUP_NAMES = {"format", "language", "country", "profession", "seniority"}
YEAR = re.compile(r"\b(19|20)\d\d\b")
#: Phone numbers may start with a bracket: "(31) 99876-5521", so "(" may begin a span.
EDGE = re.compile(
    "^[\\s.,;:!?\"'*#\u2022|\\-\u2013\u2014\\[]|[\\s,;:!?\"'*#\u2022|\\-\u2013\u2014\\]]$"
)


@pytest.fixture(scope="module", params=PARTS)
def part(request: pytest.FixtureRequest) -> list[Document]:
    return load_gold(development_set_path(request.param), "auto", DataConfig())


def test_each_part_holds_at_least_twenty_valid_resumes_of_realistic_length(
    part: list[Document],
) -> None:
    assert len(part) >= 20
    assert all(800 <= len(document.text) <= 4000 for document in part)


def test_every_resume_names_its_groups(part: list[Document]) -> None:
    for document in part:
        assert {name for name, _ in document.groups} == GROUP_NAMES, document.doc_id


def test_every_label_occurs_in_each_part(part: list[Document]) -> None:
    labels = {span.label for document in part for span in document.spans}
    assert labels == set(DataConfig().labels)


def test_no_span_holds_a_date_or_surrounding_whitespace_or_punctuation(
    part: list[Document],
) -> None:
    for document in part:
        for span in document.spans:
            covered = span.text_in(document.text)
            assert not YEAR.search(covered), (document.doc_id, covered)
            assert not EDGE.search(covered), (document.doc_id, covered)


def test_the_parts_share_no_resume() -> None:
    dev, final = (load_gold(development_set_path(p), "auto", DataConfig()) for p in PARTS)
    assert not {d.doc_id for d in dev} & {d.doc_id for d in final}
    assert not {d.text for d in dev} & {d.text for d in final}


def test_the_set_covers_formats_and_languages_beyond_english_plain_text() -> None:
    documents = [d for p in PARTS for d in load_gold(development_set_path(p), "auto", DataConfig())]
    formats = {dict(d.groups)["format"] for d in documents}
    languages = {lang for d in documents for lang in dict(d.groups)["language"].split("+")}
    assert {"pdf-text", "two-column", "table", "europass", "linkedin", "academic"} <= formats
    assert {"pt", "es", "fr", "de"} <= languages
