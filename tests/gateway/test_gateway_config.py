"""The platform's edge config: AstroBookings' settings and roles filled into a bare gateway."""

from __future__ import annotations

import pytest

from astro.identity import ROLE_SCOPES
from astro.settings import Settings
from astroctl.gateway_config import gateway_config
from gateway.config import GatewayConfig


def test_a_bare_gateway_config_grants_no_role_any_scope() -> None:
    assert GatewayConfig().role_scopes == {}


def test_the_platform_config_carries_its_secrets_redis_and_role_scopes() -> None:
    settings = Settings(
        mode="production",
        jwt_secret="platform-secret-0123456789abcdef0123456789",
        redis_url="redis://127.0.0.1:6379/5",
    )
    config = gateway_config(settings)
    assert config.jwt_secret == settings.jwt_secret
    assert config.jwt_issuer == settings.jwt_issuer
    assert config.redis_url == "redis://127.0.0.1:6379/5"
    assert config.role_scopes["admin"] == list(ROLE_SCOPES["admin"])
    assert config.mode == "production" and config.max_depth == 15  # resolved for the mode


def test_gateway_variables_win_over_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASTRO_GATEWAY_ROLE_SCOPES", '{"pilot": ["launches:read"]}')
    monkeypatch.setenv("ASTRO_GATEWAY_JWT_ISSUER", "someone-else")
    config = gateway_config(Settings())
    assert config.role_scopes == {"pilot": ["launches:read"]}
    assert config.jwt_issuer == "someone-else"


def test_the_gateway_reads_the_role_table_the_subgraphs_read() -> None:
    settings = Settings(role_scopes={"pilot": ["launches:read"], "customer": ["bookings:own"]})
    assert gateway_config(settings).role_scopes == {
        "pilot": ["launches:read"],
        "customer": ["bookings:own"],
    }
