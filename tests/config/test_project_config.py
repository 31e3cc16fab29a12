"""Configuration is parsed once, at the command line, into one ProjectConfig passed down."""

from __future__ import annotations

import ast
import builtins
import pickle
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

import resume_ner
from resume_ner.config.errors import ConfigError
from resume_ner.config.loader import CONFIG_FILES, write_default_configs
from resume_ner.config.project import LOADERS, ProjectConfig

sys.path.insert(0, str(Path(__file__).parents[1] / "hpo"))

from hpo_helpers import write_config_dir

SRC = Path(resume_ner.__file__).parent
#: Where configuration may be read: the loaders, and the command line that calls them.
CONFIG_EDGE = ("config", "cli")
_LOADER_NAME = re.compile(r"^load_[a-z_]*config$")


def test_a_good_folder_gives_every_section(tmp_path: Path):
    write_default_configs(tmp_path)
    (tmp_path / "train.yaml").write_text("epochs: 3\n", encoding="utf-8")

    project = ProjectConfig.load(tmp_path)

    assert project.config_dir == tmp_path
    assert project.train.epochs == 3
    for file_name, load in LOADERS.items():
        assert getattr(project, Path(file_name).stem) == load(tmp_path)
    assert tuple(sorted(LOADERS)) == CONFIG_FILES


def test_a_bad_file_raises_a_config_error_naming_the_file_and_the_key(tmp_path: Path):
    (tmp_path / "serve.yaml").write_text("limits:\n  max_text_chars: lots\n", encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        ProjectConfig.load(tmp_path)

    assert error.value.file == tmp_path / "serve.yaml"
    assert error.value.key == "limits.max_text_chars"


def test_it_round_trips_through_pickle(tmp_path: Path):
    project = ProjectConfig.load(write_config_dir(tmp_path / "config"))

    assert pickle.loads(pickle.dumps(project)) == project


def test_a_section_is_read_on_first_use_and_check_reads_the_named_ones(tmp_path: Path):
    (tmp_path / "hpo.yaml").write_text("n_trials: many\n", encoding="utf-8")
    (tmp_path / "train.yaml").write_text("epochs: 3\n", encoding="utf-8")

    project = ProjectConfig.open(tmp_path)
    project.check("mlflow", "train")

    assert project.train.epochs == 3
    with pytest.raises(ConfigError) as error:
        project.check()
    assert error.value.file == tmp_path / "hpo.yaml"
    with pytest.raises(ConfigError):
        ProjectConfig.load(tmp_path)


def test_opening_a_folder_with_a_misnamed_file_fails_before_any_section_is_read(tmp_path: Path):
    (tmp_path / "mlfow.yaml").write_text("tracking_uri: http://127.0.0.1:5000\n", encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        ProjectConfig.open(tmp_path)

    assert "mlflow.yaml" in str(error.value)


def test_replace_gives_a_copy_with_other_sections(tmp_path: Path):
    project = ProjectConfig.load(write_config_dir(tmp_path / "config"))
    other_train = project.train.model_copy(update={"epochs": 7})

    copy = project.replace(train=other_train)

    assert copy.train.epochs == 7
    assert copy.hpo == project.hpo
    assert project.train.epochs != 7
    with pytest.raises(TypeError):
        project.replace(trian=other_train)


@pytest.fixture
def read_counts(monkeypatch: pytest.MonkeyPatch) -> Counter[Path]:
    """Every opening of a file, counted by resolved path (the files are really read)."""
    counts: Counter[Path] = Counter()
    path_open, real_open = Path.open, builtins.open

    def counting_path_open(self: Path, *args, **kwargs):
        counts[self.resolve()] += 1
        return path_open(self, *args, **kwargs)

    def counting_open(file, *args, **kwargs):
        if isinstance(file, str | Path):
            counts[Path(file).resolve()] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_path_open)
    monkeypatch.setattr(builtins, "open", counting_open)
    return counts


@pytest.mark.parametrize("command", [["pipeline", "--plan"], ["hpo", "--plan"]])
def test_a_command_reads_each_configuration_file_once(
    tmp_path: Path, command: list[str], read_counts: Counter[Path]
):
    from resume_ner.cli.app import run

    config_dir = tmp_path / "config"
    write_default_configs(config_dir)
    write_config_dir(config_dir)
    read_counts.clear()

    assert run(["--root", str(tmp_path), *command]) == 0

    folder = config_dir.resolve()
    reads = {path.name: count for path, count in read_counts.items() if path.parent == folder}
    assert set(reads) == set(CONFIG_FILES)
    assert all(count == 1 for count in reads.values()), reads


def _outside_the_edge() -> list[tuple[Path, ast.Module]]:
    modules = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[0] not in CONFIG_EDGE:
            modules.append((path, ast.parse(path.read_text(encoding="utf-8"))))
    return modules


def test_no_library_function_takes_a_config_folder():
    offenders = []
    for path, tree in _outside_the_edge():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args
                names = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
                names += [a.arg for a in arguments.kwonlyargs]
                if "config_dir" in names:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}")
    assert offenders == []


def test_no_library_module_loads_a_configuration_file():
    offenders = []
    for path, tree in _outside_the_edge():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if _LOADER_NAME.match(name):
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {name}")
    assert offenders == []
