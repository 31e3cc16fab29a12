"""``resume-ner data generate`` and ``resume-ner data validate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resume_ner.cli.data import app
from resume_ner.data.readers import load_documents
from resume_ner.data.synthetic import generate_documents

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The commands infer ./config from the working directory; run them in an empty folder.
    monkeypatch.chdir(tmp_path)
    # A wide console, so that table cells are not folded across lines.
    from resume_ner.cli.console import console

    monkeypatch.setattr(console, "width", 200)


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_generate_writes_the_requested_documents_and_they_validate(tmp_path: Path):
    out = tmp_path / "resumes.jsonl"
    result = runner.invoke(app, ["generate", "--n", "25", "--seed", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load_documents(out) == generate_documents(25, 4)
    assert [p.name for p in tmp_path.iterdir()] == ["resumes.jsonl"]
    result = runner.invoke(app, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "25 documents" in result.output and "valid" in result.output


def test_generate_is_byte_for_byte_reproducible(tmp_path: Path):
    for name in ("a.json", "b.json"):
        assert (
            runner.invoke(app, ["generate", "--n", "10", "--out", str(tmp_path / name)]).exit_code
            == 0
        )
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_generate_refuses_to_overwrite_without_force(tmp_path: Path):
    out = tmp_path / "resumes.json"
    out.write_text("precious")
    result = runner.invoke(app, ["generate", "--n", "3", "--out", str(out)])
    assert result.exit_code == 2
    assert out.read_text() == "precious"
    result = runner.invoke(app, ["generate", "--n", "3", "--out", str(out), "--force"])
    assert result.exit_code == 0
    assert len(json.loads(out.read_text())) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["resumes.json"]


def test_generate_rejects_an_extension_it_cannot_write(tmp_path: Path):
    result = runner.invoke(app, ["generate", "--n", "3", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_validate_lists_every_bad_record_exits_2_and_writes_nothing(tmp_path: Path):
    text = "Anna Berg knows Python and SQL."
    records = [
        {"text": text, "annotations": [[0, 9, "PERSON"], [16, 22, "SKILL"]]},
        {"text": text, "annotations": [[27, 45, "SKILL"]]},
        {"text": text, "annotations": [[16, 22, "SKILL"], [20, 26, "SKILL"]]},
        {"text": text, "annotations": [[0, 9, "HUMAN"]]},
        {"text": "", "annotations": []},
    ]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(records))
    before = _listing(tmp_path)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    rows = [line for line in result.output.splitlines() if "error" in line and "│" in line]
    cells = [[c.strip() for c in row.split("│")[1:-1]] for row in rows]
    assert [(c[0], c[3], c[4], c[5]) for c in cells] == [
        ("1", "out_of_range", "27", "45"),
        ("2", "overlap", "20", "26"),
        ("3", "unknown_label", "0", "9"),
        ("4", "empty_text", "", ""),
    ]
    assert _listing(tmp_path) == before


def test_validate_lists_every_malformed_record_of_an_unreadable_file(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": 1, "annotations": []}\n{"text": "a", "annotations": [[0]]}\n')
    result = runner.invoke(app, ["validate", str(path), "--format", "jsonl"])
    assert result.exit_code == 2
    assert "'text' must be a string" in result.output
    assert "annotations[0] must be [start, end, label]" in result.output


def test_validate_uses_the_label_map_of_the_project_config(tmp_path: Path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "mlflow.yaml").write_text("tracking_uri: null\n")
    (tmp_path / "config" / "data.yaml").write_text("label_map:\n  TOOL: SKILL\n")
    path = tmp_path / "tools.json"
    path.write_text(json.dumps([{"text": "uses Go", "annotations": [[5, 7, "TOOL"]]}]))
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0
    (tmp_path / "config" / "data.yaml").write_text("label_map: {}\n")
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 2
