"""The store reader interface, the runs it returns, and the choice of reader by tracking URI."""

from __future__ import annotations

import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol, TypeVar

from resume_ner.tracking.errors import TrackingError
from resume_ner.tracking.filters import (
    and_filters,
    attribute_equals,
    can_quote,
    tag_equals,
    tag_equals_superset,
)

#: MLflow's lifecycle stage of a run or experiment that is not deleted.
ACTIVE = "active"


class StoreReadError(TrackingError):
    """The tracking store could not be read (unreachable, refused, or not a store)."""


class RunView(Protocol):
    """A run as a reader returns it: MLflow's ``Run``, or a :class:`StoredRun` of the same shape."""

    info: Any
    data: Any


RunViewT = TypeVar("RunViewT", bound=RunView)


@dataclass(frozen=True)
class StoredRunInfo:
    """A run's identity and state, as stored."""

    run_id: str
    run_name: str | None
    experiment_id: str
    status: str
    start_time: int | None
    lifecycle_stage: str


@dataclass(frozen=True)
class StoredRunData:
    """A run's tags and the latest value of each of its metrics."""

    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredRun:
    """A run read without MLflow: the shape of MLflow's ``Run`` (``info``, ``data``)."""

    info: StoredRunInfo
    data: StoredRunData


@dataclass(frozen=True)
class RunQuery:
    """Which runs a search returns, newest first unless ``oldest_first``.

    ``tags``: tag values every run has exactly; ``has_tag``: a tag every run carries (any
    value); ``status``: a run status (``None``: any); ``include_deleted``: deleted runs too;
    ``max_results``: at most this many (``None``: every match).
    """

    tags: Mapping[str, str] = field(default_factory=dict)
    has_tag: str | None = None
    status: str | None = None
    include_deleted: bool = False
    oldest_first: bool = False
    max_results: int | None = None

    def filter_string(self) -> tuple[str, dict[str, str]]:
        """The MLflow filter string of this query, and the tags it can only narrow down.

        A value holding both quote characters cannot be written in a filter string: the filter
        matches a superset, and the returned tags must be compared exactly by the caller
        (:meth:`matches`).
        """
        clauses = []
        checked_here: dict[str, str] = {}
        for key, value in self.tags.items():
            text = str(value)
            if can_quote(text):
                clauses.append(tag_equals(key, text))
            else:
                clauses.append(tag_equals_superset(key, text))
                checked_here[key] = text
        if self.has_tag:
            clauses.append(tag_equals_superset(self.has_tag, "%"))
        if self.status is not None:
            clauses.append(attribute_equals("status", self.status.upper()))
        return and_filters(*clauses), checked_here

    def order_by(self) -> list[str]:
        """MLflow's ``order_by`` of this query."""
        return [f"attributes.start_time {'ASC' if self.oldest_first else 'DESC'}"]

    def matches(self, run: RunView) -> bool:
        """Whether ``run`` has every tag value of this query (for values a filter cannot hold)."""
        tags = run.data.tags
        return all(tags.get(key) == str(value) for key, value in self.tags.items())

    def take(self, runs: Iterable[RunViewT], *, checked_here: bool) -> list[RunViewT]:
        """The first ``max_results`` of ``runs`` (the pages a store answered), kept only when
        they :meth:`matches` where ``checked_here`` says the filter could not hold every value."""
        kept = (run for run in runs if not checked_here or self.matches(run))
        return list(islice(kept, self.max_results))


class StoreReader(ABC):
    """Reads a tracking store: experiments by name, runs by id or by tags, model aliases.

    Reads only: a reader never creates, migrates or changes anything, and holds nothing open
    between calls. Every method raises :class:`StoreReadError` when the store cannot be read.
    """

    tracking_uri: str

    @abstractmethod
    def experiment_ids(self, names: Iterable[str]) -> dict[str, str]:
        """Name -> id of the active experiments among ``names`` that exist, sorted by name."""

    @abstractmethod
    def get_run(self, run_id: str) -> RunView | None:
        """Run ``run_id`` (deleted or not), or ``None`` when the store has no such run."""

    @abstractmethod
    def search_runs(self, experiment_ids: Sequence[str], query: RunQuery) -> list[RunView]:
        """The runs of ``experiment_ids`` that ``query`` selects, in its order."""

    @abstractmethod
    def model_version_run(
        self, model_name: str, *, alias: str | None = None, version: str | None = None
    ) -> tuple[str, str | None] | None:
        """The version and run id of ``model_name`` at ``alias`` or ``version``; ``None`` when
        the model has no such alias or version (the run id is ``None`` when it records none)."""


def open_store_reader(
    tracking_uri: str, *, environ: Mapping[str, str] | None = None
) -> StoreReader:
    """The reader of the store at ``tracking_uri``: ``sqlite:///`` files through MLflow's schema,
    ``http(s)://`` servers through MLflow's REST API (neither imports MLflow; a server gets the
    credentials MLflow would send, from ``environ``), anything else through ``MlflowClient``.
    Raises :class:`~resume_ner.tracking.schema.StoreSchemaError` when an SQLite store's schema is
    not the installed MLflow's (the message says which side to upgrade)."""
    scheme = urllib.parse.urlsplit(tracking_uri).scheme.lower()
    if scheme == "sqlite":
        from resume_ner.tracking.schema import MLFLOW, check_store_schema
        from resume_ner.tracking.store.sqlite import SqliteStoreReader

        check_store_schema(tracking_uri, MLFLOW)
        return SqliteStoreReader(tracking_uri)
    if scheme in ("http", "https"):
        from resume_ner.tracking.store.rest import RestStoreReader, auth_headers

        return RestStoreReader(tracking_uri, headers=auth_headers(environ or {}))
    from mlflow.tracking import MlflowClient

    from resume_ner.tracking.store.client import ClientStoreReader

    return ClientStoreReader(MlflowClient(tracking_uri=tracking_uri))
