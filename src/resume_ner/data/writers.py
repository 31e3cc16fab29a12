"""Write documents as JSON span records, JSONL, Label Studio tasks, doccano JSONL or CoNLL BIO.

Files are written atomically (a temporary file in the same folder, then a rename), so a reader
never sees half a file, and an existing file is only replaced when the caller asks for it.
"""

from __future__ import annotations

import bisect
import itertools
import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from resume_ner.data.documents import Document, document_to_record, documents_to_records
from resume_ner.data.errors import DataError, OutputExistsError
from resume_ner.data.readers import FORMATS, FileFormat

_WHITESPACE_RUN = re.compile(r"\S+")


def write_text_atomic(path: Path, text: str, *, overwrite: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and an atomic rename.

    Raises :class:`OutputExistsError` when ``path`` exists and ``overwrite`` is false; on any
    failure the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def format_json(documents: Sequence[Document]) -> str:
    """The JSON span format: a list of ``{"id"?, "text", "annotations"}`` records."""
    return json.dumps(documents_to_records(documents), ensure_ascii=False, indent=1) + "\n"


def _jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def format_jsonl(documents: Sequence[Document]) -> str:
    """JSONL: one JSON span record per line."""
    return _jsonl([document_to_record(d) for d in documents])


def format_doccano(documents: Sequence[Document]) -> str:
    """doccano JSONL: ``{"id"?, "text", "label": [[start, end, LABEL], ...]}`` per line."""
    records = []
    for document in documents:
        record: dict[str, Any] = {} if document.doc_id is None else {"id": document.doc_id}
        record["text"] = document.text
        record["label"] = [[s.start, s.end, s.label] for s in document.spans]
        records.append(record)
    return _jsonl(records)


def format_label_studio(documents: Sequence[Document]) -> str:
    """A Label Studio JSON export: one task per document with one annotation of its spans.

    The document id, when there is one, is kept as ``data.doc_id`` (task ids are numbers).
    """
    tasks = []
    for number, document in enumerate(documents, start=1):
        data: dict[str, Any] = {"text": document.text}
        if document.doc_id is not None:
            data["doc_id"] = document.doc_id
        result = [
            {
                "id": f"{number}-{j}",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {
                    "start": span.start,
                    "end": span.end,
                    "text": span.text_in(document.text),
                    "labels": [span.label],
                },
            }
            for j, span in enumerate(document.spans)
        ]
        tasks.append(
            {"id": number, "data": data, "annotations": [{"id": number, "result": result}]}
        )
    return json.dumps(tasks, ensure_ascii=False, indent=1) + "\n"


def format_conll(documents: Sequence[Document]) -> str:
    """CoNLL BIO: ``TOKEN TAG`` per line, a blank line between documents.

    Tokens are the whitespace-separated pieces of the text, cut again at span boundaries, so
    the reader's rebuilt text (single spaces) holds every span. Raises :class:`DataError` for a
    document with no tokens, or a span that starts or ends inside whitespace-free text it
    cannot be cut from (it never happens for valid spans).
    """
    blocks = []
    for index, document in enumerate(documents):
        cuts = sorted({b for s in document.spans for b in (s.start, s.end)})
        starts = [s.start for s in document.spans]
        lines = []
        for match in _WHITESPACE_RUN.finditer(document.text):
            bounds = [match.start()]
            position = bisect.bisect_right(cuts, match.start())
            while position < len(cuts) and cuts[position] < match.end():
                bounds.append(cuts[position])
                position += 1
            bounds.append(match.end())
            for start, end in itertools.pairwise(bounds):
                lines.append(f"{document.text[start:end]} {_bio_tag(document, starts, start, end)}")
        if not lines:
            raise DataError(f"document {index} has no tokens; CoNLL cannot hold an empty text")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _bio_tag(document: Document, starts: list[int], start: int, end: int) -> str:
    position = bisect.bisect_right(starts, start) - 1
    if position >= 0:
        span = document.spans[position]
        if span.start <= start and end <= span.end:
            inside = document.text[span.start : start].strip()
            return f"{'I' if inside else 'B'}-{span.label}"
    return "O"


_FORMATTERS: dict[FileFormat, Callable[[Sequence[Document]], str]] = {
    "json": format_json,
    "jsonl": format_jsonl,
    "label_studio": format_label_studio,
    "doccano": format_doccano,
    "conll": format_conll,
}


def format_for_path(path: Path | str) -> FileFormat:
    """The format a file name asks for: ``.json`` -> json, ``.jsonl`` -> jsonl, ``.conll`` -> conll.

    Raises :class:`DataError` for other extensions.
    """
    suffix = Path(path).suffix.lower()
    by_suffix: dict[str, FileFormat] = {".json": "json", ".jsonl": "jsonl", ".conll": "conll"}
    if suffix not in by_suffix:
        raise DataError(
            f"{path}: cannot tell the format from {suffix or 'no extension'!r}; use .json or .jsonl"
        )
    return by_suffix[suffix]


def write_documents(
    documents: Sequence[Document],
    path: Path | str,
    format: FileFormat | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write ``documents`` to ``path`` in ``format`` (default: from the extension), atomically.

    Raises :class:`OutputExistsError` when the file exists and ``overwrite`` is false, and
    :class:`DataError` for an unknown format. Returns the path written.
    """
    path = Path(path)
    chosen = format or format_for_path(path)
    if chosen not in _FORMATTERS:
        raise DataError(f"unknown format {chosen!r}; expected one of {FORMATS}")
    write_text_atomic(path, _FORMATTERS[chosen](documents), overwrite=overwrite)
    return path
