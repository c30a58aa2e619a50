"""Edge stage: the introspection policy (``INTROSPECTION``; off by default in production).

When off, an operation selecting ``__schema`` or ``__type`` at its root is refused with 400
``INTROSPECTION_DISABLED``: a graphql-core validation rule, run by the engine's validate stage
once per query text (before the limits' rules). ``__typename`` stays allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from graphql import FragmentDefinitionNode, GraphQLError, OperationDefinitionNode
from graphql.validation import ASTValidationRule

from ..engine.validate import INTROSPECTION_FIELDS, root_fields
from ..hooks import Hook

if TYPE_CHECKING:
    from ..config import GatewayConfig

__all__ = ["IntrospectionDisabledRule", "IntrospectionPolicy"]


class IntrospectionDisabledRule(ASTValidationRule):
    """Refuses operations that select ``__schema`` or ``__type`` at their root."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        fragments = {
            d.name.value: d
            for d in self.context.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        if not INTROSPECTION_FIELDS.isdisjoint(root_fields(node.selection_set, fragments)):
            self.report_error(
                GraphQLError(
                    "GraphQL introspection is not allowed here.",
                    extensions={"code": "INTROSPECTION_DISABLED"},
                )
            )


class IntrospectionPolicy(Hook):
    """Brings :class:`IntrospectionDisabledRule` when introspection is off."""

    @classmethod
    def from_config(cls, config: GatewayConfig) -> IntrospectionPolicy | None:
        return None if config.introspection else cls()

    def validation_rules(self) -> Sequence[type[ASTValidationRule]]:
        return (IntrospectionDisabledRule,)
