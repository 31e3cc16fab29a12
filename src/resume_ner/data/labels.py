"""BIO tags for a set of entity types, their ids, and the mapping of source labels.

The tag list is ``["O", "B-<E1>", "I-<E1>", "B-<E2>", ...]`` with entity types sorted, so the
ids of a label set never depend on the order it was written in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from resume_ner.config.data import DROP_LABEL
from resume_ner.data.documents import Document, Span

OUTSIDE = "O"


def build_bio_labels(entity_types: Iterable[str]) -> list[str]:
    """``["O", "B-X", "I-X", ...]`` for the sorted, de-duplicated ``entity_types``."""
    tags = [OUTSIDE]
    for entity in sorted(set(entity_types)):
        tags += [f"B-{entity}", f"I-{entity}"]
    return tags


def split_tag(tag: str) -> tuple[str, str | None]:
    """``"B-SKILL"`` -> ``("B", "SKILL")``; ``"O"`` -> ``("O", None)``.

    Raises :class:`ValueError` for a tag that is neither ``O`` nor ``B-``/``I-`` prefixed.
    """
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, dash, entity = tag.partition("-")
    if prefix not in ("B", "I") or not dash or not entity:
        raise ValueError(f"{tag!r} is not a BIO tag")
    return prefix, entity


@dataclass(frozen=True)
class LabelSchema:
    """The entity types of a model and its BIO tags with their ids."""

    entities: tuple[str, ...]
    labels: tuple[str, ...]
    label2id: Mapping[str, int]
    id2label: Mapping[int, str]

    @classmethod
    def from_entities(cls, entity_types: Iterable[str]) -> LabelSchema:
        """The schema of ``entity_types`` (sorted; ids follow :func:`build_bio_labels`)."""
        labels = build_bio_labels(entity_types)
        return cls(
            entities=tuple(sorted(set(entity_types))),
            labels=tuple(labels),
            label2id={label: i for i, label in enumerate(labels)},
            id2label=dict(enumerate(labels)),
        )

    @classmethod
    def from_labels(cls, labels: Sequence[str]) -> LabelSchema:
        """The schema of an existing tag list (e.g. a checkpoint's ``id2label``), order kept.

        Raises :class:`ValueError` when a tag is not BIO or ``O`` is missing.
        """
        entities = sorted({e for e in (split_tag(tag)[1] for tag in labels) if e is not None})
        if OUTSIDE not in labels:
            raise ValueError(f"tag list has no {OUTSIDE!r}")
        return cls(
            entities=tuple(entities),
            labels=tuple(labels),
            label2id={label: i for i, label in enumerate(labels)},
            id2label=dict(enumerate(labels)),
        )


def apply_label_map(documents: Iterable[Document], label_map: Mapping[str, str]) -> list[Document]:
    """Rename span labels through ``label_map``; spans mapped to ``O`` are dropped on purpose.

    Labels absent from the map are kept as they are, so validate first
    (:func:`resume_ner.data.validation.require_valid`) to reject unknown ones.
    """
    result = []
    for document in documents:
        spans = []
        for span in document.spans:
            label = label_map.get(span.label, span.label)
            if label != DROP_LABEL:
                spans.append(span if label == span.label else Span(span.start, span.end, label))
        result.append(replace(document, spans=tuple(spans)))
    return result
