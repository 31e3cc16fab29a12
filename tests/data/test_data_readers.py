"""Readers and writers: every format round-trips the same documents; bad records are all listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resume_ner.data.documents import Document, Span
from resume_ner.data.errors import DataFormatError, OutputExistsError
from resume_ner.data.readers import (
    detect_format,
    load_documents,
    parse_conll_documents,
    parse_doccano_documents,
    parse_label_studio_documents,
)
from resume_ner.data.writers import write_documents

EXACT_FORMATS = {
    "json": "data.json",
    "jsonl": "data.jsonl",
    "doccano": "doccano.jsonl",
    "label_studio": "label-studio.json",
}


@pytest.fixture(scope="module")
def sample(resumes: list[Document]) -> list[Document]:
    return resumes[:40]


@pytest.mark.parametrize("fmt", sorted(EXACT_FORMATS))
def test_each_json_format_round_trips_the_same_documents(tmp_path: Path, sample, fmt: str):
    path = write_documents(sample, tmp_path / EXACT_FORMATS[fmt], fmt)
    assert detect_format(path) == fmt
    assert load_documents(path) == sample
    assert load_documents(path, fmt) == sample


def test_conll_round_trip_keeps_every_entity_with_exact_offsets_in_the_rebuilt_text(
    tmp_path: Path, sample
):
    path = write_documents(sample, tmp_path / "data.conll")
    assert detect_format(path) == "conll"
    read = load_documents(path)
    assert len(read) == len(sample)
    for original, rebuilt in zip(sample, read, strict=True):
        assert rebuilt.text == " ".join(rebuilt.text.split())
        expected = [(label, " ".join(text.split())) for label, text in original.entity_texts()]
        assert rebuilt.entity_texts() == expected


def test_conll_offsets_are_exact_for_the_text_rebuilt_with_single_spaces():
    text = "John B-NAME\nSmith I-NAME\nknows O\nC++ B-SKILL\n,\tO\nGo B-SKILL\n\nAnna B-NAME\n"
    documents = parse_conll_documents(text)
    assert documents == [
        Document(
            "John Smith knows C++ , Go",
            (Span(0, 10, "NAME"), Span(17, 20, "SKILL"), Span(23, 25, "SKILL")),
        ),
        Document("Anna", (Span(0, 4, "NAME"),)),
    ]


def test_conll_i_tag_after_o_starts_an_entity_and_docstart_keeps_sentences_on_lines():
    text = "-DOCSTART- -X- O O\nWorks O\nat O\n\nLagos I-LOCATION\nNigeria I-LOCATION\n"
    (document,) = parse_conll_documents(text)
    assert document.text == "Works at\nLagos Nigeria"
    assert document.entity_texts() == [("LOCATION", "Lagos Nigeria")]


def test_conll_bare_labels_without_bio_prefix_are_format_errors_with_their_line():
    with pytest.raises(DataFormatError) as error:
        parse_conll_documents("Python SKILL\nand O\nlonely\n")
    assert [(p.line, p.message[:10]) for p in error.value.problems] == [
        (1, "tag 'SKILL"),
        (3, "expected '"),
    ]


def test_label_studio_uses_the_first_completed_annotation_and_ignores_relations():
    tasks = [
        {
            "id": 7,
            "data": {"resume": "Ana Souza, Recife"},
            "annotations": [
                {"was_cancelled": True, "result": []},
                {
                    "result": [
                        {
                            "type": "labels",
                            "value": {
                                "start": 0,
                                "end": 9,
                                "text": "Ana Souza",
                                "labels": ["PERSON"],
                            },
                        },
                        {"type": "relation", "from_id": "a", "to_id": "b"},
                    ]
                },
            ],
        }
    ]
    documents = parse_label_studio_documents(json.dumps(tasks))
    assert documents == [Document("Ana Souza, Recife", (Span(0, 9, "PERSON"),), "7")]


def test_label_studio_problems_are_listed_for_every_bad_task():
    tasks = [
        {"id": 1, "data": {"text": "abc"}, "annotations": []},
        {
            "id": 2,
            "data": {"text": "abc def"},
            "annotations": [
                {
                    "result": [
                        {
                            "type": "labels",
                            "value": {"start": 0, "end": 3, "text": "def", "labels": ["X"]},
                        }
                    ]
                }
            ],
        },
        {
            "id": 3,
            "data": {"text": "abc"},
            "annotations": [
                {
                    "result": [
                        {"type": "labels", "value": {"start": 0, "end": 3, "labels": ["X", "Y"]}}
                    ]
                }
            ],
        },
    ]
    with pytest.raises(DataFormatError) as error:
        parse_label_studio_documents(json.dumps(tasks))
    assert [p.record for p in error.value.problems] == [0, 1, 2]
    assert "no completed annotation" in error.value.problems[0].message
    assert "quoted text" in error.value.problems[1].message
    assert "exactly one label" in error.value.problems[2].message


def test_doccano_reads_the_label_key_the_older_labels_key_and_entity_objects():
    lines = [
        {"id": 1, "text": "Go dev", "label": [[0, 2, "SKILL"]]},
        {"text": "Go dev", "labels": [[0, 2, "SKILL"]]},
        {"text": "Go dev", "entities": [{"start_offset": 0, "end_offset": 2, "label": "SKILL"}]},
    ]
    documents = parse_doccano_documents("\n".join(json.dumps(line) for line in lines))
    assert [d.spans for d in documents] == [(Span(0, 2, "SKILL"),)] * 3
    assert documents[0].doc_id == "1"


def test_malformed_records_are_all_listed_with_their_index_and_line(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"text": "ok", "annotations": []}\n'
        '{"text": 5, "annotations": []}\n'
        "not json\n"
        '{"text": "x", "annotations": [[0, "1", "SKILL"]]}\n'
    )
    with pytest.raises(DataFormatError) as error:
        load_documents(path, "jsonl")
    assert [p.line for p in error.value.problems] == [3]
    path.write_text(
        '{"text": "ok", "annotations": []}\n{"text": 5, "annotations": []}\n'
        '{"text": "x", "annotations": [[0, "1", "SKILL"]]}\n{"text": "y"}\n'
    )
    with pytest.raises(DataFormatError) as error:
        load_documents(path)
    assert [(p.record, p.line) for p in error.value.problems] == [(1, 2), (2, 3), (3, 4)]


def test_auto_detection_rejects_content_it_cannot_place(tmp_path: Path):
    path = tmp_path / "odd.json"
    path.write_text('[{"body": "text"}]')
    with pytest.raises(DataFormatError, match="cannot tell the format"):
        load_documents(path)


def test_writing_refuses_to_overwrite_unless_asked(tmp_path: Path, sample):
    path = tmp_path / "data.json"
    path.write_text("keep me")
    with pytest.raises(OutputExistsError):
        write_documents(sample, path)
    assert path.read_text() == "keep me"
    write_documents(sample, path, overwrite=True)
    assert load_documents(path) == sample


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path):
    path = tmp_path / "data.jsonl"
    path.write_text("old\n")
    unencodable = Document("lone surrogate \ud800", (), "x")
    with pytest.raises(UnicodeEncodeError):
        write_documents([unencodable], path, overwrite=True)
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl"]
