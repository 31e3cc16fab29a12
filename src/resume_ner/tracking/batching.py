"""Logging params, metrics and tags in as few MLflow requests as the request limits allow.

MLflow's ``log_batch`` takes at most 100 params, 100 tags, 1,000 metrics and 1,000 entities in
all per request, and a tracking server refuses requests over 1 MB. :func:`log_batch_chunked`
prepares the values once (params stringified and cut to MLflow's param value limit, tag values
sanitised, secrets dropped, non-finite metrics skipped) and sends them in the fewest requests
those limits allow: one request whenever the content fits in one.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from resume_ner.naming.tags import DEFAULT_TAG_MAX_LENGTH, redact_secrets, sanitize_tag_value
from resume_ner.tracking.retry import retry_with_backoff

if TYPE_CHECKING:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient
    from mlflow.utils.async_logging.run_operations import RunOperations

    from resume_ner.tracking.breaker import CircuitBreaker

logger = logging.getLogger(__name__)

#: A metric as ``(name, value, step)`` or ``(name, value, step, timestamp_ms)``.
MetricTuple = tuple[str, float, int] | tuple[str, float, int, int]
MetricsInput = Mapping[str, float] | Iterable[MetricTuple]

#: Bytes a request needs besides its entities (run id, field names, brackets), with margin.
_REQUEST_FRAME_BYTES = 512
#: Slack per entity for number formatting differences between ``json`` and protobuf JSON.
_ENTITY_SLACK_BYTES = 8


@dataclass
class _Chunk:
    params: list[Param] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    tags: list[RunTag] = field(default_factory=list)
    size: int = _REQUEST_FRAME_BYTES

    def __len__(self) -> int:
        return len(self.params) + len(self.metrics) + len(self.tags)


def _entity_size(payload: Mapping[str, Any]) -> int:
    """Bytes ``payload`` takes inside a pretty-printed ``log_batch`` request body."""
    # MLflow's REST client sends JSON indented by 2; an entity sits two levels deep in the
    # request, so each of its lines carries 4 more spaces, and a ",\n" separates entities.
    return len(json.dumps(payload, indent=2)) + 4 * (len(payload) + 2) + 2 + _ENTITY_SLACK_BYTES


def _param_value(value: Any, max_length: int) -> str:
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        value = json.dumps(value, sort_keys=True, default=str)
    return sanitize_tag_value(value, max_length)


def _check_key(kind: str, key: Any, max_length: int) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"{kind} name must be a non-empty string, got {key!r}")
    if len(key) > max_length:
        raise ValueError(
            f"{kind} name is {len(key)} characters, over MLflow's {max_length}: {key!r}"
        )
    return key


def _metric_items(metrics: MetricsInput) -> Iterable[tuple[Any, Any, Any, Any]]:
    if isinstance(metrics, Mapping):
        for name, value in metrics.items():
            yield name, value, 0, None
        return
    for item in metrics:
        if len(item) not in (3, 4):
            raise ValueError(
                f"a metric is (name, value, step) or (name, value, step, timestamp_ms), got {item!r}"
            )
        name, value, step = item[0], item[1], item[2]
        yield name, value, step, item[3] if len(item) == 4 else None


def _prepare(
    params: Mapping[str, Any],
    metrics: MetricsInput,
    tags: Mapping[str, Any],
    tag_max_length: int,
) -> tuple[list[tuple[Param, int]], list[tuple[Metric, int]], list[tuple[RunTag, int]]]:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.utils.validation import MAX_ENTITY_KEY_LENGTH, MAX_PARAM_VAL_LENGTH

    prepared_params = []
    for key, value in redact_secrets(params).items():
        if value is None:
            continue
        key = _check_key("param", key, MAX_ENTITY_KEY_LENGTH)
        text = _param_value(value, MAX_PARAM_VAL_LENGTH)
        prepared_params.append((Param(key, text), _entity_size({"key": key, "value": text})))

    now_ms = int(time.time() * 1000)
    prepared_metrics = []
    skipped = []
    for name, value, step, timestamp in _metric_items(metrics):
        name = _check_key("metric", name, MAX_ENTITY_KEY_LENGTH)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"metric {name!r} is not a number: {value!r}") from None
        if not math.isfinite(number):
            skipped.append(name)
            continue
        stamp = now_ms if timestamp is None else int(timestamp)
        payload = {"key": name, "value": number, "timestamp": stamp, "step": int(step)}
        prepared_metrics.append((Metric(name, number, stamp, int(step)), _entity_size(payload)))
    if skipped:
        logger.warning("not logging non-finite (NaN or infinite) metrics: %s", sorted(set(skipped)))

    prepared_tags = []
    for key, value in redact_secrets(tags).items():
        if value is None:
            continue
        key = _check_key("tag", key, MAX_ENTITY_KEY_LENGTH)
        text = sanitize_tag_value(value, tag_max_length)
        prepared_tags.append((RunTag(key, text), _entity_size({"key": key, "value": text})))
    return prepared_params, prepared_metrics, prepared_tags


def _plan_batches(
    params: list[tuple[Param, int]],
    metrics: list[tuple[Metric, int]],
    tags: list[tuple[RunTag, int]],
) -> list[_Chunk]:
    """Split prepared ``(entity, size)`` lists into requests within MLflow's limits.

    Each request is filled before the next is started: params and tags first (at most 100
    each), then metrics up to 1,000 entities, all within the request size. Under the count
    limits alone this gives the fewest requests possible: ``max(ceil(P/100), ceil(T/100),
    ceil(M/1000), ceil((P+T+M)/1000))``. Raises :class:`ValueError` for a single entity larger
    than a request may be.
    """
    from mlflow.utils.validation import (
        MAX_BATCH_LOG_REQUEST_SIZE,
        MAX_ENTITIES_PER_BATCH,
        MAX_METRICS_PER_BATCH,
        MAX_PARAMS_TAGS_PER_BATCH,
    )

    queues = {"params": list(params), "tags": list(tags), "metrics": list(metrics)}
    limits = {
        "params": MAX_PARAMS_TAGS_PER_BATCH,
        "tags": MAX_PARAMS_TAGS_PER_BATCH,
        "metrics": MAX_METRICS_PER_BATCH,
    }
    positions = dict.fromkeys(queues, 0)
    chunks: list[_Chunk] = []
    while any(positions[kind] < len(queues[kind]) for kind in queues):
        chunk = _Chunk()
        for kind in ("params", "tags", "metrics"):
            target: list[Any] = getattr(chunk, kind)
            queue = queues[kind]
            while (
                positions[kind] < len(queue)
                and len(target) < limits[kind]
                and len(chunk) < MAX_ENTITIES_PER_BATCH
                and chunk.size + queue[positions[kind]][1] <= MAX_BATCH_LOG_REQUEST_SIZE
            ):
                entity, size = queue[positions[kind]]
                target.append(entity)
                chunk.size += size
                positions[kind] += 1
        if not len(chunk):
            kind = next(k for k in queues if positions[k] < len(queues[k]))
            entity, size = queues[kind][positions[kind]]
            raise ValueError(
                f"{kind[:-1]} {entity.key!r} needs {size} bytes, more than one MLflow request "
                f"may carry ({MAX_BATCH_LOG_REQUEST_SIZE})"
            )
        chunks.append(chunk)
    return chunks


def log_batch_chunked(
    client: MlflowClient,
    run_id: str,
    *,
    params: Mapping[str, Any] | None = None,
    metrics: MetricsInput | None = None,
    tags: Mapping[str, Any] | None = None,
    synchronous: bool = True,
    tag_max_length: int = DEFAULT_TAG_MAX_LENGTH,
    breaker: CircuitBreaker | None = None,
) -> RunOperations | None:
    """Log ``params``, ``metrics`` and ``tags`` into run ``run_id`` in the fewest requests.

    ``params`` values are stringified (mappings and lists as JSON) and cut to MLflow's param
    value limit; ``tags`` values go through :func:`sanitize_tag_value` with ``tag_max_length``;
    entries whose names look like secrets (:func:`redact_secrets`) and ``None`` values are
    dropped. ``metrics`` is a mapping of name to value (step 0) or a sequence of ``(name,
    value, step)`` (optionally with a fourth item, the timestamp in ms); NaN and infinite
    values are skipped with a warning. Content that fits one request goes in one request;
    more is split as :func:`_plan_batches` says. Each request is retried on transient errors
    (:func:`retry_with_backoff`), or through ``breaker`` when given (which raises
    :class:`~resume_ner.tracking.errors.TrackingUnavailableError` once the retries are spent or
    while it holds calls), so a metric may be stored twice when a request failed after the
    store wrote it. With ``synchronous=False`` the requests are queued in MLflow's
    asynchronous logger and their combined ``RunOperations`` is returned (wait on it to be
    sure they landed); otherwise ``None``. Raises :class:`ValueError` for an empty or
    overlong name or a non-numeric metric before anything is sent, and MLflow's exception
    when the store refuses a request.
    """
    prepared = _prepare(params or {}, metrics or {}, tags or {}, tag_max_length)
    operations = []
    for number, chunk in enumerate(_plan_batches(*prepared), start=1):

        def send(chunk: _Chunk = chunk) -> RunOperations | None:
            return client.log_batch(
                run_id,
                metrics=chunk.metrics,
                params=chunk.params,
                tags=chunk.tags,
                synchronous=synchronous,
            )

        operation = f"log batch {number} to run {run_id}"
        result = (
            retry_with_backoff(send, operation_name=operation)
            if breaker is None
            else breaker.call(send, operation)
        )
        if result is not None:
            operations.append(result)
    if synchronous or not operations:
        return None
    from mlflow.utils.async_logging.run_operations import get_combined_run_operations

    return get_combined_run_operations(operations)
