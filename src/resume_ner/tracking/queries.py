"""Searching runs: paged until exhausted, filtered on the server, and what callers do with them.

MLflow returns at most one page per ``search_runs`` call; everything here follows the page
token, so results are never cut at a page boundary without the caller asking for a limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING

from resume_ner.tracking.filters import (
    and_filters,
    attribute_equals,
    can_quote,
    tag_equals,
    tag_equals_superset,
)

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

#: Runs per ``search_runs`` request; every MLflow store accepts at least this many.
DEFAULT_PAGE_SIZE = 1000

#: The group of runs that have no variant tag.
DEFAULT_VARIANT = "default"


def iter_all_runs(
    client: MlflowClient,
    experiment_ids: Sequence[str],
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    run_view_type: int | None = None,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Iterator[Run]:
    """Every run of ``experiment_ids`` matching ``filter_string``, fetched a page at a time.

    Pages are requested lazily, so a caller that stops early does not pay for the rest.
    ``run_view_type`` is an ``mlflow.entities.ViewType`` value (``None``: active runs only).
    Raises ``ValueError`` when ``page_size`` is below 1 and ``MlflowException`` when a search
    fails.
    """
    from mlflow.entities import ViewType

    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    if not experiment_ids:
        return
    view = ViewType.ACTIVE_ONLY if run_view_type is None else run_view_type
    token: str | None = None
    while True:
        page = client.search_runs(
            list(experiment_ids),
            filter_string=filter_string,
            run_view_type=view,
            max_results=page_size,
            order_by=list(order_by) if order_by else None,
            page_token=token,
        )
        yield from page
        token = page.token
        if not token:
            return


def search_all_runs(
    client: MlflowClient,
    experiment_ids: Sequence[str],
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    run_view_type: int | None = None,
    max_results: int | None = None,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> list[Run]:
    """Every run matching the search, following page tokens until the last page.

    With ``max_results`` the search stops after that many runs (and asks for no more than it
    needs); without it, every matching run is returned. ``run_view_type`` as for
    :func:`iter_all_runs`. Raises ``ValueError`` for a ``max_results`` or ``page_size`` below
    1 and ``MlflowException`` when a search fails.
    """
    if max_results is not None:
        if max_results < 1:
            raise ValueError(f"max_results must be at least 1, got {max_results}")
        page_size = min(page_size, max_results)
    runs = iter_all_runs(
        client, experiment_ids, filter_string, order_by, run_view_type, page_size=page_size
    )
    return list(islice(runs, max_results))


def query_runs_by_tags(
    client: MlflowClient,
    experiment_ids: Sequence[str],
    required_tags: Mapping[str, str],
    *,
    status: str | None = "FINISHED",
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    run_view_type: int | None = None,
    max_results: int | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> list[Run]:
    """The runs whose tags equal every ``required_tags`` value, with ``status`` (``None``: any).

    Tags and status are filtered by the server, ANDed with ``filter_string``, and every page
    is read. A value no filter string can express (it contains both quote characters) is
    narrowed on the server and compared exactly here. Raises ``MlflowException`` when a search
    fails.
    """
    clauses = [filter_string]
    checked_here: dict[str, str] = {}
    for key, value in required_tags.items():
        text = str(value)
        if can_quote(text):
            clauses.append(tag_equals(key, text))
        else:
            clauses.append(tag_equals_superset(key, text))
            checked_here[key] = text
    if status is not None:
        clauses.append(attribute_equals("status", status.upper()))
    query = and_filters(*clauses)
    if not checked_here:
        return search_all_runs(
            client,
            experiment_ids,
            query,
            order_by,
            run_view_type,
            max_results,
            page_size=page_size,
        )
    runs = iter_all_runs(
        client, experiment_ids, query, order_by, run_view_type, page_size=page_size
    )
    exact = (
        run
        for run in runs
        if all(run.data.tags.get(key) == value for key, value in checked_here.items())
    )
    return list(islice(exact, max_results))
