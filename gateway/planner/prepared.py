"""The planner's input: a parsed and validated operation, and what field authorization
removed from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    VariableDefinitionNode,
    get_operation_ast,
    print_ast,
)

from .normalize import condition_variables

__all__ = ["PreparedOperation", "Restore"]


@dataclass(slots=True)
class PreparedOperation:
    """A parsed and validated operation, ready to be planned."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    op_type: str
    var_types: dict[str, str]
    condition_vars: list[str]
    #: The variables to coerce (the operation's own, or the unfiltered operation's).
    variable_definitions: tuple[VariableDefinitionNode, ...] = ()
    #: Set when field authorization removed fields: what the query selected before.
    restore: Restore | None = None

    @classmethod
    def from_document(
        cls, document: DocumentNode, operation: OperationDefinitionNode
    ) -> PreparedOperation:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        var_types = {
            v.variable.name.value: print_ast(v.type)
            + (f" = {print_ast(v.default_value)}" if v.default_value is not None else "")
            for v in operation.variable_definitions or ()
        }
        return cls(
            document=document,
            operation=operation,
            fragments=fragments,
            op_type=operation.operation.value,
            var_types=var_types,
            condition_vars=condition_variables(operation, fragments.values()),
            variable_definitions=tuple(operation.variable_definitions or ()),
        )

    def restore_removed(
        self,
        source: DocumentNode,
        operation_name: str | None,
        removed: Iterable[tuple[str, ...]],
    ) -> None:
        """Put the ``null`` of the fields at ``removed`` (response paths) back in the response
        where the unfiltered ``source`` selected them (planned per value of the conditions of
        ``source``, whose variables are coerced)."""
        original = get_operation_ast(source, operation_name)
        if original is None:
            return
        fragments = {
            d.name.value: d for d in source.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.restore = Restore(original, fragments, tuple(removed))
        self.condition_vars = condition_variables(original, fragments.values())
        self.variable_definitions = tuple(original.variable_definitions or ())


@dataclass(frozen=True, slots=True)
class Restore:
    """An operation before field authorization removed the fields at ``removed``."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    removed: tuple[tuple[str, ...], ...]
