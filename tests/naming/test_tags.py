"""The tag registry, tag building and secret redaction."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import resume_ner
from resume_ner.config.tags import load_tags_config
from resume_ner.naming.context import NamingContext
from resume_ner.naming.errors import TagKeyError
from resume_ner.naming.secrets import is_secret_name
from resume_ner.naming.tags import TagsRegistry, build_mlflow_tags, redact_secrets


@pytest.fixture
def registry():
    return TagsRegistry(load_tags_config())


def test_registry_gives_keys_by_section_and_name(registry):
    assert registry.key("process", "stage") == "code.stage"
    assert registry["mlflow.parent_run_id"] == "mlflow.parentRunId"
    assert registry["azureml.run_type"] == "azureml.runType"


def test_unknown_tag_name_raises_tag_key_error(registry):
    with pytest.raises(TagKeyError, match="not in the tag registry"):
        registry.key("process", "nope")
    with pytest.raises(TagKeyError):
        registry["nosuch.section"]


def test_built_tags_use_only_registry_keys(registry):
    context = NamingContext(
        "hpo_refit",
        "tiny",
        study_key_hash="a" * 64,
        trial_key_hash="b" * 64,
        refit_protocol_fp="c" * 64,
    )
    tags = build_mlflow_tags(
        registry, context, project_name="resume-ner", run_key="k", run_key_hash="h"
    )
    known = {key for _, key in registry.all_keys()}
    assert set(tags) <= known
    assert tags["code.stage"] == "hpo_refit"
    assert tags["code.run_type"] == "refit"
    assert tags["code.grouping_schema_version"] == "1"


def test_extra_tags_are_named_through_the_registry_and_secrets_are_dropped(registry):
    tags = build_mlflow_tags(registry, None, project_name="p", extra={"lineage.source": "hpo"})
    assert tags["code.lineage.source"] == "hpo"
    with pytest.raises(TagKeyError):
        build_mlflow_tags(registry, None, project_name="p", extra={"lineage.unknown": "x"})


def test_long_values_are_cut_to_the_configured_length(registry):
    tags = build_mlflow_tags(registry, None, project_name="p" * 400, max_length=100)
    assert len(tags["code.project"]) == 100
    assert tags["code.project"].endswith("...")


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "db_password",
        "API_KEY",
        "api-key",
        "hf_token",
        "client.secret",
        "key",
        "aws_secret_key",
        "private-key",
    ],
)
def test_secret_like_names_are_recognised(name):
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "learning_rate",
        "run_key_hash",
        "run_key",
        "code.run_key",
        "study_key",
        "monkey_business",
        "tokenizer",
        "keyword",
    ],
)
def test_ordinary_names_are_not_secrets(name):
    assert not is_secret_name(name)


def test_redact_secrets_drops_nested_secrets():
    assert redact_secrets({"lr": 1, "db": {"password": "x", "host": "h"}, "token": "t"}) == {
        "lr": 1,
        "db": {"host": "h"},
    }


def test_built_tags_name_the_user_the_caller_gives_and_no_other(registry):
    tags = build_mlflow_tags(registry, None, project_name="p", created_by="ana")
    assert tags["code.created_by"] == "ana"
    assert "code.created_by" not in build_mlflow_tags(registry, None, project_name="p")


def test_runs_record_the_login_name_of_the_environment_the_session_was_opened_with(project):
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.stage_runs import start_stage_run

    environ = {"LOGNAME": "", "USER": "ana-from-the-command"}
    with TrackingContext.open(
        project.paths, project.project, tracking_uri=project.tracking_uri, environ=environ
    ) as tracking:
        run = start_stage_run(tracking, NamingContext("hpo_sweep", "tiny", study_key_hash="a" * 64))

    tags = project.client.get_run(run.run_id).data.tags
    assert tags[project.registry.key("process", "created_by")] == "ana-from-the-command"


def test_no_library_module_asks_the_process_for_its_user():
    """The login name comes from the command's environment through the tracking session."""
    source = Path(resume_ner.__file__).parent
    found = []
    for path in sorted(source.rglob("*.py")):
        if path.relative_to(source).parts[0] == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if "getpass" in names:
                found.append(f"{path.relative_to(source)}:{node.lineno}")
    assert found == []
