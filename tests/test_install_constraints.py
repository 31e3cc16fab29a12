"""The README's two commands install the exact versions the tests passed with: constraints.txt,
written from the development environment by scripts/freeze-constraints.sh, while pyproject.toml
keeps version ranges."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONSTRAINTS = REPO / "constraints.txt"


def _pins(text: str) -> dict[str, str]:
    lines = [line.strip() for line in text.splitlines()]
    return dict(line.split("==", 1) for line in lines if line and not line.startswith("#"))


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/usr/bin/env bash\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


@pytest.fixture
def recorded_clone(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A copy of the scripts and constraints.txt, and a PATH whose ``python3 -m venv`` makes a
    ``.venv`` of stubs that record their command lines in ``calls.log`` (nothing is installed,
    no package manager runs)."""
    clone = tmp_path / "clone"
    shutil.copytree(REPO / "scripts", clone / "scripts")
    shutil.copy(CONSTRAINTS, clone / "constraints.txt")
    log = tmp_path / "calls.log"
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    record = f'echo "$(basename "$0") $*" >> {shlex.quote(str(log))}'
    make_venv = (
        f"{record}\n"
        'venv="${@: -1}"; mkdir -p "$venv/bin"\n'
        "for tool in pip python ruff resume-ner; do\n"
        f"  printf '#!/usr/bin/env bash\\n%s\\n' {shlex.quote(record)} > \"$venv/bin/$tool\"\n"
        '  chmod +x "$venv/bin/$tool"\n'
        "done"
    )
    _stub(stubs, "python3", make_venv)
    for tool in ("apt-get", "sudo"):
        _stub(stubs, tool, record)
    env = {**os.environ, "PATH": f"{stubs}{os.pathsep}{os.environ.get('PATH', '')}"}
    return clone, log, env


def _project_installs(log: Path) -> list[list[str]]:
    calls = [shlex.split(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return [call for call in calls if call[:2] == ["pip", "install"] and "-e" in call]


@pytest.mark.parametrize("script", ["run.sh", "test.sh"])
def test_the_readme_scripts_install_the_project_with_the_constraints_file(recorded_clone, script):
    clone, log, env = recorded_clone

    done = subprocess.run(
        ["bash", str(clone / "scripts" / script)], env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    installs = _project_installs(log)
    assert installs, log.read_text(encoding="utf-8")
    for call in installs:
        assert call[call.index("-c") + 1] == "constraints.txt"
    assert (clone / "constraints.txt").is_file()  # the scripts run from the clone's root


def test_constraints_hold_exactly_what_the_development_environment_has(tmp_path):
    """Fails when a package was installed or upgraded without writing constraints.txt again
    (bash scripts/freeze-constraints.sh)."""
    venv_python = REPO / ".venv" / "bin" / "python"
    if Path(sys.prefix).resolve() != (REPO / ".venv").resolve() or not venv_python.exists():
        pytest.skip("the tests do not run in the repository's .venv")
    fresh = tmp_path / "constraints.txt"

    subprocess.run(
        ["bash", str(REPO / "scripts" / "freeze-constraints.sh"), str(fresh)],
        check=True,
        capture_output=True,
    )

    assert _pins(fresh.read_text(encoding="utf-8")) == _pins(CONSTRAINTS.read_text("utf-8"))


def test_constraints_pin_every_dependency_but_not_the_project_itself():
    pins = {name.lower() for name in _pins(CONSTRAINTS.read_text(encoding="utf-8"))}
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    assert "resume-ner" not in pins
    for requirement in project["dependencies"]:
        name = requirement.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip()
        assert name.lower() in pins, name


def test_pyproject_keeps_ranges_for_library_users():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    assert not [req for req in project["dependencies"] if "==" in req]
