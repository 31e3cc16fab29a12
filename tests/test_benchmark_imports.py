"""The benchmarks import only what the package still defines.

Benchmarks import inside their functions and run by hand, so a renamed or deleted definition
would otherwise only show when someone next measures.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).parents[1] / "benchmarks").glob("bench_*.py"))


def imported_names(path: Path) -> list[tuple[int, str, str | None]]:
    """``(line, module, name)`` of every import of ``resume_ner`` in ``path`` (``name`` is
    ``None`` for ``import resume_ner.x``)."""
    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("resume_ner"):
            found += [(node.lineno, node.module or "", alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name, None) for a in node.names if a.name.startswith("resume_ner")
            ]
    return found


def resolves(module: str, name: str | None) -> bool:
    imported = importlib.import_module(module)
    if name is None or hasattr(imported, name):
        return True
    try:
        importlib.import_module(f"{module}.{name}")
    except ImportError:
        return False
    return True


def test_there_are_benchmarks_to_check():
    assert len(BENCHMARKS) >= 5


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_every_name_a_benchmark_imports_exists(path: Path):
    missing = [
        f"{path.name}:{line} {module}.{name}"
        for line, module, name in imported_names(path)
        if not resolves(module, name)
    ]
    assert missing == []


def test_the_check_finds_a_name_that_is_gone(tmp_path: Path):
    bench = tmp_path / "bench_gone.py"
    bench.write_text("def f():\n    from resume_ner.naming.tags import load_tags_registry\n")
    assert [n for _, m, n in imported_names(bench) if not resolves(m, n)] == ["load_tags_registry"]
