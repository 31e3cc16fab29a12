"""``resume-ner select`` end to end on one store holding two study families.

Family ``UNMEASURED`` (created first) has a sweep without benchmarks; family ``FAMILY`` (created
last, so its sweeps finished last) has two benchmarked backbones and one sweep with too few
trials.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selection_helpers import (
    FAMILY,
    RunBuilder,
    SweepRuns,
    open_project_store,
)

from resume_ner.naming.canonical import sha256_hex
from resume_ner.tracking.context import TrackingContext

UNMEASURED = sha256_hex("a study family without benchmarks")


@dataclass
class CliStore:
    """The project folder, its tracking context and the sweeps the tests look for."""

    root: Path
    tracking: TrackingContext
    tiny: SweepRuns
    minilm: SweepRuns
    unmeasured: SweepRuns


@dataclass
class Outcome:
    """Exit code and console output of one command."""

    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory, template_mlflow_db) -> Iterator[CliStore]:
    """The two families (about 3 s to build, shared by the tests of this module)."""
    root = tmp_path_factory.mktemp("select-cli")
    tracking = open_project_store(root, template_mlflow_db)
    runs = RunBuilder(tracking)
    unmeasured = runs.sweep("tiny", [0.80, 0.80, 0.80], family=UNMEASURED)
    tiny = runs.sweep("tiny", [0.80, 0.80, 0.80])
    lucky = runs.sweep("distilbert", [0.99, 0.99])
    minilm = runs.sweep("minilm", [0.81, 0.80, 0.80])
    runs.benchmark(tiny.refit_run_id, 20.0)
    runs.benchmark(minilm.refit_run_id, 10.0)
    runs.benchmark(lucky.refit_run_id, 1.0)
    yield CliStore(root, tracking, tiny, minilm, unmeasured)
    tracking.close()


@pytest.fixture
def select_cli(cli_store: CliStore, monkeypatch: pytest.MonkeyPatch):
    """Run ``resume-ner --root <store> [--config-dir DIR] select ARGS``; capture its consoles."""
    from rich.console import Console

    from resume_ner.cli import console as console_module
    from resume_ner.cli.app import run

    def select(*args: str, config_dir: Path | None = None) -> Outcome:
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr(console_module, "console", Console(file=out, width=250))
        monkeypatch.setattr(console_module, "err_console", Console(file=err, width=250))
        options = ["--root", str(cli_store.root)]
        if config_dir is not None:
            options += ["--config-dir", str(config_dir)]
        code = run([*options, "select", *args])
        return Outcome(code, out.getvalue(), err.getvalue())

    return select


def test_select_prints_the_ranking_and_why_the_winner_won(select_cli):
    outcome = select_cli("--study-family", FAMILY)

    assert outcome.code == 0, outcome.err
    lines = outcome.out.splitlines()
    minilm_row = next(line for line in lines if "│ minilm" in line)
    assert "│ 1 " in minilm_row and "10.00" in minilm_row and "included" in minilm_row
    tiny_row = next(line for line in lines if "│ tiny" in line)
    assert "│ 2 " in tiny_row
    lucky_row = next(line for line in lines if "│ distilbert" in line)
    assert "excluded: only 2 finished trial(s) with macro_f1" in lucky_row
    assert "Winner: minilm (sweep run" in outcome.out
    assert "Why: its stable macro_f1 0.8000 is within f1_tolerance 0.01" in outcome.out


def test_select_without_study_family_compares_the_last_finished_sweeps_family_and_says_so(
    select_cli,
):
    outcome = select_cli()

    assert outcome.code == 0, outcome.err
    assert f"no --study-family given: comparing the sweeps of study family {FAMILY}" in (
        outcome.out
    )
    assert "Winner: minilm" in outcome.out


def test_select_accepts_a_unique_prefix_of_the_study_family_hash(select_cli):
    outcome = select_cli("--study-family", FAMILY[:8])

    assert outcome.code == 0, outcome.err
    assert "Winner: minilm" in outcome.out


def test_select_rejects_a_prefix_no_sweep_has_with_exit_code_2(select_cli):
    prefix = next(p for p in ("000000", "111111", "222222") if not FAMILY.startswith(p))

    outcome = select_cli("--study-family", prefix)

    assert outcome.code == 2
    assert f"no sweep run has a study family hash starting with '{prefix}'" in outcome.err


def test_select_without_benchmarks_exits_2_and_says_how_to_fix_it(select_cli, cli_store):
    outcome = select_cli("--study-family", UNMEASURED)

    assert outcome.code == 2
    assert "no candidate has a latency" in outcome.err
    assert cli_store.unmeasured.refit_run_id in outcome.err
    assert "latency_weight: 0" in outcome.err
    assert "│ tiny" in outcome.out  # the candidates are still shown


def test_select_with_latency_weight_zero_needs_no_benchmark(select_cli, tmp_path: Path):
    (tmp_path / "selection.yaml").write_text("latency_weight: 0\n")

    outcome = select_cli("--study-family", UNMEASURED, config_dir=tmp_path)

    assert outcome.code == 0, outcome.err
    assert "Winner: tiny" in outcome.out
    assert "the only candidate" in outcome.out


def test_select_logs_the_report_into_the_run_it_is_given(select_cli, cli_store, tmp_path: Path):
    client = cli_store.tracking.client
    experiment_id = client.get_run(cli_store.tiny.sweep_run_id).info.experiment_id
    run_id = client.create_run(experiment_id).info.run_id

    outcome = select_cli("--study-family", FAMILY, "--log-to-run", run_id)

    assert outcome.code == 0, outcome.err
    assert f"into run {run_id}" in outcome.out
    path = client.download_artifacts(run_id, "selection/selection.json", str(tmp_path))
    report = json.loads(Path(path).read_text())
    assert report["winner"]["refit_run_id"] == cli_store.minilm.refit_run_id
