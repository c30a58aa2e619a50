"""Supergraph → API schema: federation machinery and `@inaccessible` elements removed."""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    GraphQLSchema,
    Node,
    build_ast_schema,
    visit,
)
from graphql.language import (
    DirectiveDefinitionNode,
    NamedTypeNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    Visitor,
)
from graphql.language.visitor import REMOVE

__all__ = ["build_api_schema"]

_MACHINERY_DIRECTIVES = {"link", "inaccessible", "tag", "authenticated", "requiresScopes", "policy"}


def _is_machinery(name: str) -> bool:
    return name in _MACHINERY_DIRECTIVES or name.startswith(("join__", "link__"))


def _inaccessible(node: Any) -> bool:
    return any(d.name.value == "inaccessible" for d in getattr(node, "directives", None) or ())


class _Strip(Visitor):
    def __init__(self, hidden_types: set[str]) -> None:
        super().__init__()
        self.hidden_types = hidden_types

    def enter_directive(self, node: DirectiveNode, *_: Any) -> Any:
        return REMOVE if _is_machinery(node.name.value) else None

    def enter_directive_definition(self, node: DirectiveDefinitionNode, *_: Any) -> Any:
        return REMOVE if _is_machinery(node.name.value) else None

    def enter_field_definition(self, node: Node, *_: Any) -> Any:
        return REMOVE if _inaccessible(node) else None

    def enter_input_value_definition(self, node: Node, *_: Any) -> Any:
        return REMOVE if _inaccessible(node) else None

    def enter_enum_value_definition(self, node: Node, *_: Any) -> Any:
        return REMOVE if _inaccessible(node) else None

    def enter_named_type(self, node: NamedTypeNode, _key: Any, parent: Any, *_: Any) -> Any:
        # Interfaces lists and union member lists (their parent is a list/tuple of NamedTypes).
        if node.name.value in self.hidden_types and isinstance(parent, list | tuple):
            return REMOVE
        return None


def build_api_schema(document: DocumentNode) -> GraphQLSchema:
    """Build the API schema from a parsed supergraph document."""
    hidden: set[str] = set()
    for defn in document.definitions:
        if isinstance(defn, TypeDefinitionNode | TypeExtensionNode):
            name = defn.name.value
            if name.startswith(("join__", "link__")) or _inaccessible(defn):
                hidden.add(name)
    kept = [
        d
        for d in document.definitions
        if not (isinstance(d, TypeDefinitionNode | TypeExtensionNode) and d.name.value in hidden)
    ]
    doc = DocumentNode(definitions=tuple(kept))
    stripped = visit(doc, _Strip(hidden))
    return build_ast_schema(stripped, assume_valid=True)
