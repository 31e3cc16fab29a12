"""The tracking and naming layers import without torch or transformers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from torch_blocker import BLOCK_TORCH_PREAMBLE

BLOCK_AND_IMPORT = BLOCK_TORCH_PREAMBLE + textwrap.dedent(
    """
    import importlib, pkgutil
    import resume_ner.tracking, resume_ner.naming, resume_ner.config
    modules = []
    for package in (resume_ner.tracking, resume_ner.naming, resume_ner.config):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
            modules.append(info.name)
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"torch", "transformers"})
    print(len(modules), heavy)
    assert not heavy, heavy
    """
)


def test_every_tracking_and_naming_module_imports_without_torch_or_transformers():
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_AND_IMPORT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    count = int(result.stdout.split()[0])
    assert count >= 15, "the walk must have imported the layer's modules"


def test_importing_the_packages_loads_neither_mlflow_nor_torch():
    code = "import sys, resume_ner.tracking, resume_ner.naming; print(sorted(m for m in ('mlflow','torch','transformers') if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_base_install_in_a_fresh_venv_has_no_torch_and_imports_the_tracking_layer(tmp_path: Path):
    """A real venv with only the base dependencies (no extras): the tracking layer works there."""
    project_root = Path(__file__).resolve().parents[1]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(project_root)],
        check=True,
        timeout=1500,
    )
    code = (
        "import importlib.util, sys\n"
        "assert importlib.util.find_spec('torch') is None, 'torch must not be installed by the base install'\n"
        "assert importlib.util.find_spec('transformers') is None\n"
        "import resume_ner.tracking.finder, resume_ner.tracking.stage_runs, resume_ner.naming.keys\n"
        "from resume_ner.tracking.trackers.sweep import MLflowSweepTracker\n"
        "assert 'torch' not in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"
