"""Every public name the tracking layer keeps from its plan documents is defined exactly once."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "resume_ner"

#: Names of the tracking and naming layer, as the plans named them.
KEPT_NAMES = [
    # setup and utilities
    "setup_mlflow", "setup_mlflow_for_stage", "setup_mlflow_tracking_env", "retry_with_backoff",
    "get_mlflow_run_id", "infer_config_dir_from_path", "get_mlflow_run_url", "apply_azureml_artifact_patch",
    "load_mlflow_config",
    # runs and lifecycle
    "create_child_run_core", "create_child_run", "create_run_safe", "get_or_create_experiment",
    "resolve_experiment_id", "terminate_run_safe", "ensure_run_terminated", "terminate_run_with_tags",
    # finder, types, queries, hashes
    "find_mlflow_run", "find_run_by_trial_id", "RunLookupReport", "RunHandle", "query_runs_by_tags",
    "find_best_run_by_metric", "group_runs_by_variant", "get_study_key_hash_from_run",
    "get_trial_key_hash_from_run", "get_study_family_hash_from_run",
    # index and version counter
    "update_mlflow_index", "find_in_mlflow_index", "reserve_run_name_version", "commit_run_name_version",
    "cleanup_stale_reservations",
    # artifacts
    "log_artifact_safe", "log_artifacts_safe", "upload_checkpoint_archive", "create_checkpoint_archive",
    "should_skip_file", "ArtifactUploader", "upload_training_artifacts", "upload_conversion_artifacts",
    "upload_benchmark_artifacts",
    # trackers
    "BaseTracker", "MLflowSweepTracker", "MLflowTrainingTracker", "MLflowConversionTracker",
    "MLflowBenchmarkTracker",
    # naming
    "build_mlflow_tags", "sanitize_tag_value", "load_tags_registry", "TagsRegistry", "TagKeyError",
    "build_mlflow_run_name", "load_naming_policy", "format_run_name", "validate_run_name",
    "parse_parent_training_id", "build_mlflow_run_key", "build_mlflow_run_key_hash", "build_counter_key",
    "compute_refit_protocol_fp", "build_hpo_study_key", "build_hpo_study_family_key", "build_hpo_trial_key",
    # hpo and training tracking
    "setup_hpo_mlflow_run", "create_trial_run_no_cv", "finalize_trial_run_no_cv", "cleanup_interrupted_runs",
    "should_skip_cleanup", "should_tag_as_interrupted", "create_training_mlflow_run",
    "create_training_child_run", "add_training_tags", "add_training_tags_with_lineage", "apply_lineage_tags",
    "build_training_run_name_with_fallback",
]  # fmt: skip

#: Names the plans listed that this product replaces on purpose, and by what.
REPLACED_NAMES = {
    "compute_study_key_hash_v2": "one key schema: build_hpo_study_key_hash",
    "get_naming_config": "typed models: load_naming_config",
    "get_tracking_config": "typed models: MlflowConfig.tracking",
    "get_mlflow_index_path": "index backends: open_index_backend",
    "acquire_lock": "filelock.FileLock inside the file backend",
    "release_lock": "filelock.FileLock inside the file backend",
}


def _definitions() -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                counts[node.name] += 1
    return counts


def test_every_kept_name_is_defined_exactly_once():
    counts = _definitions()
    problems = {name: counts[name] for name in KEPT_NAMES if counts[name] != 1}
    assert problems == {}, f"defined not exactly once (name: count): {problems}"


def test_replaced_names_are_not_defined_beside_their_replacements():
    counts = _definitions()
    assert {name for name in REPLACED_NAMES if counts[name]} == set()


def test_no_module_only_forwards_names_of_another():
    """A module whose whole body is imports (a re-export layer) must not exist."""
    forwarding = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        body = [
            n
            for n in tree.body
            if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
        ]
        imports = [n for n in body if isinstance(n, (ast.Import, ast.ImportFrom))]
        if body and len(imports) == len(body) and path.name != "__main__.py":
            forwarding.append(str(path.relative_to(SRC)))
    assert forwarding == []
