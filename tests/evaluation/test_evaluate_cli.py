"""``resume-ner evaluate``: a gold file in every reader format, documents without entities, the
JSON and table output, the evaluation run it logs, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resume_ner.cli.app import EXIT_BAD_INPUT, run
from resume_ner.data.documents import Document, Span
from resume_ner.data.readers import FORMATS
from resume_ner.data.writers import write_documents
from resume_ner.evaluation.run import evaluate_engine
from resume_ner.serve.engine import InferenceEngine
from resume_ner.serve.reference import ModelSource, parse_model_reference


def _document(doc_id: str, parts: list[tuple[str, str | None]]) -> Document:
    """A text of space-separated ``parts`` (so every format holds it), labelled where given."""
    text, spans = "", []
    for words, label in parts:
        if text:
            text += " "
        if label:
            spans.append(Span(len(text), len(text) + len(words), label))
        text += words
    return Document(text, tuple(spans), doc_id)


GOLD = [
    _document(
        "jane",
        [
            ("Jane Doe", "NAME"),
            ("Senior Data Engineer", "DESIGNATION"),
            ("jane.doe@example.com", "EMAIL"),
            ("+44 20 7946 0958", "PHONE"),
            ("London", "LOCATION"),
            ("Skills :", None),
            ("Python", "SKILL"),
            ("SQL", "SKILL"),
        ],
    ),
    _document("empty", [("References available on request", None)]),
    _document(
        "raj",
        [
            ("Raj Patel", "NAME"),
            ("raj.patel@example.org", "EMAIL"),
            ("Pune", "LOCATION"),
            ("Docker and Kubernetes", None),
        ],
    ),
]
SUFFIX = {"json": ".json", "jsonl": ".jsonl", "conll": ".conll"}


def _evaluate(root: Path, *args: str, capsys) -> tuple[int, str]:
    code = run(["--root", str(root), "evaluate", *args])
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def expected(bundle_dir):
    return evaluate_engine(InferenceEngine.load(bundle_dir), GOLD)


@pytest.mark.parametrize("data_format", FORMATS)
def test_evaluate_reads_every_format_and_scores_like_the_engine(
    tmp_path, bundle_dir, expected, data_format, capsys
):
    path = write_documents(GOLD, tmp_path / f"gold{SUFFIX.get(data_format, '.json')}", data_format)
    code, out = _evaluate(
        tmp_path,
        str(bundle_dir),
        str(path),
        "--format",
        data_format,
        "--json",
        "--no-track",
        capsys=capsys,
    )

    assert code == 0
    result = json.loads(out)
    assert result["n_documents"] == 3
    assert result["recognizers_served"] is True
    served = result["with_recognizers"]
    assert served["strict"]["micro"]["gold"] == 10
    assert served["strict"]["micro"]["f1"] == pytest.approx(
        expected.with_recognizers.strict.micro.f1
    )
    assert served["lenient"]["macro"]["f1"] == pytest.approx(
        expected.with_recognizers.lenient.macro("f1")
    )
    # The patterns find both addresses and the number exactly, whatever the model does.
    assert served["strict"]["per_label"]["EMAIL"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "tp": 2,
        "predicted": 2,
        "gold": 2,
    }
    assert served["strict"]["per_label"]["PHONE"]["recall"] == 1.0
    off = result["without_recognizers"]["strict"]["micro"]
    assert off["f1"] == pytest.approx(expected.without_recognizers.strict.micro.f1)


def test_a_document_without_entities_counts_only_what_is_predicted_in_it(bundle_dir, expected):
    engine = InferenceEngine.load(bundle_dir)
    (found,) = engine.extract([GOLD[1].text])
    empty = expected.served.documents[1]
    assert (empty.strict.gold, empty.strict.predicted) == (0, len(found))
    assert empty.strict.f1 == (1.0 if not found else 0.0)


def test_evaluate_prints_tables_of_scores_errors_and_worst_documents(tmp_path, bundle_dir, capsys):
    path = write_documents(GOLD, tmp_path / "gold.json")
    code, out = _evaluate(tmp_path, str(bundle_dir), str(path), "--no-track", capsys=capsys)
    assert code == 0
    for heading in ("strict F1", "lenient F1", "recognizers on", "recognizers off", "micro"):
        assert heading in out
    assert "EMAIL" in out


def test_evaluate_logs_a_top_level_evaluation_run_without_resume_text(tmp_path, bundle_dir, capsys):
    from mlflow.tracking import MlflowClient

    path = write_documents(GOLD, tmp_path / "gold.json")
    code, out = _evaluate(tmp_path, str(bundle_dir), str(path), "--json", capsys=capsys)
    assert code == 0
    run_id = json.loads(out)["run_id"]

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    logged = client.get_run(run_id)
    tags = logged.data.tags
    assert logged.info.status == "FINISHED"
    assert "mlflow.parentRunId" not in tags
    assert tags["code.stage"] == "evaluation"
    assert tags["code.evaluation.model_source"] == "bundle"
    assert tags["code.evaluation.recognizers"] == "true"
    assert tags["code.evaluation.data_file"] == "gold.json"
    assert client.get_experiment(logged.info.experiment_id).name.endswith("-evaluation")
    metrics = logged.data.metrics
    assert metrics["recognizers_on/strict_EMAIL_recall"] == 1.0
    assert "recognizers_off/strict_micro_f1" in metrics
    assert metrics["strict_micro_f1"] == metrics["recognizers_on/strict_micro_f1"]

    local = Path(client.download_artifacts(run_id, "", str(tmp_path / "artifacts")))
    table = json.loads((local / "eval_results_table.json").read_text())
    assert "text" not in table["columns"]
    assert len(table["data"]) == 3
    everything = "".join(p.read_text() for p in local.rglob("*.json"))
    for secret in ("Jane Doe", "jane.doe@example.com", "7946 0958", "References"):
        assert secret not in everything


def test_log_text_adds_the_texts_to_the_results_table(tmp_path, bundle_dir, capsys):
    from mlflow.tracking import MlflowClient

    path = write_documents(GOLD, tmp_path / "gold.json")
    code, out = _evaluate(
        tmp_path, str(bundle_dir), str(path), "--json", "--log-text", capsys=capsys
    )
    assert code == 0
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    local = client.download_artifacts(
        json.loads(out)["run_id"], "eval_results_table.json", str(tmp_path / "a")
    )
    table = json.loads(Path(local).read_text())
    texts = [row[table["columns"].index("text")] for row in table["data"]]
    assert texts == [document.text for document in GOLD]


def test_an_invalid_gold_file_exits_2_before_anything_is_logged(tmp_path, bundle_dir, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"text": "Jane", "annotations": [[0, 40, "NAME"]]}]))
    code = run(["--root", str(tmp_path), "evaluate", str(bundle_dir), str(path)])
    assert code == EXIT_BAD_INPUT
    assert "bad.json" in capsys.readouterr().err
    assert not (tmp_path / "mlruns").exists()


def test_a_model_that_does_not_exist_exits_2(tmp_path, capsys):
    path = write_documents(GOLD, tmp_path / "gold.json")
    code = run(["--root", str(tmp_path), "evaluate", "champion", str(path), "--no-track"])
    assert code == EXIT_BAD_INPUT


@pytest.mark.parametrize(
    ("reference", "source"),
    [
        ("champion", ModelSource(model_name="resume-ner", alias="champion")),
        ("other@staging", ModelSource(model_name="other", alias="staging")),
        ("models:/resume-ner/3", ModelSource(model_name="resume-ner", version="3")),
        (
            "0123456789abcdef0123456789abcdef",
            ModelSource(run_id="0123456789abcdef0123456789abcdef"),
        ),
    ],
)
def test_model_references_name_what_serve_serves(reference, source):
    assert parse_model_reference(reference, "resume-ner") == source


def test_a_folder_reference_is_a_bundle(tmp_path):
    assert parse_model_reference(str(tmp_path), "resume-ner") == ModelSource(bundle_dir=tmp_path)


def test_the_conversion_run_gets_scores_with_and_without_recognizers_once(tmp_path, bundle_dir):
    from resume_ner.config.paths import ProjectPaths
    from resume_ner.config.project import ProjectConfig
    from resume_ner.evaluation.tracking import log_recognizer_scores
    from resume_ner.tracking.context import TrackingContext

    with TrackingContext.open(
        ProjectPaths.at(tmp_path), ProjectConfig.load(), environ={}
    ) as tracking:
        experiment = tracking.client.create_experiment("conversion")
        run_id = tracking.client.create_run(experiment).info.run_id

        logged = log_recognizer_scores(tracking, run_id, bundle_dir, GOLD)

        metrics = tracking.client.get_run(run_id).data.metrics
        assert metrics["recognizers_on/strict_EMAIL_recall"] == 1.0
        assert (
            metrics["recognizers_off/strict_micro_f1"] == logged["recognizers_off/strict_micro_f1"]
        )
        assert log_recognizer_scores(tracking, run_id, tmp_path / "no-bundle", GOLD) == logged
