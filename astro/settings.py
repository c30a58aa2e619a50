"""Platform settings, read from ``ASTRO_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the platform; each field is ``ASTRO_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="ASTRO_", env_file=".env", extra="ignore")

    mode: Literal["dev", "production"] = "dev"
    data_dir: Path = Path(".astro")

    postgres_url: str | None = None
    mongo_url: str | None = None
    redis_url: str | None = None
    customer_db: str = "astro_customer"
    system_db: str = "astro_system"
    queue_name: str = "astro:queue"
    # Emails go through a queue (and worker) of their own, so a rush of them never holds up the
    # booking sync; unset: ``<queue_name>:notifications``; equal to ``queue_name``: one queue.
    notification_queue_name: str | None = None

    jwt_secret: str = Field(default="dev-only-secret-change-me-in-production-0123456789")
    jwt_issuer: str = "astrobookings"
    jwt_audience: str = "astrobookings"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # Role → scopes, as JSON (``{"customer": ["bookings:own", ...], ...}``); unset: the built-in
    # table ``astro.identity.ROLE_SCOPES``. See docs/authorization.md.
    role_scopes: dict[str, list[str]] | None = None

    host: str = "127.0.0.1"
    gateway_port: int = 4000
    customer_port: int = 4001
    admin_port: int = 4002
    system_port: int = 4003
    customer_url: str | None = None
    admin_url: str | None = None
    system_url: str | None = None
    supergraph_path: Path = Path("schema/supergraph.graphql")

    min_days_ahead: int = 365
    max_seats_per_customer: int = 4
    max_seats_per_vip: int = 6
    vip_min_trips: int = 2
    outbox_poll_seconds: float = 1.0

    # The platform log for IT (``logs`` query): what every process ships to Redis.
    log_list: str = "astro:logs"
    log_ship_level: str = "WARNING"
    # Loggers shipped from INFO up (besides every logger's warnings and errors), e.g.
    # ``["subgraphs.admin.ledger"]`` for every booking the ledger rejects.
    log_ship_info_loggers: list[str] = Field(default_factory=list)

    # Notifications (email). ``smtp_url``: smtp://[user:password@]host[:port] (STARTTLS when the
    # server offers it) or smtps://… (TLS from the start); unset in dev, `astro dev` starts a
    # local sink on ``smtp_sink_port`` and points this at it.
    smtp_url: str | None = None
    smtp_timeout_seconds: float = 20.0
    smtp_sink_port: int = 1025
    mail_from: str = "AstroBookings <notifications@astrobookings.dev>"
    notification_max_attempts: int = Field(default=5, ge=1, le=50)
    notification_retry_seconds: float = Field(default=30.0, gt=0)
    notification_retry_max_seconds: float = Field(default=3600.0, gt=0)

    @property
    def notification_queue(self) -> str:
        """The arq queue of the notification jobs."""
        return self.notification_queue_name or f"{self.queue_name}:notifications"

    def subgraph_url(self, name: str) -> str:
        """The GraphQL URL of subgraph ``name`` (``customer``, ``admin`` or ``system``)."""
        explicit: str | None = getattr(self, f"{name}_url")
        if explicit:
            return explicit
        port: int = getattr(self, f"{name}_port")
        return f"http://{self.host}:{port}/graphql"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()
