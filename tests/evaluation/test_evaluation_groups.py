"""Evaluation by document group: documents that name their groups (format, language, ...) get
the figures of each group, in the JSON output and the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resume_ner.cli.app import EXIT_BAD_INPUT, run
from resume_ner.data.documents import Document, Span, document_to_record
from resume_ner.data.errors import DataFormatError
from resume_ner.data.readers import parse_jsonl_documents
from resume_ner.evaluation.run import evaluate_engine
from resume_ner.serve.engine import InferenceEngine

TEXT = "Jane Doe, Senior Data Engineer in London. Skills: Python, SQL."


def _document(doc_id: str, groups: dict[str, str]) -> Document:
    spans = (Span(0, 8, "NAME"), Span(50, 56, "SKILL"))
    return Document(TEXT, spans, doc_id, tuple(groups.items()))


DOCUMENTS = [
    _document("a", {"format": "markdown", "language": "en"}),
    _document("b", {"format": "pdf-text", "language": "en"}),
    _document("c", {"format": "pdf-text", "language": "pt"}),
]


def test_groups_round_trip_through_the_json_span_format() -> None:
    lines = "\n".join(json.dumps(document_to_record(d)) for d in DOCUMENTS)
    assert parse_jsonl_documents(lines) == DOCUMENTS
    assert document_to_record(DOCUMENTS[0])["groups"] == {"format": "markdown", "language": "en"}


def test_groups_that_are_not_names_to_strings_are_reported_with_the_record() -> None:
    bad = json.dumps({"text": "x", "annotations": [], "groups": {"format": 3}})
    with pytest.raises(DataFormatError, match="'groups' must map names to strings"):
        parse_jsonl_documents(bad, "resumes.jsonl")


def test_group_scores_add_up_the_documents_of_each_group(bundle_dir: Path) -> None:
    evaluation = evaluate_engine(InferenceEngine.load(bundle_dir), DOCUMENTS)
    groups = evaluation.group_scores()
    assert set(groups) == {"format", "language"}
    assert {value: g.documents for value, g in groups["format"].items()} == {
        "markdown": 1,
        "pdf-text": 2,
    }
    per_document = evaluation.served.documents
    pdf = groups["format"]["pdf-text"]
    assert pdf.strict.gold == 4
    assert pdf.strict.tp == per_document[1].strict.tp + per_document[2].strict.tp
    assert groups["language"]["pt"].lenient == per_document[2].lenient


def test_evaluate_prints_and_returns_the_figures_by_group(
    tmp_path: Path, bundle_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "resumes.jsonl"
    data.write_text("\n".join(json.dumps(document_to_record(d)) for d in DOCUMENTS) + "\n")
    args = ["--root", str(tmp_path), "evaluate", str(bundle_dir), str(data), "--no-track"]
    assert run([*args, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["groups"]["language"]["en"]["documents"] == 2
    assert payload["groups"]["format"]["pdf-text"]["strict"]["gold"] == 4
    curve = payload["precision_recall_curves"]
    assert all(points[0]["threshold"] == 0.0 for points in curve.values())
    assert run(args) == 0
    table = capsys.readouterr().out
    assert "format=pdf-text" in table and "language=pt" in table


def test_evaluate_names_the_record_whose_groups_are_malformed(
    tmp_path: Path, bundle_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "resumes.jsonl"
    data.write_text(json.dumps({"text": "x", "annotations": [], "groups": ["pdf"]}) + "\n")
    code = run(["--root", str(tmp_path), "evaluate", str(bundle_dir), str(data), "--no-track"])
    assert code == EXIT_BAD_INPUT
    assert "resumes.jsonl" in capsys.readouterr().err
