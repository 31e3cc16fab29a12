"""The one list of tag names the code needs matches what the code asks the registry for."""

from __future__ import annotations

import ast
import re
from dataclasses import fields
from pathlib import Path

import yaml

import resume_ner
from resume_ner.config.loader import CONFIG_FILES, default_config_dir
from resume_ner.config.tags import REQUIRED_TAG_KEYS

SOURCE = Path(resume_ner.__file__).parent
SHIPPED = yaml.safe_load((default_config_dir() / "tags.yaml").read_text())
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Dotted strings that look like ``section.name`` but are no tag names.
NOT_TAG_NAMES = {"mlflow.alembic", "mlflow.pyfunc"}


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _names_used_in(tree: ast.AST) -> set[str]:
    """``registry.key("s", "n")``, ``key("s", "n")``, ``("s", "n")`` pairs and ``"s.n"``
    strings whose section is a registry section."""
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called == "key" and len(node.args) == 2 and all(map(_is_str, node.args)):
                used.add(f"{node.args[0].value}.{node.args[1].value}")
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and all(map(_is_str, node.elts)):
            if node.elts[0].value in SHIPPED:
                used.add(f"{node.elts[0].value}.{node.elts[1].value}")
        elif _is_str(node):
            section, dot, name = node.value.partition(".")
            if dot and section in SHIPPED and _NAME.match(name):
                used.add(node.value)
    return (
        used
        - NOT_TAG_NAMES
        - {f"{s}.{ext}" for s in SHIPPED for ext in ("yaml", "json", "md", "db")}
    )


def test_every_tag_name_the_code_asks_for_is_in_the_required_list():
    used: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        used |= _names_used_in(ast.parse(path.read_text(encoding="utf-8")))
    # Lineage tags are named from the dataclass's fields (``lineage.<field>``).
    from resume_ner.tracking.lineage import Lineage

    used |= {f"lineage.{field.name}" for field in fields(Lineage)}

    assert sorted(used - REQUIRED_TAG_KEYS) == []


def test_every_required_tag_name_is_in_the_shipped_registry():
    shipped = {f"{section}.{name}" for section, names in SHIPPED.items() for name in names}
    assert sorted(REQUIRED_TAG_KEYS - shipped) == []


def test_the_scan_finds_each_way_code_names_a_tag():
    code = 'r.key("process", "stage")\nkey("hpo", "fold_idx")\nx = {("study", "name"): 1}\nr["paths.output_dir"]'
    assert _names_used_in(ast.parse(code)) == {
        "process.stage",
        "hpo.fold_idx",
        "study.name",
        "paths.output_dir",
    }


def test_the_project_config_loads_every_configuration_file():
    from resume_ner.config.project import LOADERS

    assert tuple(sorted(LOADERS)) == CONFIG_FILES
    assert tuple(sorted(p.name for p in default_config_dir().glob("*.yaml"))) == CONFIG_FILES
