"""The synthetic resume generator: deterministic, valid, varied, with long documents."""

from __future__ import annotations

import re
import unicodedata

from resume_ner.config.data import DEFAULT_LABELS
from resume_ner.data.documents import Document
from resume_ner.data.synthetic import generate_documents
from resume_ner.data.validation import validate_documents

#: One pattern per country's phone numbering, matched against PHONE span texts.
PHONE_PATTERNS = {
    "US": r"^(\+1 |\(\d{3}\) |\d{3}[.-])",
    "UK": r"^(\+44|020 7946|07700 900)",
    "India": r"^(\+91|09\d{4} )",
    "Germany": r"^(\+49|0176 |030 /)",
    "France": r"^(\+33|0\d[ .]\d\d[ .])",
    "Brazil": r"^(\+55|\(11\) 9)",
    "Japan": r"^(\+81|0[39]0?-\d{4}-)",
    "Nigeria": r"^(\+234|080\d |0703 )",
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def test_same_seed_gives_the_same_documents_and_another_seed_does_not():
    first = generate_documents(30, seed=5)
    assert first == generate_documents(30, seed=5)
    other = generate_documents(30, seed=6)
    assert [d.text for d in first] != [d.text for d in other]


def test_a_shorter_run_is_a_prefix_of_a_longer_one():
    assert generate_documents(10, seed=3) == generate_documents(25, seed=3)[:10]


def test_generated_documents_pass_validation_without_errors_or_warnings(
    default_corpus: list[Document],
):
    report = validate_documents(default_corpus, DEFAULT_LABELS)
    assert report.problems == ()
    assert len({d.doc_id for d in default_corpus}) == len(default_corpus)


def test_all_eight_labels_occur_in_200_documents(resumes: list[Document]):
    labels = {span.label for document in resumes for span in document.spans}
    assert labels == set(DEFAULT_LABELS)


def test_phone_formats_of_every_country_occur_in_200_documents(resumes: list[Document]):
    phones = [text for d in resumes for label, text in d.entity_texts() if label == "PHONE"]
    found = {
        country
        for country, pattern in PHONE_PATTERNS.items()
        if any(re.search(pattern, phone) for phone in phones)
    }
    assert found == set(PHONE_PATTERNS)


def test_names_include_accented_and_non_latin_ones(resumes: list[Document]):
    names = [text for d in resumes for label, text in d.entity_texts() if label == "NAME"]
    assert sum(not name.isascii() for name in names) >= 20
    assert any(unicodedata.name(c, "").startswith("CJK") for name in names for c in name)
    assert any(unicodedata.combining(c) for name in names for c in name)


def test_emails_are_derived_from_the_romanised_name(resumes: list[Document]):
    derived = 0
    latin = 0
    for document in resumes:
        entities = dict(document.entity_texts())
        name, email = entities["NAME"], entities["EMAIL"]
        if any(unicodedata.name(c, "").startswith(("CJK", "HIRAGANA")) for c in name):
            continue
        latin += 1
        local = email.split("@")[0]
        if any(len(_fold(part)) > 1 and _fold(part) in local for part in name.split()):
            derived += 1
        assert re.fullmatch(r"[a-z0-9._]+@[a-z.]+\.(com|org|net|example|test)", email)
    assert latin > 150 and derived == latin


def test_layouts_and_whitespace_vary(resumes: list[Document]):
    texts = [d.text for d in resumes]
    markers = {
        "markdown header": lambda t: t.startswith("# "),
        "key-value header": lambda t: t.startswith("Name"),
        "narrative": lambda t: t.startswith(("My name is", "I am ", "Hello, I'm")),
        "tab": lambda t: "\t" in t,
        "CRLF": lambda t: "\r\n" in t,
        "wide padding": lambda t: "        " in t,
        "bullets": lambda t: "• " in t,
        "underlined heading": lambda t: "\n-----" in t,
    }
    for what, present in markers.items():
        assert any(present(t) for t in texts), what
    first_lines = {t.splitlines()[0] for t in texts}
    assert len(first_lines) > 150


def test_some_documents_exceed_512_tokens(default_corpus: list[Document], tiny_tokenizer):
    lengths = [
        len(ids)
        for ids in tiny_tokenizer([d.text for d in default_corpus], verbose=False)["input_ids"]
    ]
    assert sum(length > 512 for length in lengths) >= 20
    assert sum(length < 300 for length in lengths) >= 100
