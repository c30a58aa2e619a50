"""Who is calling: access tokens (JWT), roles and the scopes they grant.

The system subgraph issues access tokens; the gateway and every subgraph verify them with
:func:`verify_access_token`, so nothing trusts a header it cannot check.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import jwt

from astro.errors import Unauthenticated
from astro.settings import Settings

#: Which scopes each role grants: the one authorization table of the platform. Fields declare the
#: scopes they need (``@requiresScopes``); the gateway and every subgraph check those scopes, never
#: role names. A new role is one line here (or in ``ASTRO_ROLE_SCOPES``); see
#: ``docs/authorization.md``.
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "customer": (
        "bookings:own",
        "profile:own",
    ),
    "supplier": (
        "launches:own",
        "rockets:own",
        "bookings:supplier",
        "supplier:profile",
    ),
    "finance": (
        "launches:read",
        "bookings:read",
        "bookings:write",
        "invoices:read",
        "invoices:write",
        "payments:write",
        "reports:read",
    ),
    "it": (
        "logs:read",
        "notifications:read",
        "notifications:write",
    ),
    "admin": (
        "users:read",
        "logs:read",
        "bookings:read",
        "launches:read",
    ),
}

ROLES = tuple(ROLE_SCOPES)

_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller."""

    sub: str
    email: str
    roles: tuple[str, ...]
    scopes: tuple[str, ...]

    def has_scope(self, scope: str) -> bool:
        """Whether the caller was granted ``scope``; row-level rules ask this (e.g. may a caller
        read every supplier's launches, or only its own), never which role the caller holds."""
        return scope in self.scopes


def role_scopes(settings: Settings) -> Mapping[str, tuple[str, ...]]:
    """The role → scopes table in effect: ``ASTRO_ROLE_SCOPES`` when set, else :data:`ROLE_SCOPES`.

    The gateway and the subgraphs must read the same table, or one would allow what the other
    forbids.
    """
    if settings.role_scopes is None:
        return ROLE_SCOPES
    return {role: tuple(scopes) for role, scopes in settings.role_scopes.items()}


def scopes_for(
    roles: Iterable[str], table: Mapping[str, tuple[str, ...]] = ROLE_SCOPES
) -> tuple[str, ...]:
    """The scopes ``roles`` are granted by ``table``, sorted and without duplicates."""
    return tuple(sorted({scope for role in roles for scope in table.get(role, ())}))


def issue_access_token(settings: Settings, *, sub: str, email: str, roles: list[str]) -> str:
    """A signed access token for the user, valid for ``access_token_ttl_seconds``."""
    now = int(time.time())
    claims = {
        "sub": sub,
        "email": email,
        "roles": list(roles),
        "scope": " ".join(scopes_for(roles, role_scopes(settings))),
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
        # Derived from the roles with the table in effect, not read from the ``scope`` claim: a
        # change of the table applies at once, to tokens already issued too.
        scopes=scopes_for(roles, role_scopes(settings)),
    )


def identity_from_authorization(settings: Settings, header: str | None) -> Identity | None:
    """The caller of a request with this ``Authorization`` header; ``None`` for a visitor."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <access token>'.")
    return verify_access_token(settings, token.strip())
