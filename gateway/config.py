"""The gateway's edge settings: one pydantic-settings model, ``ASTRO_GATEWAY_<FIELD>`` each.

Every field is documented in ``docs/gateway-edge.md``. ``None`` means "the mode's default":
:meth:`GatewayConfig.resolved` fills those in for ``dev`` or ``production`` (``ASTRO_MODE``).
``create_app(sdl)`` without a config serves no edge at all (the engine alone, as before).

Nothing here is AstroBookings': an application fills in its own secrets, Redis and role → scopes
mapping (AstroBookings does in ``astroctl/gateway_config.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_PROPAGATED_HEADERS", "GatewayConfig"]

DEFAULT_PROPAGATED_HEADERS = ("accept-language", "traceparent", "tracestate")


class GatewayConfig(BaseSettings):
    """Everything the edge does around the engine: auth, authorization, limits, APQ, rate limits."""

    model_config = SettingsConfigDict(env_prefix="ASTRO_GATEWAY_", extra="ignore")

    mode: Literal["dev", "production"] = "dev"

    # -- authentication --------------------------------------------------------------------
    jwt_secret: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["HS256", "RS256", "ES256"])
    jwt_leeway_seconds: int = 30
    jwks_path: Path | None = None
    jwks_url: str | None = None
    jwks_cache_seconds: int = 300
    jwks_min_refresh_seconds: float = 10.0
    roles_claim: str = "roles"
    #: role → scopes granted to a token carrying the role: the deployer's (none by default).
    role_scopes: dict[str, list[str]] = Field(default_factory=dict)
    trust_scope_claim: bool = False
    require_authentication: bool = False
    forwarded_token_ttl_seconds: int = 60

    # -- authorization ---------------------------------------------------------------------
    authorization: bool = True
    authorization_mode: Literal["filter", "reject", "dry_run"] = "filter"

    # -- limits (0 = off) -------------------------------------------------------------------
    max_depth: int | None = None
    max_aliases: int | None = None
    max_root_fields: int | None = None
    max_tokens: int | None = None
    max_cost: int | None = None
    default_list_size: int = 10
    max_body_bytes: int | None = None
    subgraph_timeout_seconds: float = 30.0
    subgraph_timeouts: dict[str, float] = Field(default_factory=dict)

    # -- HTTP hardening ----------------------------------------------------------------------
    introspection: bool | None = None
    csrf_prevention: bool | None = None
    csrf_required_headers: list[str] = Field(
        default_factory=lambda: ["x-apollo-operation-name", "apollo-require-preflight"]
    )
    cors_origins: list[str] | None = None
    cors_allow_credentials: bool = True
    mask_errors: bool | None = None
    propagate_headers: list[str] = Field(default_factory=lambda: list(DEFAULT_PROPAGATED_HEADERS))

    # -- persisted queries -------------------------------------------------------------------
    apq: bool = True
    apq_ttl_seconds: int = 7 * 24 * 3600
    safelist: bool = False
    operations_manifest: Path | None = None
    safelist_allow_apq_registration: bool = False

    # -- rate limiting -----------------------------------------------------------------------
    redis_url: str | None = None
    rate_limit: bool | None = None
    rate_limit_per_second: float = 20.0
    rate_limit_burst: int = 60
    login_rate_limit_per_second: float = 0.2
    login_rate_limit_burst: int = 5
    login_fields: list[str] = Field(default_factory=lambda: ["login", "register", "refreshToken"])

    # -- observability & console -----------------------------------------------------------------
    # ``None``: on in dev; in production only with ``metrics_token`` (then required as a bearer
    # token), so request counts and cache figures are not public.
    metrics: bool | None = None
    metrics_token: str | None = None
    tracing: bool = False
    tracing_exporter: Literal["otlp", "console", "global"] = "otlp"
    tracing_service_name: str = "astro-gateway"
    tracing_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    console: bool | None = None

    def resolved(self) -> GatewayConfig:
        """A copy with every ``None`` replaced by the default of the mode."""
        prod = self.mode == "production"
        defaults: dict[str, object] = {
            "max_depth": 15 if prod else 0,
            "max_aliases": 30 if prod else 0,
            "max_root_fields": 20 if prod else 0,
            "max_tokens": 4000 if prod else 0,
            "max_cost": 5000 if prod else 0,
            "max_body_bytes": 1_000_000 if prod else 4_000_000,
            "introspection": not prod,
            "csrf_prevention": True,
            "cors_origins": [] if prod else ["*"],
            "mask_errors": prod,
            "rate_limit": prod,
            "console": not prod,
            "metrics": not prod or self.metrics_token is not None,
        }
        updates = {name: value for name, value in defaults.items() if getattr(self, name) is None}
        return self.model_copy(update=updates)
