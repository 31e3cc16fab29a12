"""Generator profiles: the default profile's documents are fixed, the ``varied`` profile writes
valid documents with people, headings and noise the default never has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resume_ner.cli.data import app
from resume_ner.config.data import DEFAULT_LABELS
from resume_ner.data.readers import load_documents
from resume_ner.data.splits import data_fingerprint
from resume_ner.data.synthetic import generate_documents
from resume_ner.data.validation import validate_documents

#: The default corpus (400 resumes, seed 13) the shipped configuration trains on: it changes
#: only on purpose (a new generator, or a new major version of faker).
DEFAULT_CORPUS_FINGERPRINT = "abf1f7591d942d03"
_OCR_NOISE = re.compile(r"[a-z][01][a-z]")


@pytest.fixture(scope="module")
def varied():
    return generate_documents(300, 29, "varied")


def test_the_default_profile_still_generates_the_same_corpus():
    documents = generate_documents(400, 13)
    assert data_fingerprint(documents).startswith(DEFAULT_CORPUS_FINGERPRINT)
    assert generate_documents(5, 13, "default") == documents[:5]


def test_varied_documents_are_valid_deterministic_and_seeded_apart(varied):
    report = validate_documents(varied, DEFAULT_LABELS)
    assert report.ok and not report.warnings, report.summary()
    assert generate_documents(3, 29, "varied") == varied[:3]
    default_texts = {d.text for d in generate_documents(50, 29)}
    assert not default_texts & {d.text for d in varied[:50]}
    assert all(d.doc_id.startswith("synthetic-varied-29-") for d in varied)


def test_varied_documents_have_spaced_capital_headings_and_ocr_noise(varied):
    texts = [d.text for d in varied]
    default_texts = [d.text for d in generate_documents(300, 29)]
    assert sum(bool(re.search(r"^[A-Z] [A-Z] [A-Z] [A-Z]", t, re.M)) for t in texts) >= 30
    assert not any(re.search(r"^[A-Z] [A-Z] [A-Z] [A-Z]", t, re.M) for t in default_texts)
    noisy = sum(bool(_OCR_NOISE.search(t)) for t in texts)
    assert noisy >= 60 and noisy >= 3 * sum(bool(_OCR_NOISE.search(t)) for t in default_texts)


def test_ocr_noise_stays_outside_entities(varied):
    for document in varied:
        for label, text in document.entity_texts():
            if label not in ("EMAIL", "PHONE"):
                assert not _OCR_NOISE.search(text), (document.doc_id, label, text)


def test_varied_people_come_from_locales_the_default_profile_never_has(varied):
    phones = [s.text_in(d.text) for d in varied for s in d.spans if s.label == "PHONE"]
    extra = ("+90", "+46", "+420", "+82", "+57", "+64")
    assert sum(phone.startswith(extra) for phone in phones) >= 20
    default = generate_documents(300, 29)
    default_phones = [s.text_in(d.text) for d in default for s in d.spans if s.label == "PHONE"]
    assert not any(phone.startswith(extra) for phone in default_phones)


def test_generate_writes_the_chosen_profile(tmp_path: Path):
    out = tmp_path / "unseen.json"
    result = CliRunner().invoke(
        app, ["generate", "--n", "7", "--seed", "29", "--profile", "varied", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert load_documents(out) == generate_documents(7, 29, "varied")
    assert "profile varied" in result.output


def test_an_unknown_profile_is_exit_code_2(tmp_path: Path):
    result = CliRunner().invoke(
        app, ["generate", "--profile", "fancy", "--out", str(tmp_path / "x.json")]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "x.json").exists()
