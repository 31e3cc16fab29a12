"""The generator follows docs/annotation.md on thousands of generated resumes: what a span may
cover, what it never covers, and which text stays outside every entity."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from resume_ner.config.data import DEFAULT_LABELS
from resume_ner.data.documents import Document
from resume_ner.data.generator.professions import PROFESSIONS
from resume_ner.data.synthetic import generate_documents
from resume_ner.serve.recognizers import PatternRecognizers, find_urls

#: Characters a span never starts with (brackets only open a phone number's area code).
_BAD_START = set(" \t\r\n.,;:!?'\"*#|/-–—•·▪◦>)]}_")  # noqa: RUF001
#: Characters a span never ends with (a full stop only ends an abbreviation such as "Ph.D.",
#: and "#" only a name such as "C#").
_BAD_END = set(" \t\r\n,;:!?'\"*|/-–—•·▪◦>([{_")  # noqa: RUF001
_YEAR = re.compile(r"(?<![\d+])(?:19|20)\d\d(?!\d)")
_MONTH_YEAR = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? (?:19|20)\d\d\b"
)


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    """3,000 resumes of the default profile."""
    return generate_documents(3000, 101)


def _entities(corpus: list[Document], *labels: str) -> list[tuple[Document, str]]:
    return [
        (document, span.text_in(document.text))
        for document in corpus
        for span in document.spans
        if not labels or span.label in labels
    ]


def _outside_text(document: Document) -> str:
    """The document's text with every span blanked out."""
    text = list(document.text)
    for span in document.spans:
        text[span.start : span.end] = " " * (span.end - span.start)
    return "".join(text)


def test_every_label_appears_and_each_in_most_documents(corpus):
    per_label = Counter(label for d in corpus for label in d.labels())
    assert set(per_label) == set(DEFAULT_LABELS)
    for label in DEFAULT_LABELS:
        assert per_label[label] >= 0.4 * len(corpus), label


def test_spans_do_not_overlap(corpus):
    for document in corpus:
        for before, after in zip(document.spans, document.spans[1:], strict=False):
            assert before.end <= after.start, (document.doc_id, before, after)


def test_no_span_begins_or_ends_with_whitespace_or_punctuation(corpus):
    for document, text in _entities(corpus):
        named_dot = text[0] == "." and text[1:2].isalpha()  # ".NET"
        assert text and (text[0] not in _BAD_START or named_dot), (document.doc_id, text)
        assert text[-1] not in _BAD_END, (document.doc_id, text)
        if text.endswith("."):
            assert text.split()[-1].count(".") >= 2, (document.doc_id, text)
        if text.endswith(")"):
            assert "(" in text, (document.doc_id, text)
        assert text.count("(") == text.count(")"), (document.doc_id, text)


def test_dates_are_never_inside_entities(corpus):
    for document, text in _entities(
        corpus, "NAME", "DESIGNATION", "LOCATION", "EDUCATION", "SKILL"
    ):
        assert not _YEAR.search(text), (document.doc_id, text)
        assert not _MONTH_YEAR.search(text), (document.doc_id, text)
    experience = _entities(corpus, "EXPERIENCE")
    assert all(not _YEAR.search(text) for _, text in experience)


def test_degree_and_institution_are_two_education_spans(corpus):
    with_education = [d for d in corpus if "EDUCATION" in d.labels()]
    assert len(with_education) > 0.8 * len(corpus)
    institution = re.compile(
        r"University|College|Institut|School|Universidade|Universidad|Université|"
        r"Universität|[Hh]ochschule|Berufsschule|Faculdade|École|Instituto|Polytechnic|Lycée|"
        r"Gymnasium|IUT|Centro Universitário|Pontifícia|Escuela"
    )
    for document in with_education:
        texts = [t for label, t in document.entity_texts() if label == "EDUCATION"]
        assert len(texts) % 2 == 0, (document.doc_id, texts)
        for text in texts:
            assert " from " not in text and ", " not in text, (document.doc_id, text)
        institutions = [t for t in texts if institution.search(t)]
        assert len(institutions) >= len(texts) // 2 - 1, (document.doc_id, texts)


def test_no_url_contains_a_span(corpus):
    urls_seen = 0
    for document in corpus:
        for url in find_urls(document.text):
            urls_seen += 1
            for span in document.spans:
                assert span.end <= url.start or span.start >= url.end, (
                    document.doc_id,
                    document.text[url.start : url.end],
                    span,
                )
    assert urls_seen >= len(corpus) // 2


def test_every_email_and_phone_is_one_the_served_patterns_find_whole(corpus):
    recognizers = PatternRecognizers(frozenset(DEFAULT_LABELS))
    for document in corpus:
        found = {(p.start, p.end, p.label) for p in recognizers.find(document.text)}
        for span in document.spans:
            if span.label in ("EMAIL", "PHONE"):
                assert (span.start, span.end, span.label) in found, (
                    document.doc_id,
                    span.text_in(document.text),
                )


def test_the_only_name_is_the_candidate_s_and_referees_are_not_annotated(corpus):
    referees = 0
    for document in corpus:
        names = {text.casefold() for label, text in document.entity_texts() if label == "NAME"}
        assert len(names) == 1, (document.doc_id, names)
        heading = re.search(r"^(References|Referees)\s*$", document.text, re.M)
        if heading:
            referees += 1
            after = [s for s in document.spans if s.start > heading.start()]
            assert not {s.label for s in after} & {"EMAIL", "PHONE", "NAME"}, document.doc_id
    assert referees >= 100


def test_certifications_are_never_entities(corpus):
    certifications = {c for p in PROFESSIONS for c in p.certifications}
    found = 0
    for document in corpus:
        outside = _outside_text(document)
        for certification in certifications:
            if certification in document.text:
                found += 1
                assert certification in outside, (document.doc_id, certification)
    assert found >= 300


def test_ordinary_words_occur_outside_entities_and_the_vocabulary_is_large(corpus):
    words = Counter(
        word.casefold()
        for document in corpus
        for word in re.findall(r"[^\W\d_]{2,}", _outside_text(document))
    )
    for ordinary in ("people", "new", "calls", "net", "de", "com", "em", "grew", "team"):
        assert words[ordinary] >= 20, ordinary
    assert len(words) >= 5000


def test_resumes_come_in_many_layouts_and_languages(corpus):
    texts = [d.text for d in corpus]
    markers = {
        "markdown": r"^# \S",
        "table": r"^\| Role \| Company \|",
        "europass": r"^(PERSONAL INFORMATION|Personal information)",
        "linkedin": r"^Top Skills",
        "academic": r"^PUBLICATIONS",
        "pdf footer": r"^Page \d of \d",
        "two columns": r"^[A-ZÀ-Ü ]{5,} {3,}[A-ZÀ-Ü]",
        "hyphenated line break": r"[a-z]-\r?\n[a-z]",
        "portuguese": r"Experiência|Formação",
        "spanish": r"Experiencia Laboral|Formación Académica|Experiencia Profesional",
        "french": r"Expérience professionnelle|Compétences",
        "german": r"Berufserfahrung|Beruflicher Werdegang",
        "CRLF": r"\r\n",
    }
    for what, pattern in markers.items():
        assert sum(bool(re.search(pattern, t, re.M)) for t in texts) >= 15, what
