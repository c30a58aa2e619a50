"""Ship every process's warnings and errors to Redis, for IT to read through the graph.

Each ``astro`` process (gateway, subgraphs, worker) installs :func:`ship_logs`: records at
``WARNING`` and above (and those of the loggers named in ``ASTRO_LOG_SHIP_LOGGERS`` at ``INFO``)
are turned into small JSON entries and pushed to the Redis list :data:`LOG_LIST` by a background
thread; the system subgraph's worker moves them into its ``logs`` collection (``logs`` query,
scope ``logs:read``).

Shipping never slows or breaks the code that logs: the record is formatted in the caller's
thread and queued; the push happens in batches off the event loop. When Redis is unreachable or
the queue is full, entries are dropped and counted (the process's own log keeps them all).
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import socket
import threading
import time
import traceback
from collections.abc import Iterable
from typing import Any

import orjson
import redis

LOG_LIST = "astro:logs"  # the default of ``ASTRO_LOG_LIST``
# Entries kept in Redis when no collector runs (oldest dropped first).
MAX_LIST_LENGTH = 50_000
_QUEUE_SIZE = 10_000
_BATCH = 500
_HOST = socket.gethostname()
_sequence = itertools.count()


def log_entry(record: logging.LogRecord, source: str) -> dict[str, Any]:
    """The JSON-ready entry for ``record`` logged by process ``source``."""
    entry: dict[str, Any] = {
        "at": record.created,
        "level": record.levelname,
        "logger": record.name,
        "message": record.getMessage(),
        "source": source,
        "host": _HOST,
        "pid": record.process or os.getpid(),
    }
    if record.exc_info and record.exc_info[1] is not None:
        entry["error"] = "".join(traceback.format_exception(*record.exc_info))[-8000:]
    entry["seq"] = next(_sequence)  # two equal records stay two entries
    return entry


class RedisLogHandler(logging.Handler):
    """A handler that queues entries for a background thread pushing them to Redis."""

    def __init__(
        self,
        redis_url: str,
        source: str,
        *,
        level: int = logging.WARNING,
        info_loggers: Iterable[str] = (),
        list_key: str = LOG_LIST,
    ) -> None:
        super().__init__(logging.DEBUG)
        self.list_key = list_key
        self.source = source
        self.threshold = level
        self.info_loggers = tuple(info_loggers)
        self.dropped = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(_QUEUE_SIZE)
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._thread = threading.Thread(target=self._push_forever, name="astro-logs", daemon=True)
        self._thread.start()

    def _wanted(self, record: logging.LogRecord) -> bool:
        if record.levelno >= self.threshold:
            return True
        return record.levelno >= logging.INFO and record.name.startswith(self.info_loggers)

    def emit(self, record: logging.LogRecord) -> None:
        if not self._wanted(record) or record.name.startswith(("redis", "astro.logshipping")):
            return
        try:
            self._queue.put_nowait(orjson.dumps(log_entry(record, self.source)))
        except queue.Full:
            self.dropped += 1
        except Exception:
            self.handleError(record)

    def _take_batch(self) -> list[bytes] | None:
        first = self._queue.get()
        if first is None:
            self._queue.task_done()
            return None
        batch = [first]
        while len(batch) < _BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.task_done()
                self._queue.put_nowait(None)  # seen again after this batch is pushed
                break
            batch.append(item)
        return batch

    def _push_forever(self) -> None:
        while (batch := self._take_batch()) is not None:
            try:
                pipe = self._redis.pipeline(transaction=False)
                pipe.rpush(self.list_key, *batch)
                pipe.ltrim(self.list_key, -MAX_LIST_LENGTH, -1)
                pipe.execute()
            except redis.RedisError:
                self.dropped += len(batch)
                time.sleep(0.5)  # Redis is away: do not spin
            finally:
                for _ in batch:
                    self._queue.task_done()

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every queued entry was pushed or dropped (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._queue.all_tasks_done.wait(remaining):
                    return

    def close(self) -> None:
        try:
            self.flush(timeout=2.0)
            self._queue.put_nowait(None)
            self._thread.join(timeout=2.0)
        except queue.Full:
            pass
        self._redis.close()
        super().close()


def ship_logs(
    redis_url: str | None,
    source: str,
    *,
    level: str = "WARNING",
    info_loggers: Iterable[str] = (),
    list_key: str = LOG_LIST,
) -> RedisLogHandler | None:
    """Install a :class:`RedisLogHandler` on the root logger (``None`` without Redis)."""
    if not redis_url:
        return None
    handler = RedisLogHandler(
        redis_url,
        source,
        level=logging.getLevelNamesMapping()[level.upper()],
        info_loggers=info_loggers,
        list_key=list_key,
    )
    root = logging.getLogger()
    root.addHandler(handler)
    if handler.threshold < root.getEffectiveLevel():
        root.setLevel(handler.threshold)  # asked for: ship (and log) below the default
    for name in handler.info_loggers:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    return handler
