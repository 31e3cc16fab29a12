"""Errors of serving the model, so that callers (the CLI, the API) can catch what they mean.

Every one is a user-fixable :class:`~resume_ner.errors.InputError`: the CLI exits with code 2,
the API answers with a 4xx status. :class:`~resume_ner.serve.bundle.BundleError` (a bundle folder
that is incomplete or changed) lives beside the bundle format it checks.
"""

from __future__ import annotations

from resume_ner.errors import InputError, ResumeNerError


class ModelSourceError(InputError):
    """The model to serve cannot be found where it was asked for."""


class ModelNotFoundError(ModelSourceError):
    """The registered model, its alias or version, or the run does not exist."""


class RunHasNoBundleError(ModelSourceError):
    """The run exists but holds no model bundle in its artifacts."""


class InsecureBindError(InputError):
    """The server was asked to listen beyond loopback without an API key (or with a weak one)."""


class DocumentError(InputError):
    """An uploaded file cannot be turned into text."""


class UnsupportedDocumentError(DocumentError):
    """The file is neither a PDF, a DOCX nor UTF-8 text."""


class UnreadableDocumentError(DocumentError):
    """The file looks like a supported type but cannot be read (corrupt, encrypted, no text)."""


class DocumentTooLongError(DocumentError):
    """The file's text is longer than a request may be."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class ServerBusyError(ResumeNerError):
    """The server has more work waiting than it takes: retry after ``retry_after_s`` seconds."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
