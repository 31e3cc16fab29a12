"""Bad configuration or data stops every command at load: exit code 2, the file and the key named,
nothing created; ``doctor`` reports the same problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resume_ner.cli.app import EXIT_BAD_INPUT, run
from resume_ner.config.loader import default_config_dir

SHIPPED_TAGS = (default_config_dir() / "tags.yaml").read_text()
TRACKED_COMMANDS = (
    ["hpo"],
    ["hpo", "--plan"],
    ["train"],
    ["pipeline"],
    ["pipeline", "--plan"],
    ["demo"],
    ["runs", "ls"],
)
DATA_COMMANDS = (["hpo"], ["train"], ["pipeline"])


def _without_line(text: str, line: str) -> str:
    assert f"\n{line}\n" in text
    return text.replace(f"\n{line}\n", "\n", 1)


def _data_file_config(path: Path) -> str:
    return f"source:\n  type: file\n  path: {path}\n  format: json\n"


def _bad_span_data(root: Path) -> Path:
    path = root / "resumes.json"
    records = [
        {"text": "Ana knows Python", "annotations": [[10, 16, "SKILL"]]},
        {"text": "Bo knows Go", "annotations": [[9, 99, "SKILL"]]},
    ]
    path.write_text(json.dumps(records))
    return path


CASES = {
    "tags_missing_stage": ("tags.yaml", _without_line(SHIPPED_TAGS, "  stage: code.stage")),
    "tags_missing_interrupted": (
        "tags.yaml",
        _without_line(SHIPPED_TAGS, "  interrupted: code.interrupted"),
    ),
    "tags_partial_section": ("tags.yaml", "process:\n  stage: code.stage\n"),
}
KEYS = {
    "tags_missing_stage": "process.stage",
    "tags_missing_interrupted": "process.interrupted",
    "tags_partial_section": "process.created_by",
}


def _project(tmp_path: Path, file_name: str, content: str) -> tuple[Path, Path]:
    root = tmp_path / "project"
    config = root / "config"
    config.mkdir(parents=True)
    (config / file_name).write_text(content)
    return root, config / file_name


def _listing(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def _assert_stopped(root: Path, command: list[str], file: Path, key: str, capsys) -> None:
    before = _listing(root)
    code = run(["--root", str(root), *command])
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_BAD_INPUT, (command, err)
    assert str(file) in err, err
    assert key in err, err
    assert "Traceback" not in err
    assert _listing(root) == before, f"{command} created files"


def _assert_doctor_reports(root: Path, file: Path, key: str, capsys) -> None:
    code = run(["--root", str(root), "doctor"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_BAD_INPUT
    assert str(file) in err and key in err, err


@pytest.mark.parametrize("case", sorted(CASES))
def test_tags_file_missing_a_key_the_code_writes_stops_every_command(tmp_path, capsys, case):
    file_name, content = CASES[case]
    root, file = _project(tmp_path, file_name, content)

    for command in TRACKED_COMMANDS:
        _assert_stopped(root, command, file, KEYS[case], capsys)
    _assert_doctor_reports(root, file, KEYS[case], capsys)
    assert _listing(root) == ["config", f"config/{file_name}"]


def test_missing_data_file_stops_data_commands_naming_data_yaml_and_key(tmp_path, capsys):
    root, file = _project(tmp_path, "data.yaml", _data_file_config(tmp_path / "absent.json"))

    for command in DATA_COMMANDS:
        _assert_stopped(root, command, file, "source.path", capsys)
    _assert_doctor_reports(root, file, "source.path", capsys)


def test_bad_span_stops_data_commands_naming_file_key_and_record(tmp_path, capsys):
    data = _bad_span_data(tmp_path)
    root, file = _project(tmp_path, "data.yaml", _data_file_config(data))

    for command in DATA_COMMANDS:
        _assert_stopped(root, command, file, "source.path", capsys)
        # the same run printed the data file and the record; check them once more
    code = run(["--root", str(root), "train"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_BAD_INPUT
    assert str(data) in err and "document 1" in err
    _assert_doctor_reports(root, file, "source.path", capsys)


def test_unquotable_filter_value_is_bad_input_and_creates_nothing(tmp_path, capsys):
    root = tmp_path / "project"
    root.mkdir()

    code = run(["--root", str(root), "runs", "ls", "--stage", "a'b\"c"])

    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_BAD_INPUT
    assert "--stage" in err
    assert _listing(root) == []


def test_tags_file_with_one_complete_section_is_merged_over_the_shipped_registry(tmp_path, capsys):
    from resume_ner.config.tags import load_tags_config

    root, _ = _project(
        tmp_path,
        "tags.yaml",
        "mlflow:\n  run_name: mlflow.runName\n  parent_run_id: mlflow.parentRunId\n"
        "  note: mlflow.note.content\n",
    )

    assert load_tags_config(root / "config").root["process"]["stage"] == "code.stage"
    assert run(["--root", str(root), "demo", "--trials", "1", "--folds", "1"]) == 0


def test_a_config_folder_holding_only_data_yaml_is_used(tmp_path, capsys):
    root, file = _project(tmp_path, "data.yaml", _data_file_config(tmp_path / "absent.json"))

    assert run(["--root", str(root), "train"]) == EXIT_BAD_INPUT
    assert str(file) in " ".join(capsys.readouterr().err.split())


def test_a_misnamed_config_file_stops_every_command_naming_the_closest_file(tmp_path, capsys):
    root, file = _project(tmp_path, "mlfow.yaml", "tracking_uri: http://127.0.0.1:5999\n")

    for command in TRACKED_COMMANDS:
        _assert_stopped(root, command, file, "did you mean mlflow.yaml?", capsys)
    _assert_doctor_reports(root, file, "did you mean mlflow.yaml?", capsys)
    assert _listing(root) == ["config", "config/mlfow.yaml"]


def test_a_duplicate_key_stops_every_command_naming_the_key_and_both_lines(tmp_path, capsys):
    content = "tracking_uri: null\nindex:\n  enabled: true\n  enabled: false\n"
    root, file = _project(tmp_path, "mlflow.yaml", content)

    for command in TRACKED_COMMANDS:
        _assert_stopped(root, command, file, "'index.enabled': appears twice", capsys)
    code = run(["--root", str(root), "doctor"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_BAD_INPUT
    assert str(file) in err and "line 3 and line 4" in err, err
    assert _listing(root) == ["config", "config/mlflow.yaml"]


def test_a_readme_beside_the_configuration_is_left_alone(tmp_path, capsys):
    root, _ = _project(tmp_path, "README.md", "# our settings\n")
    (root / "config" / "mlflow.yaml").write_text("naming:\n  project_name: acme\n")

    assert run(["--root", str(root), "runs", "ls"]) == 0


def test_demo_shows_the_runs_it_recorded_under_any_project_name(tmp_path, capsys):
    root, _ = _project(tmp_path, "mlflow.yaml", "naming:\n  project_name: acme\n")

    assert run(["--root", str(root), "demo", "--trials", "1", "--folds", "1"]) == 0

    out = capsys.readouterr().out
    assert "no experiments yet" not in out
    assert "acme-hpo" in out
    assert "refit t00" in out
