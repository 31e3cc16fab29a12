"""A small trained model and its bundle, built once per test session and shared by the
conversion, serving and benchmark tests.

The ``tiny`` preset trains for 7 epochs on 80 synthetic resumes (about 35 s on 2 cores): enough
that it predicts real entities (test macro-F1 about 0.18; five epochs predict none on resumes
that are mostly ordinary text), so that comparing predictions is not comparing empty lists, and
int8 can be weighed against fp32. The 20 held-out resumes are the
test split; several of them are longer than one window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from resume_ner.config.conversion import ConversionConfig
from resume_ner.config.data import DataConfig
from resume_ner.config.model import load_model_config
from resume_ner.config.train import TrainConfig
from resume_ner.conversion.build import BundleResult, build_bundle
from resume_ner.data.documents import Document
from resume_ner.data.synthetic import generate_documents

TRAIN_DOCUMENTS = 80
TEST_DOCUMENTS = 20
SEED = 13

_cache: dict[str, object] = {}


@dataclass(frozen=True)
class TinyModel:
    """A trained checkpoint and the documents it was not trained on."""

    checkpoint_dir: Path
    test_documents: list[Document]


def tiny_model(factory: pytest.TempPathFactory) -> TinyModel:
    """The session's trained tiny checkpoint (trained on first use)."""
    if "model" not in _cache:
        from resume_ner.training.run import train_and_evaluate

        documents = generate_documents(TRAIN_DOCUMENTS + TEST_DOCUMENTS, SEED)
        train, test = documents[:TRAIN_DOCUMENTS], documents[TRAIN_DOCUMENTS:]
        result = train_and_evaluate(
            train,
            data_config=DataConfig(),
            model_config=load_model_config(),
            train_config=TrainConfig(epochs=7, batch_size=8),
            output_dir=factory.mktemp("tiny-model"),
        )
        assert result.checkpoint_dir is not None
        _cache["model"] = TinyModel(result.checkpoint_dir, test)
    return _cache["model"]  # type: ignore[return-value]


def tiny_bundle(factory: pytest.TempPathFactory) -> BundleResult:
    """The session's bundle of :func:`tiny_model` with the default conversion settings."""
    if "bundle" not in _cache:
        model = tiny_model(factory)
        _cache["bundle"] = build_bundle(
            model.checkpoint_dir,
            factory.mktemp("tiny-bundle") / "bundle",
            ConversionConfig(),
            documents=model.test_documents,
        )
    return _cache["bundle"]  # type: ignore[return-value]
