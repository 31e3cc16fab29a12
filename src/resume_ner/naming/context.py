"""The naming context: what a run is, described by the fields its name and key are built from."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from resume_ner.naming.errors import NamingError

#: Every process type resume-ner creates a run for, in pipeline order.
PROCESS_TYPES = (
    "hpo_sweep",
    "hpo_trial",
    "hpo_trial_fold",
    "hpo_refit",
    "final_training",
    "conversion",
    "benchmarking",
)


@dataclass(frozen=True)
class NamingContext:
    """Identity fields of one run.

    ``process_type`` is one of :data:`PROCESS_TYPES`; which other fields are required depends
    on it (see :func:`resume_ner.naming.keys.build_mlflow_run_key`). Hash fields hold full
    64-character hashes; names show only their first ``hash_length`` characters.
    """

    process_type: str
    model: str
    environment: str = "local"
    study_key_hash: str | None = None
    study_family_hash: str | None = None
    trial_key_hash: str | None = None
    trial_number: int | None = None
    fold_idx: int | None = None
    refit_protocol_fp: str | None = None
    spec_fp: str | None = None
    exec_fp: str | None = None
    variant: int = 1
    conv_fp: str | None = None
    parent_training_id: str | None = None
    benchmark_config_hash: str | None = None
    target: str | None = None
    study_name: str | None = None
    run_name: str | None = None

    def __post_init__(self) -> None:
        if self.process_type not in PROCESS_TYPES:
            raise NamingError(
                f"unknown process type {self.process_type!r}; expected one of {list(PROCESS_TYPES)}"
            )
        if not self.model or not self.model.strip():
            raise NamingError("model must not be empty")
        if self.variant < 1:
            raise NamingError(f"variant must be >= 1, got {self.variant}")

    def with_changes(self, **changes: Any) -> NamingContext:
        """A copy of this context with ``changes`` applied."""
        return replace(self, **changes)
