"""Every command's --help: each option explained, no Python type labels."""

from __future__ import annotations

import itertools
import re

import pytest

from resume_ner.cli.app import build_command, run

TYPE_LABEL = re.compile(r"<(str|int|bool|float|path|list\[[^\]]*\]|[a-z ]+ range)>")


def _commands(node, path=()):
    yield path, node
    for name, child in getattr(node, "commands", {}).items():
        yield from _commands(child, (*path, name))


COMMANDS = [path for path, _ in _commands(build_command())]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "resume-ner")
def test_help_shows_no_type_labels(path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")

    assert run([*path, "--help"]) == 0

    out = capsys.readouterr().out
    assert "Usage:" in out
    assert not TYPE_LABEL.search(out), TYPE_LABEL.search(out).group(0)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "resume-ner")
def test_every_option_has_help_text(path):
    node = dict(_commands(build_command()))[path]

    missing = [
        param.name
        for param in node.params
        if param.param_type_name == "option" and not (param.help or "").strip()
    ]

    assert not missing, f"{' '.join(path)}: options without help {missing}"


def test_an_unknown_stage_is_bad_input_naming_the_valid_ones(tmp_path, capsys):
    code = run(["--root", str(tmp_path), "runs", "ls", "--stage", "benchmark"])

    assert code == 2
    err = capsys.readouterr().err
    assert "benchmarking" in err and "hpo_trial_fold" in err
    assert not (tmp_path / "mlruns").exists()


def _description_paragraphs(help_text: str) -> list[list[str]]:
    """The lines of each paragraph between the usage line and the first option box."""
    body = help_text.split("Usage:", 1)[1].split("╭", 1)[0].splitlines()[1:]
    paragraphs: list[list[str]] = [[]]
    for line in body:
        if line.strip():
            paragraphs[-1].append(line.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [paragraph for paragraph in paragraphs if paragraph]


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "resume-ner")
def test_help_breaks_lines_only_where_the_width_is_full(path, width, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(width))

    assert run([*path, "--help"]) == 0

    out = capsys.readouterr().out
    for paragraph in _description_paragraphs(out):
        for line, following in itertools.pairwise(paragraph):
            # A line ends early only when the next word would not have fitted on it.
            assert len(line) + 1 + len(following.split()[0]) > width - 2, (line, following)
