"""Values a run is owed: kept in memory until sent, and on disk while its tracking store is down.

:class:`PendingValues` is the one type for values a run has not received yet: deferred to its
next batch by a tracker, or held while the store does not answer. Each metric carries the time
it was produced (``(name, value, step, timestamp_ms)``), so a metric sent late is stored with
the time it was measured, not the time it was sent.

A :class:`Spool` is the on-disk form for one run: the JSON-lines file
``tracking-spool-<run_id>.jsonl`` beside the run's outputs. Its first line names the run and
its tracking URI; every further line is one record, appended atomically (one ``write`` on a
file opened for appending, then ``fsync``), so it survives the process: params, metrics and
tags (``values``), the training artifacts to upload (``artifacts``) and the run's end
(``end``, with its status and time). :meth:`Spool.send` sends the records in order, by the
process that wrote them, by a later command or by ``resume-ner runs sync``; after each record it
appends a ``sent`` marker, and when every record is sent the file is removed. Sending is
idempotent: a metric already in the run's history with the same step, timestamp and value is
not sent again (a process that stopped after sending but before marking sends nothing twice),
and params, tags, uploads and the end are the same when repeated.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from resume_ner.config.mlflow import StageTracking
from resume_ner.tracking.batching import MetricsInput, log_batch_chunked
from resume_ner.tracking.errors import TrackingError, UnsentValuesError

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from resume_ner.tracking.breaker import CircuitBreaker

logger = logging.getLogger(__name__)

SPOOL_PREFIX = "tracking-spool-"
SPOOL_SUFFIX = ".jsonl"
#: Seconds to wait for another process sending or writing the same spool.
LOCK_TIMEOUT_S = 120.0

#: A metric as ``(name, value, step, timestamp_ms)``.
StampedMetric = tuple[str, float, int, int]


def now_ms() -> int:
    """The current time in milliseconds since the epoch, as MLflow stamps metrics."""
    return int(time.time() * 1000)


def stamp_metrics(
    metrics: MetricsInput | None, step: int | None = None, stamp_ms: int | None = None
) -> list[StampedMetric]:
    """``metrics`` as ``(name, value, step, timestamp_ms)``.

    A mapping is taken at ``step`` (default 0); tuples keep their own step and timestamp.
    Metrics without a timestamp get ``stamp_ms`` (default: now), the time they were produced.
    """
    if metrics is None:
        return []
    stamp = now_ms() if stamp_ms is None else stamp_ms
    if isinstance(metrics, Mapping):
        return [(str(name), value, step or 0, stamp) for name, value in metrics.items()]
    stamped = []
    for item in metrics:
        given = item[3] if len(item) > 3 else None
        stamped.append((str(item[0]), item[1], int(item[2]), stamp if given is None else given))
    return stamped


@dataclass
class PendingValues:
    """Params, metrics (with the time each was produced) and tags a run has not received."""

    params: dict[str, Any] = field(default_factory=dict)
    metrics: list[StampedMetric] = field(default_factory=list)
    tags: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.params or self.metrics or self.tags)

    def add(
        self,
        *,
        params: Mapping[str, Any] | None = None,
        metrics: Iterable[StampedMetric] = (),
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        """Add values produced after those held; a param or tag given again replaces its value."""
        self.params.update(params or {})
        self.metrics.extend(metrics)
        self.tags.update(tags or {})

    def then(self, later: PendingValues | None) -> PendingValues:
        """These values followed by ``later`` ones (which win for params and tags)."""
        if later:
            self.add(params=later.params, metrics=later.metrics, tags=later.tags)
        return self


def spool_path(folder: Path | str, run_id: str) -> Path:
    """Where the spool of ``run_id`` lives in ``folder``."""
    return Path(folder) / f"{SPOOL_PREFIX}{run_id}{SPOOL_SUFFIX}"


def find_spools(folders: Iterable[Path | str]) -> list[Spool]:
    """The spools in ``folders`` and their subfolders, oldest first."""
    paths: set[Path] = set()
    for folder in folders:
        root = Path(folder)
        if root.is_file() and root.name.startswith(SPOOL_PREFIX):
            paths.add(root)
        elif root.is_dir():
            paths.update(root.rglob(f"{SPOOL_PREFIX}*{SPOOL_SUFFIX}"))
    return [Spool(path) for path in sorted(paths, key=lambda path: path.stat().st_mtime)]


def _step_ranges(steps: list[int]) -> str:
    """``1-3, 7`` for steps 1, 2, 3 and 7."""
    ordered = sorted(set(steps))
    parts = []
    start = previous = ordered[0]
    for step in ordered[1:]:
        if step != previous + 1:
            parts.append(f"{start}-{previous}" if previous != start else str(start))
            start = step
        previous = step
    parts.append(f"{start}-{previous}" if previous != start else str(start))
    return ", ".join(parts)


class SpoolError(TrackingError):
    """A spool file cannot be read (its first line does not name a run)."""


class Spool:
    """The on-disk values of one run (see the module docstring).

    ``run_id`` and ``tracking_uri`` are given for a spool about to be written and read from the
    file's first line otherwise. Safe across threads and processes (a file lock beside it).
    """

    def __init__(
        self, path: Path | str, *, run_id: str | None = None, tracking_uri: str | None = None
    ) -> None:
        self.path = Path(path)
        self._run_id = run_id
        self._tracking_uri = tracking_uri

    @classmethod
    def for_run(cls, folder: Path | str, run_id: str, tracking_uri: str) -> Spool:
        """The spool of ``run_id`` in ``folder`` (the file is created by the first record)."""
        return cls(spool_path(folder, run_id), run_id=run_id, tracking_uri=tracking_uri)

    # --- reading ---------------------------------------------------------------------------

    def _header(self) -> dict[str, Any]:
        if self._run_id is None or self._tracking_uri is None:
            records = self._read()
            if not records or records[0].get("kind") != "run":
                raise SpoolError(f"{self.path} does not start with the run it belongs to")
            self._run_id = records[0]["run_id"]
            self._tracking_uri = records[0]["tracking_uri"]
        return {"run_id": self._run_id, "tracking_uri": self._tracking_uri}

    @property
    def run_id(self) -> str:
        """The MLflow run the values belong to."""
        return str(self._header()["run_id"])

    @property
    def tracking_uri(self) -> str:
        """The tracking URI of that run's store."""
        return str(self._header()["tracking_uri"])

    def _read(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                # Only a line cut short by a crash while it was written: it was never complete.
                logger.warning("%s line %d is incomplete; skipping it", self.path, number)
        return records

    def unsent(self) -> list[dict[str, Any]]:
        """The records not sent yet, in the order they were written."""
        records = self._read()
        sent = {record["sent"] for record in records if "sent" in record}
        return [
            record
            for record in records
            if record.get("kind") in ("values", "artifacts", "end") and record["seq"] not in sent
        ]

    def describe(self) -> list[str]:
        """What is still to send, in words: one line per metric (with its steps), then the
        params, tags, uploads and the run's end. Empty when nothing is."""
        steps: dict[str, list[int]] = {}
        params: set[str] = set()
        tags: set[str] = set()
        rest: list[str] = []
        for record in self.unsent():
            if record["kind"] == "values":
                for name, _value, step, _stamp in record["metrics"]:
                    steps.setdefault(name, []).append(step)
                params.update(record["params"])
                tags.update(record["tags"])
            elif record["kind"] == "artifacts":
                rest.append(f"upload of {record['checkpoint_dir']}")
            else:
                rest.append(f"end of the run as {record['status']}")
        lines = [f"metric {name} at step {_step_ranges(found)}" for name, found in steps.items()]
        if params:
            lines.append(f"{len(params)} params ({', '.join(sorted(params))})")
        if tags:
            lines.append(f"{len(tags)} tags ({', '.join(sorted(tags))})")
        return lines + rest

    # --- writing ---------------------------------------------------------------------------

    def _locked(self) -> AbstractContextManager[Any]:
        return FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S)

    def _write_line(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True, default=str) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(descriptor).st_size
            if size and os.pread(descriptor, 1, size - 1) != b"\n":
                line = "\n" + line  # end a line a crash cut short, so this one stands alone
            os.write(descriptor, line.encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _append(self, kind: str, fields: Mapping[str, Any]) -> None:
        with self._locked():
            records = self._read()
            if not records:
                self._write_line({"kind": "run", "seq": 0, **self._header(), "created": now_ms()})
            seq = 1 + max((record.get("seq", 0) for record in records), default=0)
            self._write_line({"kind": kind, "seq": seq, **fields})

    def hold_values(self, values: PendingValues, *, tag_max_length: int) -> None:
        """Append params, metrics and tags (tag values are cut to ``tag_max_length``)."""
        if values:
            self._append(
                "values",
                {
                    "params": values.params,
                    "metrics": [list(metric) for metric in values.metrics],
                    "tags": values.tags,
                    "tag_max_length": tag_max_length,
                },
            )

    def hold_artifacts(
        self,
        checkpoint_dir: Path | str,
        metrics_json_path: Path | str | None,
        switches: StageTracking,
    ) -> None:
        """Append the upload of a training checkpoint and ``metrics.json`` under ``switches``."""
        self._append(
            "artifacts",
            {
                "checkpoint_dir": str(Path(checkpoint_dir).resolve()),
                "metrics_json": None
                if metrics_json_path is None
                else str(Path(metrics_json_path).resolve()),
                "switches": switches.model_dump(mode="json"),
            },
        )

    def hold_end(self, status: str, end_time_ms: int | None = None) -> None:
        """Append the run's end with ``status`` at ``end_time_ms`` (default: now)."""
        self._append("end", {"status": status, "end_time": end_time_ms or now_ms()})

    # --- sending ---------------------------------------------------------------------------

    def send(self, client: MlflowClient, breaker: CircuitBreaker) -> None:
        """Send every unsent record in order through ``breaker``, mark each once it is in, and
        remove the file when all are.

        Raises :class:`~resume_ner.tracking.errors.TrackingUnavailableError` when the store does
        not answer (what is sent stays marked) and the store's or the upload's error when it
        refuses a record (that record and the later ones stay).
        """
        with self._locked():
            pending = self.unsent()
            histories: dict[str, set[tuple[int, int, float]]] = {}
            for record in pending:
                self._send_record(record, client, breaker, histories)
                self._write_line({"sent": record["seq"]})
            if not self.unsent():
                self.path.unlink(missing_ok=True)
        Path(str(self.path) + ".lock").unlink(missing_ok=True)

    def _send_record(
        self,
        record: Mapping[str, Any],
        client: MlflowClient,
        breaker: CircuitBreaker,
        histories: dict[str, set[tuple[int, int, float]]],
    ) -> None:
        run_id = self.run_id
        if record["kind"] == "values":
            metrics = [(str(n), float(v), int(s), int(t)) for n, v, s, t in record["metrics"]]
            for name in {metric[0] for metric in metrics} - set(histories):
                history = breaker.call(
                    lambda name=name: client.get_metric_history(run_id, name),
                    f"read metric {name} of run {run_id}",
                )
                histories[name] = {(m.step, m.timestamp, float(m.value)) for m in history}
            fresh = [m for m in metrics if (m[2], m[3], m[1]) not in histories[m[0]]]
            log_batch_chunked(
                client,
                run_id,
                params=record["params"],
                metrics=fresh,
                tags=record["tags"],
                tag_max_length=record["tag_max_length"],
                breaker=breaker,
            )
            for name, value, step, stamp in fresh:
                histories[name].add((step, stamp, value))
        elif record["kind"] == "artifacts":
            from resume_ner.tracking.artifacts.stage_helpers import upload_training_artifacts
            from resume_ner.tracking.artifacts.uploader import ArtifactUploader

            uploader = ArtifactUploader(
                client, run_id, StageTracking.model_validate(record["switches"])
            )
            breaker.call(
                lambda: upload_training_artifacts(
                    uploader, record["checkpoint_dir"], record["metrics_json"]
                ),
                f"upload artifacts to run {run_id}",
                retry=False,
            )
        else:
            breaker.call(
                lambda: client.set_terminated(
                    run_id, record["status"], end_time=record["end_time"]
                ),
                f"end run {run_id}",
            )


@dataclass(frozen=True)
class SyncResult:
    """What sending one spool did: ``sent`` when nothing is left; else what is ``left`` (in
    words) and why (``error``)."""

    path: Path
    run_id: str
    sent: bool
    left: list[str] = field(default_factory=list)
    error: str = ""


def sync_spools(spools: Iterable[Spool]) -> list[SyncResult]:
    """Send ``spools``, each to its own run's tracking store; one result per spool.

    One :class:`~resume_ner.tracking.breaker.CircuitBreaker` per tracking URI: once a store
    did not answer, the other spools of that store are left as they are without waiting again.
    A spool the store refuses, or that cannot be read, is reported and left in place.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from resume_ner.tracking.breaker import CircuitBreaker

    breakers: dict[str, CircuitBreaker] = {}
    clients: dict[str, MlflowClient] = {}
    results = []
    for spool in spools:
        try:
            uri, run_id = spool.tracking_uri, spool.run_id
        except (SpoolError, OSError, KeyError) as exc:
            results.append(SyncResult(spool.path, "", sent=False, error=str(exc)))
            continue
        breaker = breakers.setdefault(uri, CircuitBreaker.for_uri(uri))
        try:
            if uri not in clients:
                clients[uri] = MlflowClient(tracking_uri=uri)
            spool.send(clients[uri], breaker)
        except (TrackingError, MlflowException, OSError, ValueError) as exc:
            results.append(
                SyncResult(
                    spool.path,
                    run_id,
                    sent=False,
                    left=spool.describe(),
                    error=f"{type(exc).__name__}: {exc}",
                )
            )
            continue
        results.append(SyncResult(spool.path, run_id, sent=True))
    return results


def raise_if_unsent(spools: Sequence[Spool], *, root: Path) -> None:
    """Raise :class:`~resume_ner.tracking.errors.UnsentValuesError` when ``spools`` is not
    empty, saying what each spool holds and the ``runs sync`` command (for the project at
    ``root``) that sends it."""
    if not spools:
        return
    lines = ["the tracking store did not take everything; it waits in spool files:"]
    for spool in spools:
        try:
            lines.append(f"{spool.path} (run {spool.run_id}):")
            lines.extend(f"  {line}" for line in spool.describe())
        except (SpoolError, OSError) as exc:
            lines.append(f"{spool.path}: cannot be read ({exc})")
    paths = " ".join(str(spool.path) for spool in spools)
    lines.append(
        f"send it once the server answers: resume-ner --root {root} runs sync {paths} "
        "(or run the next command)"
    )
    raise UnsentValuesError("\n".join(lines), spools=[str(spool.path) for spool in spools])
