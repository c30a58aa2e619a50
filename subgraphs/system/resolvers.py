"""Business rules of the system subgraph: accounts, sessions, who may see users, and who may see
and resend notifications.

Resolvers take the request :class:`Context` and return store documents or :class:`Session`;
``schema.py`` turns them into GraphQL types.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from arq.connections import ArqRedis
from strawberry.dataloader import DataLoader

from astro.errors import (
    AstroError,
    BadUserInput,
    Conflict,
    NotFound,
    Unauthenticated,
)
from astro.identity import issue_access_token
from subgraphs.serving import Context
from subgraphs.system import logs, store
from subgraphs.system.jobs import enqueue_delivery
from subgraphs.system.pages import Page, check_first
from subgraphs.system.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from subgraphs.system.store import NotificationDocument, NotificationStatus, UserDocument, utcnow

log = logging.getLogger(__name__)

LOGIN_FAILURE_LIMIT = 10
LOGIN_WINDOW = timedelta(minutes=15)

WRONG_CREDENTIALS = "Email or password is incorrect."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass
class SystemContext(Context):
    """The request context plus the arq pool that queues deliveries (``None`` without Redis:
    the redrive cron then queues them)."""

    queue: ArqRedis | None = None


class RateLimited(AstroError):
    """Too many attempts; ``extensions.retryAfter`` says how many seconds to wait."""

    code = "RATE_LIMITED"


@dataclass(frozen=True, slots=True)
class Session:
    """What a successful login, registration or refresh hands back."""

    access_token: str
    refresh_token: str
    expires_in: int
    user: UserDocument


def normalize_email(email: str) -> str:
    """The form emails are stored and compared in."""
    return email.strip().lower()


def user_loader(ctx: Context) -> DataLoader[str, UserDocument | None]:
    """This request's loader of users by id: every ``load`` in one tick is one ``$in`` query."""
    loader: DataLoader[str, UserDocument | None] | None = ctx.loaders.get("system.users")
    if loader is None:
        loader = DataLoader(load_fn=store.users_by_ids)
        ctx.loaders["system.users"] = loader
    return loader


async def _open_session(ctx: Context, user: UserDocument, refresh_token: str) -> Session:
    settings = ctx.settings
    access_token = issue_access_token(settings, sub=user.id, email=user.email, roles=user.roles)
    return Session(access_token, refresh_token, settings.access_token_ttl_seconds, user)


def _refresh_ttl(ctx: Context) -> timedelta:
    return timedelta(seconds=ctx.settings.refresh_token_ttl_seconds)


async def register(ctx: Context, email: str, password: str) -> Session:
    """Create a ``customer`` account and log it in."""
    email = normalize_email(email)
    if len(email) > 254 or not _EMAIL.match(email):
        raise BadUserInput(
            f"'{email}' is not a valid email address (expected name@domain.tld).", field="email"
        )
    missing = password_problems(password)
    if missing:
        raise BadUserInput(
            "The password is too weak: it needs " + ", ".join(missing) + ".",
            field="password",
            missing=missing,
        )
    try:
        user = await store.create_user(email, await hash_password(password), ["customer"])
    except store.EmailTaken as exc:
        raise Conflict(
            f"An account with email '{email}' already exists; log in instead.", field="email"
        ) from exc
    return await _open_session(
        ctx, user, await store.issue_refresh_token(user.id, _refresh_ttl(ctx))
    )


async def login(ctx: Context, email: str, password: str) -> Session:
    """Check the credentials (rate-limited per email, every attempt audited) and log in."""
    email = normalize_email(email)
    request = ctx.request
    ip = request.client.host if request is not None and request.client is not None else None
    forwarded_for = request.headers.get("x-forwarded-for") if request is not None else None

    async def audit(success: bool, reason: str, user_id: str | None = None) -> None:
        await store.record_login_attempt(
            email,
            success=success,
            reason=reason,
            ip=ip,
            forwarded_for=forwarded_for,
            user_id=user_id,
        )

    retry_after = await store.reserve_login_attempt(
        email, limit=LOGIN_FAILURE_LIMIT, window=LOGIN_WINDOW
    )
    if retry_after is not None:
        await audit(False, "rate_limited")
        raise RateLimited(
            f"Too many failed logins for this email; try again in {retry_after} seconds.",
            retryAfter=retry_after,
        )
    user = await store.user_by_email(email)
    if not await verify_password(user.password_hash if user else None, password) or user is None:
        await audit(False, "unknown_email" if user is None else "wrong_password")
        raise Unauthenticated(WRONG_CREDENTIALS)
    await store.clear_login_attempts(email)
    await audit(True, "ok", user.id)
    if needs_rehash(user.password_hash):
        await store.replace_password_hash(user.id, await hash_password(password))
    return await _open_session(
        ctx, user, await store.issue_refresh_token(user.id, _refresh_ttl(ctx))
    )


_REFUSALS = {
    "unknown": "This refresh token is not valid; log in again.",
    "expired": "This refresh token has expired; log in again.",
    "revoked": "This refresh token was revoked (logged out); log in again.",
    "reused": (
        "This refresh token was already used, so every session started from it has been "
        "signed out; log in again."
    ),
}


async def refresh(ctx: Context, refresh_token: str) -> Session:
    """Trade a live refresh token for a new access token and a new refresh token."""
    rotation = await store.rotate_refresh_token(refresh_token, _refresh_ttl(ctx))
    if rotation.refused is not None or rotation.token is None or rotation.user_id is None:
        raise Unauthenticated(_REFUSALS[rotation.refused or "unknown"])
    user = await user_loader(ctx).load(rotation.user_id)
    if user is None:
        raise Unauthenticated("The account of this refresh token no longer exists.")
    return await _open_session(ctx, user, rotation.token)


async def logout(ctx: Context, refresh_token: str) -> bool:
    """Revoke the refresh token; logging out twice is fine, an unknown token is an error."""
    if await store.revoke_refresh_token(refresh_token) is None:
        raise Unauthenticated(_REFUSALS["unknown"])
    return True


async def me(ctx: Context) -> UserDocument:
    """The logged-in user."""
    identity = ctx.require()
    user = await user_loader(ctx).load(identity.sub)
    if user is None:
        raise NotFound("The account of this access token no longer exists.")
    return user


async def users(ctx: Context, first: int, after: str | None) -> Page[UserDocument]:
    """A page of every user, ordered by email (``users:read``)."""
    ctx.require_scope("users:read")
    return await store.list_users(first, after)


async def user_by_id(ctx: Context, user_id: str) -> UserDocument | None:
    """The user with ``user_id`` (batched per request), for entity resolution."""
    return await user_loader(ctx).load(user_id)


# --- notifications -----------------------------------------------------------------------------


async def my_notifications(
    ctx: Context, first: int, after: str | None
) -> Page[NotificationDocument]:
    """The caller's own notifications, newest first (row-level: recipient = the caller)."""
    identity = ctx.require()
    return await store.list_notifications(recipient_user_id=identity.sub, first=first, after=after)


async def notifications(
    ctx: Context,
    status: NotificationStatus | None,
    recipient: str | None,
    first: int,
    after: str | None,
) -> Page[NotificationDocument]:
    """Every notification (IT), newest first; ``recipient`` is a user id or an email."""
    ctx.require_scope("notifications:read")
    wanted = recipient.strip() if recipient is not None else None
    return await store.list_notifications(
        status=status, recipient=wanted or None, first=first, after=after
    )


async def resend_notification(ctx: Context, notification_id: str) -> NotificationDocument:
    """Put a SENT or FAILED notification back to PENDING for a new round of attempts and queue
    its delivery (IT)."""
    ctx.require_scope("notifications:write")
    reopened = await store.reopen_notification(notification_id, utcnow())
    if reopened is None:
        current = await store.notification(notification_id)
        if current is None:
            raise NotFound(f"No notification with id {notification_id}.", field="id")
        raise Conflict(
            f"Notification {notification_id} is {current.status.value}: it is already waiting "
            "for delivery.",
            field="id",
            currentStatus=current.status.value,
        )
    queue = ctx.queue if isinstance(ctx, SystemContext) else None
    if queue is not None:
        try:
            await enqueue_delivery(queue, ctx.settings, reopened)
        except Exception:  # it is PENDING and due: the redrive cron queues it
            log.warning("could not queue the delivery of %s", reopened.id, exc_info=True)
    return reopened


async def platform_logs(
    ctx: Context, log_filter: logs.LogFilter, first: int, after: str | None
) -> Page[logs.LogEntryDocument]:
    """The platform log, newest first (IT and admins)."""
    ctx.require_scope("logs:read")
    check_first(first)
    if log_filter.min_level.upper() not in logs.LEVELS:
        raise BadUserInput(f"minLevel must be one of {', '.join(logs.LEVELS)}.", field="minLevel")
    return await logs.find_logs(log_filter, first, after)
