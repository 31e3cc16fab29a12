"""``resume-ner train``: trains, prints per-entity scores, tracks a final_training run, reuses it."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from resume_ner.cli.state import resolve_state
from resume_ner.cli.train import register
from resume_ner.config.loader import write_default_configs

SMALL_CONFIGS = {
    "data.yaml": "source: {type: synthetic, n_documents: 30, seed: 3}\nmax_length: 64\nstride: 16\n",
    "train.yaml": "epochs: 2\nbatch_size: 8\nnum_threads: 1\n",
    "model.yaml": (
        "presets:\n  tiny:\n    type: tiny\n    max_length: 64\n    hidden_size: 32\n"
        "    num_hidden_layers: 1\n    num_attention_heads: 2\n    intermediate_size: 64\n"
        "    vocab_size: 600\n    learning_rate: 5.0e-3\n"
    ),
}


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context, root_dir: Path = typer.Option(..., "--root")) -> None:
        ctx.obj = resolve_state(root_dir, None)

    register(app)
    return app


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    write_default_configs(config)
    for name, text in SMALL_CONFIGS.items():
        (config / name).write_text(text)
    return tmp_path


def test_train_prints_entity_scores_saves_a_checkpoint_and_tracks_a_finished_run(
    project_root: Path,
):
    from mlflow.tracking import MlflowClient

    result = CliRunner().invoke(make_app(), ["--root", str(project_root), "train"])

    assert result.exit_code == 0, result.output
    assert "Entity scores on the test split" in result.output
    assert "epoch   2/2" in result.output
    checkpoints = list((project_root / "outputs" / "final_training").glob("*/*/v1/checkpoint"))
    assert len(checkpoints) == 1 and (checkpoints[0] / "config.json").is_file()
    client = MlflowClient(f"sqlite:///{project_root / 'mlruns' / 'mlflow.db'}")
    runs = client.search_runs(
        [e.experiment_id for e in client.search_experiments()],
        filter_string="attributes.status = 'FINISHED'",
    )
    assert len(runs) == 1
    assert "test_macro_f1" in runs[0].data.metrics
    assert runs[0].data.params["backbone"] == "tiny"


def test_train_again_reuses_the_finished_run_of_the_same_identity(project_root: Path):
    app = make_app()
    CliRunner().invoke(app, ["--root", str(project_root), "train"])

    again = CliRunner().invoke(app, ["--root", str(project_root), "train"])

    assert again.exit_code == 0, again.output
    assert "already trained this configuration" in again.output
