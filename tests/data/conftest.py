"""Fixtures of the data tests: generated resumes and a tiny tokenizer trained on them."""

from __future__ import annotations

import pytest

from resume_ner.config.data import DEFAULT_LABELS
from resume_ner.data.documents import Document
from resume_ner.data.labels import LabelSchema
from resume_ner.data.synthetic import generate_documents


@pytest.fixture(scope="session")
def default_corpus() -> list[Document]:
    """The first 400 resumes of the default corpus (seed 13)."""
    return generate_documents(400, 13)


@pytest.fixture(scope="session")
def resumes(default_corpus: list[Document]) -> list[Document]:
    """200 synthetic resumes (a prefix of the default corpus)."""
    return default_corpus[:200]


@pytest.fixture(scope="session")
def tiny_tokenizer(default_corpus: list[Document]):
    from resume_ner.data.tokenizer import build_wordpiece_tokenizer

    return build_wordpiece_tokenizer([d.text for d in default_corpus])


@pytest.fixture(scope="session")
def schema() -> LabelSchema:
    return LabelSchema.from_entities(DEFAULT_LABELS)
