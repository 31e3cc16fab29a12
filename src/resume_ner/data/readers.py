"""Read annotated documents from the JSON span format, JSONL, Label Studio, doccano and CoNLL.

Every reader returns :class:`~resume_ner.data.documents.Document` s in file order and collects
every structural problem of the file (record index, line, what) before raising one
:class:`~resume_ner.data.errors.DataFormatError`. Span *values* (ranges, overlaps, labels) are
not judged here; :mod:`resume_ner.data.validation` does that, so nothing is silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from resume_ner.data.documents import Document, Span
from resume_ner.data.errors import DataFormatError, FormatProblem

FileFormat = Literal["json", "jsonl", "label_studio", "doccano", "conll"]
FORMATS: tuple[FileFormat, ...] = ("json", "jsonl", "label_studio", "doccano", "conll")

CONLL_SUFFIXES = (".conll", ".conllu", ".bio", ".iob", ".iob2", ".bioes", ".tsv", ".txt")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
DOCCANO_KEYS = ("label", "labels", "entities")


class _Problems:
    """Collects structural problems while a file is read."""

    def __init__(self) -> None:
        self.items: list[FormatProblem] = []

    def add(self, message: str, *, record: int | None = None, line: int | None = None) -> None:
        self.items.append(FormatProblem(record=record, line=line, message=message))

    def raise_if_any(self, source: Path | str | None) -> None:
        if self.items:
            in_file_order = sorted(
                self.items,
                key=lambda p: (
                    -1 if p.line is None else p.line,
                    -1 if p.record is None else p.record,
                ),
            )
            raise DataFormatError(source, in_file_order)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _doc_id(value: Any) -> str | None:
    return None if value is None else str(value)


def _parse_span(
    item: Any, where: str, problems: _Problems, record: int, line: int | None
) -> Span | None:
    if isinstance(item, (list, tuple)) and len(item) == 3:
        start, end, label = item
    elif isinstance(item, dict):
        start = item.get("start", item.get("start_offset"))
        end = item.get("end", item.get("end_offset"))
        label = item.get("label")
    else:
        problems.add(f"{where} must be [start, end, label], got {item!r}", record=record, line=line)
        return None
    if not (_is_int(start) and _is_int(end)):
        problems.add(
            f"{where} offsets must be integers, got {start!r}, {end!r}", record=record, line=line
        )
        return None
    if not isinstance(label, str) or not label:
        problems.add(
            f"{where} label must be a non-empty string, got {label!r}", record=record, line=line
        )
        return None
    return Span(start, end, label)


def _span_record(
    record: Any, index: int, keys: tuple[str, ...], problems: _Problems, line: int | None = None
) -> Document | None:
    """A ``{"text", <one of keys>: [[s, e, L], ...]}`` record (JSON span, JSONL, doccano)."""
    if not isinstance(record, dict):
        problems.add(f"expected an object, got {type(record).__name__}", record=index, line=line)
        return None
    text = record.get("text")
    if not isinstance(text, str):
        problems.add(f"'text' must be a string, got {text!r:.60}", record=index, line=line)
        return None
    key = next((k for k in keys if k in record), None)
    if key is None:
        problems.add(f"has no {' / '.join(repr(k) for k in keys)} list", record=index, line=line)
        return None
    raw = record[key]
    if not isinstance(raw, list):
        problems.add(f"{key!r} must be a list, got {type(raw).__name__}", record=index, line=line)
        return None
    spans = [_parse_span(item, f"{key}[{j}]", problems, index, line) for j, item in enumerate(raw)]
    if any(span is None for span in spans):
        return None
    groups = _groups(record.get("groups"), problems, index, line)
    if groups is None:
        return None
    doc_id = _doc_id(record.get("id", record.get("doc_id")))
    return Document(text, tuple(s for s in spans if s is not None), doc_id, groups)


def _groups(
    value: Any, problems: _Problems, index: int, line: int | None
) -> tuple[tuple[str, str], ...] | None:
    """A record's ``groups`` object as ``(key, value)`` pairs (``None`` after a problem)."""
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems.add(
            f"'groups' must map names to strings, got {value!r:.60}", record=index, line=line
        )
        return None
    return tuple(value.items())


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(path, [FormatProblem(None, None, f"cannot be read: {exc}")]) from exc


def _parse_json(text: str, source: Path | str | None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = FormatProblem(None, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})")
        raise DataFormatError(source, [problem]) from exc


def _parse_jsonl(text: str, source: Path | str | None) -> list[tuple[int, Any]]:
    problems = _Problems()
    rows: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.add(f"not valid JSON: {exc.msg} (column {exc.colno})", line=number)
    problems.raise_if_any(source)
    return rows


def _records_to_documents(
    rows: list[tuple[int | None, Any]], keys: tuple[str, ...], source: Path | str | None
) -> list[Document]:
    problems = _Problems()
    documents = [_span_record(rec, i, keys, problems, line) for i, (line, rec) in enumerate(rows)]
    problems.raise_if_any(source)
    return [d for d in documents if d is not None]


def _top_level_list(data: Any, source: Path | str | None, what: str) -> list[Any]:
    if not isinstance(data, list):
        problem = FormatProblem(
            None, None, f"expected a JSON list of {what}, got {type(data).__name__}"
        )
        raise DataFormatError(source, [problem])
    return data


def parse_json_documents(text: str, source: Path | str | None = None) -> list[Document]:
    """Documents from the JSON span format: a list of ``{"text", "annotations"}`` records."""
    records = _top_level_list(_parse_json(text, source), source, "records")
    return _records_to_documents([(None, r) for r in records], ("annotations",), source)


def parse_jsonl_documents(text: str, source: Path | str | None = None) -> list[Document]:
    """Documents from JSONL: one ``{"text", "annotations"}`` record per line (blank lines skipped)."""
    return _records_to_documents(_parse_jsonl(text, source), ("annotations",), source)


def parse_doccano_documents(text: str, source: Path | str | None = None) -> list[Document]:
    """Documents from a doccano export: JSONL (or a JSON list) of ``{"text", "label": [...]}``.

    Accepts the ``label`` key, the older ``labels`` key and the ``entities`` list of
    ``{"start_offset", "end_offset", "label"}`` objects.
    """
    if text.lstrip().startswith("["):
        records = _top_level_list(_parse_json(text, source), source, "records")
        rows: list[tuple[int | None, Any]] = [(None, r) for r in records]
    else:
        rows = list(_parse_jsonl(text, source))
    return _records_to_documents(rows, DOCCANO_KEYS, source)


def _label_studio_task(task: Any, index: int, problems: _Problems) -> Document | None:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        problems.add("expected a task object with a 'data' object", record=index)
        return None
    data = task["data"]
    text = data.get("text")
    if text is None:
        strings = [v for v in data.values() if isinstance(v, str)]
        text = strings[0] if len(strings) == 1 else None
    if not isinstance(text, str):
        problems.add("data has no 'text' string (nor exactly one string field)", record=index)
        return None
    annotations = [
        a
        for a in task.get("annotations") or []
        if isinstance(a, dict) and not a.get("was_cancelled", False)
    ]
    if not annotations:
        problems.add("task has no completed annotation (export only annotated tasks)", record=index)
        return None
    # The first completed annotation is the one used when several annotators labelled a task.
    results = annotations[0].get("result")
    if not isinstance(results, list):
        problems.add("annotation 'result' must be a list", record=index)
        return None
    spans: list[Span] = []
    ok = True
    for j, result in enumerate(results):
        value = result.get("value") if isinstance(result, dict) else None
        if not isinstance(value, dict) or "labels" not in value:
            continue  # relations, choices and text areas are not entity spans
        start, end, labels = value.get("start"), value.get("end"), value.get("labels")
        if not (_is_int(start) and _is_int(end)):
            problems.add(
                f"result[{j}] offsets must be integers, got {start!r}, {end!r}", record=index
            )
            ok = False
            continue
        if not (isinstance(labels, list) and len(labels) == 1 and isinstance(labels[0], str)):
            problems.add(f"result[{j}] must carry exactly one label, got {labels!r}", record=index)
            ok = False
            continue
        quoted = value.get("text")
        if isinstance(quoted, str) and 0 <= start <= end <= len(text) and text[start:end] != quoted:
            problems.add(
                f"result[{j}] offsets {start}-{end} do not cover its quoted text", record=index
            )
            ok = False
            continue
        spans.append(Span(start, end, labels[0]))
    if not ok:
        return None
    doc_id = _doc_id(data.get("doc_id", task.get("id")))
    return Document(text, tuple(spans), doc_id)


def parse_label_studio_documents(text: str, source: Path | str | None = None) -> list[Document]:
    """Documents from a Label Studio JSON export (a list of tasks).

    The text is ``data.text`` (or the only string in ``data``); spans come from the first
    annotation that was not cancelled, from results whose ``value`` has ``start``, ``end`` and
    one label in ``labels``. A task without a completed annotation is a problem, not an empty
    document, and quoted span text that disagrees with the offsets is a problem too.
    """
    tasks = _top_level_list(_parse_json(text, source), source, "tasks")
    problems = _Problems()
    documents = [_label_studio_task(task, i, problems) for i, task in enumerate(tasks)]
    problems.raise_if_any(source)
    return [d for d in documents if d is not None]


_CONLL_PREFIXES = {
    "B": "begin",
    "S": "single",
    "U": "single",
    "I": "inside",
    "E": "end",
    "L": "end",
}


class _ConllEntities:
    """Turns a stream of (offsets, tag) into spans, following BIO (and BIOES/BILOU) rules."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.label: str | None = None
        self.start = self.end = 0
        self.continuable = False

    def close(self) -> None:
        if self.label is not None:
            self.spans.append(Span(self.start, self.end, self.label))
        self.label = None

    def add(self, start: int, end: int, kind: str, label: str) -> None:
        if kind in ("inside", "end") and self.label == label and self.continuable:
            self.end = end
        else:
            self.close()
            self.label, self.start, self.end = label, start, end
        self.continuable = kind in ("begin", "inside")
        if kind in ("single", "end"):
            self.close()


def _conll_document(
    sentences: list[list[tuple[str, str, int]]], doc_index: int, problems: _Problems
) -> Document:
    pieces: list[str] = []
    entities = _ConllEntities()
    position = 0
    for s_index, sentence in enumerate(sentences):
        if s_index:
            pieces.append("\n")
            position += 1
            entities.close()
        for t_index, (token, tag, number) in enumerate(sentence):
            if t_index:
                pieces.append(" ")
                position += 1
            start, end = position, position + len(token)
            pieces.append(token)
            position = end
            if tag == "O":
                entities.close()
                continue
            prefix, _, label = tag.partition("-")
            kind = _CONLL_PREFIXES.get(prefix)
            if kind is None or not label:
                problems.add(
                    f"tag {tag!r} is not O or B-/I- prefixed", record=doc_index, line=number
                )
                entities.close()
                continue
            entities.add(start, end, kind, label)
    entities.close()
    return Document("".join(pieces), tuple(entities.spans), None)


def parse_conll_documents(text: str, source: Path | str | None = None) -> list[Document]:
    """Documents from CoNLL BIO: a token and its tag per line (tag in the last column).

    Blank lines separate documents; when the file uses ``-DOCSTART-`` lines, those separate
    documents and blank lines separate sentences. The text is rebuilt with one space between
    tokens and a newline between sentences, and span offsets refer to that text. Tags are
    ``O``, ``B-X``/``I-X`` (``S-``, ``E-``, ``U-``, ``L-`` also accepted); an ``I-X`` that does
    not continue an ``X`` entity starts a new one. Bare labels without a prefix are problems.
    """
    problems = _Problems()
    lines = text.splitlines()
    docstart = any(line.strip().startswith("-DOCSTART-") for line in lines)
    # Each document is a list of sentences; each sentence a list of (token, tag, line number).
    documents: list[list[list[tuple[str, str, int]]]] = []
    current: list[list[tuple[str, str, int]]] = [[]]

    def close_document() -> None:
        nonlocal current
        sentences = [s for s in current if s]
        if sentences:
            documents.append(sentences)
        current = [[]]

    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("-DOCSTART-"):
            close_document()
            continue
        if not stripped:
            if docstart:
                current.append([])
            else:
                close_document()
            continue
        parts = stripped.split()
        if len(parts) < 2:
            problems.add(f"expected 'TOKEN TAG', got {stripped!r:.60}", line=number)
            continue
        current[-1].append((parts[0], parts[-1], number))
    close_document()

    result = [
        _conll_document(sentences, doc_index, problems)
        for doc_index, sentences in enumerate(documents)
    ]
    problems.raise_if_any(source)
    return result


_PARSERS: dict[FileFormat, Callable[[str, Path | str | None], list[Document]]] = {
    "json": parse_json_documents,
    "jsonl": parse_jsonl_documents,
    "label_studio": parse_label_studio_documents,
    "doccano": parse_doccano_documents,
    "conll": parse_conll_documents,
}


def _kind_of_record(record: Any) -> FileFormat | None:
    if not isinstance(record, dict):
        return None
    if isinstance(record.get("data"), dict):
        return "label_studio"
    if "annotations" in record:
        return "json"
    if any(key in record for key in DOCCANO_KEYS):
        return "doccano"
    return None


def detect_format(path: Path | str, text: str | None = None) -> FileFormat:
    """Guess the format of ``path`` from its extension and, for JSON files, its first record.

    ``.conll``/``.bio``/``.iob``/``.tsv``/``.txt`` are CoNLL; ``.jsonl`` holds JSON span
    records or doccano records; ``.json`` holds a list of JSON span records, Label Studio tasks
    or doccano records. Raises :class:`DataFormatError` when the content fits none of them.
    """
    path = Path(path)
    if text is None:
        text = _read_text(path)
    suffix = path.suffix.lower()
    head = text.lstrip()[:1]
    if suffix in CONLL_SUFFIXES or (suffix not in (".json", *JSONL_SUFFIXES) and head not in "[{"):
        return "conll"
    if suffix in JSONL_SUFFIXES or head == "{":
        first_line = next((line for line in text.splitlines() if line.strip()), "")
        try:
            kind = _kind_of_record(json.loads(first_line)) if first_line else "jsonl"
        except json.JSONDecodeError:
            kind = None
        if kind == "json":
            return "jsonl"
        if kind == "doccano":
            return "doccano"
    else:
        data = _parse_json(text, path)
        if isinstance(data, list) and not data:
            return "json"
        kind = _kind_of_record(data[0]) if isinstance(data, list) else None
        if kind is not None:
            return kind
    problem = FormatProblem(
        0, None, "cannot tell the format from the first record; pass the format explicitly"
    )
    raise DataFormatError(path, [problem])


def load_documents(path: Path | str, format: str = "auto") -> list[Document]:
    """Read every document of ``path`` in ``format`` (one of :data:`FORMATS` or ``auto``).

    Raises :class:`DataFormatError` listing every structural problem (unreadable file, invalid
    JSON, missing text, malformed spans, bad CoNLL tags), or an unknown format name.
    """
    path = Path(path)
    text = _read_text(path)
    if format == "auto":
        format = detect_format(path, text)
    if format not in _PARSERS:
        problem = FormatProblem(None, None, f"unknown format {format!r}; expected one of {FORMATS}")
        raise DataFormatError(path, [problem])
    return _PARSERS[format](text, path)  # type: ignore[index]
