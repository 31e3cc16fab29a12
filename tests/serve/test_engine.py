"""The inference engine: windows over long texts, one padded batch per call, the same entities as
the PyTorch model, bundle checks, and no torch on the serving path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest

from torch_blocker import BLOCK_TORCH_PREAMBLE

sys.path.insert(0, str(Path(__file__).parents[1] / "conversion"))

from tiny_bundle_helpers import tiny_bundle, tiny_model

from resume_ner.config.conversion import SessionConfig
from resume_ner.data.alignment import encode_documents
from resume_ner.data.synthetic import generate_document
from resume_ner.serve.bundle import MODEL_FILES, BundleError, read_manifest, write_manifest
from resume_ner.serve.engine import Entity, InferenceEngine
from resume_ner.serve.session import (
    INTER_OP_SPINNING,
    INTRA_OP_SPINNING,
    open_session,
    physical_core_count,
    session_options,
)
from resume_ner.serve.windows import pad_windows


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return tiny_model(tmp_path_factory)


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory) -> Path:
    return tiny_bundle(tmp_path_factory).bundle_dir


@pytest.fixture(scope="module")
def engine(bundle_dir) -> InferenceEngine:
    return InferenceEngine.load(bundle_dir, prefer="fp32")


@pytest.fixture(scope="module")
def hf_tokenizer(trained):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(trained.checkpoint_dir, local_files_only=True)


def test_engine_gives_the_same_entities_as_pytorch_on_the_test_split(trained, engine):
    from resume_ner.training.checkpoint import load_checkpoint
    from resume_ner.training.predict import predict_documents

    backbone = load_checkpoint(trained.checkpoint_dir)
    documents = trained.test_documents
    expected = predict_documents(
        backbone.model,
        backbone.tokenizer,
        documents,
        backbone.label_schema,
        engine.manifest.max_length,
        engine.manifest.stride,
    )

    found = engine.extract_model([document.text for document in documents])

    assert sum(len(spans) for spans in expected) > len(documents), "the model finds entities"
    assert [[(e.start, e.end, e.label) for e in entities] for entities in found] == [
        [(s.start, s.end, s.label) for s in spans] for spans in expected
    ]
    for entities, spans in zip(found, expected, strict=True):
        assert [e.score for e in entities] == pytest.approx([s.score for s in spans], abs=1e-4)


def test_entity_after_the_first_512_tokens_is_found_at_its_character_offsets(engine):
    parts, index = [], 0
    while not parts or _tokens(engine, "\n\n".join(parts)) < 600:
        parts.append(generate_document(index, 99).text)
        index += 1
    head = "\n\n".join(parts)
    tail = generate_document(index, 99)
    text = head + "\n\n" + tail.text
    offset = len(head) + 2
    first_tail_token = _tokens(engine, head + "\n\n")
    assert first_tail_token > 512

    (entities,) = engine.extract([text])

    gold = {(span.start + offset, span.end + offset, span.label) for span in tail.spans}
    late = [e for e in entities if e.start >= offset]
    assert any((e.start, e.end, e.label) in gold for e in late), (
        "an entity of the text's last part is found with its exact offsets"
    )
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text
        assert 0.0 < entity.score <= 1.0


def _tokens(engine: InferenceEngine, text: str) -> int:
    """Content tokens of ``text`` over all its windows (overlaps counted once)."""
    windows = engine.encode([text])
    return 1 + max(index for w in windows for index in w.token_indices if index is not None)


def test_tokenizers_windows_equal_the_transformers_windows_of_training(
    trained, engine, hf_tokenizer
):
    documents = trained.test_documents
    manifest = engine.manifest

    ours = engine.encode([document.text for document in documents])
    theirs = encode_documents(
        documents, hf_tokenizer, None, manifest.max_length, manifest.stride, pad_to_max_length=False
    )

    assert len(ours) > len(documents)
    assert ours == theirs


def test_one_call_runs_one_batch_padded_to_its_longest_window(bundle_dir):
    engine = InferenceEngine.load(bundle_dir)
    shapes: list[tuple[int, ...]] = []
    forward = engine.forward

    def recording(inputs):
        shapes.append(inputs["input_ids"].shape)
        return forward(inputs)

    engine.forward = recording
    short = "Jane Doe, data engineer in Berlin."
    long = generate_document(0, 5).text * 3

    engine.extract([short, long, short])
    engine.extract([short])

    windows = len(engine.encode([short, long, short]))
    assert windows > 3
    assert shapes[0] == (windows, engine.manifest.max_length)
    assert len(shapes) == 2
    assert shapes[1] == (1, len(engine.encode([short])[0].input_ids))
    assert shapes[1][1] < engine.manifest.max_length


def test_best_serves_the_format_the_conversion_chose(bundle_dir):
    manifest = read_manifest(bundle_dir)

    assert InferenceEngine.load(bundle_dir).model_format == manifest.format == "int8"
    assert InferenceEngine.load(bundle_dir, prefer="fp32").model_format == "fp32"


def test_asking_for_a_format_the_bundle_lacks_is_an_error(bundle_dir, tmp_path):
    copy = shutil.copytree(bundle_dir, tmp_path / "bundle")
    manifest = read_manifest(copy)
    (copy / MODEL_FILES["int8"]).unlink()
    write_manifest(copy, replace(manifest, format="fp32", models={"fp32": manifest.models["fp32"]}))

    assert InferenceEngine.load(copy).model_format == "fp32"
    with pytest.raises(BundleError, match="no int8 model"):
        InferenceEngine.load(copy, prefer="int8")


def test_a_changed_model_file_is_refused(bundle_dir, tmp_path):
    copy = shutil.copytree(bundle_dir, tmp_path / "bundle")
    with (copy / MODEL_FILES["fp32"]).open("ab") as stream:
        stream.write(b"\0")

    with pytest.raises(BundleError, match="SHA-256"):
        InferenceEngine.load(copy, prefer="fp32")


def test_threads_default_to_the_physical_cores(bundle_dir):
    assert InferenceEngine.load(bundle_dir).threads == physical_core_count()
    assert InferenceEngine.load(bundle_dir, threads=1).threads == 1


def test_session_threads_sleep_while_waiting_unless_the_settings_allow_spinning():
    sleeping = session_options(SessionConfig())
    spinning = session_options(SessionConfig(allow_spinning=True))

    for key in (INTRA_OP_SPINNING, INTER_OP_SPINNING):
        assert sleeping.get_session_config_entry(key) == "0"
        assert spinning.get_session_config_entry(key) == "1"


def test_session_runs_add_and_layer_norm_instead_of_the_slower_skip_layer_norm(
    bundle_dir, tmp_path
):
    model = bundle_dir / MODEL_FILES["fp32"]
    served, fused = tmp_path / "served.onnx", tmp_path / "fused.onnx"

    open_session(model, SessionConfig(), optimized_model_path=served)
    open_session(model, SessionConfig(disabled_optimizers=()), optimized_model_path=fused)

    def operators(path: Path) -> set[str]:
        return {node.op_type for node in onnx.load(str(path)).graph.node}

    assert "SkipLayerNormalization" not in operators(served)
    assert "LayerNormalization" in operators(served)
    assert "SkipLayerNormalization" in operators(fused)


def test_a_bundle_whose_session_settings_predate_spinning_still_loads(bundle_dir, tmp_path):
    copy = shutil.copytree(bundle_dir, tmp_path / "bundle")
    manifest = read_manifest(copy)
    session = {k: v for k, v in manifest.session.items() if k != "allow_spinning"}
    write_manifest(copy, replace(manifest, session=session))

    text = generate_document(2, 5).text
    assert InferenceEngine.load(copy).extract([text]) == InferenceEngine.load(bundle_dir).extract(
        [text]
    )


def test_no_texts_empty_texts_and_a_bare_string(engine):
    assert engine.extract([]) == []
    assert engine.extract(["", "   \n"]) == [[], []]
    with pytest.raises(TypeError):
        engine.extract("Jane Doe")
    with pytest.raises(TypeError):
        engine.extract([b"Jane Doe"])


def test_scores_are_softmax_probabilities_of_the_chosen_tags(engine):
    windows = engine.encode([generate_document(1, 5).text])
    logits = engine.forward(pad_windows(windows[:1], engine.input_names, engine.pad_token_id))
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)

    label_ids, scores = engine.predict_windows(windows[:1])

    np.testing.assert_array_equal(label_ids, probabilities.argmax(-1))
    np.testing.assert_allclose(scores, probabilities.max(-1), rtol=1e-5)


BLOCK_TORCH = BLOCK_TORCH_PREAMBLE + textwrap.dedent(
    """
    from resume_ner.serve.engine import InferenceEngine

    engine = InferenceEngine.load(sys.argv[1])
    (entities,) = engine.extract([sys.stdin.read()])
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"torch", "transformers"})
    assert not heavy, heavy
    print(json.dumps([[e.start, e.end, e.label] for e in entities]))
    """
)


def test_serving_loads_and_extracts_without_torch_or_transformers(bundle_dir):
    text = generate_document(2, 5).text

    result = subprocess.run(
        [sys.executable, "-c", "import json\n" + BLOCK_TORCH, str(bundle_dir)],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    (expected,) = InferenceEngine.load(bundle_dir).extract([text])
    assert json.loads(result.stdout) == [[e.start, e.end, e.label] for e in expected]
    assert expected, "the model finds entities in a resume"


def test_entities_are_frozen_values():
    entity = Entity(0, 4, "NAME", "Jane", 0.9)

    with pytest.raises(AttributeError):
        entity.start = 1  # type: ignore[misc]
