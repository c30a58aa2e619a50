"""The merged supergraph model that :mod:`.printer` renders."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql.language import ConstValueNode, TypeNode

from .model import ExecutableDirective, Kind, Meta


@dataclass
class Graph:
    enum_name: str
    name: str
    url: str


@dataclass
class JoinType:
    graph: str
    key: str | None = None
    extension: bool = False
    resolvable: bool | None = None
    interface_object: bool = False


@dataclass
class JoinField:
    graph: str | None
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False


@dataclass
class MInputValue:
    name: str
    type: TypeNode
    default: ConstValueNode | None
    meta: Meta
    join_fields: list[JoinField] = field(default_factory=list)


@dataclass
class MField:
    name: str
    type: TypeNode
    args: dict[str, MInputValue]
    meta: Meta
    join_fields: list[JoinField] = field(default_factory=list)


@dataclass
class MEnumValue:
    name: str
    meta: Meta
    graphs: list[str] = field(default_factory=list)


@dataclass
class MType:
    name: str
    kind: Kind
    meta: Meta
    join_types: list[JoinType] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    implements: list[tuple[str, str]] = field(default_factory=list)
    fields: dict[str, MField] = field(default_factory=dict)
    input_fields: dict[str, MInputValue] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    union_members: list[tuple[str, str]] = field(default_factory=list)
    values: dict[str, MEnumValue] = field(default_factory=dict)


@dataclass
class Supergraph:
    graphs: list[Graph]
    types: dict[str, MType]
    directives: list[ExecutableDirective]
    join_version: str
    roots: dict[str, str]
