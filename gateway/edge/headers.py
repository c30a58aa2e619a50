"""Edge stage: what subgraphs receive (``PROPAGATE_HEADERS``).

Every subgraph request carries the request id, the allowlisted request headers and, for a
caller with a token, an ``Authorization`` the subgraphs can verify (the caller's own, or one the
gateway signs for a token from an external issuer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..hooks import Hook

if TYPE_CHECKING:
    from ..auth import TokenVerifier
    from ..config import GatewayConfig
    from ..context import OperationContext

__all__ = ["HeaderPropagation"]


class HeaderPropagation(Hook):
    """Sets ``ctx.forward``."""

    def __init__(self, names: Sequence[str], verifier: TokenVerifier) -> None:
        self.names = tuple(h.lower().encode("latin-1") for h in names)
        self.verifier = verifier

    @classmethod
    def from_config(cls, config: GatewayConfig, verifier: TokenVerifier) -> HeaderPropagation:
        return cls(config.propagate_headers, verifier)

    def on_operation(self, ctx: OperationContext) -> None:
        forward: dict[str, str] = {"x-request-id": ctx.request_id}
        headers = ctx.headers
        for name in self.names:
            value = headers.get(name)
            if value is not None:
                forward[name.decode("latin-1")] = value.decode("latin-1")
        if ctx.principal is not None:
            forward["Authorization"] = self.verifier.forwarded_authorization(ctx.principal)
        ctx.forward = forward
