"""The REST API's request and response bodies, so that the OpenAPI schema says exactly what is
accepted and returned.

Request bodies carry the configured limits (:class:`~resume_ner.config.serve.ServeLimits`) in
their schema, so they are built per app by :func:`request_models`; a request over a limit fails
validation (422) before any work is done. The length constraint also makes pydantic refuse
texts that are not valid Unicode (JSON can carry unpaired surrogate escapes, ``"\\ud800"``, which
no tokenizer accepts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from resume_ner.config.serve import ServeLimits
from resume_ner.serve.documents import MediaType
from resume_ner.serve.source import SourceKind


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntityOut(_Body):
    """An entity: characters ``start`` (inclusive) to ``end`` (exclusive) of the text, its
    type, its characters, and the model's mean probability for its words' tags."""

    start: int = Field(ge=0, description="Offset of the first character (Python str index).")
    end: int = Field(ge=0, description="Offset after the last character.")
    label: str = Field(description="Entity type, e.g. SKILL, EMAIL.")
    text: str = Field(description="The entity's characters: text[start:end].")
    score: float = Field(ge=0.0, le=1.0, description="Mean probability of its words' tags.")


class ExtractResponse(_Body):
    """The entities of one text, in text order."""

    entities: list[EntityOut]


class BatchExtractResponse(_Body):
    """The entities of each text, in the order of the request's texts."""

    results: list[ExtractResponse]


class FileExtractResponse(_Body):
    """The text extracted from an uploaded file and its entities (offsets refer to ``text``)."""

    filename: str | None = Field(description="The uploaded file's name, as sent.")
    media_type: MediaType = Field(description="The type the file was read as.")
    text: str = Field(description="The file's text, which the offsets refer to.")
    entities: list[EntityOut]


class HealthResponse(_Body):
    """The server is up and its model is loaded."""

    status: Literal["ok"] = "ok"


class ModelResponse(_Body):
    """The served model: its registry identity, runs, format and lineage."""

    source: SourceKind = Field(description="Where it was loaded from.")
    name: str | None = Field(description="Registered model name (source registry).")
    version: str | None = Field(description="Registered model version (source registry).")
    alias: str | None = Field(description="The alias it was loaded by, if any.")
    aliases: list[str] = Field(description="Every alias of the version.")
    run_id: str | None = Field(description="The conversion run the bundle came from.")
    format: Literal["fp32", "int8"] | None = Field(description="The ONNX model format served.")
    backbone: str | None = Field(description="The backbone the model was trained from.")
    labels: list[str] = Field(description="The entity types it recognises.")
    max_length: int | None = Field(description="Tokens per window.")
    stride: int | None = Field(description="Tokens shared by consecutive windows.")
    model_sha256: str | None = Field(description="SHA-256 of the served ONNX model file.")
    lineage: dict[str, Any] = Field(description="Run ids from bundle.json (training, ...).")
    recognizers: bool = Field(
        False, description="Whether e-mail, phone and URL patterns are merged with the model's."
    )


class ErrorResponse(_Body):
    """Why a request was refused."""

    detail: str


class ValidationErrorItem(BaseModel):
    """One problem with a request (the value sent is not echoed back)."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorResponse(BaseModel):
    """Every problem with a request that failed validation."""

    detail: list[ValidationErrorItem]


@dataclass(frozen=True)
class RequestModels:
    """The request bodies of one app, with its limits in their schema."""

    extract: type[BaseModel]
    batch: type[BaseModel]


def request_models(limits: ServeLimits) -> RequestModels:
    """The request bodies for ``limits``: ``ExtractRequest`` (``text``) and
    ``BatchExtractRequest`` (``texts``)."""
    text_type = Annotated[
        str,
        Field(max_length=limits.max_text_chars, description="Resume text (plain text)."),
    ]
    extract = create_model(
        "ExtractRequest",
        __base__=_Body,
        __doc__="One text to extract entities from.",
        text=(text_type, ...),
    )
    batch = create_model(
        "BatchExtractRequest",
        __base__=_Body,
        __doc__="Texts to extract entities from, answered in the same order.",
        texts=(
            list[text_type],  # type: ignore[valid-type]
            Field(max_length=limits.max_batch_texts, description="The texts, in order."),
        ),
    )
    return RequestModels(extract=extract, batch=batch)
