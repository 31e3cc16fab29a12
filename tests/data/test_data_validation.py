"""Validation lists every problem with its document index, id, offsets and kind."""

from __future__ import annotations

import pytest

from resume_ner.config.data import DEFAULT_LABELS
from resume_ner.data.documents import Document, Span
from resume_ner.data.errors import DataValidationError
from resume_ner.data.labels import apply_label_map
from resume_ner.data.validation import ProblemKind, require_valid, validate_documents

TEXT = "Anna Berg knows Python and SQL."


def _bad_documents() -> list[Document]:
    return [
        Document(TEXT, (Span(0, 9, "NAME"), Span(16, 22, "SKILL")), "ok"),
        Document(TEXT, (Span(27, 45, "SKILL"),), "far"),
        Document(TEXT, (Span(16, 22, "SKILL"), Span(20, 26, "SKILL")), "overlap"),
        Document(TEXT, (Span(0, 9, "HUMAN"),), "unknown"),
        Document("", (), "empty"),
        Document(TEXT, (Span(9, 9, "NAME"), Span(12, 5, "NAME")), "backwards"),
        Document(TEXT, (Span(15, 22, "SKILL"),), "padded"),
    ]


def _found(report) -> set[tuple[int, str, int | None, int | None]]:
    return {(p.index, p.kind.value, p.start, p.end) for p in report.problems}


def test_every_kind_of_bad_span_is_reported_with_index_and_offsets():
    report = validate_documents(_bad_documents(), DEFAULT_LABELS)
    assert _found(report) == {
        (1, "out_of_range", 27, 45),
        (2, "overlap", 20, 26),
        (3, "unknown_label", 0, 9),
        (4, "empty_text", None, None),
        (5, "empty_span", 9, 9),
        (5, "empty_span", 12, 5),
        (6, "whitespace_edge", 15, 22),
    }
    assert report.bad_documents() == [1, 2, 3, 4, 5]
    assert not report.ok


def test_problems_carry_the_document_id_and_a_readable_description():
    report = validate_documents(_bad_documents(), DEFAULT_LABELS)
    overlap = next(p for p in report.problems if p.kind is ProblemKind.OVERLAP)
    assert overlap.doc_id == "overlap"
    assert "[16, 22) SKILL" in overlap.message
    assert overlap.describe().startswith("document 2 (id overlap) [20, 26) SKILL: overlap")


def test_whitespace_at_a_span_edge_is_a_warning_not_an_error():
    report = validate_documents([_bad_documents()[6]], DEFAULT_LABELS)
    assert report.ok
    assert [p.severity for p in report.problems] == ["warning"]


def test_a_span_of_only_whitespace_is_an_error():
    # "knows Python": characters 15 and 9-10 are single spaces.
    report = validate_documents([Document(TEXT, (Span(15, 16, "SKILL"),), "blank")], DEFAULT_LABELS)
    assert _found(report) == {(0, "empty_span", 15, 16)}
    assert not report.ok


def test_a_mapped_source_label_is_known_and_an_unmapped_one_is_an_error_never_o():
    documents = [Document(TEXT, (Span(0, 9, "PERSON"), Span(16, 22, "TOOL")))]
    report = validate_documents(documents, DEFAULT_LABELS, {"PERSON": "NAME"})
    assert _found(report) == {(0, "unknown_label", 16, 22)}


def test_spans_mapped_to_o_are_dropped_on_purpose_and_not_checked_for_overlap():
    documents = [Document(TEXT, (Span(0, 9, "NAME"), Span(5, 15, "COMPANY")))]
    assert validate_documents(documents, DEFAULT_LABELS, {"COMPANY": "O"}).ok
    mapped = apply_label_map(documents, {"COMPANY": "O"})
    assert mapped[0].spans == (Span(0, 9, "NAME"),)


def test_apply_label_map_renames_source_labels():
    documents = [Document(TEXT, (Span(0, 9, "PERSON"),), "a")]
    assert apply_label_map(documents, {"PERSON": "NAME"}) == [
        Document(TEXT, (Span(0, 9, "NAME"),), "a")
    ]


def test_require_valid_raises_a_named_error_carrying_the_full_report():
    with pytest.raises(DataValidationError) as error:
        require_valid(_bad_documents(), DEFAULT_LABELS)
    assert len(error.value.report.errors) == 6
    assert "document 1 (id far) [27, 45) SKILL: out_of_range" in str(error.value)


def test_require_valid_returns_the_report_when_only_warnings_remain():
    report = require_valid([_bad_documents()[0], _bad_documents()[6]], DEFAULT_LABELS)
    assert len(report.warnings) == 1 and report.ok
