"""Fixtures for training tests: a handful of synthetic resumes, split by document, and configs
for a very small ``tiny`` backbone, so that a training run takes a second or two."""

from __future__ import annotations

import pytest

from resume_ner.config.data import DataConfig
from resume_ner.config.model import ModelConfig, TinyPreset
from resume_ner.config.train import TrainConfig
from resume_ner.data.documents import Document
from resume_ner.data.splits import split_documents
from resume_ner.data.synthetic import generate_documents
from resume_ner.training.run import TrainingResult


@pytest.fixture(scope="session")
def small_split() -> dict[str, list[Document]]:
    """24 synthetic resumes split 16 / 4 / 4 by document."""
    documents = generate_documents(24, 7)
    return split_documents(documents, train=0.67, validation=0.165, test=0.165, seed=1).take(
        documents
    )


@pytest.fixture(scope="session")
def trained(tmp_path_factory, small_split) -> TrainingResult:
    """A tiny model trained for 4 epochs on the small split (fewer predict no entity at all),
    with its checkpoint saved."""
    from resume_ner.training.run import train_and_evaluate

    tiny = TinyPreset(
        max_length=64,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        vocab_size=600,
        learning_rate=5e-3,
    )
    return train_and_evaluate(
        small_split["train"],
        data_config=DataConfig(max_length=64, stride=16),
        model_config=ModelConfig(presets={"tiny": tiny}),
        train_config=TrainConfig(epochs=4, batch_size=8, seed=3, num_threads=1),
        output_dir=tmp_path_factory.mktemp("trained"),
    )


@pytest.fixture
def data_config() -> DataConfig:
    return DataConfig(max_length=64, stride=16)


@pytest.fixture
def model_config() -> ModelConfig:
    tiny = TinyPreset(
        max_length=64,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        vocab_size=600,
        learning_rate=5e-3,
    )
    return ModelConfig(presets={"tiny": tiny})


@pytest.fixture
def train_config() -> TrainConfig:
    return TrainConfig(epochs=2, batch_size=8, eval_batch_size=32, seed=3, num_threads=1)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tests train tiny models: one thread is fastest and steadiest on a shared 2-core machine."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
