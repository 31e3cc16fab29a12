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


class ServeTimeouts(StrictModel):
    """How long each phase of a connection may take before the server gives up on it.

    ``headers_s``: from a connection's first byte (or its opening) until its request headers
    are complete; the connection is answered 408 and closed after it. ``body_idle_s``: the
    longest pause while a body arrives, and ``body_s`` the whole body (answered 408).
    ``keep_alive_s``: an idle connection between requests is closed after it. ``shutdown_s``:
    what open requests get to finish when the server stops.
    """

    headers_s: float = Field(10.0, gt=0)
    body_idle_s: float = Field(5.0, gt=0)
    body_s: float = Field(60.0, gt=0)
    keep_alive_s: float = Field(5.0, gt=0)
    shutdown_s: float = Field(10.0, ge=0)


class ServeConnections(StrictModel):
    """How many connections one worker process holds open.

    ``max_open``: open connections per worker; past it the oldest idle one (no request in
    progress) is closed, and when none is idle the newcomer is answered 503 and closed. The
    cap is lowered to fit the process's file-descriptor limit less three accept batches of
    ``backlog`` and a reserve, so that accepting never runs out of descriptors. ``backlog``: the listen queue, also the
    most connections accepted at once.
    """

    max_open: int = Field(900, ge=1)
    backlog: int = Field(128, ge=1)


class ServeQueue(StrictModel):
    """How inference requests wait for their turn.

    Requests are served in arrival order across batches (a batch queues again between its
    groups). ``max_waiting``: requests waiting at once (one more is answered 503 at once);
    ``deadline_s``: the longest a request waits for its turn before it is answered 503; both
    503 answers carry ``Retry-After: retry_after_s``.
    """

    max_waiting: int = Field(64, ge=1)
    deadline_s: float = Field(10.0, gt=0)
    retry_after_s: int = Field(2, ge=1)


class ServeDocuments(StrictModel):
    """How uploaded files are turned into text, apart from inference.

    ``workers``: files parsed at once (their own threads, not the inference threads);
    ``max_waiting``: files waiting for a parser (one more is answered 503);
    ``max_inflated_bytes``: the most a DOCX's XML may inflate to, counted on the bytes actually
    inflated (never on the sizes the ZIP headers claim); ``max_pdf_pages``: pages read of a PDF.
    """

    workers: int = Field(1, ge=1)
    max_waiting: int = Field(8, ge=0)
    max_inflated_bytes: int = Field(8 * 1024 * 1024, ge=64 * 1024)
    max_pdf_pages: int = Field(50, ge=1)


class ServeConfig(StrictModel):
    """Everything ``serve.yaml`` holds."""

    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8000, ge=0, le=65_535)
    model: ServeModelConfig = Field(default_factory=ServeModelConfig)
    limits: ServeLimits = Field(default_factory=ServeLimits)
    timeouts: ServeTimeouts = Field(default_factory=ServeTimeouts)
    connections: ServeConnections = Field(default_factory=ServeConnections)
    queue: ServeQueue = Field(default_factory=ServeQueue)
    documents: ServeDocuments = Field(default_factory=ServeDocuments)
    #: Worker processes sharing the port, each with the model and its own inference threads.
    workers: int = Field(1, ge=1)
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
