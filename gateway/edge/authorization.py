"""Edge stage: field authorization (``AUTHORIZATION``, ``AUTHORIZATION_MODE``).

Sets the caller's profile (authenticated, scopes, ``@policy`` names granted) for the engine's
authorize stage, which filters the operation before it is planned (``gateway/authorization.py``
has the semantics). ``@policy`` names are decided by Python callables: given to the app factory
(``policies={...}``), brought by hooks (:func:`gateway.hooks.policy`), or registered later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..authorization import Authorization, Authorizer, Policy
from ..hooks import Hook

if TYPE_CHECKING:
    from graphql import DocumentNode, GraphQLSchema

    from ..config import GatewayConfig
    from ..context import OperationContext

__all__ = ["FieldAuthorization"]


class FieldAuthorization(Hook):
    """Sets ``ctx.authorization`` (when the schema has any authorization directive)."""

    def __init__(self, authorizer: Authorizer, *, enabled: bool) -> None:
        self.authorizer = authorizer
        self.enabled = enabled

    @classmethod
    def from_config(
        cls,
        config: GatewayConfig,
        supergraph: DocumentNode,
        schema: GraphQLSchema,
        policies: Mapping[str, Policy],
    ) -> FieldAuthorization:
        authorizer = Authorizer(
            supergraph, schema, mode=config.authorization_mode, policies=policies
        )
        return cls(authorizer, enabled=config.authorization)

    def register(self, name: str, policy: Policy) -> None:
        """Decide ``@policy`` name ``name`` with ``policy(principal_or_None) -> bool``."""
        self.authorizer.register(name, policy)

    def on_operation(self, ctx: OperationContext) -> None:
        authorizer = self.authorizer
        if self.enabled and authorizer.enabled:
            ctx.authorization = Authorization(authorizer, authorizer.profile(ctx.principal))
