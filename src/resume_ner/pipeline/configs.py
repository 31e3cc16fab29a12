"""The configuration the pipeline runs with, taken from the project's parsed files."""

from __future__ import annotations

from dataclasses import dataclass

from resume_ner.config.benchmark import BenchmarkConfig
from resume_ner.config.conversion import ConversionConfig
from resume_ner.config.project import ProjectConfig
from resume_ner.config.selection import SelectionConfig
from resume_ner.hpo.configs import SweepConfigs


@dataclass(frozen=True)
class PipelineConfigs:
    """The sweep's files (data, model, train, hpo) and conversion, benchmark, selection."""

    sweep: SweepConfigs
    conversion: ConversionConfig
    benchmark: BenchmarkConfig
    selection: SelectionConfig

    @classmethod
    def from_project(cls, project: ProjectConfig) -> PipelineConfigs:
        """The pipeline's files from ``project``; raises what
        :meth:`~resume_ner.hpo.configs.SweepConfigs.from_project` raises."""
        return cls(
            sweep=SweepConfigs.from_project(project),
            conversion=project.conversion,
            benchmark=project.benchmark,
            selection=project.selection,
        )

    @property
    def candidate_benchmark(self) -> BenchmarkConfig:
        """``benchmark.yaml`` narrowed to the one runtime and shape selection reads latency from."""
        latency = self.selection.latency
        return BenchmarkConfig.model_validate(
            {
                **self.benchmark.model_dump(),
                "runtimes": [latency.runtime],
                "baseline_runtime": latency.runtime,
                "batch_sizes": [latency.batch_size],
                "sequence_lengths": [latency.seq_len],
            }
        )
