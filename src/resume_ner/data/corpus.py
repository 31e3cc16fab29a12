"""Load the documents a :class:`~resume_ner.config.data.DataConfig` describes, ready to train on."""

from __future__ import annotations

from pathlib import Path

from resume_ner.config.data import DataConfig, FileSource
from resume_ner.data.documents import Document
from resume_ner.data.errors import DataError, DataSourceError
from resume_ner.data.labels import apply_label_map
from resume_ner.data.readers import load_documents
from resume_ner.data.synthetic import generate_documents
from resume_ner.data.validation import require_valid


def load_corpus(config: DataConfig, *, config_file: Path | str = "data.yaml") -> list[Document]:
    """Generate or read the configured documents, validate them and map labels to canonical ones.

    Synthetic sources are generated from ``n_documents`` and ``seed``; file sources are read
    with :func:`resume_ner.data.readers.load_documents`. Raises
    :class:`~resume_ner.data.errors.DataSourceError` naming ``config_file`` (the ``data.yaml``
    the config was read from), the key (``source.path``), the data file and every unreadable
    record, invalid span or text.
    """
    source = config.source
    is_file = isinstance(source, FileSource)
    try:
        if isinstance(source, FileSource):
            documents = load_documents(source.path, source.format)
        else:
            documents = generate_documents(source.n_documents, source.seed)
        require_valid(documents, config.labels, config.label_map)
    except DataError as exc:
        data_file = source.path if isinstance(source, FileSource) else None
        raise DataSourceError(
            config_file, "source.path" if is_file else "source", data_file, exc
        ) from exc
    return apply_label_map(documents, config.label_map)
