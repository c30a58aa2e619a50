"""Sending one email over SMTP (aiosmtplib) to the server of ``ASTRO_SMTP_URL``."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from astro.settings import Settings
from subgraphs.system.store import NotificationDocument, utcnow

MESSAGE_ID_DOMAIN = "notifications.astrobookings"


class MailNotConfigured(Exception):
    """``ASTRO_SMTP_URL`` is not set (or not an SMTP URL)."""


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to hand mail over."""

    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # TLS from the first byte (smtps://); else STARTTLS when the server offers it


def smtp_server(settings: Settings) -> SmtpServer:
    """The server of ``settings.smtp_url``: ``smtp://[user:pw@]host[:25]`` or ``smtps://…[:465]``."""
    if not settings.smtp_url:
        raise MailNotConfigured("ASTRO_SMTP_URL is not set: no SMTP server to send mail through.")
    url = urlsplit(settings.smtp_url)
    if url.scheme not in {"smtp", "smtps"} or not url.hostname:
        raise MailNotConfigured(
            "ASTRO_SMTP_URL must look like smtp://host:port or smtps://user:password@host:port."
        )
    use_tls = url.scheme == "smtps"
    return SmtpServer(
        host=url.hostname,
        port=url.port or (465 if use_tls else 25),
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=use_tls,
    )


def message_of(settings: Settings, notification: NotificationDocument) -> EmailMessage:
    """The email of ``notification``; every round (resend) gets a Message-ID of its own."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = notification.recipient_email
    message["Subject"] = notification.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(
        idstring=f"{notification.id}.{notification.round}", domain=MESSAGE_ID_DOMAIN
    )
    message["X-Astro-Notification"] = notification.id
    message["X-Astro-Kind"] = notification.kind
    message.set_content(notification.body)
    return message


async def send(settings: Settings, notification: NotificationDocument) -> None:
    """Hand the email to the SMTP server; raises on any refusal or connection problem."""
    server = smtp_server(settings)
    await aiosmtplib.send(
        message_of(settings, notification),
        hostname=server.host,
        port=server.port,
        username=server.username,
        password=server.password,
        use_tls=server.use_tls,
        timeout=settings.smtp_timeout_seconds,
    )
