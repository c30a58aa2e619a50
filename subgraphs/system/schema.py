"""GraphQL types of the system subgraph (Apollo Federation v2): users, sessions, notifications."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.serving import Context, SubgraphSchema
from subgraphs.system import logs, resolvers
from subgraphs.system.pages import Page
from subgraphs.system.store import DeliveryAttempt as DeliveryAttemptRecord
from subgraphs.system.store import NotificationDocument, NotificationStatus, UserDocument


@strawberry.federation.type(keys=["id"], description="An account on the platform.")
class User:
    id: strawberry.ID
    email: str
    roles: list[str]
    created_at: datetime

    @classmethod
    def from_document(cls, user: UserDocument) -> User:
        return cls(
            id=strawberry.ID(user.id),
            email=user.email,
            roles=list(user.roles),
            created_at=user.created_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> User | None:
        user = await resolvers.user_by_id(info.context, str(id))
        return cls.from_document(user) if user is not None else None


@strawberry.type(description="A logged-in session: a short-lived access token and its refresh.")
class AuthPayload:
    access_token: str = strawberry.field(description="JWT to send as 'Authorization: Bearer …'.")
    refresh_token: str = strawberry.field(description="Single-use; trade it in refreshToken.")
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    user: User

    @classmethod
    def from_session(cls, session: resolvers.Session) -> AuthPayload:
        return cls(
            access_token=session.access_token,
            refresh_token=session.refresh_token,
            expires_in=session.expires_in,
            user=User.from_document(session.user),
        )


@strawberry.input
class RegisterInput:
    email: str
    password: str = strawberry.field(
        description="At least 8 characters with an uppercase and a lowercase letter, a digit "
        "and a symbol."
    )


# strawberry.enum registers the GraphQL enum on the store's class itself.
strawberry.enum(
    NotificationStatus,
    description="PENDING: waiting to go out (or for a retry); SENT: handed to the mail server; "
    "FAILED: every attempt of its round failed (IT can resend it).",
)


@strawberry.type(description="One try to hand an email to the mail server.")
class DeliveryAttempt:
    at: datetime
    ok: bool
    error: str | None = strawberry.field(description="Why it failed (none when it worked).")
    round: int = strawberry.field(description="0 for the first delivery, +1 per resend.")

    @classmethod
    def from_record(cls, record: DeliveryAttemptRecord) -> DeliveryAttempt:
        return cls(at=record.at, ok=record.ok, error=record.error, round=record.round)


@strawberry.type(description="An email the platform sends someone, with its delivery state.")
class Notification:
    id: strawberry.ID
    kind: str = strawberry.field(description="Which template, e.g. booking_rejected.")
    recipient_user_id: strawberry.ID | None
    recipient_email: str
    subject: str
    body: str
    status: NotificationStatus
    attempts: list[DeliveryAttempt]
    attempt_count: int = strawberry.field(description="Attempts made, every round counted.")
    topic: str | None = strawberry.field(description="The event it was made for.")
    event_id: str | None
    booking_id: strawberry.ID | None
    launch_id: strawberry.ID | None
    invoice_id: strawberry.ID | None
    created_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due (PENDING only)."
    )

    @classmethod
    def from_document(cls, doc: NotificationDocument) -> Notification:
        def optional_id(value: str | None) -> strawberry.ID | None:
            return None if value is None else strawberry.ID(value)

        return cls(
            id=strawberry.ID(doc.id),
            kind=doc.kind,
            recipient_user_id=optional_id(doc.recipient_user_id),
            recipient_email=doc.recipient_email,
            subject=doc.subject,
            body=doc.body,
            status=doc.status,
            attempts=[DeliveryAttempt.from_record(attempt) for attempt in doc.attempts],
            attempt_count=len(doc.attempts),
            topic=doc.topic,
            event_id=doc.event_id,
            booking_id=optional_id(doc.booking_id),
            launch_id=optional_id(doc.launch_id),
            invoice_id=optional_id(doc.invoice_id),
            created_at=doc.created_at,
            sent_at=doc.sent_at,
            failed_at=doc.failed_at,
            next_attempt_at=(
                doc.next_attempt_at if doc.status is NotificationStatus.PENDING else None
            ),
        )


@strawberry.enum(description="Severity of a log entry, lowest first.")
class LogLevel(Enum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


@strawberry.type(description="One entry of the platform log: a record a process logged.")
class LogEntry:
    id: strawberry.ID
    at: datetime
    level: LogLevel
    logger: str = strawberry.field(description="The Python logger, e.g. arq.worker.")
    message: str
    source: str = strawberry.field(
        description="The process that logged it: gateway, customer, admin, system or worker."
    )
    host: str
    pid: int
    error: str | None = strawberry.field(description="The traceback, when there was one.")

    @classmethod
    def from_document(cls, doc: logs.LogEntryDocument) -> LogEntry:
        return cls(
            id=strawberry.ID(doc.id),
            at=doc.at,
            level=LogLevel(doc.level) if doc.level in logs.LEVELS else LogLevel.INFO,
            logger=doc.logger,
            message=doc.message,
            source=doc.source,
            host=doc.host,
            pid=doc.pid,
            error=doc.error,
        )


@strawberry.type(description="Where a page ends: pass `endCursor` as `after` for the next one.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, page: Page[Any]) -> PageInfo:
        return cls(has_next_page=page.has_next_page, end_cursor=page.end_cursor)


@strawberry.type
class UserConnection:
    nodes: list[User]
    page_info: PageInfo


@strawberry.type
class NotificationConnection:
    nodes: list[Notification]
    page_info: PageInfo


@strawberry.type
class LogEntryConnection:
    nodes: list[LogEntry]
    page_info: PageInfo


async def _logs(
    info: Info[Context, None],
    min_level: LogLevel = LogLevel.WARNING,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    contains: str | None = None,
    first: int = 50,
    after: str | None = None,
) -> LogEntryConnection:
    log_filter = logs.LogFilter(
        min_level=min_level.value, source=source, since=since, until=until, contains=contains
    )
    page = await resolvers.platform_logs(info.context, log_filter, first, after)
    return LogEntryConnection(
        nodes=[LogEntry.from_document(doc) for _, doc in page.rows], page_info=PageInfo.of(page)
    )


async def _me(info: Info[Context, None]) -> User | None:
    return User.from_document(await resolvers.me(info.context))


async def _users(
    info: Info[Context, None], first: int = 50, after: str | None = None
) -> UserConnection:
    page = await resolvers.users(info.context, first, after)
    return UserConnection(
        nodes=[User.from_document(user) for _, user in page.rows], page_info=PageInfo.of(page)
    )


def _notification_page(page: Page[NotificationDocument]) -> NotificationConnection:
    return NotificationConnection(
        nodes=[Notification.from_document(doc) for _, doc in page.rows],
        page_info=PageInfo.of(page),
    )


async def _my_notifications(
    info: Info[Context, None], first: int = 50, after: str | None = None
) -> NotificationConnection:
    return _notification_page(await resolvers.my_notifications(info.context, first, after))


async def _notifications(
    info: Info[Context, None],
    status: NotificationStatus | None = None,
    recipient: str | None = None,
    first: int = 50,
    after: str | None = None,
) -> NotificationConnection:
    page = await resolvers.notifications(info.context, status, recipient, first, after)
    return _notification_page(page)


async def _resend_notification(info: Info[Context, None], id: strawberry.ID) -> Notification:
    return Notification.from_document(await resolvers.resend_notification(info.context, str(id)))


async def _register(info: Info[Context, None], input: RegisterInput) -> AuthPayload:
    session = await resolvers.register(info.context, input.email, input.password)
    return AuthPayload.from_session(session)


async def _login(info: Info[Context, None], email: str, password: str) -> AuthPayload:
    return AuthPayload.from_session(await resolvers.login(info.context, email, password))


async def _refresh_token(info: Info[Context, None], refresh_token: str) -> AuthPayload:
    return AuthPayload.from_session(await resolvers.refresh(info.context, refresh_token))


async def _logout(info: Info[Context, None], refresh_token: str) -> bool:
    return await resolvers.logout(info.context, refresh_token)


@strawberry.type
class Query:
    me: User | None = strawberry.federation.field(
        resolver=_me, authenticated=True, description="The logged-in user."
    )
    users: UserConnection = strawberry.federation.field(
        resolver=_users,
        requires_scopes=[["users:read"]],
        description="Every user, ordered by email (admins).",
    )
    my_notifications: NotificationConnection = strawberry.federation.field(
        resolver=_my_notifications,
        authenticated=True,
        description="The emails sent (or being sent) to the logged-in user, newest first.",
    )
    notifications: NotificationConnection = strawberry.federation.field(
        resolver=_notifications,
        requires_scopes=[["notifications:read"]],
        description="Every notification, newest first (IT); filter by status and by recipient "
        "(a user id or an email).",
    )
    logs: LogEntryConnection = strawberry.federation.field(
        resolver=_logs,
        requires_scopes=[["logs:read"]],
        description="The platform log, newest first (IT, admins): warnings and errors of every "
        "process; `contains` searches message and traceback as plain text.",
    )


@strawberry.type
class Mutation:
    register: AuthPayload = strawberry.mutation(
        resolver=_register, description="Create a customer account and log it in."
    )
    login: AuthPayload = strawberry.mutation(
        resolver=_login, description="Log in with email and password."
    )
    refresh_token: AuthPayload = strawberry.mutation(
        resolver=_refresh_token,
        description="Trade a refresh token for a new session (rotates it).",
    )
    logout: bool = strawberry.mutation(resolver=_logout, description="Revoke a refresh token.")
    resend_notification: Notification = strawberry.federation.mutation(
        resolver=_resend_notification,
        requires_scopes=[["notifications:write"]],
        description="Send a SENT or FAILED notification again: back to PENDING, a new round of "
        "attempts (IT).",
    )


schema = SubgraphSchema(query=Query, mutation=Mutation, types=[User])
