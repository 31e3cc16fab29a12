"""The selection report: JSON and markdown, logged into a run on request."""

from __future__ import annotations

import json
from pathlib import Path

from resume_ner.config.selection import SelectionConfig
from resume_ner.selection.report import log_selection_report, ranking_markdown
from resume_ner.selection.select import find_best_model_from_mlflow


def test_report_is_logged_into_a_run_as_json_and_markdown(runs, store, family, tmp_path: Path):
    tiny = runs.sweep("tiny", [0.80, 0.80, 0.80])
    runs.sweep("minilm", [0.99, 0.99])
    runs.benchmark(tiny.refit_run_id, 20.0)
    result = find_best_model_from_mlflow(store, family, SelectionConfig())
    client = store.client
    experiment_id = client.get_run(tiny.sweep_run_id).info.experiment_id
    run_id = client.create_run(experiment_id).info.run_id

    written = log_selection_report(client, run_id, result)

    assert written == ["selection/selection.json", "selection/selection.md"]
    folder = Path(client.download_artifacts(run_id, "selection", str(tmp_path)))
    report = json.loads((folder / "selection.json").read_text())
    assert report["study_family_hash"] == family
    assert report["winner"]["refit_run_id"] == tiny.refit_run_id
    assert report["weights"] == {"objective": 0.7, "latency": 0.3}
    assert [row["backbone"] for row in report["ranking"]] == ["tiny", "minilm"]
    assert report["ranking"][1]["included"] is False
    assert "only 2 finished trial(s)" in report["ranking"][1]["excluded_reason"]
    assert report["explanation"] == result.explanation
    markdown = (folder / "selection.md").read_text()
    assert markdown == ranking_markdown(result)


def test_markdown_ranking_is_a_table_with_reasons_and_the_explanation(runs, store, family):
    tiny = runs.sweep("tiny", [0.80, 0.80, 0.80])
    runs.sweep("minilm", [0.99, 0.99])
    runs.benchmark(tiny.refit_run_id, 20.0)
    result = find_best_model_from_mlflow(store, family, SelectionConfig())

    lines = ranking_markdown(result).splitlines()

    header = lines.index(
        "| rank | backbone | stable macro_f1 | trials | latency (ms) | composite | sweep run "
        "| best trial | refit run | status |"
    )
    winner_row = lines[header + 2].split(" | ")
    assert winner_row[:6] == ["| 1", "tiny", "0.8000", "3 of 3", "20.00", "0.500"]
    assert lines[header + 3].startswith("| - | minilm | 0.9900 | 2 of 2 | - | - |")
    assert "excluded: only 2 finished trial(s)" in lines[header + 3]
    assert "## Why" in lines
    assert result.explanation.splitlines()[0] in lines
