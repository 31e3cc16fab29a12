"""What the pipeline reports while it runs: its steps, and the events of its stages."""

from __future__ import annotations

from dataclasses import dataclass

from resume_ner.hpo.progress import SweepProgress


@dataclass(frozen=True)
class PipelineStep:
    """One run the pipeline made or reused: its stage, backbone, run id, and what happened."""

    stage: str
    backbone: str
    run_id: str | None
    reused: bool
    detail: str = ""


class PipelineProgress(SweepProgress):
    """Hears about the pipeline's stages (and, as a :class:`SweepProgress`, the sweeps')."""

    def sweeps_finished(self) -> None:
        """Every sweep has ended; the stages after them follow."""

    def stage_started(self, stage: str, backbone: str) -> None:
        """A stage of ``backbone`` starts."""

    def step_done(self, step: PipelineStep) -> None:
        """A stage made or reused its run."""
