"""The model of ``serve.yaml``: how the REST API opens its model, where it listens, and the limits
it puts on what a caller may send.

The API key is not configuration: it is a secret, so it comes from the command line or the
``RESUME_NER_API_KEY`` environment variable, never from a file that may be committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from resume_ner.config.base import StrictModel
from resume_ner.config.loader import load_config_file

#: Which model format of a bundle to serve (``best``: the one the conversion chose).
Preference = Literal["best", "fp32", "int8"]


class ServeModelConfig(StrictModel):
    """How the served bundle is opened.

    ``prefer`` chooses the bundle's model format (``best``: the one the conversion chose);
    ``threads`` overrides the ONNX Runtime intra-op threads (``None``: one per physical core).
    Which registered model is served by default is ``mlflow.yaml``'s ``registry`` (its
    ``model_name`` at its ``champion_alias``).
    """

    prefer: Preference = "best"
    threads: int | None = Field(None, ge=1)


class ServeLimits(StrictModel):
    """What one request may carry; larger requests are refused before any work is done.

    ``max_body_bytes`` bounds the JSON endpoints' bodies and ``max_file_bytes`` an uploaded file
    (answered 413); ``max_text_chars`` bounds one text, also a file's extracted text, and
    ``max_batch_texts`` the texts of one batch (answered 422 by the request schema, 413 for a
    file's text).
    """

    max_body_bytes: int = Field(1_048_576, ge=1_024)
    max_text_chars: int = Field(30_000, ge=1)
    max_batch_texts: int = Field(16, ge=1)
    max_file_bytes: int = Field(10_485_760, ge=1_024)


class ServeConfig(StrictModel):
    """Everything ``serve.yaml`` holds."""

    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8000, ge=0, le=65_535)
    model: ServeModelConfig = ServeModelConfig()
    limits: ServeLimits = ServeLimits()
    #: Inference calls running at once; more wait. One call already uses every core.
    inference_concurrency: int = Field(1, ge=1)
    #: Where bundles downloaded from MLflow are kept, relative to the project folder
    #: (``None``: ``outputs/cache/serve``).
    cache_dir: Path | None = None
    #: Pattern recognizers (e-mail, phone, URL) on or off; ``None``: as the bundle says.
    recognizers: bool | None = None

    @model_validator(mode="after")
    def _text_fits_a_body(self) -> ServeConfig:
        # Otherwise a text the schema accepts could never arrive in a request body.
        if self.limits.max_text_chars > self.limits.max_body_bytes:
            raise ValueError(
                f"limits.max_text_chars ({self.limits.max_text_chars}) must not exceed "
                f"limits.max_body_bytes ({self.limits.max_body_bytes})"
            )
        return self


def load_serve_config(config_dir: Path | None = None) -> ServeConfig:
    """Load ``serve.yaml`` from ``config_dir`` (or the shipped default).

    Raises :class:`resume_ner.config.errors.ConfigError` naming the file and key of any problem.
    """
    return load_config_file("serve.yaml", ServeConfig, config_dir)
