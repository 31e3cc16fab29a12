"""Uploaded files -> plain text: PDF (pypdf), DOCX (python-docx) and UTF-8 text.

The type is decided by the file's content, not its name or the media type the client sent:
``%PDF-`` starts a PDF, a ZIP archive holding ``word/document.xml`` is a DOCX, and bytes that
decode as UTF-8 (or UTF-16/UTF-8 with a byte-order mark) without NUL characters are text.
Anything else is refused. Line ends become ``\\n``; the entity offsets the API returns for a
file refer to the text :func:`extract_document_text` returns.

PDF pages are joined with ``\\n`` (the text pypdf finds, scanned pages have none: OCR is not
supported), at most ``max_pdf_pages`` of them; DOCX body paragraphs and table rows are taken in
document order, one per line, a row's cells (stripped; a cell's own paragraphs keep their line
breaks) joined by a tab. Extraction stops as soon as the text passes ``max_chars``.

A DOCX is a ZIP archive whose ``word/document.xml`` can inflate a thousandfold, and whose
headers may lie about sizes. So that no upload takes more memory or time than its limits,
``word/document.xml`` is never inflated whole nor handed to python-docx: it is inflated in
chunks, the bytes actually inflated counted against ``max_inflated_bytes`` (the sizes the
headers claim are not trusted), and fed to a streaming XML parser that keeps only the text of
the paragraph it is in and stops at ``max_chars``.
"""

from __future__ import annotations

import codecs
import io
import itertools
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal
from xml.parsers import expat

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
#: The most a DOCX's ``word/document.xml`` may inflate to unless the caller says otherwise.
MAX_DOCX_INFLATED_BYTES = 8 * 1024 * 1024
#: The most pages read of a PDF unless the caller says otherwise.
MAX_PDF_PAGES = 50
_INFLATE_CHUNK_BYTES = 64 * 1024
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main "
_P, _T, _TC, _TR, _TAB = (f"{_W}{name}" for name in ("p", "t", "tc", "tr", "tab"))
_BREAKS = frozenset({f"{_W}br", f"{_W}cr"})
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


def extract_document_text(
    data: bytes,
    *,
    max_chars: int,
    max_inflated_bytes: int = MAX_DOCX_INFLATED_BYTES,
    max_pdf_pages: int = MAX_PDF_PAGES,
) -> ExtractedText:
    """The text of the PDF, DOCX or text file ``data`` (see the module docstring).

    Raises :class:`UnsupportedDocumentError` for another type, :class:`UnreadableDocumentError`
    for a corrupt or encrypted file, a DOCX whose XML inflates past ``max_inflated_bytes``, text
    that is not UTF-8, or a file without any text, and :class:`DocumentTooLongError` when the
    text is longer than ``max_chars`` characters.
    """
    media_type = detect_media_type(data)
    if media_type == PDF_MEDIA_TYPE:
        text = _pdf_text(data, max_chars, max_pdf_pages)
    elif media_type == DOCX_MEDIA_TYPE:
        text = _docx_text(data, max_chars, max_inflated_bytes)
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


def _pdf_text(data: bytes, max_chars: int, max_pages: int) -> str:
    from pypdf import PdfReader

    with _parsing("PDF"):
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocumentError("the PDF is encrypted with a password")
        pages: list[str] = []
        length = 0
        for page in itertools.islice(reader.pages, max_pages):
            text = page.extract_text() or ""
            pages.append(text)
            length += len(text) + 1
            if length > max_chars + 1:
                break
    return "\n".join(pages)


def _docx_text(data: bytes, max_chars: int, max_inflated_bytes: int) -> str:
    lines = _DocxLines()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = lines.start
    parser.EndElementHandler = lines.end
    parser.CharacterDataHandler = lines.data
    parser.StartDoctypeDeclHandler = _refuse_doctype
    inflated = 0
    with (
        _parsing("DOCX"),
        zipfile.ZipFile(io.BytesIO(data)) as archive,
        archive.open(_DOCX_MAIN_PART) as part,
    ):
        while lines.length <= max_chars + 1:
            chunk = part.read(_INFLATE_CHUNK_BYTES)
            inflated += len(chunk)
            if inflated > max_inflated_bytes:
                raise UnreadableDocumentError(
                    f"the DOCX's text part inflates past {max_inflated_bytes} bytes, more than "
                    "accepted"
                )
            parser.Parse(chunk, not chunk)
            if not chunk:
                break
    return "\n".join(lines.text_lines())


def _refuse_doctype(*args: object) -> None:
    # Word never writes one; a DTD is only good for entity tricks.
    raise UnreadableDocumentError("the DOCX's XML declares a DTD, which Word documents do not")


class _DocxLines:
    """The lines of ``word/document.xml`` from the events of a streaming parser (see the
    module docstring): only the paragraph, cells and rows being read are held."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.length = 0
        self._paragraph: list[str] = []
        self._cells: list[list[str]] = []
        self._rows: list[list[str]] = []
        self._in_paragraph = 0
        self._in_text = False

    def start(self, tag: str, attributes: object) -> None:
        """An element opens."""
        if tag == _T:
            self._in_text = self._in_paragraph > 0
        elif tag == _P:
            self._in_paragraph += 1
        elif tag == _TC:
            self._cells.append([])
        elif tag == _TR:
            self._rows.append([])
        elif tag == _TAB and self._in_paragraph:
            self._append("\t")
        elif tag in _BREAKS and self._in_paragraph:
            self._append("\n")

    def data(self, text: str) -> None:
        """Characters inside the current element."""
        if self._in_text:
            self._append(text)

    def end(self, tag: str) -> None:
        """An element closes."""
        if tag == _T:
            self._in_text = False
        elif tag == _P and self._in_paragraph:
            self._in_paragraph -= 1
            if not self._in_paragraph:
                self._end_paragraph()
        elif tag == _TC and self._cells:
            cell = "\n".join(self._cells.pop()).strip()
            if self._rows:
                self._rows[-1].append(cell)
        elif tag == _TR and self._rows:
            self._add_line("\t".join(self._rows.pop()))

    def text_lines(self) -> list[str]:
        """The finished lines, and the paragraph being read when reading stopped early."""
        return [*self.lines, "".join(self._paragraph)] if self._paragraph else self.lines

    def _append(self, text: str) -> None:
        self._paragraph.append(text)
        self.length += len(text)

    def _end_paragraph(self) -> None:
        text = "".join(self._paragraph)
        self._paragraph = []
        if self._cells:
            self._cells[-1].append(text)
        else:
            self._add_line(text)

    def _add_line(self, line: str) -> None:
        if self._rows and self._cells:
            # A table nested in a cell: its rows become lines of that cell.
            self._cells[-1].append(line)
            return
        self.lines.append(line)
        self.length += 1
