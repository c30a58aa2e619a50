"""Who is calling: access-token verification at the gateway (HS256, RS256/ES256 with a JWKS).

A request without a token is a visitor. A token that does not verify (forged, expired, not yet
valid, wrong issuer/audience, ``alg: none``, an algorithm the key does not belong to, malformed)
is an :class:`AuthenticationError`, answered 401 ``UNAUTHENTICATED`` by the edge.

Algorithm confusion is impossible by construction: the algorithm named in the token header only
selects *which configured key* may verify it; an HMAC algorithm is only ever checked against the
shared secret, an RSA/EC algorithm only against a JWKS key of the matching type, and the set of
acceptable algorithms is the configured allowlist (never ``none``).
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from .cache import LRU
from .config import GatewayConfig

__all__ = ["AuthenticationError", "JWKSet", "Principal", "TokenVerifier"]

_HMAC = frozenset({"HS256", "HS384", "HS512"})
_RSA = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
_EC = frozenset({"ES256", "ES384", "ES512"})
_KTY = {**dict.fromkeys(_RSA, "RSA"), **dict.fromkeys(_EC, "EC")}


class AuthenticationError(Exception):
    """The request carries credentials that do not verify."""


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified caller: who, with which roles and scopes."""

    sub: str
    email: str
    roles: frozenset[str]
    scopes: frozenset[str]
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    token: str = field(default="", compare=False, hash=False, repr=False)
    #: The token was signed by an external issuer (JWKS): subgraphs get a gateway-signed one.
    external: bool = field(default=False, compare=False, hash=False)


class JWKSet:
    """Public keys from a JWKS file or URL, cached, refreshed when a token names an unknown kid."""

    def __init__(
        self,
        *,
        path: Path | None = None,
        url: str | None = None,
        cache_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
    ) -> None:
        if path is None and url is None:
            raise ValueError("a JWKS needs a path or a URL")
        self.path = path
        self.url = url
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self._keys: dict[str | None, tuple[jwt.PyJWK, str | None]] = {}
        self._loaded_at = -1e18
        self._lock = asyncio.Lock()

    def _read(self) -> dict[str, Any]:
        if self.path is not None:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
        else:
            assert self.url is not None
            with urllib.request.urlopen(self.url, timeout=5) as resp:
                data = json.loads(resp.read().decode("utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise AuthenticationError("The JWKS has no 'keys' list.")
        return data

    async def _refresh(self) -> None:
        data = await asyncio.to_thread(self._read)
        keys: dict[str | None, tuple[jwt.PyJWK, str | None]] = {}
        for entry in data["keys"]:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type or algorithm we do not support: skip it
            declared = entry.get("alg")
            keys[entry.get("kid")] = (key, declared if isinstance(declared, str) else None)
        self._keys = keys
        self._loaded_at = time.monotonic()

    async def key(self, kid: str | None) -> tuple[jwt.PyJWK, str | None] | None:
        """The key named ``kid`` (or the only key when the token names none) and the algorithm
        it declares, if any."""
        now = time.monotonic()
        stale = now - self._loaded_at > self.cache_seconds
        missing = self._lookup(kid) is None
        if stale or (missing and now - self._loaded_at > self.min_refresh_seconds):
            async with self._lock:
                if time.monotonic() - self._loaded_at > min(
                    self.min_refresh_seconds, self.cache_seconds
                ):
                    try:
                        await self._refresh()
                    except (OSError, ValueError, AuthenticationError):
                        if not self._keys:
                            raise AuthenticationError("The signing keys are unavailable.") from None
        return self._lookup(kid)

    def _lookup(self, kid: str | None) -> tuple[jwt.PyJWK, str | None] | None:
        if kid is not None:
            return self._keys.get(kid)
        if len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return None


class TokenVerifier:
    """Verifies ``Authorization: Bearer`` tokens per the gateway config."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.algorithms = frozenset(a for a in config.jwt_algorithms if a.lower() != "none")
        self.secret = config.jwt_secret
        self.jwks: JWKSet | None = None
        if config.jwks_path is not None or config.jwks_url is not None:
            self.jwks = JWKSet(
                path=config.jwks_path,
                url=config.jwks_url,
                cache_seconds=config.jwks_cache_seconds,
                min_refresh_seconds=config.jwks_min_refresh_seconds,
            )
        self.role_scopes = {role: frozenset(s) for role, s in config.role_scopes.items()}
        #: Gateway-signed tokens for external ones (``forwarded_tokens`` in ``/metrics``).
        self.forwarded: LRU[str, tuple[float, str]] = LRU(10_000)
        #: Verified tokens until they expire (``verified_tokens`` in ``/metrics``).
        self.verified: LRU[str, Principal] = LRU(10_000)

    async def principal(self, authorization: str | None) -> Principal | None:
        """The caller for this ``Authorization`` header value; ``None`` for a visitor."""
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationError("The Authorization header must be 'Bearer <access token>'.")
        return await self.verify(token)

    async def verify(self, token: str) -> Principal:
        """The principal in ``token``; :class:`AuthenticationError` when it does not verify.

        A verified token is remembered until it expires, so a client's next requests skip the
        signature check."""
        hit = self.verified.lookup(token)
        if hit is not None:
            if float(hit.claims["exp"]) + self.config.jwt_leeway_seconds > time.time():
                return hit
            del self.verified[token]
        principal = await self._verify(token)
        self.verified.put(token, principal)
        return principal

    async def _verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthenticationError("The access token is malformed.") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise AuthenticationError(f"The access token's algorithm {alg!r} is not accepted.")
        key: Any
        external = False
        if alg in _HMAC:
            if not self.secret:
                raise AuthenticationError("The access token's algorithm is not accepted.")
            key = self.secret
        elif alg in _KTY:
            if self.jwks is None:
                raise AuthenticationError("The access token's algorithm is not accepted.")
            kid = header.get("kid")
            found = await self.jwks.key(kid if isinstance(kid, str) else None)
            if found is None:
                raise AuthenticationError("The access token is signed with an unknown key.")
            jwk, declared = found
            if jwk.key_type != _KTY[alg] or declared not in (None, alg):
                raise AuthenticationError("The access token's algorithm does not match its key.")
            key = jwk.key
            external = True
        else:
            raise AuthenticationError(f"The access token's algorithm {alg!r} is not accepted.")
        options: dict[str, Any] = {"require": ["exp", "sub"]}
        if self.config.jwt_issuer:
            options["require"].append("iss")
        if self.config.jwt_audience:
            options["require"].append("aud")
        else:
            options["verify_aud"] = False
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.config.jwt_audience,
                issuer=self.config.jwt_issuer,
                leeway=self.config.jwt_leeway_seconds,
                options=options,  # type: ignore[arg-type]
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("The access token has expired; log in again.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthenticationError("The access token is not valid yet.") from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationError("The access token's signature does not verify.") from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"The access token is not valid: {exc}.") from exc
        return self._principal(claims, token, external)

    def _principal(self, claims: dict[str, Any], token: str, external: bool) -> Principal:
        raw_roles = claims.get(self.config.roles_claim, ())
        if isinstance(raw_roles, str):
            raw_roles = raw_roles.split()
        roles = (
            frozenset(str(r) for r in raw_roles)
            if isinstance(raw_roles, list | tuple)
            else frozenset()
        )
        scopes: set[str] = set()
        for role in roles:
            scopes |= self.role_scopes.get(role, frozenset())
        if self.config.trust_scope_claim and isinstance(claims.get("scope"), str):
            scopes |= set(claims["scope"].split())
        return Principal(
            sub=str(claims["sub"]),
            email=str(claims.get("email", "")),
            roles=roles,
            scopes=frozenset(scopes),
            claims=claims,
            token=token,
            external=external,
        )

    def forwarded_authorization(self, principal: Principal) -> str:
        """The ``Authorization`` value for subgraphs: the token itself, or, for a token from an
        external issuer, a short-lived token signed with the shared secret the subgraphs verify."""
        if not principal.external or not self.secret:
            return f"Bearer {principal.token}"
        now = time.time()
        cached = self.forwarded.lookup(principal.token)
        if cached is not None and cached[0] - 10 > now:
            return cached[1]
        exp = min(
            int(now) + self.config.forwarded_token_ttl_seconds,
            int(principal.claims.get("exp", now + 60)),
        )
        claims = {
            "sub": principal.sub,
            "email": principal.email,
            "roles": sorted(principal.roles),
            "scope": " ".join(sorted(principal.scopes)),
            "iss": self.config.jwt_issuer,
            "aud": self.config.jwt_audience,
            "iat": int(now),
            "nbf": int(now),
            "exp": exp,
            "jti": uuid.uuid4().hex,
        }
        value = "Bearer " + jwt.encode(claims, self.secret, algorithm="HS256")
        self.forwarded.put(principal.token, (float(exp), value))
        return value
