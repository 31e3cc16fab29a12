"""The synthetic resume generator: deterministic (also across processes), valid, varied in
people and places, with long documents."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata

from resume_ner.config.data import DEFAULT_LABELS
from resume_ner.data.documents import Document, documents_to_records
from resume_ner.data.synthetic import generate_document, generate_documents
from resume_ner.data.validation import validate_documents

#: Phone numbers of each country as the resumes of its locale write them, nationally or with
#: the country code.
PHONE_PATTERNS = {
    "US": r"^(\+1[ -]|\(\d{3}\) ?\d|\d{3}[.-]\d{3}[.-])",
    "UK": r"^(\+44|0\d{3,4} ?\d)",
    "India": r"^(\+91|0?[6-9]\d{9}$)",
    "Germany": r"^(\+49|0\d{3,4} \d)",
    "France": r"^(\+33|0\d \d\d \d\d)",
    "Brazil": r"^(\+55|\(?\d\d\)? 9?\d{4}-\d{4})",
    "Spain": r"^\+34",
    "Portugal": r"^\+351",
    "Mexico": r"^\+52",
    "Italy": r"^\+39",
    "Netherlands": r"^\+31",
    "Poland": r"^\+48",
    "Japan": r"^(\+81|0\d{1,4}-\d{1,4}-\d{4})",
    "China": r"^(\+86)",
    "Australia": r"^\+61",
}

_DIGEST_SCRIPT = """
import hashlib, json, sys
from resume_ner.data.documents import documents_to_records
from resume_ner.data.synthetic import generate_documents
records = documents_to_records(generate_documents(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
print(hashlib.sha256(json.dumps(records, ensure_ascii=False).encode()).hexdigest())
"""


def _digest(documents: list[Document]) -> str:
    records = documents_to_records(documents)
    return hashlib.sha256(json.dumps(records, ensure_ascii=False).encode()).hexdigest()


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def test_same_seed_gives_the_same_documents_and_another_seed_does_not():
    first = generate_documents(30, seed=5)
    assert first == generate_documents(30, seed=5)
    other = generate_documents(30, seed=6)
    assert [d.text for d in first] != [d.text for d in other]


def test_a_shorter_run_is_a_prefix_of_a_longer_one_and_one_document_is_the_same_alone():
    longer = generate_documents(25, seed=3)
    assert generate_documents(10, seed=3) == longer[:10]
    assert generate_document(17, seed=3) == longer[17]


def test_two_processes_with_different_hash_seeds_generate_byte_identical_corpora(
    default_corpus: list[Document],
):
    expected = {"default": _digest(default_corpus[:120])}
    expected["varied"] = _digest(generate_documents(120, 13, "varied"))
    for hash_seed in ("0", "4242"):
        for profile, digest in expected.items():
            completed = subprocess.run(
                [sys.executable, "-c", _DIGEST_SCRIPT, "120", "13", profile],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONHASHSEED": hash_seed},
                check=True,
            )
            assert completed.stdout.strip() == digest, (profile, hash_seed)


def test_generated_documents_pass_validation_without_errors_or_warnings(
    default_corpus: list[Document],
):
    report = validate_documents(default_corpus, DEFAULT_LABELS)
    assert report.problems == ()
    assert len({d.doc_id for d in default_corpus}) == len(default_corpus)


def test_all_eight_labels_occur_in_200_documents(resumes: list[Document]):
    labels = {span.label for document in resumes for span in document.spans}
    assert labels == set(DEFAULT_LABELS)


def test_phone_formats_of_every_country_occur_in_the_default_corpus(
    default_corpus: list[Document],
):
    phones = [t for d in default_corpus for label, t in d.entity_texts() if label == "PHONE"]
    found = {
        country
        for country, pattern in PHONE_PATTERNS.items()
        if any(re.search(pattern, phone) for phone in phones)
    }
    assert found == set(PHONE_PATTERNS)
    assert sum(not phone.startswith("+") for phone in phones) >= 0.3 * len(phones)


def test_names_include_accented_non_latin_and_initialled_ones(resumes: list[Document]):
    names = [text for d in resumes for label, text in d.entity_texts() if label == "NAME"]
    assert len(set(names)) >= 190
    assert sum(not name.isascii() for name in names) >= 20
    assert any(unicodedata.name(c, "").startswith("CJK") for name in names for c in name)
    assert any(unicodedata.combining(c) for n in names for c in unicodedata.normalize("NFD", n))
    assert any(re.search(r" [A-Z]\. ", name) for name in names)


def test_emails_are_derived_from_the_romanised_name(resumes: list[Document]):
    derived = 0
    latin = 0
    for document in resumes:
        entities = document.entity_texts()
        name = next(text for label, text in entities if label == "NAME")
        email = next(text for label, text in entities if label == "EMAIL")
        if any(unicodedata.name(c, "").startswith(("CJK", "HIRAGANA")) for c in name):
            continue
        latin += 1
        local = email.split("@")[0]
        if any(len(_fold(part)) > 1 and _fold(part) in local for part in name.split()):
            derived += 1
        assert re.fullmatch(r"[a-z0-9._-]+@[a-z0-9.-]+\.[a-z]{2,}", email), email
    assert latin > 150 and derived >= 0.95 * latin


def test_places_come_from_many_countries_with_regions_and_country_names(
    default_corpus: list[Document],
):
    places = {t for d in default_corpus for label, t in d.entity_texts() if label == "LOCATION"}
    assert len(places) >= 600
    assert any(re.fullmatch(r"[\w .'-]+, [A-Z]{2}", place) for place in places)
    for country in ("India", "Brasil", "Deutschland", "France", "Japan", "Portugal", "Italy"):
        assert any(place.endswith(f", {country}") for place in places), country


def test_layouts_and_whitespace_vary(resumes: list[Document]):
    texts = [d.text for d in resumes]
    markers = {
        "markdown header": lambda t: t.startswith("# "),
        "key-value header": lambda t: bool(re.match(r"(Name|Full name|Nome|Nombre|Nom)\b", t)),
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
