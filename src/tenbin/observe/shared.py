"""Metrics totals across the worker processes of one `tenbin serve --workers N` run.

`serve` makes a private directory for the run and names it in TENBIN_METRICS_DIR. Each worker writes a JSON
snapshot of its Metrics there when it starts, then about once a second when something changed, and once more
when it shuts down; a scrape of /metrics adds the other workers' latest snapshots to the answering worker's
live numbers. The other workers' share of the totals may therefore lag by up to about a second. Recording
stays a few dict operations: nothing is written per request.

Snapshots are never removed during the run, so the traffic of a worker that uvicorn replaced still counts
and the totals never go down. A snapshot that cannot be read or parsed is skipped, never an error.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from tenbin.observe.metrics import Metrics

log = logging.getLogger("tenbin.metrics")

METRICS_DIR_ENV = "TENBIN_METRICS_DIR"
PUBLISH_INTERVAL_S = 1.0
SNAPSHOT_SUFFIX = ".json"


@contextmanager
def shared_metrics_dir() -> Iterator[Path]:
    """A fresh private (0700) directory for this run, named in the workers' environment; removed afterwards."""
    directory = tempfile.mkdtemp(prefix="tenbin-metrics-")
    previous = os.environ.get(METRICS_DIR_ENV)
    os.environ[METRICS_DIR_ENV] = directory
    try:
        yield Path(directory)
    finally:
        if previous is None:
            os.environ.pop(METRICS_DIR_ENV, None)
        else:
            os.environ[METRICS_DIR_ENV] = previous
        shutil.rmtree(directory, ignore_errors=True)


def write_snapshot(snapshot: bytes, path: Path) -> None:
    """Write atomically (temporary file, then rename) so that a reader never sees half a snapshot."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(snapshot)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_snapshot(path: Path) -> Metrics | None:
    """The metrics in a snapshot file, or None when it is gone, unreadable or not a valid snapshot."""
    try:
        return Metrics.from_snapshot(orjson.loads(path.read_bytes()))
    except (OSError, ValueError, TypeError, KeyError):
        return None


class SharedMetrics:
    """One worker's side of the exchange: publishes its own metrics and sums everyone's on a scrape."""

    def __init__(self, directory: Path, metrics: Metrics, interval_s: float = PUBLISH_INTERVAL_S) -> None:
        self.directory = directory
        self.metrics = metrics
        self.interval_s = interval_s
        # pid for the reader of the directory, a random part because a replaced worker's pid can come back
        self.path = directory / f"{os.getpid()}-{secrets.token_hex(4)}{SNAPSHOT_SUFFIX}"
        self._published: bytes | None = None

    async def publish_forever(self) -> None:
        while True:
            self.publish()  # at once too, so that the directory shows which workers have started
            await asyncio.sleep(self.interval_s)

    def publish(self) -> None:
        """Write the snapshot if anything changed since the last one.

        Synchronous on purpose: the dicts must not change while they are serialised, the file is small, and a
        write can then never be cut off by the cancellation that precedes the final flush.
        """
        snapshot = orjson.dumps(self.metrics.snapshot())
        if snapshot == self._published:
            return
        try:
            write_snapshot(snapshot, self.path)
        except OSError:  # a full or vanished disk must not take the worker down; the next tick retries
            log.warning("could not write the metrics snapshot %s", self.path, exc_info=True)
            return
        self._published = snapshot

    def others(self) -> list[Metrics]:
        """The latest snapshots of every other worker of this run (skipping any that cannot be read)."""
        try:
            paths = [path for path in self.directory.glob(f"*{SNAPSHOT_SUFFIX}") if path != self.path]
        except OSError:
            return []
        return [metrics for metrics in map(read_snapshot, paths) if metrics is not None]

    async def totals(self) -> Metrics:
        others = await asyncio.to_thread(self.others)
        total = Metrics()
        total.add(self.metrics)  # live numbers for this worker, read on the loop so they are consistent
        for metrics in others:
            total.add(metrics)
        return total
