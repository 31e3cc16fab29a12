"""MLflow filter strings: quoting that MLflow's own parser reads back exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mlflow.utils.search_utils import SearchUtils

from resume_ner.tracking.filters import (
    UnquotableValueError,
    and_filters,
    attribute_equals,
    quote_value,
    tag_equals,
)
from resume_ner.tracking.queries import query_runs_by_tags

# Tag keys and values as MLflow stores them: no control characters.
text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
quotable = text.filter(lambda v: "'" not in v or '"' not in v)
keys = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs")), min_size=1, max_size=30
).filter(lambda k: "`" not in k or '"' not in k)


@given(key=keys, value=quotable)
def test_mlflow_parses_tag_equals_back_to_the_same_key_and_value(key, value):
    (clause,) = SearchUtils.parse_search_filter(tag_equals(key, value))

    assert clause == {"type": "tag", "key": key, "comparator": "=", "value": value}


def test_a_value_with_a_quote_finds_exactly_its_run(project):
    client = project.client
    experiment = project.experiment()
    wanted = client.create_run(experiment, tags={"code.model": "o'brien-bert"}).info.run_id
    client.create_run(experiment, tags={"code.model": "o"})
    client.create_run(experiment, tags={"code.model": "o'brien-bert' OR 'x'='x"})

    runs = client.search_runs([experiment], tag_equals("code.model", "o'brien-bert"))

    assert [run.info.run_id for run in runs] == [wanted]


def test_a_value_with_both_quote_kinds_cannot_be_an_equality():
    with pytest.raises(UnquotableValueError):
        quote_value("""it's "quoted\"""")


def test_query_by_tags_matches_a_value_with_both_quote_kinds_exactly(project):
    client = project.client
    experiment = project.experiment()
    value = """it's "quoted" \\ 100%"""
    wanted = client.create_run(experiment, tags={"note": value}).info.run_id
    client.create_run(experiment, tags={"note": """it_s _quoted_ _ 100%"""})
    client.create_run(experiment, tags={"note": """it"s 'quoted' \\ 100%"""})

    runs = query_runs_by_tags(client, [experiment], {"note": value}, status=None)

    assert [run.info.run_id for run in runs] == [wanted]


def test_and_filters_joins_the_non_empty_clauses():
    assert and_filters(
        "", tag_equals("a", "1"), None, "  ", attribute_equals("status", "RUNNING")
    ) == ("tags.`a` = '1' AND attributes.status = 'RUNNING'")
    assert and_filters() == ""


def test_attribute_names_are_checked():
    with pytest.raises(ValueError, match="attribute name"):
        attribute_equals("status = 'x' OR 1", "FINISHED")
