"""Edge stage: operation limits (``MAX_TOKENS``, ``MAX_DEPTH``, ``MAX_ALIASES``,
``MAX_ROOT_FIELDS``, ``MAX_COST``, ``DEFAULT_LIST_SIZE``).

The token count is checked here on the text, before the engine parses it (it protects the
parser); depth, aliases, root fields and cost are validation rules the engine's validate stage
runs (``gateway/limits.py``). Every violation is 400 with its own ``extensions.code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from graphql.validation import ASTValidationRule

from ..context import Reply
from ..hooks import Hook
from ..limits import Limits, LimitViolation

if TYPE_CHECKING:
    from graphql import DocumentNode, GraphQLSchema

    from ..config import GatewayConfig
    from ..context import OperationContext

__all__ = ["OperationLimits"]


class OperationLimits(Hook):
    """The token limit before parsing; the other limits' validation rules."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    @classmethod
    def from_config(
        cls, config: GatewayConfig, schema: GraphQLSchema, supergraph: DocumentNode
    ) -> OperationLimits | None:
        limits = Limits(
            schema=schema,
            supergraph=supergraph,
            max_depth=config.max_depth or 0,
            max_aliases=config.max_aliases or 0,
            max_root_fields=config.max_root_fields or 0,
            max_tokens=config.max_tokens or 0,
            max_cost=config.max_cost or 0,
            default_list_size=config.default_list_size,
        )
        return cls(limits) if limits.active else None

    def on_request(self, ctx: OperationContext) -> None:
        if ctx.query is None or not self.limits.max_tokens:
            return
        try:
            self.limits.check_tokens(ctx.query)
        except LimitViolation as exc:
            raise Reply.of(400, exc.message, exc.code) from None

    def validation_rules(self) -> Sequence[type[ASTValidationRule]]:
        return self.limits.rules()
