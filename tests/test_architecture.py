"""The shape of the code: layers import only downwards, every error has one root, broad catches are
rare and explained, no module only forwards names, and nothing is defined that nothing uses."""

from __future__ import annotations

import ast
import builtins
import importlib
from collections.abc import Iterator
from pathlib import Path

import resume_ner
from resume_ner.errors import ResumeNerError

SRC = Path(resume_ner.__file__).parent

#: Each subpackage's layer: a module may import from its own layer and the layers below it.
LAYERS = {
    "errors": 0,
    "config": 1,
    "naming": 2,
    "tracking": 3,
    "data": 3,
    "training": 4,
    "selection": 4,
    "serve": 4,
    "hpo": 5,
    "conversion": 5,
    "evaluation": 5,
    "benchmark": 6,
    "pipeline": 7,
    "cli": 8,
    "__main__": 8,
}

#: Definitions nothing in ``src`` uses that stay on purpose, each with its reason. Extend it
#: with care: a name belongs here only when a caller outside ``src`` is its reason to exist.
ALLOWED_UNUSED = {
    # Entry points of the public API (README, "Python entry points").
    "predict_documents": "public API: a checkpoint's entities for documents (PyTorch)",
    "export_onnx": "public API: a checkpoint folder exported to ONNX",
    "find_run_by_trial_id": "public API: the run of an Optuna trial, FINISHED first",
}

#: Decorators that register a function with a framework, which then calls it.
_REGISTERING_DECORATORS = {"field_validator", "model_validator", "command", "callback"}

MAX_BROAD_CATCHES = 5


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _layer_of(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def _imported_modules(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every ``resume_ner`` module imported anywhere in ``tree``: at the top, inside functions
    (lazy imports) and under ``TYPE_CHECKING``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def test_every_subpackage_has_a_layer():
    packages = {_layer_of(path) for path, _ in _modules()} - {"__init__"}
    assert packages == set(LAYERS)


def test_layers_import_only_from_their_own_layer_or_below():
    upward = []
    for path, tree in _modules():
        source = _layer_of(path)
        if source == "__init__":
            continue
        for line, module in _imported_modules(tree):
            parts = module.split(".")
            if parts[0] != "resume_ner" or len(parts) < 2:
                continue
            if LAYERS[parts[1]] > LAYERS[source]:
                upward.append(f"{path.relative_to(SRC)}:{line} imports {module}")
    assert upward == []


def test_the_layer_test_sees_lazy_imports_inside_functions():
    code = "def f():\n    from resume_ner.cli.app import run\n"
    assert list(_imported_modules(ast.parse(code))) == [(2, "resume_ner.cli.app")]


def _exception_classes() -> Iterator[type]:
    builtin_errors = {name for name, value in vars(builtins).items() if isinstance(value, type)} & {
        name for name in dir(builtins) if name.endswith(("Error", "Exception"))
    }
    for path, tree in _modules():
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {ast.unparse(base).split(".")[-1] for base in node.bases}
            if bases & builtin_errors or any(b.endswith(("Error", "Exception")) for b in bases):
                module = ".".join(("resume_ner", *path.relative_to(SRC).with_suffix("").parts))
                yield getattr(importlib.import_module(module), node.name)


def test_every_exception_type_derives_from_resume_ner_error():
    classes = list(_exception_classes())
    assert len(classes) > 30
    assert [c.__qualname__ for c in classes if not issubclass(c, ResumeNerError)] == []


def test_broad_catches_are_few_and_each_says_why():
    catches = []
    for path, _ in _modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if "except Exception" in line:
                explained = "#" in line or lines[number + 1].strip().startswith("#")
                catches.append((f"{path.relative_to(SRC)}:{number + 1}", explained))
    assert len(catches) <= MAX_BROAD_CATCHES, catches
    assert [where for where, explained in catches if not explained] == []


def test_no_module_only_forwards_names_of_another():
    """A module whose whole body is imports (a re-export layer) must not exist."""
    forwarding = []
    for path, tree in _modules():
        body = [
            node
            for node in tree.body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        ]
        imports = [node for node in body if isinstance(node, (ast.Import, ast.ImportFrom))]
        if body and len(imports) == len(body) and path.name != "__main__.py":
            forwarding.append(str(path.relative_to(SRC)))
    assert forwarding == []


def _registered(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in _REGISTERING_DECORATORS:
            return True
    return False


def _definitions(tree: ast.Module) -> Iterator[tuple[str, int]]:
    """Module-level functions and classes, and private methods (public methods are part of
    their class's interface)."""
    for node in tree.body:
        if isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ) and not _registered(node):
            yield node.name, node.lineno
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (
                    isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and item.name.startswith("_")
                    and not item.name.startswith("__")
                    and not _registered(item)
                ):
                    yield item.name, item.lineno


def _references(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr


def test_nothing_is_defined_that_nothing_in_src_uses():
    defined: dict[str, list[str]] = {}
    used: set[str] = set()
    for path, tree in _modules():
        for name, line in _definitions(tree):
            defined.setdefault(name, []).append(f"{path.relative_to(SRC)}:{line}")
        used.update(_references(tree))
    unused = {
        name: where for name, where in defined.items() if name not in used | set(ALLOWED_UNUSED)
    }
    assert unused == {}


def test_allowed_unused_names_are_still_defined_and_still_unused():
    defined, used = set(), set()
    for _, tree in _modules():
        defined.update(name for name, _ in _definitions(tree))
        used.update(_references(tree))
    stale = sorted(name for name in ALLOWED_UNUSED if name not in defined or name in used)
    assert stale == [], "remove these from ALLOWED_UNUSED"


def test_the_unused_check_finds_an_uncalled_function():
    tree = ast.parse("def used():\n    pass\n\ndef unused():\n    used()\n")
    names = {name for name, _ in _definitions(tree)}
    assert names - set(_references(tree)) == {"unused"}


# --- process state: the tracking session holds it, nothing else ---------------------------------

#: The only layer that changes the process environment: the command line (its entry point).
ENVIRONMENT_OWNER = "cli"

#: Caches that stay for now, each with its reason.

_ENVIRON_WRITERS = {"setdefault", "pop", "popitem", "update", "clear", "__setitem__", "__delitem__"}
_ENVIRONMENT_CALLS = {"os.putenv", "os.unsetenv", "mlflow.set_tracking_uri"}


def _dotted(node: ast.AST) -> str:
    """``os.environ`` for the expression ``os.environ``, ``""`` for anything not a plain name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _is_environ(node: ast.AST) -> bool:
    return _dotted(node) in ("os.environ", "environ")


def environment_changes(tree: ast.AST) -> Iterator[int]:
    """Lines that change the process environment: writes to ``os.environ``, ``os.putenv``,
    ``os.unsetenv`` and ``mlflow.set_tracking_uri`` (which exports ``MLFLOW_TRACKING_URI``)."""
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        if any(isinstance(t, ast.Subscript) and _is_environ(t.value) for t in targets):
            yield node.lineno
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        writes_environ = _is_environ(node.func.value) and node.func.attr in _ENVIRON_WRITERS
        if writes_environ or _dotted(node.func) in _ENVIRONMENT_CALLS:
            yield node.lineno


_ENVIRONMENT_READS = {"environ", "environb", "getenv", "getenvb"}


def environment_reads(tree: ast.AST) -> Iterator[int]:
    """Lines that use the process environment itself: ``os.environ``, ``os.getenv`` (and their
    bytes forms), also when imported by name from ``os``. A parameter named ``environ`` is not."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(alias.name in _ENVIRONMENT_READS for alias in node.names):
                yield node.lineno
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in _ENVIRONMENT_READS
            and _dotted(node.value) == "os"
        ):
            yield node.lineno


def caches(tree: ast.AST) -> Iterator[int]:
    """Lines that import or use ``functools.lru_cache`` or ``functools.cache``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "functools":
            if any(alias.name in ("lru_cache", "cache") for alias in node.names):
                yield node.lineno
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in ("lru_cache", "cache")
            and _dotted(node.value) == "functools"
        ):
            yield node.lineno


def exit_hooks(tree: ast.AST) -> Iterator[int]:
    """Lines that import or use ``atexit``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module]
        else:
            continue
        if "atexit" in names:
            yield node.lineno


def test_no_module_keeps_state_in_a_global_statement():
    found = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Global)
    ]
    assert found == []


def test_no_function_result_is_cached_for_the_whole_process():
    found = [
        f"{path.relative_to(SRC)}:{line}" for path, tree in _modules() for line in caches(tree)
    ]
    assert found == []


def test_nothing_runs_at_interpreter_exit():
    found = [
        f"{path.relative_to(SRC)}:{line}" for path, tree in _modules() for line in exit_hooks(tree)
    ]
    assert found == []


def test_only_the_command_line_changes_the_process_environment():
    found = [
        f"{path.relative_to(SRC)}:{line}"
        for path, tree in _modules()
        if _layer_of(path) != ENVIRONMENT_OWNER
        for line in environment_changes(tree)
    ]
    assert found == []


def test_only_the_command_line_reads_the_process_environment():
    """The entry point reads the environment once and hands it down (``CliState.environ``)."""
    found = [
        f"{path.relative_to(SRC)}:{line}"
        for path, tree in _modules()
        if _layer_of(path) != ENVIRONMENT_OWNER
        for line in environment_reads(tree)
    ]
    assert found == []


def test_the_environment_read_check_sees_each_pattern():
    code = (
        "import os\n"
        "from os import getenv\n"
        "def f(environ):\n"
        "    environ.get('A')\n"
        "    os.environ.get('B')\n"
        "    os.getenv('C')\n"
        "    x = os.environ\n"
        "    os.environb[b'D']\n"
        "    os.getpid()\n"
    )
    assert sorted(set(environment_reads(ast.parse(code)))) == [2, 5, 6, 7, 8]


def test_the_process_state_checks_see_each_pattern():
    code = (
        "import atexit\n"
        "import functools\n"
        "from functools import lru_cache\n"
        "def f():\n"
        "    global X\n"
        "    os.environ['A'] = '1'\n"
        "    os.environ.setdefault('B', '2')\n"
        "    os.environ.pop('C', None)\n"
        "    os.environ.update(D='4')\n"
        "    del os.environ['E']\n"
        "    os.putenv('F', '6')\n"
        "    mlflow.set_tracking_uri('sqlite:///x.db')\n"
        "    os.environ.get('G')\n"
        "@functools.cache\n"
        "def g():\n"
        "    pass\n"
    )
    tree = ast.parse(code)
    assert [type(n).__name__ for n in ast.walk(tree) if isinstance(n, ast.Global)] == ["Global"]
    assert sorted(set(environment_changes(tree))) == [6, 7, 8, 9, 10, 11, 12]
    assert sorted(set(caches(tree))) == [3, 14]
    assert list(exit_hooks(tree)) == [1]
