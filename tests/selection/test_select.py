"""``find_best_model_from_mlflow`` on sweeps and benchmarks the trackers built in a real store."""

from __future__ import annotations

import pytest
from selection_helpers import LATENCY_METRIC, OTHER_FAMILY, hyperparameters

from resume_ner.config.selection import SelectionConfig
from resume_ner.errors import InputError
from resume_ner.naming.canonical import sha256_hex
from resume_ner.selection.errors import SelectionError
from resume_ner.selection.select import find_best_model_from_mlflow
from resume_ner.tracking.trackers.sweep import build_trial_context

DEFAULT = SelectionConfig()
F1_ONLY = SelectionConfig(latency_weight=0.0)


def _by_backbone(result):
    return {entry.candidate.backbone: entry for entry in result.ranking}


@pytest.mark.parametrize(
    ("slow_values", "fast_values"),
    [
        pytest.param([0.85, 0.85, 0.85], [0.85, 0.85, 0.85], id="equal"),
        pytest.param([0.86, 0.85, 0.85], [0.846, 0.844, 0.843], id="within-tolerance"),
    ],
)
def test_faster_backbone_wins_when_stable_f1_is_equal_or_within_tolerance(
    runs, store, family, slow_values, fast_values
):
    slow = runs.sweep("slowbert", slow_values)
    fast = runs.sweep("fastbert", fast_values)
    runs.benchmark(slow.refit_run_id, 40.0)
    runs.benchmark(fast.refit_run_id, 10.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert result.winner.candidate.backbone == "fastbert"
    assert result.winner.candidate.refit_run_id == fast.refit_run_id
    assert [entry.candidate.backbone for entry in result.included] == ["fastbert", "slowbert"]
    assert "count as tied on macro_f1" in result.explanation
    assert "the faster model wins" in result.explanation


def test_more_accurate_backbone_wins_when_the_f1_gap_exceeds_tolerance(runs, store, family):
    accurate = runs.sweep("bigbert", [0.90, 0.89, 0.90])
    quick = runs.sweep("fastbert", [0.80, 0.81, 0.80])
    runs.benchmark(accurate.refit_run_id, 40.0)
    runs.benchmark(quick.refit_run_id, 10.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert result.winner.candidate.backbone == "bigbert"
    scores = _by_backbone(result)
    assert scores["bigbert"].composite == pytest.approx(0.7)
    assert scores["fastbert"].composite == pytest.approx(0.3)
    assert "more than f1_tolerance 0.01" in result.explanation
    assert "outweighs fastbert's lower latency" in result.explanation


def test_heavy_latency_weight_lets_the_faster_model_win_despite_an_f1_gap(runs, store, family):
    accurate = runs.sweep("bigbert", [0.90, 0.89, 0.90])
    quick = runs.sweep("fastbert", [0.80, 0.81, 0.80])
    runs.benchmark(accurate.refit_run_id, 40.0)
    runs.benchmark(quick.refit_run_id, 10.0)

    config = SelectionConfig(f1_weight=0.3, latency_weight=0.7)
    result = find_best_model_from_mlflow(store, family, config)

    assert result.winner.candidate.backbone == "fastbert"
    assert "lets speed decide" in result.explanation


def test_sweep_with_too_few_trials_is_excluded_with_its_reason(runs, store, family):
    steady = runs.sweep("tiny", [0.80, 0.80, 0.79])
    lucky = runs.sweep("minilm", [0.99, 0.98])
    runs.benchmark(steady.refit_run_id, 20.0)
    runs.benchmark(lucky.refit_run_id, 5.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert result.winner.candidate.backbone == "tiny"
    excluded = _by_backbone(result)["minilm"]
    assert not excluded.included
    assert excluded.rank is None
    assert "only 2 finished trial(s) with macro_f1" in excluded.excluded_reason
    assert "min_trials_per_group is 3" in excluded.excluded_reason
    assert "only 2 finished trial(s)" in result.explanation


def test_stable_score_is_the_median_of_the_top_k_so_a_single_lucky_trial_does_not_win(
    runs, store, family
):
    lucky = runs.sweep("lucky", [0.95, 0.70, 0.70, 0.70])
    steady = runs.sweep("steady", [0.85, 0.84, 0.84])
    runs.benchmark(lucky.refit_run_id, 20.0)
    runs.benchmark(steady.refit_run_id, 20.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    scores = _by_backbone(result)
    assert scores["lucky"].stable_score == pytest.approx(0.70)
    assert scores["lucky"].candidate.best_trial.value == pytest.approx(0.95)
    assert scores["steady"].stable_score == pytest.approx(0.84)
    assert result.winner.candidate.backbone == "steady"


def test_failed_and_interrupted_trials_are_ignored(runs, store, family):
    sweep = runs.sweep("tiny", [0.80, 0.79, 0.78], failed=[0.99], interrupted=[0.98])
    runs.benchmark(sweep.refit_run_id, 20.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    winner = result.winner
    assert winner.n_trials == 3
    assert {t.run_id for t in winner.candidate.trials} == set(sweep.trial_run_ids)
    assert winner.stable_score == pytest.approx(0.79)
    assert winner.candidate.best_trial.run_id == sweep.best_trial_run_id


def test_too_few_trials_counts_only_finished_ones(runs, store, family):
    sweep = runs.sweep("tiny", [0.80, 0.79], failed=[0.99], interrupted=[0.98])
    runs.benchmark(sweep.refit_run_id, 20.0)

    with pytest.raises(SelectionError) as error:
        find_best_model_from_mlflow(store, family, DEFAULT)

    assert "only 2 finished trial(s)" in str(error.value)


def test_sweep_of_another_study_family_is_never_a_candidate(runs, store, family):
    ours = runs.sweep("tiny", [0.80, 0.80, 0.80])
    theirs = runs.sweep("minilm", [0.99, 0.99, 0.99], family=OTHER_FAMILY)
    runs.benchmark(ours.refit_run_id, 20.0)
    runs.benchmark(theirs.refit_run_id, 1.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert [entry.candidate.sweep_run_id for entry in result.ranking] == [ours.sweep_run_id]
    assert result.winner.candidate.backbone == "tiny"


def test_unfinished_sweep_is_not_a_candidate_and_is_noted(runs, store, family):
    done = runs.sweep("tiny", [0.80, 0.80, 0.80])
    running = runs.sweep("minilm", [0.99, 0.99, 0.99], status="RUNNING")
    runs.benchmark(done.refit_run_id, 20.0)
    runs.benchmark(running.refit_run_id, 1.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert [entry.candidate.backbone for entry in result.ranking] == ["tiny"]
    assert len(result.notes) == 1
    assert running.sweep_run_id in result.notes[0]
    assert "RUNNING, not FINISHED" in result.notes[0]


def test_family_without_a_finished_sweep_raises_selection_error(runs, store, family):
    runs.sweep("minilm", [0.80, 0.80, 0.80], status="FAILED")

    with pytest.raises(SelectionError) as error:
        find_best_model_from_mlflow(store, family, DEFAULT)

    message = str(error.value)
    assert f"no FINISHED sweep run of study family {family}" in message
    assert "FAILED, not FINISHED" in message
    assert "resume-ner hpo" in message


def test_no_benchmark_for_any_candidate_raises_an_input_error_saying_how_to_fix_it(
    runs, store, family
):
    tiny = runs.sweep("tiny", [0.80, 0.80, 0.80])
    minilm = runs.sweep("minilm", [0.82, 0.82, 0.82])

    with pytest.raises(SelectionError) as error:
        find_best_model_from_mlflow(store, family, DEFAULT)

    assert isinstance(error.value, InputError)
    message = str(error.value)
    assert "no candidate has a latency" in message
    assert tiny.refit_run_id in message and minilm.refit_run_id in message
    assert LATENCY_METRIC in message
    assert "resume-ner benchmark" in message
    assert "latency_weight: 0" in message
    assert {entry.candidate.backbone for entry in error.value.ranking} == {"tiny", "minilm"}


def test_latency_weight_zero_selects_on_f1_without_any_benchmark(runs, store, family):
    runs.sweep("tiny", [0.80, 0.80, 0.80])
    minilm = runs.sweep("minilm", [0.82, 0.82, 0.82])

    result = find_best_model_from_mlflow(store, family, F1_ONLY)

    assert result.winner.candidate.refit_run_id == minilm.refit_run_id
    assert result.winner.latency_ms is None
    assert "latency_weight is 0" in result.explanation


def test_candidate_without_benchmark_is_excluded_when_others_have_one(runs, store, family):
    measured = runs.sweep("tiny", [0.80, 0.80, 0.80])
    unmeasured = runs.sweep("minilm", [0.90, 0.90, 0.90])
    runs.benchmark(measured.refit_run_id, 20.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert result.winner.candidate.backbone == "tiny"
    reason = _by_backbone(result)["minilm"].excluded_reason
    assert reason.startswith("no latency")
    assert unmeasured.refit_run_id in reason
    assert LATENCY_METRIC in reason and "resume-ner benchmark" in reason


def test_benchmark_of_another_runtime_is_named_as_not_measuring_the_metric(runs, store, family):
    measured = runs.sweep("tiny", [0.80, 0.80, 0.80])
    other = runs.sweep("minilm", [0.90, 0.90, 0.90])
    runs.benchmark(measured.refit_run_id, 20.0)
    int8_run = runs.benchmark(other.refit_run_id, 5.0, runtime="onnx_int8")

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    reason = _by_backbone(result)["minilm"].excluded_reason
    assert f"benchmark run(s) {int8_run} of refit run {other.refit_run_id} did not log" in reason
    assert LATENCY_METRIC in reason


def test_unfinished_benchmark_runs_do_not_count(runs, store, family):
    tiny = runs.sweep("tiny", [0.80, 0.80, 0.80])
    minilm = runs.sweep("minilm", [0.80, 0.80, 0.80])
    runs.benchmark(tiny.refit_run_id, 20.0)
    runs.benchmark(minilm.refit_run_id, 1.0, status="FAILED")

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert result.winner.candidate.backbone == "tiny"
    assert not _by_backbone(result)["minilm"].included


def test_latency_is_the_median_of_the_refits_benchmark_runs(runs, store, family):
    sweep = runs.sweep("tiny", [0.80, 0.80, 0.80])
    run_ids = {runs.benchmark(sweep.refit_run_id, ms) for ms in (10.0, 30.0, 12.0)}

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert result.winner.latency_ms == pytest.approx(12.0)
    assert set(result.winner.candidate.latency.measured_run_ids) == run_ids


def test_benchmark_of_a_derived_model_is_found_through_its_hpo_refit_lineage_tag(
    runs, store, family
):
    sweep = runs.sweep("tiny", [0.80, 0.80, 0.80])
    conversion_run_id = "c" * 32
    runs.benchmark(conversion_run_id, 7.0, lineage={"hpo_refit_run_id": sweep.refit_run_id})

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert result.winner.latency_ms == pytest.approx(7.0)


def test_refit_of_the_best_trial_is_found_by_key_not_by_recency(runs, store, family):
    sweep = runs.sweep("tiny", [0.90, 0.80, 0.70])
    other_trial = sweep.trial_run_ids[2]
    # A refit of another trial, created later and benchmarked faster, must not be taken.
    decoy = runs.refit(
        sweep, other_trial, build_trial_context(sweep.context, 2, hyperparameters(2))
    )
    runs.benchmark(sweep.refit_run_id, 20.0)
    runs.benchmark(decoy, 1.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert result.winner.candidate.refit_run_id == sweep.refit_run_id
    assert result.winner.latency_ms == pytest.approx(20.0)


def test_refit_without_trial_run_tag_is_matched_by_study_and_trial_key_hashes(runs, store, family):
    sweep = runs.sweep("tiny", [0.90, 0.80, 0.70], refit=False)
    refit = runs.refit(sweep, None, sweep.best_trial_context)
    runs.benchmark(refit, 20.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert result.winner.candidate.refit_run_id == refit


def test_two_refits_of_the_best_trial_exclude_the_sweep_instead_of_guessing(runs, store, family):
    sweep = runs.sweep("tiny", [0.90, 0.80, 0.70])
    second = runs.refit(
        sweep, sweep.best_trial_run_id, sweep.best_trial_context, protocol="longer refit"
    )
    runs.benchmark(sweep.refit_run_id, 20.0)
    runs.benchmark(second, 20.0)

    with pytest.raises(SelectionError) as error:
        find_best_model_from_mlflow(store, family, DEFAULT)

    message = str(error.value)
    assert "2 FINISHED refit runs retrain its best trial 0" in message
    assert sweep.refit_run_id in message and second in message


def test_sweep_without_refit_is_excluded_with_what_to_run(runs, store, family):
    refitted = runs.sweep("tiny", [0.80, 0.80, 0.80])
    bare = runs.sweep("minilm", [0.90, 0.90, 0.90], refit=False)
    runs.benchmark(refitted.refit_run_id, 20.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    reason = _by_backbone(result)["minilm"].excluded_reason
    assert f"no FINISHED refit run of its best trial 0 (run {bare.best_trial_run_id})" in reason
    assert "refit.enabled: true" in reason


def test_only_the_best_sweep_of_a_backbone_is_a_candidate(runs, store, family):
    older = runs.sweep("tiny", [0.70, 0.70, 0.70], study_key_hash=sha256_hex("tiny v1"))
    newer = runs.sweep("tiny", [0.80, 0.80, 0.80], study_key_hash=sha256_hex("tiny v2"))
    runs.benchmark(older.refit_run_id, 20.0)
    runs.benchmark(newer.refit_run_id, 20.0)

    result = find_best_model_from_mlflow(store, family, DEFAULT)

    assert [entry.candidate.sweep_run_id for entry in result.included] == [newer.sweep_run_id]
    reason = result.excluded[0].excluded_reason
    assert "backbone tiny is represented by sweep run" in reason


def test_winner_lineage_points_at_its_sweep_best_trial_and_refit(runs, store, family):
    sweep = runs.sweep("tiny", [0.90, 0.80, 0.70])
    runs.benchmark(sweep.refit_run_id, 20.0)

    lineage = find_best_model_from_mlflow(store, family, DEFAULT).lineage()

    assert lineage.hpo_sweep_run_id == sweep.sweep_run_id
    assert lineage.hpo_trial_run_id == sweep.best_trial_run_id
    assert lineage.hpo_refit_run_id == sweep.refit_run_id
    assert lineage.hpo_study_key_hash == sweep.study_key_hash
    assert lineage.hpo_trial_key_hash == sweep.best_trial_context.trial_key_hash


def test_candidates_are_found_with_server_side_filters_only(runs, store, family, monkeypatch):
    tiny = runs.sweep("tiny", [0.80, 0.80, 0.80])
    minilm = runs.sweep("minilm", [0.82, 0.82, 0.82])
    runs.sweep("other", [0.99, 0.99, 0.99], family=OTHER_FAMILY)
    runs.benchmark(tiny.refit_run_id, 20.0)
    runs.benchmark(minilm.refit_run_id, 10.0)
    client = store.client
    filters: list[str] = []
    search_runs = client.search_runs

    def recording(*args, **kwargs):
        filters.append(kwargs.get("filter_string", args[1] if len(args) > 1 else ""))
        return search_runs(*args, **kwargs)

    monkeypatch.setattr(client, "search_runs", recording)

    find_best_model_from_mlflow(store, family, DEFAULT)

    family_clause = f"tags.`code.study_family_hash` = '{family}'"
    hpo_searches = [text for text in filters if family_clause in text]
    stages = ["hpo_sweep", "hpo_sweep", "hpo_trial", "hpo_refit"]
    assert len(hpo_searches) == len(stages)
    for text, stage in zip(hpo_searches, stages, strict=True):
        assert f"tags.`code.stage` = '{stage}'" in text
    benchmark_searches = [text for text in filters if family_clause not in text]
    assert len(benchmark_searches) == 4  # two lineage tags per refit: no OR in the grammar
    for refit in (tiny.refit_run_id, minilm.refit_run_id):
        assert sum(refit in text for text in benchmark_searches) == 2
    assert all("tags.`code.stage` = 'benchmarking'" in text for text in benchmark_searches)
    assert all("attributes.status" in text for text in filters)
