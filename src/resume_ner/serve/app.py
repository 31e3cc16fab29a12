"""The REST API (FastAPI) over a served model.

Endpoints: ``POST /v1/extract`` (one text), ``POST /v1/extract/batch`` (texts),
``POST /v1/extract/file`` (a PDF, DOCX or text file, multipart field ``file``), ``GET /v1/model``
(what is served) and ``GET /health``; the OpenAPI schema is at ``/openapi.json``. With an API
key, every ``/v1`` endpoint needs it in ``X-API-Key`` (401 otherwise); ``/health`` and the
schema stay open.

Limits (:class:`~resume_ner.config.serve.ServeLimits`): a body or file over its size limit is
answered 413 before it is parsed; a text or batch over its limit fails the request schema (422,
the value is not echoed back); a file whose text is too long is answered 413, a file of
another type 415, an unreadable one 422, a body that is not well-formed multipart 400.
Validation errors are answered with at most :data:`MAX_VALIDATION_ERRORS` problems.

Inference runs in worker threads, at most ``inference_concurrency`` calls at once, turns handed
out in arrival order (:class:`~resume_ner.serve.scheduling.FairQueue`); a batch is run in groups
of at most ``max_text_chars`` characters, each group a turn of its own, so that one call's
memory stays bounded and a short request never waits behind a whole batch. Files are parsed in
a pool of their own (:class:`~resume_ner.serve.scheduling.DocumentPool`). A full queue, or a
wait past its deadline, is answered 503 with ``Retry-After``.

Every response carries ``X-Request-ID`` (:mod:`resume_ner.serve.request_id`), also written in
the access log line. ``GET /`` is a page to try the model in a browser.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, UploadFile, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import Request

from resume_ner import __version__
from resume_ner.config.serve import ServeConfig
from resume_ner.serve.access_log import AccessLog
from resume_ner.serve.auth import api_key_guard, validate_api_key
from resume_ner.serve.documents import ExtractedText, extract_document_text
from resume_ner.serve.engine import Entity, InferenceEngine
from resume_ner.serve.errors import (
    DocumentTooLongError,
    ServerBusyError,
    UnreadableDocumentError,
    UnsupportedDocumentError,
)
from resume_ner.serve.limits import BodySizeLimit
from resume_ner.serve.page import page_html
from resume_ner.serve.request_id import RequestId
from resume_ner.serve.scheduling import DocumentPool, FairQueue
from resume_ner.serve.schemas import (
    BatchExtractResponse,
    EntityOut,
    ErrorResponse,
    ExtractResponse,
    FileExtractResponse,
    HealthResponse,
    ModelResponse,
    ValidationErrorResponse,
    request_models,
)
from resume_ner.serve.source import ServedModel

FILE_PATH = "/v1/extract/file"
#: Room for the multipart framing around an uploaded file of the maximum size.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
#: Problems listed in a 422 answer at most (a body with thousands of unknown keys has as many).
MAX_VALIDATION_ERRORS = 20
_MULTIPART = "multipart/form-data"
_URLENCODED = "application/x-www-form-urlencoded"

_ERRORS: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {
        "model": ErrorResponse,
        "description": "The body cannot be parsed (not UTF-8, or malformed multipart).",
    },
    status.HTTP_413_CONTENT_TOO_LARGE: {
        "model": ErrorResponse,
        "description": "The body (or file, or its text) is over its limit.",
    },
    status.HTTP_422_UNPROCESSABLE_CONTENT: {
        "model": ValidationErrorResponse,
        "description": "The request does not match its schema (limits included).",
    },
    status.HTTP_503_SERVICE_UNAVAILABLE: {
        "model": ErrorResponse,
        "description": "Too much work waiting: retry after the seconds of Retry-After.",
    },
}
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    status.HTTP_401_UNAUTHORIZED: {
        "model": ErrorResponse,
        "description": "Missing or wrong API key.",
    },
}


def model_response(served: ServedModel) -> ModelResponse:
    """What ``GET /v1/model`` answers for ``served``."""
    engine = served.engine
    manifest = engine.manifest
    info = served.info
    labels = sorted(
        {tag.split("-", 1)[1] for tag in engine.id2label.values() if tag[:2] in ("B-", "I-")}
    )
    served_file = (
        manifest.models.get(engine.model_format) if manifest and engine.model_format else None
    )
    return ModelResponse(
        source=info.source,
        name=info.name,
        version=info.version,
        alias=info.alias,
        aliases=list(info.aliases),
        run_id=info.run_id,
        format=engine.model_format,
        backbone=manifest.backbone if manifest else None,
        labels=labels,
        max_length=manifest.max_length if manifest else None,
        stride=manifest.stride if manifest else None,
        model_sha256=served_file.sha256 if served_file else None,
        lineage=dict(manifest.lineage) if manifest else {},
        recognizers=engine.recognizers is not None,
    )


class _Extractor:
    """Runs the engine for the endpoints: fair turns, bounded characters per call."""

    def __init__(self, engine: InferenceEngine, queue: FairQueue, chars_per_call: int) -> None:
        self.engine = engine
        self.queue = queue
        self.chars_per_call = chars_per_call

    async def __call__(self, texts: Sequence[str]) -> list[list[EntityOut]]:
        found: list[list[Entity]] = []
        for group in self._groups(texts):
            async with self.queue.turn():
                found.extend(await anyio.to_thread.run_sync(self.engine.extract, group))
        return [[EntityOut(**_entity_fields(e)) for e in entities] for entities in found]

    def _groups(self, texts: Sequence[str]) -> list[list[str]]:
        groups: list[list[str]] = []
        size = self.chars_per_call + 1
        for text in texts:
            if size + len(text) > self.chars_per_call:
                groups.append([])
                size = 0
            groups[-1].append(text)
            size += len(text)
        return groups


def _entity_fields(entity: Entity) -> dict[str, Any]:
    return {
        "start": entity.start,
        "end": entity.end,
        "label": entity.label,
        "text": entity.text,
        "score": min(1.0, max(0.0, entity.score)),
    }


def _with_body(endpoint: Callable[..., Any], model: type) -> Callable[..., Any]:
    """``endpoint`` with its ``body`` parameter typed as ``model`` for FastAPI.

    The request models are built per app (their limits are in the schema), so a (string)
    annotation in the source could not name them.
    """
    signature = inspect.signature(endpoint)
    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            parameter.replace(annotation=model) if parameter.name == "body" else parameter
            for parameter in signature.parameters.values()
        ]
    )
    return endpoint


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if request.url.path == FILE_PATH and _malformed_form(request, exc):
        return JSONResponse(
            {"detail": "the body is not a well-formed multipart/form-data body with a file part"},
            status_code=status.HTTP_400_BAD_REQUEST,
        )
    # The rejected value is not echoed back: it may be a whole resume.
    detail = [
        {
            "loc": list(error.get("loc", ()))[:8],
            "msg": str(error.get("msg", ""))[:300],
            "type": str(error["type"])[:100],
        }
        for error in errors[:MAX_VALIDATION_ERRORS]
    ]
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def _malformed_form(request: Request, exc: RequestValidationError) -> bool:
    """Whether the file endpoint's missing ``file`` comes from a body that is no form at all: not
    multipart (nor URL-encoded), multipart without a boundary, or multipart in which no part
    could be read, rather than a well-formed form without that field."""
    missing_file = any(
        error["type"] == "missing" and tuple(error.get("loc", ())) == ("body", "file")
        for error in exc.errors()
    )
    media_type, _, parameters = request.headers.get("content-type", "").partition(";")
    media_type = media_type.strip().lower()
    if not missing_file or media_type == _URLENCODED:
        return False
    if media_type != _MULTIPART or "boundary=" not in parameters.lower():
        return True
    return not exc.body


async def _busy(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServerBusyError)
    return JSONResponse(
        {"detail": str(exc)},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(exc.retry_after_s)},
    )


def create_app(served: ServedModel, config: ServeConfig, *, api_key: str | None = None) -> FastAPI:
    """The API serving ``served`` with ``config``'s limits (see the module docstring).

    With ``api_key`` every ``/v1`` endpoint requires it. Raises
    :class:`~resume_ner.serve.errors.InsecureBindError` for a key that is too short.
    """
    key = validate_api_key(api_key)
    limits = config.limits
    bodies = request_models(limits)
    queue = config.queue
    extract = _Extractor(
        served.engine,
        FairQueue(
            config.inference_concurrency,
            max_waiting=queue.max_waiting,
            deadline_s=queue.deadline_s,
            retry_after_s=queue.retry_after_s,
        ),
        limits.max_text_chars,
    )
    documents = DocumentPool(
        config.documents.workers,
        max_waiting=config.documents.max_waiting,
        retry_after_s=queue.retry_after_s,
    )
    about = model_response(served)

    app = FastAPI(
        title="resume-ner",
        version=__version__,
        summary="Named entities (skills, education, designation, ...) in resumes.",
        description=(
            "Entities with character offsets from resume text, PDF or DOCX. Limits: bodies "
            f"{limits.max_body_bytes} bytes, files {limits.max_file_bytes} bytes, texts "
            f"{limits.max_text_chars} characters, batches {limits.max_batch_texts} texts."
        ),
    )
    app.state.api_key_required = key is not None
    app.state.served_model = served
    app.state.serve_config = config
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ServerBusyError, _busy)
    app.add_middleware(
        BodySizeLimit,
        default_limit=limits.max_body_bytes,
        limits={FILE_PATH: limits.max_file_bytes + MULTIPART_OVERHEAD_BYTES},
        idle_s=config.timeouts.body_idle_s,
        total_s=config.timeouts.body_s,
    )
    # Added after the limits, so outside them: refused bodies are logged too, with their id.
    app.add_middleware(AccessLog)
    app.add_middleware(RequestId)
    page = page_html(about, api_key_required=key is not None)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> HTMLResponse:
        """A page to try the model: paste a text or drop a file, see its entities."""
        return HTMLResponse(page)

    @app.get("/health", response_model=HealthResponse, tags=["service"])
    def health() -> HealthResponse:
        """The server is up and its model is loaded."""
        return HealthResponse()

    router = APIRouter(
        prefix="/v1",
        dependencies=[Depends(api_key_guard(key))] if key else [],
        responses=_AUTH_ERRORS if key else {},
    )

    @router.get("/model", response_model=ModelResponse, tags=["model"])
    def model_info() -> ModelResponse:
        """The served model: registry name, version and alias, run id, format and lineage."""
        return about

    async def extract_one(body: Any) -> ExtractResponse:
        """Entities of one text, with character offsets into it."""
        (entities,) = await extract([body.text])
        return ExtractResponse(entities=entities)

    async def extract_batch(body: Any) -> BatchExtractResponse:
        """Entities of each text, in the order of the texts."""
        return BatchExtractResponse(
            results=[ExtractResponse(entities=entities) for entities in await extract(body.texts)]
        )

    router.add_api_route(
        "/extract",
        _with_body(extract_one, bodies.extract),
        methods=["POST"],
        response_model=ExtractResponse,
        responses=_ERRORS,
        tags=["extract"],
        summary="Extract entities from a text",
    )
    router.add_api_route(
        "/extract/batch",
        _with_body(extract_batch, bodies.batch),
        methods=["POST"],
        response_model=BatchExtractResponse,
        responses=_ERRORS,
        tags=["extract"],
        summary="Extract entities from several texts",
    )

    def read_document(data: bytes) -> ExtractedText:
        return extract_document_text(
            data,
            max_chars=limits.max_text_chars,
            max_inflated_bytes=config.documents.max_inflated_bytes,
            max_pdf_pages=config.documents.max_pdf_pages,
        )

    @router.post(
        "/extract/file",
        response_model=FileExtractResponse,
        responses={
            **_ERRORS,
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: {
                "model": ErrorResponse,
                "description": "The file is not a PDF, DOCX or text file.",
            },
        },
        tags=["extract"],
        summary="Extract entities from a PDF, DOCX or text file",
    )
    async def extract_file(
        file: UploadFile = File(description="A PDF, DOCX or UTF-8 text file."),
    ) -> FileExtractResponse:
        """The file's text and its entities, with character offsets into that text."""
        data = await file.read(limits.max_file_bytes + 1)
        if len(data) > limits.max_file_bytes:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                detail=f"the file is over the limit of {limits.max_file_bytes} bytes",
            )
        try:
            document = await documents.run(read_document, data)
        except DocumentTooLongError as exc:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=str(exc)) from exc
        except UnsupportedDocumentError as exc:
            raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=str(exc)) from exc
        except UnreadableDocumentError as exc:
            raise RequestValidationError(
                [{"loc": ("body", "file"), "msg": str(exc), "type": "unreadable_document"}]
            ) from exc
        (entities,) = await extract([document.text])
        return FileExtractResponse(
            filename=file.filename,
            media_type=document.media_type,
            text=document.text,
            entities=entities,
        )

    app.include_router(router)
    return app
