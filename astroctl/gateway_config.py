"""The gateway's edge config for AstroBookings: the platform's settings under ``ASTRO_GATEWAY_*``.

The gateway itself knows nothing of AstroBookings (``gateway/`` imports neither ``astro`` nor
``subgraphs``): the JWT secret, issuer and audience, the Redis URL and the role → scopes mapping
of the platform are filled in here, by the application that runs it.
"""

from __future__ import annotations

from astro.identity import role_scopes
from astro.settings import Settings
from gateway.config import GatewayConfig

__all__ = ["gateway_config"]


def gateway_config(settings: Settings) -> GatewayConfig:
    """The edge config of the platform: ``ASTRO_GATEWAY_*`` over the platform's settings.

    An ``ASTRO_GATEWAY_*`` variable wins; what it leaves unset comes from ``settings`` (and
    ``role_scopes``, when not given, from the platform's table, ``ASTRO_ROLE_SCOPES`` included, so
    the gateway and the subgraphs decide with the same one)."""
    config = GatewayConfig(mode=settings.mode)
    updates: dict[str, object] = {}
    if config.jwt_secret is None:
        updates["jwt_secret"] = settings.jwt_secret
    if config.jwt_issuer is None:
        updates["jwt_issuer"] = settings.jwt_issuer
    if config.jwt_audience is None:
        updates["jwt_audience"] = settings.jwt_audience
    if config.redis_url is None:
        updates["redis_url"] = settings.redis_url
    if "role_scopes" not in config.model_fields_set:
        table = role_scopes(settings)
        updates["role_scopes"] = {role: list(scopes) for role, scopes in table.items()}
    return config.model_copy(update=updates).resolved()
