"""Every configuration file the pipeline reads, loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from resume_ner.config.benchmark import BenchmarkConfig, load_benchmark_config
from resume_ner.config.conversion import ConversionConfig, load_conversion_config
from resume_ner.config.selection import SelectionConfig, load_selection_config
from resume_ner.hpo.configs import SweepConfigs, load_sweep_configs
from resume_ner.naming.canonical import hash_payload


@dataclass(frozen=True)
class PipelineConfigs:
    """The sweep's files (data, model, train, hpo) and conversion, benchmark, selection."""

    sweep: SweepConfigs
    conversion: ConversionConfig
    benchmark: BenchmarkConfig
    selection: SelectionConfig

    @classmethod
    def load(cls, config_dir: Path | None = None) -> PipelineConfigs:
        """Load every file from ``config_dir`` (or the shipped defaults).

        Raises :class:`~resume_ner.config.errors.ConfigError` naming the first bad file and key.
        """
        from resume_ner.hpo.trainer import check_search_space

        sweep = load_sweep_configs(config_dir)
        check_search_space(sweep)
        return cls(
            sweep=sweep,
            conversion=load_conversion_config(config_dir),
            benchmark=load_benchmark_config(config_dir),
            selection=load_selection_config(config_dir),
        )

    @property
    def exec_fp(self) -> str:
        """The exec fingerprint of models trained with ``train.yaml``'s threads."""
        from resume_ner.training.identity import execution_spec

        return hash_payload(execution_spec(self.sweep.train.num_threads))

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
