"""Parse one subgraph SDL into a normalised :class:`SubgraphSchema`.

Handles fed1 vs fed2 (``@link`` to the federation spec), directive renames and
imports, ``extend``/``@extends``, root type renames and strips the federation
machinery (``_Service``, ``_Entity``, ``_Any``, ``federation__*``, ``link__*``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from graphql import GraphQLError, parse
from graphql.language import (
    BooleanValueNode,
    ConstDirectiveNode,
    ConstValueNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListValueNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
)

from .errors import IssueCollector
from .links import FEDERATION_DIRECTIVES, LinkInfo, resolve_links
from .model import (
    EnumValue,
    ExecutableDirective,
    Field,
    InputValue,
    Key,
    Kind,
    Meta,
    SubgraphSchema,
    TypeDef,
)
from .typeref import rename

ROOT_NAMES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
_MACHINERY_TYPES = frozenset({"_Any", "_Entity", "_Service", "_FieldSet", "_Any!"})
_BUILTIN_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "include", "skip", "oneOf", "link"})
_EXECUTABLE_LOCATIONS = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)

_KINDS: dict[type, Kind] = {
    ObjectTypeDefinitionNode: Kind.OBJECT,
    ObjectTypeExtensionNode: Kind.OBJECT,
    InterfaceTypeDefinitionNode: Kind.INTERFACE,
    InterfaceTypeExtensionNode: Kind.INTERFACE,
    UnionTypeDefinitionNode: Kind.UNION,
    UnionTypeExtensionNode: Kind.UNION,
    EnumTypeDefinitionNode: Kind.ENUM,
    EnumTypeExtensionNode: Kind.ENUM,
    InputObjectTypeDefinitionNode: Kind.INPUT,
    InputObjectTypeExtensionNode: Kind.INPUT,
    ScalarTypeDefinitionNode: Kind.SCALAR,
    ScalarTypeExtensionNode: Kind.SCALAR,
}

TypeNodeAny = TypeDefinitionNode | TypeExtensionNode


@dataclass
class _Context:
    subgraph: str
    links: LinkInfo
    renames: dict[str, str]
    issues: IssueCollector

    def canonical(self, directive: DirectiveNode) -> str | None:
        return self.links.directives.get(directive.name.value)

    def type_name(self, name: str) -> str:
        return self.renames.get(name, name)


def _arg(directive: DirectiveNode, name: str) -> ConstValueNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value  # type: ignore[return-value]
    return None


def _str_arg(directive: DirectiveNode, name: str) -> str | None:
    value = _arg(directive, name)
    return value.value if isinstance(value, StringValueNode) else None


def _nested_strings(value: ConstValueNode | None) -> list[list[str]]:
    if not isinstance(value, ListValueNode):
        return []
    result: list[list[str]] = []
    for inner in value.values:
        if isinstance(inner, ListValueNode):
            result.append([v.value for v in inner.values if isinstance(v, StringValueNode)])
        elif isinstance(inner, StringValueNode):
            result.append([inner.value])
    return result


def _meta(
    ctx: _Context, description: StringValueNode | None, directives: Iterable[DirectiveNode]
) -> Meta:
    meta = Meta(description=description.value if description else None)
    for directive in directives:
        name = directive.name.value
        canonical = ctx.canonical(directive)
        if canonical == "inaccessible":
            meta.inaccessible = True
        elif canonical == "tag":
            tag = _str_arg(directive, "name")
            if tag is not None and tag not in meta.tags:
                meta.tags.append(tag)
        elif canonical == "authenticated":
            meta.authenticated = True
        elif canonical == "requiresScopes":
            meta.requires_scopes = _nested_strings(_arg(directive, "scopes"))
        elif canonical == "policy":
            meta.policies = _nested_strings(_arg(directive, "policies"))
        elif canonical == "cost":
            meta.cost = directive
        elif canonical == "listSize":
            meta.list_size = directive
        elif name == "deprecated":
            meta.deprecated = directive
        elif name == "specifiedBy":
            meta.specified_by = directive
    return meta


def _has(ctx: _Context, directives: Iterable[DirectiveNode], canonical: str) -> bool:
    return any(ctx.canonical(d) == canonical for d in directives)


def _input_value(ctx: _Context, node: InputValueDefinitionNode) -> InputValue:
    return InputValue(
        name=node.name.value,
        type=rename(node.type, ctx.renames),
        default=node.default_value,
        meta=_meta(ctx, node.description, node.directives or ()),
    )


def _field(
    ctx: _Context, node: FieldDefinitionNode, type_shareable: bool, type_external: bool
) -> Field:
    directives = node.directives or ()
    result = Field(
        name=node.name.value,
        type=rename(node.type, ctx.renames),
        args={arg.name.value: _input_value(ctx, arg) for arg in node.arguments or ()},
        meta=_meta(ctx, node.description, directives),
        external=type_external,
        shareable=type_shareable or not ctx.links.fed2,
    )
    for directive in directives:
        canonical = ctx.canonical(directive)
        if canonical == "external":
            result.external = True
        elif canonical == "shareable":
            result.shareable = True
        elif canonical == "requires":
            result.requires = _str_arg(directive, "fields")
        elif canonical == "provides":
            result.provides = _str_arg(directive, "fields")
        elif canonical == "override":
            result.override = _str_arg(directive, "from")
            result.override_label = _str_arg(directive, "label")
    return result


def _is_machinery(ctx: _Context, name: str) -> bool:
    if name in _MACHINERY_TYPES or name.startswith("link__") or name.startswith("federation__"):
        return True
    if name in ctx.links.imported_types:
        return True
    return any(name.startswith(f"{prefix}__") for prefix in ctx.links.prefixes)


def _add_node(ctx: _Context, typedef: TypeDef, node: TypeNodeAny, fed1: bool) -> None:
    directives: Sequence[ConstDirectiveNode] = node.directives or ()
    is_extension = isinstance(node, TypeExtensionNode) and not fed1
    description = getattr(node, "description", None)
    extra = _meta(ctx, description, directives)
    _merge_meta(typedef.meta, extra)
    type_shareable = _has(ctx, directives, "shareable")
    type_external = _has(ctx, directives, "external")
    for directive in directives:
        canonical = ctx.canonical(directive)
        if canonical == "key":
            resolvable = _arg(directive, "resolvable")
            typedef.keys.append(
                Key(
                    fields=_str_arg(directive, "fields") or "",
                    resolvable=resolvable.value
                    if isinstance(resolvable, BooleanValueNode)
                    else None,
                    extension=is_extension,
                )
            )
        elif canonical == "extends":
            typedef.extends = True
        elif canonical == "interfaceObject":
            typedef.interface_object = True
    if isinstance(
        node,
        ObjectTypeDefinitionNode
        | ObjectTypeExtensionNode
        | InterfaceTypeDefinitionNode
        | InterfaceTypeExtensionNode,
    ):
        for itf in node.interfaces or ():
            name = ctx.type_name(itf.name.value)
            if name not in typedef.interfaces:
                typedef.interfaces.append(name)
        for field_node in node.fields or ():
            if typedef.name == "Query" and field_node.name.value in ("_entities", "_service"):
                continue
            typedef.fields[field_node.name.value] = _field(
                ctx, field_node, type_shareable, type_external
            )
    elif isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
        for member in node.types or ():
            name = ctx.type_name(member.name.value)
            if name not in typedef.members:
                typedef.members.append(name)
    elif isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
        for value in node.values or ():
            typedef.values[value.name.value] = EnumValue(
                value.name.value, _meta(ctx, value.description, value.directives or ())
            )
    elif isinstance(node, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
        for input_field in node.fields or ():
            typedef.input_fields[input_field.name.value] = _input_value(ctx, input_field)


def _merge_meta(target: Meta, extra: Meta) -> None:
    target.description = target.description or extra.description
    target.inaccessible = target.inaccessible or extra.inaccessible
    target.tags.extend(tag for tag in extra.tags if tag not in target.tags)
    target.authenticated = target.authenticated or extra.authenticated
    target.requires_scopes = target.requires_scopes or extra.requires_scopes
    target.policies = target.policies or extra.policies
    target.cost = target.cost or extra.cost
    target.specified_by = target.specified_by or extra.specified_by


def _executable_directive(
    ctx: _Context, node: DirectiveDefinitionNode
) -> ExecutableDirective | None:
    locations = [loc.value for loc in node.locations if loc.value in _EXECUTABLE_LOCATIONS]
    if not locations:
        return None
    return ExecutableDirective(
        name=node.name.value,
        args={arg.name.value: _input_value(ctx, arg) for arg in node.arguments or ()},
        locations=locations,
        repeatable=node.repeatable,
        description=node.description.value if node.description else None,
    )


def build_subgraph(name: str, url: str, sdl: str, issues: IssueCollector) -> SubgraphSchema | None:
    """Parse and normalise one subgraph; problems are added to ``issues``."""
    try:
        document = parse(sdl)
    except GraphQLError as error:
        issues.add("INVALID_GRAPHQL", f"[{name}] {error.message}", subgraph=name)
        return None
    links: list[DirectiveNode] = []
    roots: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            links.extend(d for d in definition.directives or () if d.name.value == "link")
            for operation in definition.operation_types or ():
                roots[operation.operation.value] = operation.type.name.value
    info = resolve_links(links)
    renames = {local: ROOT_NAMES[op] for op, local in roots.items() if local != ROOT_NAMES[op]}
    ctx = _Context(name, info, renames, issues)
    defined = {
        d.name.value
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode | TypeExtensionNode)
    }
    for op, local in roots.items():
        default = ROOT_NAMES[op]
        if local != default and default in defined:
            issues.add(
                f"ROOT_{op.upper()}_USED",
                f'[{name}] The schema has a type named "{default}" but it is not set as the {op} '
                f'root type ("{local}" is instead): this is not supported by federation. '
                "If a root type does not use its default name, there should be no other type "
                "with that default name.",
                subgraph=name,
            )
    types: dict[str, TypeDef] = {}
    directives: dict[str, ExecutableDirective] = {}
    for definition in document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            dname = definition.name.value
            if (
                dname in _BUILTIN_DIRECTIVES
                or dname in info.directives
                or dname in FEDERATION_DIRECTIVES
            ):
                continue
            if any(dname.startswith(f"{p}__") for p in info.prefixes):
                continue
            executable = _executable_directive(ctx, definition)
            if executable:
                directives[dname] = executable
            continue
        if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            continue
        type_name = ctx.type_name(definition.name.value)
        if _is_machinery(ctx, type_name):
            continue
        kind = _KINDS[type(definition)]
        typedef = types.get(type_name)
        if typedef is None:
            typedef = types[type_name] = TypeDef(type_name, kind, Meta())
        elif typedef.kind is not kind:
            issues.add(
                "INVALID_GRAPHQL",
                f'[{name}] Type "{type_name}" is defined with different kinds.',
                subgraph=name,
            )
            continue
        _add_node(ctx, typedef, definition, not info.fed2)
    types.setdefault("Query", TypeDef("Query", Kind.OBJECT, Meta()))
    return SubgraphSchema(
        name=name,
        url=url,
        fed1=not info.fed2,
        version=info.version if info.fed2 else (2, 0),
        types=types,
        directives=directives,
        roots={op: ROOT_NAMES[op] for op in roots} or {"query": "Query"},
    )
