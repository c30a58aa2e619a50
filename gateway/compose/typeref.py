"""Helpers over graphql-core type references (``[Foo!]`` and friends)."""

from __future__ import annotations

from collections.abc import Callable

from graphql.language import ListTypeNode, NamedTypeNode, NameNode, NonNullTypeNode, TypeNode


def type_str(node: TypeNode) -> str:
    if isinstance(node, NonNullTypeNode):
        return f"{type_str(node.type)}!"
    if isinstance(node, ListTypeNode):
        return f"[{type_str(node.type)}]"
    assert isinstance(node, NamedTypeNode)
    return node.name.value


def base_name(node: TypeNode) -> str:
    while isinstance(node, NonNullTypeNode | ListTypeNode):
        node = node.type
    assert isinstance(node, NamedTypeNode)
    return node.name.value


def is_non_null(node: TypeNode) -> bool:
    return isinstance(node, NonNullTypeNode)


def rename(node: TypeNode, names: dict[str, str]) -> TypeNode:
    if isinstance(node, NonNullTypeNode):
        inner = rename(node.type, names)
        assert isinstance(inner, NamedTypeNode | ListTypeNode)
        return NonNullTypeNode(type=inner)
    if isinstance(node, ListTypeNode):
        return ListTypeNode(type=rename(node.type, names))
    assert isinstance(node, NamedTypeNode)
    name = node.name.value
    return NamedTypeNode(name=NameNode(value=names.get(name, name)))


def is_subtype(
    sub: TypeNode,
    sup: TypeNode,
    is_named_subtype: Callable[[str, str], bool],
    allow_nullability: bool = True,
) -> bool:
    """Whether ``sub`` may be returned where ``sup`` is expected (covariant output rules)."""
    if isinstance(sup, NonNullTypeNode):
        return isinstance(sub, NonNullTypeNode) and is_subtype(
            sub.type, sup.type, is_named_subtype, allow_nullability
        )
    if isinstance(sub, NonNullTypeNode):
        return allow_nullability and is_subtype(sub.type, sup, is_named_subtype, allow_nullability)
    if isinstance(sup, ListTypeNode):
        return isinstance(sub, ListTypeNode) and is_subtype(
            sub.type, sup.type, is_named_subtype, allow_nullability
        )
    if isinstance(sub, ListTypeNode):
        return False
    assert isinstance(sub, NamedTypeNode) and isinstance(sup, NamedTypeNode)
    return sub.name.value == sup.name.value or is_named_subtype(sub.name.value, sup.name.value)
