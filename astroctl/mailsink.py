"""A local SMTP sink (aiosmtpd): accepts every email and keeps it where a developer can see it.

``astro dev`` runs one (``astro mailsink``) when ``ASTRO_SMTP_URL`` is not set, and the tests
run one in-process to receive the notifications for real over SMTP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from astroctl.devstack import free_port


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    """One email the sink accepted."""

    mail_from: str
    to: tuple[str, ...]
    subject: str
    body: str
    headers: dict[str, str]
    received_at: datetime

    @property
    def notification_id(self) -> str | None:
        """The platform's notification id (``X-Astro-Notification``), if it is one of ours."""
        return self.headers.get("X-Astro-Notification")


@dataclass
class MailSink:
    """An SMTP server on ``host:port`` that keeps every email: in :attr:`messages`, as ``.eml``
    files in ``directory`` when given, and through ``echo`` (e.g. ``print``) when given.

    Set :attr:`refuse` to an SMTP reply (``"451 4.3.0 Try again later"``) to refuse every email
    until it is ``None`` again, as a mail server having trouble would.
    """

    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    directory: Path | None = None
    echo: Callable[[str], None] | None = None
    refuse: str | None = None
    messages: list[ReceivedMail] = field(default_factory=list)
    refused: int = 0
    _controller: Controller | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def url(self) -> str:
        """The ``ASTRO_SMTP_URL`` that points at this sink."""
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> MailSink:
        """Listen (in a thread of its own); returns ``self``."""
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def received(self, to: str | None = None) -> list[ReceivedMail]:
        """The emails kept so far (to ``to`` only, when given)."""
        with self._lock:
            mails = list(self.messages)
        if to is None:
            return mails
        return [mail for mail in mails if to.lower() in (address.lower() for address in mail.to)]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: one email has arrived."""
        if self.refuse is not None:
            with self._lock:
                self.refused += 1
            return self.refuse
        content: bytes = envelope.original_content or envelope.content
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        mail = ReceivedMail(
            mail_from=str(envelope.mail_from),
            to=tuple(str(address) for address in envelope.rcpt_tos),
            subject=str(parsed.get("Subject", "")),
            body=str(body),
            headers={key: str(value) for key, value in parsed.items()},
            received_at=datetime.now(UTC),
        )
        with self._lock:
            self.messages.append(mail)
            count = len(self.messages)
        if self.directory is not None:
            stamp = mail.received_at.strftime("%Y%m%dT%H%M%S")
            (self.directory / f"{stamp}-{count:05d}.eml").write_bytes(content)
        if self.echo is not None:
            self.echo(
                f"--- mail {count} to {', '.join(mail.to)} from {mail.mail_from}\n"
                f"Subject: {mail.subject}\n\n{mail.body}"
            )
        return "250 Message accepted for delivery"
