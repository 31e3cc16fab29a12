"""``hpo --plan`` and ``pipeline --plan`` on a new PostgreSQL study storage (no tables yet)."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from hpo_helpers import cli_command, write_config_dir
from sqlalchemy import create_engine, inspect

from postgres_server import PostgresServer

pytestmark = pytest.mark.postgres

PLAN_TIMEOUT_S = 300


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", ["hpo", "pipeline"])
def test_plan_on_a_new_postgres_study_storage_says_no_study_exists_yet(
    tmp_path, postgres: PostgresServer, command: str
):
    storage = postgres.create_database("optuna")
    try:
        config_dir = write_config_dir(tmp_path / "config", hpo={"storage": storage})
        root = tmp_path / "project"
        root.mkdir()
        result = subprocess.run(
            cli_command("--root", str(root), "--config-dir", str(config_dir), command, "--plan"),
            capture_output=True,
            text=True,
            timeout=PLAN_TIMEOUT_S,
            env={**os.environ, "COLUMNS": "240"},
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-3000:]
        # Nothing exists yet: the sweep, its four trials and every later run are to be created.
        assert "no sweep run carries this study's run key" in output, output[-3000:]
        assert ("study is new" if command == "hpo" else "4 trials to run") in output
        assert not re.search(r"│ (reuse|resume|join)\b", output)
        assert "nothing was run or created" in output
        assert _tables(storage) == []
    finally:
        postgres.drop_database(storage)
