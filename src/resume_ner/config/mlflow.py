"""The model of ``mlflow.yaml``: tracking URI, Azure ML, per-stage switches, naming, index."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator

from resume_ner.config.base import StrictModel
from resume_ner.config.loader import load_config_file

PROCESS_TYPES = (
    "hpo_sweep",
    "hpo_trial",
    "hpo_trial_fold",
    "hpo_refit",
    "final_training",
    "conversion",
    "benchmarking",
)


class AzureMLConfig(StrictModel):
    enabled: bool = False
    subscription_id: str | None = None
    resource_group: str | None = None
    workspace_name: str | None = None


class StageTracking(StrictModel):
    enabled: bool = True
    log_checkpoint: bool = True
    log_metrics_json: bool = True
    log_onnx_model: bool = True
    log_conversion_log: bool = True
    log_artifacts: bool = True


class HpoTracking(StageTracking):
    #: Trial and fold runs are written by the tracking session's background run writer while
    #: the trial trains; a trial waits only for its own result batch and end before Optuna
    #: records it.
    background: bool = True


class TrackingSwitches(StrictModel):
    hpo: HpoTracking = Field(default_factory=lambda: HpoTracking(log_checkpoint=False))
    training: StageTracking = Field(default_factory=StageTracking)
    conversion: StageTracking = Field(default_factory=StageTracking)
    benchmark: StageTracking = Field(default_factory=StageTracking)

    def for_stage(self, stage: str) -> StageTracking:
        """Switches for a stage name (``hpo``, ``training``, ``conversion``, ``benchmark``)."""
        try:
            return getattr(self, stage)
        except AttributeError:
            raise KeyError(f"unknown tracking stage {stage!r}") from None


class TagsNaming(StrictModel):
    max_length: int = Field(250, ge=16, le=5000)


class AutoIncrement(StrictModel):
    enabled: bool = True
    processes: list[str] = Field(default_factory=lambda: list(PROCESS_TYPES))
    format: str = "{base}.{version}"

    @field_validator("processes")
    @classmethod
    def _known_processes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PROCESS_TYPES))
        if unknown:
            raise ValueError(
                f"unknown process types {unknown}; expected some of {list(PROCESS_TYPES)}"
            )
        return value

    @field_validator("format")
    @classmethod
    def _has_placeholders(cls, value: str) -> str:
        if "{base}" not in value or "{version}" not in value:
            raise ValueError("must contain both '{base}' and '{version}'")
        return value


class RunNameNaming(StrictModel):
    auto_increment: AutoIncrement = Field(default_factory=AutoIncrement)


class NamingSettings(StrictModel):
    project_name: str = Field("resume-ner", min_length=1, max_length=64)
    env: str = Field("local", min_length=1, max_length=32)
    tags: TagsNaming = Field(default_factory=TagsNaming)
    run_name: RunNameNaming = Field(default_factory=RunNameNaming)


#: Keys the index section had when the run index could also be kept in JSON files: what to do.
_REMOVED_INDEX_KEYS = {
    "backend": "the index is always a database now: an SQLite file in the project (mlruns/"
    "index.db) unless index.sql_url names another (PostgreSQL for several machines); "
    "delete index.backend",
    "file_name": "the JSON index files are gone (the index is mlruns/index.db); delete it",
    "counter_file_name": "the JSON counter file is gone (the counter lives in the index "
    "database); delete it",
}


class IndexConfig(StrictModel):
    """The run index and version counter: one database, by default an SQLite file in the project.

    ``sql_url`` names another (an SQLAlchemy URL, PostgreSQL for several machines).
    """

    enabled: bool = True
    max_entries: int = Field(10_000, ge=1)
    sql_url: str | None = None
    stale_reservation_minutes: float = Field(30.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _no_removed_keys(cls, data: object) -> object:
        if isinstance(data, dict):
            for key, advice in _REMOVED_INDEX_KEYS.items():
                if key in data:
                    shown = f"index.{key}: {data[key]!r}"
                    raise ValueError(f"{shown} is no longer a setting: {advice}")
        return data


class RunFinderConfig(StrictModel):
    strict_mode_default: bool = True


class ModelRegistryConfig(StrictModel):
    """Where the pipeline registers its models, and the alias of the one to serve."""

    model_name: str = Field("resume-ner", min_length=1, max_length=256)
    champion_alias: str = Field("champion", pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,254}$")


#: Files never archived or uploaded with a checkpoint: whole names or globs matched against the
#: file name, ``folder/name`` globs matched against the end of the path, and ``folder/`` for
#: everything inside a folder of that name. Matching is case-insensitive; a symlink is judged by
#: its own name and by its target's.
DEFAULT_SECRET_FILE_PATTERNS = (
    # environment files
    ".env",
    ".env.*",
    "*.env",
    # SSH keys of every type, PuTTY keys, SSH folders
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "id_xmss*",
    "*.ppk",
    ".ssh/",
    # password and token stores
    ".pgpass",
    ".netrc",
    "_netrc",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".htpasswd",
    # private keys, certificates and key stores
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    ".gnupg/",
    # cloud credentials: AWS, Google Cloud, Azure, Docker, Kubernetes
    ".aws/",
    "credentials",
    "credentials*.json",
    "service-account*.json",
    "service_account*.json",
    "application_default_credentials.json",
    "gcloud/",
    ".azure/",
    "azureprofile.json",
    ".docker/config.json",
    ".kube/config",
    # token files (Hugging Face's ``token``, Vault's ``.vault-token``, ``*.token``)
    "token",
    "token.*",
    "*.token",
    "*_token",
    "*-token",
    "stored_tokens",
    # secrets files
    "secrets.*",
    "secret.*",
    ".secrets",
)


class ArtifactsConfig(StrictModel):
    """What never leaves the machine with a run's artifacts."""

    secret_file_patterns: tuple[str, ...] = DEFAULT_SECRET_FILE_PATTERNS

    @field_validator("secret_file_patterns")
    @classmethod
    def _non_empty_patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not pattern.strip() or pattern.strip() == "/" for pattern in value):
            raise ValueError("patterns must be non-empty names, globs or 'folder/'")
        return tuple(pattern.strip().lower() for pattern in value)


class MlflowConfig(StrictModel):
    """Everything ``mlflow.yaml`` holds.

    ``ui_url`` is the address of the web UI where run links point: the ``mlflow ui`` that shows
    a database or file store (``None``: ``http://127.0.0.1:5000``), or Azure ML studio's
    (``None``: ``https://ml.azure.com``). An ``http(s)`` tracking URI is linked at its own address.
    """

    tracking_uri: str | None = None
    ui_url: str | None = Field(None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    azure_ml: AzureMLConfig = Field(default_factory=AzureMLConfig)
    tracking: TrackingSwitches = Field(default_factory=TrackingSwitches)
    naming: NamingSettings = Field(default_factory=NamingSettings)
    index: IndexConfig = Field(default_factory=IndexConfig)
    run_finder: RunFinderConfig = Field(default_factory=RunFinderConfig)
    registry: ModelRegistryConfig = Field(default_factory=ModelRegistryConfig)
    artifacts: ArtifactsConfig = Field(default_factory=ArtifactsConfig)


def load_mlflow_config(config_dir: Path | None = None) -> MlflowConfig:
    """Load ``mlflow.yaml`` from ``config_dir`` (or the shipped default)."""
    return load_config_file("mlflow.yaml", MlflowConfig, config_dir)
