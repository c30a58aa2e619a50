"""The platform's log for IT: entries every process shipped to Redis (``astro.logshipping``),
collected into the ``logs`` collection and read through the ``logs`` query.

Collection is at-least-once and idempotent: a batch is read from the head of the Redis list,
inserted (each entry's ``id`` is its ``_id``, so a batch inserted twice is stored once), and only
then trimmed from the list, so a worker dying between the two steps loses nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import BulkWriteError
from redis.asyncio import Redis

from astro.logshipping import LOG_LIST
from subgraphs.system.pages import Page, SortKey, paginate

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_INDEXES = [
    IndexModel([("at", DESCENDING)], name="at"),
    IndexModel([("level_no", ASCENDING), ("at", DESCENDING)], name="level_at"),
]
COLLECT_BATCH = 500
RETENTION = timedelta(days=14)


class LogEntryDocument(Document):
    """One shipped log record."""

    id: str  # type: ignore[assignment]
    at: datetime
    level: str
    level_no: int
    logger: str
    message: str
    source: str
    host: str = ""
    pid: int = 0
    seq: int = 0  # the order of entries logged by one process in the same millisecond
    error: str | None = None
    collected_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    class Settings:
        name = "logs"
        indexes = LOG_INDEXES


def _document(raw: bytes) -> LogEntryDocument | None:
    try:
        entry: dict[str, Any] = orjson.loads(raw)
        level = str(entry.get("level", "INFO")).upper()
        return LogEntryDocument(
            # The same bytes always give the same id: a batch collected twice is stored once.
            id=hashlib.sha256(raw).hexdigest()[:32],
            at=datetime.fromtimestamp(float(entry["at"]), UTC),
            level=level,
            level_no=LEVELS.index(level) if level in LEVELS else 0,
            logger=str(entry.get("logger", "")),
            message=str(entry.get("message", ""))[:4000],
            source=str(entry.get("source", "")),
            host=str(entry.get("host", "")),
            pid=int(entry.get("pid", 0)),
            seq=int(entry.get("seq", 0)),
            error=entry.get("error"),
        )
    except (ValueError, KeyError, TypeError):
        return None  # not an entry of ours: dropped


async def collect(redis: Redis, list_key: str = LOG_LIST, limit: int = COLLECT_BATCH) -> int:
    """Move up to ``limit`` entries from the Redis list into the ``logs`` collection."""
    raw: list[bytes] = await redis.lrange(list_key, 0, limit - 1)  # type: ignore[misc]
    if not raw:
        return 0
    documents = [doc for item in raw if (doc := _document(item)) is not None]
    if documents:
        try:
            await LogEntryDocument.get_pymongo_collection().insert_many(
                [doc.model_dump(by_alias=True) for doc in documents], ordered=False
            )
        except BulkWriteError as exc:
            # Already stored by an earlier run that died before trimming: fine.
            if any(error.get("code") != 11000 for error in exc.details.get("writeErrors", [])):
                raise
    await redis.ltrim(list_key, len(raw), -1)  # type: ignore[misc]
    return len(raw)


async def prune(now: datetime, retention: timedelta = RETENTION) -> int:
    """Drop entries older than ``retention``; returns how many."""
    result = await LogEntryDocument.get_pymongo_collection().delete_many(
        {"at": {"$lt": now - retention}}
    )
    return result.deleted_count


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What the ``logs`` query narrows to; ``None`` means any."""

    min_level: str = "WARNING"
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    contains: str | None = None


LOG_ORDER = (
    SortKey("at", "at", True, "datetime"),
    SortKey("seq", "seq", True, "int"),
    SortKey("_id", "id", True, "str"),
)


async def find_logs(log_filter: LogFilter, first: int, after: str | None) -> Page[LogEntryDocument]:
    """Entries matching ``log_filter``, newest first."""
    level = log_filter.min_level.upper()
    query: dict[str, Any] = {"level_no": {"$gte": LEVELS.index(level) if level in LEVELS else 0}}
    if log_filter.source:
        query["source"] = log_filter.source
    at: dict[str, datetime] = {}
    if log_filter.since is not None:
        at["$gte"] = log_filter.since
    if log_filter.until is not None:
        at["$lt"] = log_filter.until
    if at:
        query["at"] = at
    if log_filter.contains:
        # Plain substring search, case-insensitive (no text index on every MongoDB-wire server).
        needle = {"$regex": re.escape(log_filter.contains), "$options": "i"}
        query["$or"] = [{"message": needle}, {"error": needle}]
    return await paginate(LogEntryDocument, query, LOG_ORDER, first=first, after=after)
