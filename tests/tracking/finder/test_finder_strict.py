"""find_mlflow_run: strict lookups fail loudly, non-strict ones report; the experiment must exist."""

from __future__ import annotations

import pytest
from finder_helpers import experiment_name_of, training_context

from resume_ner.tracking.errors import RunNotFoundError
from resume_ner.tracking.finder import find_mlflow_run
from resume_ner.tracking.types import RunLookupReport


def test_a_strict_lookup_that_finds_nothing_raises_with_the_report(tracking, make_run):
    make_run(training_context(exec_fp="c" * 64))

    with pytest.raises(RunNotFoundError) as raised:
        find_mlflow_run(
            tracking.reader,
            experiment_name_of(tracking),
            registry=tracking.registry,
            context=training_context(),
            run_id="f" * 32,
            index=tracking.index,
            strict=True,
        )

    report = raised.value.report
    assert isinstance(report, RunLookupReport)
    assert not report.found
    assert report.strategies_attempted == ["direct_run_id", "local_index", "tag_run_key_hash"]
    message = str(raised.value)
    assert "direct_run_id, local_index, tag_run_key_hash" in message
    assert "f" * 32 in message  # the recorded error is part of the message


def test_a_strict_lookup_never_tries_the_fallbacks(tracking, make_run):
    make_run(training_context(exec_fp="c" * 64), run_name="named")

    with pytest.raises(RunNotFoundError) as raised:
        find_mlflow_run(
            tracking.reader,
            experiment_name_of(tracking),
            registry=tracking.registry,
            context=training_context(run_name="named"),
            strict=True,
        )

    assert raised.value.report.strategies_attempted == ["tag_run_key_hash"]


def test_strict_none_takes_the_strict_default(tracking, make_run):
    make_run(training_context(exec_fp="c" * 64))
    lookup = {
        "registry": tracking.registry,
        "context": training_context(),
        "strict": None,
    }

    with pytest.raises(RunNotFoundError):
        find_mlflow_run(tracking.reader, experiment_name_of(tracking), **lookup)
    report = find_mlflow_run(
        tracking.reader, experiment_name_of(tracking), strict_default=False, **lookup
    )

    assert report.found and report.strategy_used == "tag_context"


def test_the_strict_default_is_on(tracking):
    with pytest.raises(RunNotFoundError):
        find_mlflow_run(
            tracking.reader,
            experiment_name_of(tracking),
            registry=tracking.registry,
            context=training_context(),
        )


def test_an_explicit_strict_false_overrides_a_strict_default(tracking):
    tracking.experiment_id_for("final_training")

    report = find_mlflow_run(
        tracking.reader,
        experiment_name_of(tracking),
        registry=tracking.registry,
        context=training_context(),
        strict=False,
        strict_default=True,
    )

    assert report == RunLookupReport(
        found=False,
        strategies_attempted=["tag_run_key_hash", "tag_context", "most_recent"],
    )


def test_a_non_strict_lookup_in_a_missing_experiment_reports_not_found(tracking):
    report = find_mlflow_run(
        tracking.reader,
        "no-such-experiment",
        registry=tracking.registry,
        context=training_context(),
        strict=False,
    )

    assert not report.found
    assert report.strategies_attempted == []
    assert report.errors == ["experiment 'no-such-experiment' does not exist or is deleted"]


def test_a_strict_lookup_in_a_missing_experiment_raises(tracking):
    with pytest.raises(RunNotFoundError, match="no-such-experiment"):
        find_mlflow_run(
            tracking.reader,
            "no-such-experiment",
            registry=tracking.registry,
            run_id="f" * 32,
            strict=True,
        )


def test_a_deleted_experiment_counts_as_missing(tracking, make_run):
    run = make_run(training_context())
    tracking.client.delete_experiment(run.info.experiment_id)

    report = find_mlflow_run(
        tracking.reader,
        experiment_name_of(tracking),
        registry=tracking.registry,
        run_id=run.info.run_id,
        strict=False,
    )

    assert not report.found
    assert report.errors == [
        f"experiment {experiment_name_of(tracking)!r} does not exist or is deleted"
    ]


def test_a_strict_lookup_with_nothing_to_search_by_says_so(tracking):
    tracking.experiment_id_for("final_training")

    with pytest.raises(RunNotFoundError, match="give run_id, output_dir, run_key_hash or context"):
        find_mlflow_run(
            tracking.reader, experiment_name_of(tracking), registry=tracking.registry, strict=True
        )
