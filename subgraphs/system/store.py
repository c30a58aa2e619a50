"""The system subgraph's MongoDB store: users, refresh tokens, the auth audit, login throttling
and notifications with their delivery state.

Beanie documents live in the ``settings.system_db`` database. Ids are plain strings (UUIDs, the same
id in every store); refresh tokens are kept only as their sha256 digest.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from beanie import Document, init_beanie
from beanie.operators import In
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from astro.settings import Settings
from subgraphs.system.logs import LogEntryDocument
from subgraphs.system.pages import Page, SortKey, paginate

USER_INDEXES = [IndexModel([("email", ASCENDING)], unique=True, name="email_unique")]
REFRESH_TOKEN_INDEXES = [
    IndexModel([("user_id", ASCENDING)]),
    IndexModel([("family_id", ASCENDING)]),
]
AUTH_AUDIT_INDEXES = [IndexModel([("email", ASCENDING), ("at", DESCENDING)])]
NOTIFICATION_INDEXES = [
    IndexModel([("dedupe_key", ASCENDING)], unique=True, name="dedupe_key_unique"),
    IndexModel([("recipient_user_id", ASCENDING), ("created_at", DESCENDING)]),
    IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)]),
    IndexModel([("created_at", DESCENDING)]),
]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, at MongoDB's millisecond precision."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def new_id() -> str:
    """A fresh id (UUIDv4 string)."""
    return str(uuid.uuid4())


class UserDocument(Document):
    """A user account; ``email`` is stored lower-case and unique."""

    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    email: str
    password_hash: str
    roles: list[str]
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "users"
        indexes = USER_INDEXES


class RefreshTokenDocument(Document):
    """A refresh token, by the sha256 hex digest of its value.

    Tokens rotated from one login share a ``family_id``, so reusing an already rotated token can
    sign out the whole family (whoever replayed it may hold its successor).
    """

    id: str  # type: ignore[assignment]
    user_id: str
    family_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    class Settings:
        name = "refresh_tokens"
        indexes = REFRESH_TOKEN_INDEXES


class AuthAuditEntry(Document):
    """One login attempt, successful or not."""

    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    email: str
    success: bool
    reason: str
    ip: str | None = None
    forwarded_for: str | None = None
    user_id: str | None = None
    at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "auth_audit"
        indexes = AUTH_AUDIT_INDEXES


class LoginThrottle(Document):
    """Login attempts for one email since its window started and its last successful login."""

    id: str  # type: ignore[assignment]
    window_start: datetime
    attempts: int

    class Settings:
        name = "login_throttle"


class NotificationStatus(StrEnum):
    """Where an email stands: waiting to go out (or be retried), delivered, or given up on."""

    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class DeliveryAttempt(BaseModel):
    """One try to hand the email to the SMTP server; ``round`` counts resends (0: the first)."""

    at: datetime
    ok: bool
    error: str | None = None
    round: int = 0


class NotificationDocument(Document):
    """An email to one recipient, made once per ``dedupe_key`` (event, kind and recipient).

    ``round`` goes up with every resend; the attempts of the current round count towards the
    limit. ``delivering_until`` is the lease of the delivery under way (none when ``None``).
    """

    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    dedupe_key: str
    kind: str
    recipient_user_id: str | None = None
    recipient_email: str
    subject: str
    body: str
    topic: str | None = None
    event_id: str | None = None
    booking_id: str | None = None
    launch_id: str | None = None
    invoice_id: str | None = None
    status: NotificationStatus = NotificationStatus.PENDING
    attempts: list[DeliveryAttempt] = Field(default_factory=list)
    round: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    delivering_until: datetime | None = None
    sent_at: datetime | None = None
    failed_at: datetime | None = None

    class Settings:
        name = "notifications"
        indexes = NOTIFICATION_INDEXES

    @property
    def round_attempts(self) -> int:
        """Attempts made in the current round."""
        return sum(1 for attempt in self.attempts if attempt.round == self.round)


DOCUMENTS: list[type[Document]] = [
    UserDocument,
    RefreshTokenDocument,
    AuthAuditEntry,
    LoginThrottle,
    NotificationDocument,
    LogEntryDocument,
]


async def init_store(settings: Settings) -> AsyncMongoClient[dict[str, Any]]:
    """Connect to MongoDB, bind the documents to ``settings.system_db`` and ensure the indexes.

    The caller owns the returned client and closes it (``await client.close()``).
    """
    if not settings.mongo_url:
        raise RuntimeError(
            "ASTRO_MONGO_URL is not set: point it at a MongoDB server (`astro dev` starts one)."
        )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url, tz_aware=True)
    await init_beanie(database=client[settings.system_db], document_models=DOCUMENTS)
    return client


# --- users -----------------------------------------------------------------------------------


class EmailTaken(Exception):
    """Another user already has this email."""


async def create_user(email: str, password_hash: str, roles: list[str]) -> UserDocument:
    """Insert a new user; ``EmailTaken`` when the (normalised) email is in use."""
    user = UserDocument(email=email, password_hash=password_hash, roles=roles)
    try:
        await user.insert()
    except DuplicateKeyError as exc:
        raise EmailTaken(email) from exc
    return user


async def user_by_email(email: str) -> UserDocument | None:
    """The user with this (normalised) email."""
    return await UserDocument.find_one(UserDocument.email == email)


async def users_by_ids(ids: list[str]) -> list[UserDocument | None]:
    """The users with ``ids``, in that order (``None`` where missing), in one query."""
    found = await UserDocument.find(In(UserDocument.id, list(set(ids)))).to_list()
    by_id = {user.id: user for user in found}
    return [by_id.get(user_id) for user_id in ids]


USER_ORDER = (SortKey("email", "email", False, "str"), SortKey("_id", "id", False, "str"))


async def list_users(first: int, after: str | None) -> Page[UserDocument]:
    """A page of users ordered by email."""
    return await paginate(UserDocument, {}, USER_ORDER, first=first, after=after)


async def replace_password_hash(user_id: str, password_hash: str) -> None:
    """Store a new hash for the user (e.g. after a rehash with stronger parameters)."""
    await UserDocument.get_pymongo_collection().update_one(
        {"_id": user_id}, {"$set": {"password_hash": password_hash}}
    )


# --- refresh tokens ----------------------------------------------------------------------------


def digest(token: str) -> str:
    """The sha256 hex digest under which a refresh token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


async def issue_refresh_token(user_id: str, ttl: timedelta, family_id: str | None = None) -> str:
    """A new refresh token for the user (starting a new family unless ``family_id`` is given)."""
    token = _new_token()
    now = utcnow()
    await RefreshTokenDocument(
        id=digest(token),
        user_id=user_id,
        family_id=family_id or new_id(),
        created_at=now,
        expires_at=now + ttl,
    ).insert()
    return token


@dataclass(frozen=True, slots=True)
class Rotation:
    """The outcome of presenting a refresh token: its successor, or why there is none."""

    user_id: str | None = None
    token: str | None = None
    refused: str | None = None  # "unknown", "expired", "reused", "revoked"


async def rotate_refresh_token(token: str, ttl: timedelta) -> Rotation:
    """Revoke ``token`` and issue its successor in the same family, in one transaction.

    A token that was already rotated is being replayed: its whole family is revoked.
    """
    collection = RefreshTokenDocument.get_pymongo_collection()
    now = utcnow()
    successor = _new_token()
    async with collection.database.client.start_session() as session:
        async with await session.start_transaction():
            claimed = await collection.find_one_and_update(
                {"_id": digest(token), "revoked_at": None, "expires_at": {"$gt": now}},
                {"$set": {"revoked_at": now, "revoked_reason": "rotated"}},
                session=session,
            )
            if claimed is not None:
                await collection.insert_one(
                    {
                        "_id": digest(successor),
                        "user_id": claimed["user_id"],
                        "family_id": claimed["family_id"],
                        "created_at": now,
                        "expires_at": now + ttl,
                        "revoked_at": None,
                        "revoked_reason": None,
                    },
                    session=session,
                )
                return Rotation(user_id=claimed["user_id"], token=successor)
    stored = await collection.find_one({"_id": digest(token)})
    if stored is None:
        return Rotation(refused="unknown")
    if stored["revoked_reason"] == "rotated":
        await collection.update_many(
            {"family_id": stored["family_id"], "revoked_at": None},
            {"$set": {"revoked_at": now, "revoked_reason": "reuse"}},
        )
        return Rotation(user_id=stored["user_id"], refused="reused")
    if stored["revoked_at"] is not None:
        return Rotation(user_id=stored["user_id"], refused="revoked")
    return Rotation(user_id=stored["user_id"], refused="expired")


async def revoke_refresh_token(token: str) -> bool | None:
    """Revoke ``token`` (logout): ``True`` if it was live, ``False`` if not, ``None`` if unknown."""
    collection = RefreshTokenDocument.get_pymongo_collection()
    revoked = await collection.update_one(
        {"_id": digest(token), "revoked_at": None},
        {"$set": {"revoked_at": utcnow(), "revoked_reason": "logout"}},
    )
    if revoked.modified_count:
        return True
    return False if await collection.count_documents({"_id": digest(token)}, limit=1) else None


async def refresh_token_record(token: str) -> RefreshTokenDocument | None:
    """The stored record of ``token``."""
    return await RefreshTokenDocument.get(digest(token))


# --- auth audit and throttling -----------------------------------------------------------------


async def record_login_attempt(
    email: str,
    *,
    success: bool,
    reason: str,
    ip: str | None,
    forwarded_for: str | None,
    user_id: str | None,
) -> None:
    """Append one login attempt to the audit."""
    await AuthAuditEntry(
        email=email,
        success=success,
        reason=reason,
        ip=ip,
        forwarded_for=forwarded_for,
        user_id=user_id,
    ).insert()


async def reserve_login_attempt(email: str, *, limit: int, window: timedelta) -> int | None:
    """Count one login attempt for ``email`` before its password is checked.

    Returns ``None`` when the attempt may go ahead, else the seconds until the window ends.
    The count is taken atomically *before* verifying, so concurrent guesses cannot slip past
    the limit; a successful login clears it (:func:`clear_login_attempts`).
    """
    collection = LoginThrottle.get_pymongo_collection()
    for _ in range(5):
        now = utcnow()
        cutoff = now - window
        counted = await collection.find_one_and_update(
            {"_id": email, "window_start": {"$gt": cutoff}, "attempts": {"$lt": limit}},
            {"$inc": {"attempts": 1}},
        )
        if counted is not None:
            return None
        restarted = await collection.find_one_and_update(
            {"_id": email, "window_start": {"$lte": cutoff}},
            {"$set": {"window_start": now, "attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if restarted is not None:
            return None
        try:
            await collection.insert_one({"_id": email, "window_start": now, "attempts": 1})
            return None
        except DuplicateKeyError:
            current = await collection.find_one({"_id": email})
        # Someone else created or restarted the window meanwhile: decide on what is there now.
        if current is not None and current["attempts"] >= limit:
            window_start: datetime = current["window_start"]
            if window_start > cutoff:
                return max(1, math.ceil((window_start + window - now).total_seconds()))
    return 1


async def clear_login_attempts(email: str) -> None:
    """Forget the counted attempts for ``email`` (after a successful login)."""
    await LoginThrottle.get_pymongo_collection().delete_one({"_id": email})


# --- notifications -----------------------------------------------------------------------------


async def insert_notification(
    notification: NotificationDocument,
) -> tuple[NotificationDocument, bool]:
    """Store ``notification`` unless one with its ``dedupe_key`` exists: ``(stored, created)``."""
    try:
        await notification.insert()
    except DuplicateKeyError:
        existing = await NotificationDocument.find_one(
            NotificationDocument.dedupe_key == notification.dedupe_key
        )
        if existing is None:  # pragma: no cover - the unique index said it is there
            raise
        return existing, False
    return notification, True


async def notification(notification_id: str) -> NotificationDocument | None:
    """The notification with this id."""
    return await NotificationDocument.get(notification_id)


NOTIFICATION_ORDER = (
    SortKey("created_at", "created_at", True, "datetime"),
    SortKey("_id", "id", False, "str"),
)


async def list_notifications(
    *,
    status: NotificationStatus | None = None,
    recipient_user_id: str | None = None,
    recipient: str | None = None,
    first: int,
    after: str | None,
) -> Page[NotificationDocument]:
    """A page of notifications, newest first; ``recipient`` matches a user id or an email."""
    query: dict[str, Any] = {}
    if status is not None:
        query["status"] = status.value
    if recipient_user_id is not None:
        query["recipient_user_id"] = recipient_user_id
    if recipient is not None:
        query["$or"] = [
            {"recipient_user_id": recipient},
            {"recipient_email": recipient.strip().lower()},
        ]
    return await paginate(NotificationDocument, query, NOTIFICATION_ORDER, first=first, after=after)


def _collection() -> Any:
    return NotificationDocument.get_pymongo_collection()


async def claim_delivery(
    notification_id: str, now: datetime, lease: timedelta
) -> NotificationDocument | None:
    """Take the lease of a PENDING notification nobody is delivering; ``None`` if not possible."""
    claimed = await _collection().find_one_and_update(
        {
            "_id": notification_id,
            "status": NotificationStatus.PENDING.value,
            "$or": [{"delivering_until": None}, {"delivering_until": {"$lte": now}}],
        },
        {"$set": {"delivering_until": now + lease, "updated_at": now}},
        return_document=ReturnDocument.AFTER,
    )
    return None if claimed is None else NotificationDocument.model_validate(claimed)


async def finish_attempt(
    notification: NotificationDocument,
    attempt: DeliveryAttempt,
    *,
    status: NotificationStatus,
    next_attempt_at: datetime | None = None,
) -> None:
    """Record ``attempt`` and the outcome, and give the lease back."""
    values: dict[str, Any] = {
        "status": status.value,
        "delivering_until": None,
        "updated_at": attempt.at,
    }
    if status is NotificationStatus.SENT:
        values["sent_at"] = attempt.at
    elif status is NotificationStatus.FAILED:
        values["failed_at"] = attempt.at
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    await _collection().update_one(
        {"_id": notification.id},
        {"$set": values, "$push": {"attempts": attempt.model_dump()}},
    )


async def reopen_notification(notification_id: str, now: datetime) -> NotificationDocument | None:
    """A SENT or FAILED notification back to PENDING for a new round; ``None`` if it is not one."""
    reopened = await _collection().find_one_and_update(
        {
            "_id": notification_id,
            "status": {"$in": [NotificationStatus.SENT.value, NotificationStatus.FAILED.value]},
        },
        {
            "$set": {
                "status": NotificationStatus.PENDING.value,
                "next_attempt_at": now,
                "delivering_until": None,
                "updated_at": now,
            },
            "$inc": {"round": 1},
        },
        return_document=ReturnDocument.AFTER,
    )
    return None if reopened is None else NotificationDocument.model_validate(reopened)


async def overdue_notifications(before: datetime, limit: int) -> list[NotificationDocument]:
    """PENDING notifications whose next attempt is due since ``before`` and nobody delivers."""
    return (
        await NotificationDocument.find(
            {
                "status": NotificationStatus.PENDING.value,
                "next_attempt_at": {"$lte": before},
                "$or": [{"delivering_until": None}, {"delivering_until": {"$lte": before}}],
            }
        )
        .sort("next_attempt_at")
        .limit(limit)
        .to_list()
    )
