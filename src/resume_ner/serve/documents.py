"""Uploaded files -> plain text: PDF (pypdf), DOCX (python-docx) and UTF-8 text.

The type is decided by the file's content, not its name or the media type the client sent:
``%PDF-`` starts a PDF, a ZIP archive holding ``word/document.xml`` is a DOCX, and bytes that
decode as UTF-8 (or UTF-16/UTF-8 with a byte-order mark) without NUL characters are text.
Anything else is refused. Line ends become ``\\n``; the entity offsets the API returns for a
file refer to the text :func:`extract_document_text` returns.

PDF pages are joined with ``\\n`` (the text pypdf finds, scanned pages have none: OCR is not
supported); DOCX body paragraphs and table rows are taken in document order, one per line, a
row's cells (stripped; a cell's own paragraphs keep their line breaks) joined by a tab. Extraction stops as soon as the text passes ``max_chars``, and a
DOCX whose parts would inflate past :data:`MAX_DOCX_UNCOMPRESSED_BYTES` is refused unread.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from resume_ner.serve.errors import (
    DocumentTooLongError,
    UnreadableDocumentError,
    UnsupportedDocumentError,
)

PDF_MEDIA_TYPE = "application/pdf"
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT_MEDIA_TYPE = "text/plain"
MediaType = Literal[
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/plain",
]
#: A DOCX is a ZIP archive: its XML parts are read whole into memory, so a small file that
#: inflates enormously (a "ZIP bomb") is refused before python-docx opens it.
MAX_DOCX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DOCX_MAIN_PART = "word/document.xml"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class ExtractedText:
    """The text of a file and the type it was read as."""

    text: str
    media_type: MediaType


def detect_media_type(data: bytes) -> MediaType:
    """The type of ``data`` by its content (see the module docstring).

    Raises :class:`UnsupportedDocumentError` for anything but a PDF, a DOCX or text, and
    :class:`UnreadableDocumentError` for a ZIP archive that cannot be opened.
    """
    if _PDF_MAGIC in data[:1024]:
        return PDF_MEDIA_TYPE
    if data.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile as exc:
            raise UnreadableDocumentError(f"the ZIP archive cannot be read: {exc}") from exc
        if _DOCX_MAIN_PART in names:
            return DOCX_MEDIA_TYPE
        raise UnsupportedDocumentError(
            "the file is a ZIP archive but not a Word document (DOCX); send a PDF, DOCX or text"
        )
    if data.startswith(_OLE_MAGIC):
        raise UnsupportedDocumentError(
            "legacy Word (.doc) and other OLE files are not supported; save it as DOCX or PDF"
        )
    if any(data.startswith(bom) for bom, _ in _BOMS) or b"\x00" not in data:
        return TEXT_MEDIA_TYPE
    raise UnsupportedDocumentError("the file is binary, not a PDF, DOCX or text file")


def extract_document_text(data: bytes, *, max_chars: int) -> ExtractedText:
    """The text of the PDF, DOCX or text file ``data`` (see the module docstring).

    Raises :class:`UnsupportedDocumentError` for another type, :class:`UnreadableDocumentError`
    for a corrupt or encrypted file, text that is not UTF-8, or a file without any text, and
    :class:`DocumentTooLongError` when the text is longer than ``max_chars`` characters.
    """
    media_type = detect_media_type(data)
    if media_type == PDF_MEDIA_TYPE:
        text = _pdf_text(data, max_chars)
    elif media_type == DOCX_MEDIA_TYPE:
        text = _docx_text(data, max_chars)
    else:
        text = _plain_text(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if len(text) > max_chars:
        raise DocumentTooLongError(
            f"the file's text is longer than the limit of {max_chars} characters",
            limit=max_chars,
        )
    if not text.strip():
        raise UnreadableDocumentError(
            "no text found in the file (a scanned PDF needs OCR, which is not supported)"
        )
    return ExtractedText(text, media_type)


def _plain_text(data: bytes) -> str:
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableDocumentError(
            f"the text file is not valid {encoding.upper().removesuffix('-SIG')} "
            f"(byte {exc.start}); save it as UTF-8"
        ) from exc


@contextmanager
def _parsing(kind: str) -> Iterator[None]:
    """Turn any failure of a parser of untrusted input into :class:`UnreadableDocumentError`."""
    try:
        yield
    except UnreadableDocumentError:
        raise
    except Exception as exc:
        # A malformed file makes parsers of untrusted input fail in arbitrary ways (pypdf raises
        # its own errors, but also IndexError, KeyError, RecursionError, ...; python-docx and
        # lxml as many): all of them mean this file cannot be read, which the caller is told.
        raise UnreadableDocumentError(f"the {kind} cannot be read: {exc}") from exc


def _pdf_text(data: bytes, max_chars: int) -> str:
    from pypdf import PdfReader

    with _parsing("PDF"):
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocumentError("the PDF is encrypted with a password")
        pages: list[str] = []
        length = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            pages.append(text)
            length += len(text) + 1
            if length > max_chars + 1:
                break
    return "\n".join(pages)


def _docx_text(data: bytes, max_chars: int) -> str:
    import docx
    from docx.table import Table

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        inflated = sum(info.file_size for info in archive.infolist())
    if inflated > MAX_DOCX_UNCOMPRESSED_BYTES:
        raise UnreadableDocumentError(
            f"the DOCX inflates to {inflated} bytes, more than the "
            f"{MAX_DOCX_UNCOMPRESSED_BYTES} accepted"
        )
    with _parsing("DOCX"):
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        length = 0
        for block in document.iter_inner_content():
            new = _table_lines(block) if isinstance(block, Table) else [block.text]
            lines.extend(new)
            length += sum(len(line) + 1 for line in new)
            if length > max_chars + 1:
                break
    return "\n".join(lines)


def _table_lines(table: object) -> list[str]:
    lines = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells, seen = [], set()
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(cell.text.strip())
        lines.append("\t".join(cells))
    return lines
