"""Normalised, federation-aware view of one subgraph schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from graphql.language import ConstValueNode, DirectiveNode, TypeNode


class Kind(Enum):
    OBJECT = "Object Type"
    INTERFACE = "Interface Type"
    UNION = "Union Type"
    ENUM = "Enum Type"
    INPUT = "Input Object Type"
    SCALAR = "Scalar Type"


@dataclass
class Meta:
    """Directives that composition carries over to the supergraph."""

    description: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    deprecated: DirectiveNode | None = None
    specified_by: DirectiveNode | None = None
    authenticated: bool = False
    requires_scopes: list[list[str]] | None = None
    policies: list[list[str]] | None = None
    cost: DirectiveNode | None = None
    list_size: DirectiveNode | None = None


@dataclass
class InputValue:
    """An argument or an input object field."""

    name: str
    type: TypeNode
    default: ConstValueNode | None
    meta: Meta


@dataclass
class Field:
    name: str
    type: TypeNode
    args: dict[str, InputValue]
    meta: Meta
    external: bool = False
    shareable: bool = False
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    override_label: str | None = None


@dataclass
class EnumValue:
    name: str
    meta: Meta


@dataclass
class Key:
    fields: str
    resolvable: bool | None
    extension: bool


@dataclass
class TypeDef:
    name: str
    kind: Kind
    meta: Meta
    fields: dict[str, Field] = field(default_factory=dict)
    input_fields: dict[str, InputValue] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    keys: list[Key] = field(default_factory=list)
    interface_object: bool = False
    extends: bool = False


@dataclass
class ExecutableDirective:
    name: str
    args: dict[str, InputValue]
    locations: list[str]
    repeatable: bool
    description: str | None


@dataclass
class SubgraphSchema:
    name: str
    url: str
    fed1: bool
    version: tuple[int, int]
    types: dict[str, TypeDef]
    directives: dict[str, ExecutableDirective]
    roots: dict[str, str]
    used: set[tuple[str, str]] = field(default_factory=set)
