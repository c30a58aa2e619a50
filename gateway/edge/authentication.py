"""Edge stage: who is calling (``JWT_*``, ``JWKS_*``, ``ROLES_CLAIM``, ``ROLE_SCOPES``,
``TRUST_SCOPE_CLAIM``, ``REQUIRE_AUTHENTICATION``, ``FORWARDED_TOKEN_TTL_SECONDS``).

A bearer token that does not verify is 401 ``UNAUTHENTICATED``; no token is a visitor (refused
too when authentication is required). Verification itself is ``gateway/auth.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..auth import AuthenticationError, TokenVerifier
from ..context import Reply, error
from ..hooks import Hook

if TYPE_CHECKING:
    from ..config import GatewayConfig
    from ..context import OperationContext

__all__ = ["Authentication"]


class Authentication(Hook):
    """Sets ``ctx.principal``."""

    def __init__(self, verifier: TokenVerifier, *, required: bool) -> None:
        self.verifier = verifier
        self.required = required

    @classmethod
    def from_config(cls, config: GatewayConfig) -> Authentication:
        return cls(TokenVerifier(config), required=config.require_authentication)

    async def on_request(self, ctx: OperationContext) -> None:
        authorization = ctx.headers.get(b"authorization", b"").decode("latin-1") or None
        try:
            principal = await self.verifier.principal(authorization)
        except AuthenticationError as exc:
            raise Reply(
                401,
                [error(str(exc), "UNAUTHENTICATED")],
                [(b"www-authenticate", b'Bearer error="invalid_token"')],
            ) from None
        if principal is None and self.required:
            raise Reply.of(401, "Log in first: send an access token.", "UNAUTHENTICATED")
        ctx.principal = principal
