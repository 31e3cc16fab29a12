"""Uploaded files -> text: a PDF and a DOCX of a resume give the same entities as its plain text,
and files that are not PDF, DOCX or text, or cannot be read, are refused by name."""

from __future__ import annotations

import codecs
import io
import zipfile

import pytest
from serve_helpers import docx_bytes, pdf_bytes, printable_lines

from resume_ner.data.synthetic import generate_document
from resume_ner.serve.documents import (
    DOCX_MEDIA_TYPE,
    PDF_MEDIA_TYPE,
    TEXT_MEDIA_TYPE,
    extract_document_text,
)
from resume_ner.serve.errors import (
    DocumentTooLongError,
    UnreadableDocumentError,
    UnsupportedDocumentError,
)

MAX_CHARS = 10_000


@pytest.fixture(scope="module")
def resume_lines() -> list[str]:
    return printable_lines(generate_document(3, 99).text)


def _upload(client, name: str, data: bytes, media_type: str) -> dict:
    response = client.post("/v1/extract/file", files={"file": (name, data, media_type)})
    assert response.status_code == 200, response.text
    return response.json()


def _entities(answer: dict) -> list[tuple[int, int, str, str]]:
    return [(e["start"], e["end"], e["label"], e["text"]) for e in answer["entities"]]


def test_pdf_and_docx_give_the_same_entities_as_their_plain_text(client, resume_lines):
    plain = "\n".join(resume_lines)

    text = _upload(client, "cv.txt", plain.encode(), TEXT_MEDIA_TYPE)
    pdf = _upload(client, "cv.pdf", pdf_bytes(resume_lines), PDF_MEDIA_TYPE)
    docx = _upload(client, "cv.docx", docx_bytes(resume_lines), DOCX_MEDIA_TYPE)

    assert (text["media_type"], pdf["media_type"], docx["media_type"]) == (
        TEXT_MEDIA_TYPE,
        PDF_MEDIA_TYPE,
        DOCX_MEDIA_TYPE,
    )
    assert pdf["text"] == docx["text"] == text["text"] == plain
    assert _entities(text), "the model finds entities in the resume"
    assert _entities(pdf) == _entities(docx) == _entities(text)


def test_the_type_is_read_from_the_content_not_the_name(client, resume_lines):
    answer = _upload(client, "cv.txt", pdf_bytes(resume_lines), "text/plain")

    assert answer["media_type"] == PDF_MEDIA_TYPE
    assert answer["text"] == "\n".join(resume_lines)


def test_docx_tables_give_one_line_per_row_with_cells_tab_separated():
    import docx

    document = docx.Document()
    document.add_paragraph("Jane Doe")
    table = document.add_table(rows=2, cols=3)
    rows = [("Skills", "Python", "SQL"), ("City", "Berlin", "")]
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    table.cell(1, 1).merge(table.cell(1, 2))
    document.add_paragraph("jane@example.com")
    buffer = io.BytesIO()
    document.save(buffer)

    extracted = extract_document_text(buffer.getvalue(), max_chars=MAX_CHARS)

    assert extracted.text == "Jane Doe\nSkills\tPython\tSQL\nCity\tBerlin\njane@example.com"


def test_text_files_in_utf16_or_with_a_bom_and_any_line_ends_are_read():
    text = "Jane Doe\r\nMünchen\rjane@example.com"

    for data in (
        codecs.BOM_UTF8 + text.encode("utf-8"),
        text.encode("utf-16"),
        text.encode("utf-8"),
    ):
        assert extract_document_text(data, max_chars=MAX_CHARS).text == (
            "Jane Doe\nMünchen\njane@example.com"
        )


def test_text_that_is_not_utf8_is_unreadable():
    with pytest.raises(UnreadableDocumentError, match="not valid UTF-8"):
        extract_document_text("Jane Doe, München".encode("latin-1"), max_chars=MAX_CHARS)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "legacy Word"),
        ("zip", "not a Word document"),
    ],
)
def test_other_file_types_are_unsupported(data, problem):
    if data == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("content.xml", "<office:document/>")
        data = buffer.getvalue()

    with pytest.raises(UnsupportedDocumentError, match=problem):
        extract_document_text(data, max_chars=MAX_CHARS)


def test_password_protected_pdf_is_unreadable():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="user")
    pdf.add_page()
    pdf.set_font("Helvetica")
    pdf.cell(text="Jane Doe")

    with pytest.raises(UnreadableDocumentError, match="encrypted"):
        extract_document_text(bytes(pdf.output()), max_chars=MAX_CHARS)


@pytest.mark.parametrize(
    "data", [b"%PDF-1.7\n1 0 obj <<", b"PK\x03\x04" + b"\x00" * 40], ids=["pdf", "zip"]
)
def test_corrupt_files_are_unreadable(data):
    with pytest.raises(UnreadableDocumentError, match="cannot be read"):
        extract_document_text(data, max_chars=MAX_CHARS)


def test_pdf_without_text_is_unreadable():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()

    with pytest.raises(UnreadableDocumentError, match="no text found"):
        extract_document_text(bytes(pdf.output()), max_chars=MAX_CHARS)


@pytest.mark.parametrize("build", [pdf_bytes, docx_bytes], ids=["pdf", "docx"])
def test_a_document_whose_text_is_over_the_limit_is_refused(build, resume_lines):
    with pytest.raises(DocumentTooLongError, match="limit of 100 characters") as error:
        extract_document_text(build(resume_lines), max_chars=100)

    assert error.value.limit == 100


def test_a_docx_whose_text_part_inflates_past_the_cap_is_refused(resume_lines):
    data = docx_bytes(resume_lines * 40)

    with pytest.raises(UnreadableDocumentError, match="inflates past 65536 bytes"):
        extract_document_text(data, max_chars=10**6, max_inflated_bytes=65_536)
