"""Who is calling: access tokens (JWT), roles and the scopes they grant.

The system subgraph issues access tokens; the gateway and every subgraph verify them with
:func:`verify_access_token`, so nothing trusts a header it cannot check.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from astro.errors import Unauthenticated
from astro.settings import Settings

ROLES = ("customer", "supplier", "finance", "it", "admin")

ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "customer": ("catalog:read", "bookings:own", "profile:own"),
    "supplier": (
        "catalog:read",
        "launches:own",
        "rockets:own",
        "bookings:supplier",
        "supplier:profile",
    ),
    "finance": (
        "catalog:read",
        "launches:read",
        "bookings:read",
        "bookings:write",
        "invoices:read",
        "invoices:write",
        "payments:write",
        "reports:read",
    ),
    "it": ("catalog:read", "logs:read", "notifications:read", "notifications:write", "sync:run"),
    "admin": (
        "catalog:read",
        "users:read",
        "users:write",
        "logs:read",
        "bookings:read",
        "launches:read",
    ),
}

_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller."""

    sub: str
    email: str
    roles: tuple[str, ...]
    scopes: tuple[str, ...]

    def has_role(self, *roles: str) -> bool:
        """Whether the caller holds any of ``roles``."""
        return any(role in self.roles for role in roles)


def scopes_for(roles: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The scopes granted by ``roles``, sorted and without duplicates."""
    return tuple(sorted({scope for role in roles for scope in ROLE_SCOPES.get(role, ())}))


def issue_access_token(settings: Settings, *, sub: str, email: str, roles: list[str]) -> str:
    """A signed access token for the user, valid for ``access_token_ttl_seconds``."""
    now = int(time.time())
    claims = {
        "sub": sub,
        "email": email,
        "roles": list(roles),
        "scope": " ".join(scopes_for(roles)),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + settings.access_token_ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=_ALGORITHM)


def verify_access_token(settings: Settings, token: str) -> Identity:
    """The identity in ``token``; ``Unauthenticated`` if it is forged, expired or malformed."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[_ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=30,
            options={"require": ["sub", "exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("The access token has expired; log in again.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"The access token is not valid: {exc}.") from exc
    roles = tuple(str(role) for role in claims.get("roles", ()))
    return Identity(
        sub=str(claims["sub"]),
        email=str(claims.get("email", "")),
        roles=roles,
        scopes=scopes_for(roles),
    )


def identity_from_authorization(settings: Settings, header: str | None) -> Identity | None:
    """The caller of a request with this ``Authorization`` header; ``None`` for a visitor."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <access token>'.")
    return verify_access_token(settings, token.strip())
