"""Reading any store MLflow can open (a database, Azure ML) through ``MlflowClient``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

from resume_ner.tracking.retry import is_transient_error, retry_with_backoff
from resume_ner.tracking.store.base import ACTIVE, RunQuery, RunView, StoreReader, StoreReadError

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

T = TypeVar("T")
#: Runs per ``search_runs`` request; every MLflow store accepts at least this many.
PAGE_SIZE = 1000


class ClientStoreReader(StoreReader):
    """The store behind ``client``; runs are MLflow's own ``Run`` objects.

    Transient failures are retried (:func:`~resume_ner.tracking.retry.retry_with_backoff`);
    what still fails is raised as :class:`StoreReadError`.
    """

    def __init__(self, client: MlflowClient) -> None:
        self.client = client
        self.tracking_uri = client.tracking_uri

    def __repr__(self) -> str:
        return f"ClientStoreReader({self.tracking_uri!r})"

    def _call(self, func: Callable[[], T], operation: str) -> T:
        from mlflow.exceptions import MlflowException

        try:
            return retry_with_backoff(func, operation_name=operation, retry_on=is_transient_error)
        except MlflowException as exc:
            raise StoreReadError(f"{operation}: {exc}") from exc

    def experiment_ids(self, names: Iterable[str]) -> dict[str, str]:
        found = {}
        for name in sorted(set(names)):
            experiment = self._call(
                lambda n=name: self.client.get_experiment_by_name(n), f"get experiment {name}"
            )
            if experiment is not None and experiment.lifecycle_stage == ACTIVE:
                found[name] = experiment.experiment_id
        return found

    def get_run(self, run_id: str) -> RunView | None:
        from mlflow.exceptions import MlflowException

        try:
            return retry_with_backoff(
                lambda: self.client.get_run(run_id),
                operation_name=f"get run {run_id}",
                retry_on=is_transient_error,
            )
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise StoreReadError(f"get run {run_id}: {exc}") from exc

    def search_runs(self, experiment_ids: Sequence[str], query: RunQuery) -> list[RunView]:
        from mlflow.entities import ViewType

        if not experiment_ids:
            return []
        filter_string, checked_here = query.filter_string()
        view = ViewType.ALL if query.include_deleted else ViewType.ACTIVE_ONLY
        page_size = min(PAGE_SIZE, query.max_results or PAGE_SIZE)

        def pages() -> Iterable[RunView]:
            token = None
            while True:
                page = self._call(
                    lambda t=token: self.client.search_runs(
                        list(experiment_ids),
                        filter_string=filter_string,
                        run_view_type=view,
                        max_results=page_size,
                        order_by=query.order_by(),
                        page_token=t,
                    ),
                    "search runs",
                )
                yield from page
                token = page.token
                if not token:
                    return

        return query.take(pages(), checked_here=bool(checked_here))

    def model_version_run(
        self, model_name: str, *, alias: str | None = None, version: str | None = None
    ) -> tuple[str, str | None] | None:
        from mlflow.exceptions import MlflowException

        try:
            found = (
                self.client.get_model_version_by_alias(model_name, alias)
                if alias is not None
                else self.client.get_model_version(model_name, str(version))
            )
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise StoreReadError(f"model {model_name}: {exc}") from exc
        return str(found.version), found.run_id or None
