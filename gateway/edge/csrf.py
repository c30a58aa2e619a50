"""Edge stage: CSRF prevention (``CSRF_PREVENTION``, ``CSRF_REQUIRED_HEADERS``).

A request a browser could send cross-site without a preflight (GET, or a POST with a "simple"
content type) must carry one of the required headers, which such a request cannot set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..context import Reply
from ..hooks import Hook

if TYPE_CHECKING:
    from ..config import GatewayConfig
    from ..context import OperationContext

__all__ = ["Csrf"]

_SIMPLE_CONTENT_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")


class Csrf(Hook):
    """Blocks simple cross-site requests without a preflight header (400 ``CSRF_PREVENTED``)."""

    def __init__(self, required_headers: Sequence[str]) -> None:
        self.headers = tuple(h.lower().encode("latin-1") for h in required_headers)
        names = " or ".join(h.decode() for h in self.headers)
        self.message = (
            "This operation has been blocked as a potential Cross-Site Request "
            "Forgery (CSRF). Send it with 'Content-Type: application/json' or a "
            f"non-empty {names} header."
        )

    @classmethod
    def from_config(cls, config: GatewayConfig) -> Csrf | None:
        if not config.csrf_prevention:
            return None
        return cls(config.csrf_required_headers)

    def on_request(self, ctx: OperationContext) -> None:
        headers = ctx.headers
        content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip()
        simple = (
            ctx.method == "GET" or not content_type or content_type.lower() in _SIMPLE_CONTENT_TYPES
        )
        if simple and not any(headers.get(h) for h in self.headers):
            raise Reply.of(400, self.message, "CSRF_PREVENTED")
