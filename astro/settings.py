"""Platform settings, read from ``ASTRO_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Public (it is in this file): only ever good for a developer's own machine.
DEV_JWT_SECRET = "dev-only-secret-change-me-in-production-0123456789"
MIN_SECRET_LENGTH = 32


class ConfigurationError(Exception):
    """Settings this process must not run with; the message names each one and what to do."""


class Settings(BaseSettings):
    """Every knob of the platform; each field is ``ASTRO_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="ASTRO_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

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

    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "astrobookings"
    jwt_audience: str = "astrobookings"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # Role → scopes, as JSON (``{"customer": ["bookings:own", ...], ...}``); unset: the built-in
    # table ``astro.identity.ROLE_SCOPES``. See docs/authorization.md.
    role_scopes: dict[str, list[str]] | None = None

    host: str = "127.0.0.1"
    gateway_port: int = 4000
    # Per subgraph, by name (``astroctl/registry.py`` lists them and their default ports), e.g.
    # ``ASTRO_SUBGRAPH_URLS__CUSTOMER=http://customer:4001/graphql``: the URL the gateway calls
    # instead of the supergraph's; ``ASTRO_SUBGRAPH_PORTS__CUSTOMER=5001``: where it listens.
    subgraph_ports: dict[str, int] = Field(default_factory=dict)
    subgraph_urls: dict[str, str] = Field(default_factory=dict)
    supergraph_path: Path = Path("schema/supergraph.graphql")
    # The built web portals (``clients/web``), served by ``astro gateway`` on its own origin.
    web_dist: Path = Path("clients/web/dist")

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

    def production_problems(self) -> list[str]:
        """What keeps these settings from running in production: every setting whose default
        only makes sense on a developer's machine (a public secret, embedded stores, the local
        mail sink), each with what to set."""
        if self.mode != "production":
            return []
        problems = []
        if self.jwt_secret == DEV_JWT_SECRET:
            problems.append(
                "ASTRO_JWT_SECRET is not set: the built-in development secret is public, anyone "
                f"could forge tokens; set a random value of at least {MIN_SECRET_LENGTH} "
                "characters (e.g. the output of `openssl rand -hex 32`)"
            )
        elif len(self.jwt_secret) < MIN_SECRET_LENGTH:
            problems.append(
                f"ASTRO_JWT_SECRET is {len(self.jwt_secret)} characters long: use a random value "
                f"of at least {MIN_SECRET_LENGTH} (e.g. the output of `openssl rand -hex 32`)"
            )
        stores = {
            "ASTRO_POSTGRES_URL": (self.postgres_url, "the PostgreSQL of the ledger"),
            "ASTRO_MONGO_URL": (self.mongo_url, "the MongoDB replica set"),
            "ASTRO_REDIS_URL": (self.redis_url, "the Redis of the queues"),
            "ASTRO_SMTP_URL": (self.smtp_url, "the mail server of the notifications"),
        }
        for name, (value, what) in stores.items():
            if not value:
                problems.append(
                    f"{name} is not set: production never starts embedded or local dev "
                    f"servers; point it at {what}"
                )
        return problems

    def check_production_ready(self) -> None:
        """Refuse (``ConfigurationError``) to run in production on development defaults."""
        problems = self.production_problems()
        if problems:
            raise ConfigurationError(
                "ASTRO_MODE=production refuses to start:\n" + "\n".join(f"- {p}" for p in problems)
            )

    @property
    def notification_queue(self) -> str:
        """The arq queue of the notification jobs."""
        return self.notification_queue_name or f"{self.queue_name}:notifications"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment); in production, only when
    none of them is a development default (``ConfigurationError`` says which)."""
    settings = Settings()
    settings.check_production_ready()
    return settings
