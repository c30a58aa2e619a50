"""Supergraph SDL → federation model (graphs, keys, field ownership)."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    EnumValueNode,
    GraphQLSchema,
    StringValueNode,
    ValueNode,
    build_ast_schema,
    parse,
)
from graphql.language import (
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
)

__all__ = ["FieldJoin", "FieldModel", "Supergraph", "TypeJoin", "TypeModel", "parse_supergraph"]


@dataclass(slots=True)
class TypeJoin:
    """One `@join__type` of a type: how one subgraph defines it."""

    graph: str
    key: str | None = None
    resolvable: bool = True
    interface_object: bool = False


@dataclass(slots=True)
class FieldJoin:
    """One `@join__field` of a field: how one subgraph defines it."""

    graph: str
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    used_overridden: bool = False


@dataclass(slots=True)
class FieldModel:
    name: str
    joins: dict[str, FieldJoin] = field(default_factory=dict)
    #: False when the field has no `@join__field`: every subgraph of its type resolves it.
    has_joins: bool = False


@dataclass(slots=True)
class TypeModel:
    name: str
    kind: str  # OBJECT, INTERFACE, UNION, ENUM, INPUT_OBJECT, SCALAR
    joins: list[TypeJoin] = field(default_factory=list)
    fields: dict[str, FieldModel] = field(default_factory=dict)
    implements: dict[str, set[str]] = field(default_factory=dict)  # graph → interfaces
    members: dict[str, set[str]] = field(default_factory=dict)  # graph → union members

    @property
    def graphs(self) -> set[str]:
        return {j.graph for j in self.joins}


@dataclass(slots=True)
class Supergraph:
    """The federation metadata of a supergraph, plus its graphql-core schema."""

    schema: GraphQLSchema
    document: DocumentNode
    graphs: dict[str, str]  # graph name (join__Graph enum value) → url
    graph_names: dict[str, str]  # graph enum value → subgraph name
    types: dict[str, TypeModel]
    query_type: str = "Query"
    mutation_type: str | None = None
    subscription_type: str | None = None
    _field_graphs: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def keys(self, type_name: str, graph: str) -> list[str]:
        """Resolvable key field sets of a type in one subgraph."""
        t = self.types.get(type_name)
        if t is None:
            return []
        return [j.key for j in t.joins if j.graph == graph and j.key and j.resolvable]

    def key_graphs(self, type_name: str) -> frozenset[str]:
        """Subgraphs that can resolve the type as an entity (a resolvable `@key`)."""
        t = self.types.get(type_name)
        if t is None:
            return frozenset()
        return frozenset(j.graph for j in t.joins if j.key and j.resolvable)

    def is_interface_object(self, type_name: str, graph: str) -> bool:
        """Whether the subgraph declares the type an `@interfaceObject`."""
        t = self.types.get(type_name)
        return t is not None and any(j.graph == graph and j.interface_object for j in t.joins)

    def field_graphs(self, type_name: str, field_name: str) -> frozenset[str]:
        """Subgraphs that resolve `type.field` themselves (not external, not overridden)."""
        key = (type_name, field_name)
        cached = self._field_graphs.get(key)
        if cached is not None:
            return cached
        t = self.types.get(type_name)
        result: frozenset[str] = frozenset()
        if t is not None:
            f = t.fields.get(field_name)
            if f is not None:
                if not f.has_joins:
                    result = frozenset(t.graphs)
                else:
                    result = frozenset(
                        g for g, j in f.joins.items() if not j.external and not j.used_overridden
                    )
        self._field_graphs[key] = result
        return result

    def field_join(self, type_name: str, field_name: str, graph: str) -> FieldJoin | None:
        t = self.types.get(type_name)
        if t is None:
            return None
        f = t.fields.get(field_name)
        if f is None:
            return None
        return f.joins.get(graph)

    def possible_types_in(self, abstract: str, graph: str) -> set[str]:
        """Object types a subgraph may return for an interface or union."""
        t = self.types.get(abstract)
        if t is None:
            return set()
        if t.kind == "UNION":
            return set(t.members.get(graph, set()))
        out: set[str] = set()
        for other in self.types.values():
            if other.kind == "OBJECT" and abstract in other.implements.get(graph, set()):
                out.add(other.name)
        return out

    def interfaces_of(self, type_name: str) -> set[str]:
        t = self.types.get(type_name)
        if t is None:
            return set()
        out: set[str] = set()
        for ifaces in t.implements.values():
            out |= ifaces
        return out


def _value(node: ValueNode) -> object:
    if isinstance(node, StringValueNode):
        return node.value
    if isinstance(node, BooleanValueNode):
        return node.value
    if isinstance(node, EnumValueNode):
        return node.value
    return None


def _args(d: DirectiveNode) -> dict[str, object]:
    return {a.name.value: _value(a.value) for a in d.arguments or ()}


_ObjectLike = (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
)


def parse_supergraph(sdl: str) -> Supergraph:
    """Parse a Federation v2 supergraph SDL (`join` v0.3+) into a `Supergraph`."""
    document = parse(sdl)
    schema = build_ast_schema(document, assume_valid=True)
    graphs: dict[str, str] = {}
    graph_names: dict[str, str] = {}
    graph_enum = schema.type_map.get("join__Graph")
    if graph_enum is not None and graph_enum.ast_node is not None:
        assert isinstance(graph_enum.ast_node, EnumTypeDefinitionNode)
        for v in graph_enum.ast_node.values or ():
            for d in v.directives or ():
                if d.name.value == "join__graph":
                    a = _args(d)
                    graphs[v.name.value] = str(a.get("url") or "")
                    graph_names[v.name.value] = str(a.get("name") or v.name.value)

    types: dict[str, TypeModel] = {}
    for defn in document.definitions:
        name_node = getattr(defn, "name", None)
        if name_node is None or not hasattr(defn, "directives"):
            continue
        name = name_node.value
        if name.startswith(("join__", "link__")):
            continue
        kind = _kind(defn)
        if kind is None:
            continue
        model = types.get(name)
        if model is None:
            model = types[name] = TypeModel(name=name, kind=kind)
        for d in defn.directives or ():
            a = _args(d)
            if d.name.value == "join__type":
                model.joins.append(
                    TypeJoin(
                        graph=str(a["graph"]),
                        key=a.get("key") if isinstance(a.get("key"), str) else None,  # type: ignore[arg-type]
                        resolvable=a.get("resolvable", True) is not False,
                        interface_object=bool(a.get("isInterfaceObject", False)),
                    )
                )
            elif d.name.value == "join__implements":
                model.implements.setdefault(str(a["graph"]), set()).add(str(a["interface"]))
            elif d.name.value == "join__unionMember":
                model.members.setdefault(str(a["graph"]), set()).add(str(a["member"]))
            elif d.name.value == "join__owner" and not model.joins:
                model.joins.append(TypeJoin(graph=str(a["graph"])))
        if isinstance(defn, _ObjectLike):
            for fd in defn.fields or ():
                model.fields[fd.name.value] = _field_model(fd)

    sg = Supergraph(
        schema=schema, document=document, graphs=graphs, graph_names=graph_names, types=types
    )
    if schema.query_type:
        sg.query_type = schema.query_type.name
    if schema.mutation_type:
        sg.mutation_type = schema.mutation_type.name
    if schema.subscription_type:
        sg.subscription_type = schema.subscription_type.name
    return sg


def _kind(defn: object) -> str | None:
    if isinstance(defn, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
        return "OBJECT"
    if isinstance(defn, InterfaceTypeDefinitionNode | InterfaceTypeExtensionNode):
        return "INTERFACE"
    if isinstance(defn, UnionTypeDefinitionNode | UnionTypeExtensionNode):
        return "UNION"
    if isinstance(defn, EnumTypeDefinitionNode | EnumTypeExtensionNode):
        return "ENUM"
    cls = type(defn).__name__
    if cls.startswith("InputObjectType"):
        return "INPUT_OBJECT"
    if cls.startswith("ScalarType"):
        return "SCALAR"
    return None


def _field_model(fd: FieldDefinitionNode) -> FieldModel:
    fm = FieldModel(name=fd.name.value)
    for d in fd.directives or ():
        if d.name.value != "join__field":
            continue
        fm.has_joins = True
        a = _args(d)
        graph = a.get("graph")
        if graph is None:  # only reachable through an `@interfaceObject`
            continue
        fm.joins[str(graph)] = FieldJoin(
            graph=str(graph),
            requires=_str_or_none(a.get("requires")),
            provides=_str_or_none(a.get("provides")),
            type=_str_or_none(a.get("type")),
            external=bool(a.get("external", False)),
            used_overridden=bool(a.get("usedOverridden", False)),
        )
    return fm


def _str_or_none(v: object) -> str | None:
    return v if isinstance(v, str) else None
