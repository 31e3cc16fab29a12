"""Quality bars: the tiny preset learns the default synthetic data within the demo budget, and
the pretrained MiniLM preset fine-tunes fully offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from resume_ner.config.data import load_data_config
from resume_ner.config.model import load_model_config
from resume_ner.config.train import load_train_config
from resume_ner.data.corpus import load_corpus
from resume_ner.data.splits import split_documents
from resume_ner.training.run import train_and_evaluate

TINY_MIN_TEST_MACRO_F1 = 0.80


def test_tiny_preset_reaches_macro_f1_080_on_held_out_test_with_the_default_configs():
    """About a minute on 2 idle cores: the shipped data.yaml, model.yaml and train.yaml."""
    data, model, train = load_data_config(), load_model_config(), load_train_config()
    documents = load_corpus(data)
    split = data.split
    parts = split_documents(
        documents,
        train=split.train,
        validation=split.validation,
        test=split.test,
        seed=split.seed,
        stratify=split.stratify,
    ).take(documents)

    result = train_and_evaluate(
        parts["train"],
        validation_documents=parts["validation"],
        test_documents=parts["test"],
        data_config=data,
        model_config=model,
        train_config=train,
    )

    print(
        f"tiny: test macro-F1 {result.test_metrics.macro_f1:.4f}, micro-F1 "
        f"{result.test_metrics.micro_f1:.4f}, best epoch {result.best_epoch}/"
        f"{len(result.history)}, {result.seconds:.1f} s"
    )
    assert result.settings.backbone == "tiny"
    assert len(parts["test"]) == 40
    assert result.test_metrics.macro_f1 >= TINY_MIN_TEST_MACRO_F1


MINILM_SCRIPT = textwrap.dedent(
    """
    import json, socket

    def no_network(*args, **kwargs):
        raise OSError("network access attempted while offline")

    socket.socket.connect = no_network
    socket.create_connection = no_network

    from resume_ner.config.data import DataConfig
    from resume_ner.config.model import load_model_config
    from resume_ner.config.train import EarlyStoppingConfig, TrainConfig
    from resume_ner.data.labels import LabelSchema
    from resume_ner.data.splits import split_documents
    from resume_ner.data.synthetic import generate_documents
    from resume_ner.training.backbones import load_backbone
    from resume_ner.training.evaluation import Evaluator
    from resume_ner.training.run import train_and_evaluate

    documents = generate_documents(60, 5)
    parts = split_documents(documents, train=0.8, validation=0.1, test=0.1, seed=0).take(documents)
    data = DataConfig(max_length=128, stride=32)
    model = load_model_config()
    train = TrainConfig(
        epochs=3, batch_size=16, seed=0, early_stopping=EarlyStoppingConfig(enabled=False)
    )
    schema = LabelSchema.from_entities(data.labels)
    untrained = load_backbone("minilm", model, schema, seed=train.seed)
    baseline = Evaluator.for_documents(parts["test"], untrained.tokenizer, schema, 128, 32)
    before = baseline.evaluate(untrained.model)
    result = train_and_evaluate(
        parts["train"],
        validation_documents=parts["validation"],
        test_documents=parts["test"],
        data_config=data,
        model_config=model,
        train_config=train,
        backbone="minilm",
    )
    print(json.dumps({
        "before": before.summary(),
        "after": result.test_metrics.summary(),
        "seconds": result.seconds,
        "model_type": result.backbone.model.config.model_type,
        "hidden_size": result.backbone.model.config.hidden_size,
    }))
    """
)


@pytest.mark.slow
def test_minilm_preset_fine_tunes_offline_and_beats_its_untrained_baseline():
    """Several minutes on 2 cores: MiniLM-L6 fine-tuned for 3 epochs on 48 synthetic resumes,
    in a fresh process with HF_HUB_OFFLINE=1 and every socket connection refused."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    completed = subprocess.run(
        [sys.executable, "-c", MINILM_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=1500,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"minilm: {report}")

    assert (report["model_type"], report["hidden_size"]) == ("bert", 384)
    assert report["after"]["micro_f1"] >= report["before"]["micro_f1"] + 0.3
    assert report["after"]["macro_f1"] > report["before"]["macro_f1"] + 0.1
