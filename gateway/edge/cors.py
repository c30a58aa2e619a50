"""Edge step: CORS (``CORS_ORIGINS``, ``CORS_ALLOW_CREDENTIALS``): the response headers of an
allowed origin, and the answer to a preflight ``OPTIONS``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["Cors"]


class Cors:
    """Which origins may call the gateway from a browser."""

    def __init__(self, origins: Sequence[str], *, allow_credentials: bool) -> None:
        self.any = "*" in origins
        self.origins = frozenset(o.rstrip("/") for o in origins if o != "*")
        # Any origin *with* credentials would let every web page act as the logged-in user:
        # "*" admits any origin, credentials only for the origins named.
        self.allow_credentials = allow_credentials

    def allowed(self, origin: str) -> bool:
        return self.any or origin.rstrip("/") in self.origins

    def headers(self, request: Mapping[bytes, bytes]) -> list[tuple[bytes, bytes]]:
        """The CORS headers of the response to ``request`` (none for a foreign origin)."""
        origin = request.get(b"origin")
        if not origin or not self.allowed(origin.decode("latin-1")):
            return []
        out = [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]
        if self.allow_credentials and origin.decode("latin-1").rstrip("/") in self.origins:
            out.append((b"access-control-allow-credentials", b"true"))
        out.append((b"access-control-expose-headers", b"x-request-id, retry-after"))
        return out

    def preflight(
        self, request: Mapping[bytes, bytes], extra: list[tuple[bytes, bytes]]
    ) -> tuple[int, list[tuple[bytes, bytes]]]:
        """The status and headers of the answer to a preflight ``OPTIONS``."""
        origin = request.get(b"origin")
        if not origin or not self.allowed(origin.decode("latin-1")):
            return 403, extra
        requested = request.get(b"access-control-request-headers", b"content-type")
        return 204, [
            *extra,
            (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
            (b"access-control-allow-headers", requested),
            (b"access-control-max-age", b"600"),
        ]
