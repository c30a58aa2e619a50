"""Render a :class:`Supergraph` as supergraph SDL (``link`` v1.0, ``join`` v0.3–v0.5)."""

from __future__ import annotations

from collections.abc import Iterable

from graphql.language import StringValueNode, print_ast
from graphql.language.block_string import print_block_string

from .merged import JoinField, JoinType, MEnumValue, MField, MInputValue, MType, Supergraph
from .model import ExecutableDirective, InputValue, Kind, Meta

_JOIN_FIELD_ARGS = {
    "0.3": "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, "
    "type: String, external: Boolean, override: String, usedOverridden: Boolean",
}
_JOIN_FIELD_ARGS["0.4"] = _JOIN_FIELD_ARGS["0.3"] + ", overrideLabel: String"
_JOIN_FIELD_ARGS["0.5"] = _JOIN_FIELD_ARGS["0.4"] + ", contextArguments: [join__ContextArgument!]"

_LINK_PURPOSE = '''enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}'''

_INACCESSIBLE_LOCATIONS = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | "
    "ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
_AUTH_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"


def _string(value: str) -> str:
    return print_ast(StringValueNode(value=value))


def _description(description: str | None, indent: str) -> list[str]:
    if not description:
        return []
    block = print_block_string(description)
    return [indent + line if line else line for line in block.split("\n")]


def _metas(supergraph: Supergraph) -> Iterable[Meta]:
    for mtype in supergraph.types.values():
        yield mtype.meta
        for fld in mtype.fields.values():
            yield fld.meta
            yield from (arg.meta for arg in fld.args.values())
        yield from (f.meta for f in mtype.input_fields.values())
        yield from (v.meta for v in mtype.values.values())


def _features(supergraph: Supergraph) -> set[str]:
    used: set[str] = set()
    for meta in _metas(supergraph):
        if meta.inaccessible:
            used.add("inaccessible")
        if meta.tags:
            used.add("tag")
        if meta.authenticated:
            used.add("authenticated")
        if meta.requires_scopes is not None:
            used.add("requiresScopes")
        if meta.policies is not None:
            used.add("policy")
        if meta.cost is not None or meta.list_size is not None:
            used.add("cost")
    return used


def _meta_directives(meta: Meta) -> list[str]:
    out: list[str] = []
    if meta.inaccessible:
        out.append("@inaccessible")
    out.extend(f"@tag(name: {_string(tag)})" for tag in meta.tags)
    if meta.authenticated:
        out.append("@authenticated")
    if meta.requires_scopes is not None:
        out.append(f"@requiresScopes(scopes: {_nested(meta.requires_scopes)})")
    if meta.policies is not None:
        out.append(f"@policy(policies: {_nested(meta.policies)})")
    for directive, name in ((meta.cost, "cost"), (meta.list_size, "listSize")):
        if directive is not None:
            args = ", ".join(print_ast(a) for a in directive.arguments or ())
            out.append(f"@{name}({args})" if args else f"@{name}")
    for directive in (meta.deprecated, meta.specified_by):
        if directive is not None:
            out.append(print_ast(directive))
    return out


def _nested(values: list[list[str]]) -> str:
    return (
        "[" + ", ".join("[" + ", ".join(_string(v) for v in inner) + "]" for inner in values) + "]"
    )


def _join_type(join: JoinType) -> str:
    args = [f"graph: {join.graph}"]
    if join.key is not None:
        args.append(f"key: {_string(join.key)}")
    if join.extension:
        args.append("extension: true")
    if join.resolvable is not None:
        args.append(f"resolvable: {'true' if join.resolvable else 'false'}")
    if join.interface_object:
        args.append("isInterfaceObject: true")
    return f"@join__type({', '.join(args)})"


def _join_field(join: JoinField) -> str:
    args: list[str] = []
    if join.graph is not None:
        args.append(f"graph: {join.graph}")
    if join.requires is not None:
        args.append(f"requires: {_string(join.requires)}")
    if join.provides is not None:
        args.append(f"provides: {_string(join.provides)}")
    if join.type is not None:
        args.append(f"type: {_string(join.type)}")
    if join.external:
        args.append("external: true")
    if join.override is not None:
        args.append(f"override: {_string(join.override)}")
    if join.used_overridden:
        args.append("usedOverridden: true")
    if join.override_label is not None:
        args.append(f"overrideLabel: {_string(join.override_label)}")
    return f"@join__field({', '.join(args)})" if args else "@join__field"


def _input_value(value: MInputValue | InputValue) -> str:
    parts = [f"{value.name}: {print_ast(value.type)}"]
    if value.default is not None:
        parts.append(f"= {print_ast(value.default)}")
    parts.extend(_meta_directives(value.meta))
    if isinstance(value, MInputValue):
        parts.extend(_join_field(j) for j in value.join_fields)
    return " ".join(parts)


def _arguments(args: Iterable[MInputValue | InputValue], indent: str) -> str:
    values = list(args)
    if not values:
        return ""
    if not any(v.meta.description for v in values):
        return "(" + ", ".join(_input_value(v) for v in values) + ")"
    lines = ["("]
    for value in values:
        lines.extend(_description(value.meta.description, indent + "  "))
        lines.append(indent + "  " + _input_value(value))
    lines.append(indent + ")")
    return "\n".join(lines)


def _field(fld: MField) -> str:
    parts = [f"  {fld.name}{_arguments(fld.args.values(), '  ')}: {print_ast(fld.type)}"]
    parts.extend(_join_field(j) for j in fld.join_fields)
    parts.extend(_meta_directives(fld.meta))
    return " ".join(parts)


def _block(lines: list[tuple[str | None, str]]) -> list[str]:
    out: list[str] = []
    for i, (description, line) in enumerate(lines):
        if description:
            if i:
                out.append("")
            out.extend(_description(description, "  "))
        out.append(line)
    return out


def _enum_value(value: MEnumValue) -> str:
    parts = [f"  {value.name}"]
    parts.extend(_meta_directives(value.meta))
    parts.extend(f"@join__enumValue(graph: {g})" for g in value.graphs)
    return " ".join(parts)


def _type(mtype: MType) -> str:
    keyword = {
        Kind.OBJECT: "type",
        Kind.INTERFACE: "interface",
        Kind.UNION: "union",
        Kind.ENUM: "enum",
        Kind.INPUT: "input",
        Kind.SCALAR: "scalar",
    }[mtype.kind]
    out = _description(mtype.meta.description, "")
    header = f"{keyword} {mtype.name}"
    if mtype.interfaces:
        header += " implements " + " & ".join(mtype.interfaces)
    out.append(header)
    directives = [
        f"@join__implements(graph: {g}, interface: {_string(i)})" for g, i in mtype.implements
    ]
    directives.extend(_join_type(j) for j in mtype.join_types)
    directives.extend(
        f"@join__unionMember(graph: {g}, member: {_string(m)})" for g, m in mtype.union_members
    )
    directives.extend(_meta_directives(mtype.meta))
    out.extend(f"  {d}" for d in directives)
    if mtype.kind is Kind.UNION:
        if mtype.members:
            out.append(" = " + " | ".join(mtype.members))
    elif mtype.kind is Kind.ENUM:
        out.append("{")
        out.extend(_block([(v.meta.description, _enum_value(v)) for v in mtype.values.values()]))
        out.append("}")
    elif mtype.kind is Kind.INPUT:
        out.append("{")
        out.extend(
            _block(
                [(f.meta.description, "  " + _input_value(f)) for f in mtype.input_fields.values()]
            )
        )
        out.append("}")
    elif mtype.kind in (Kind.OBJECT, Kind.INTERFACE):
        out.append("{")
        out.extend(_block([(f.meta.description, _field(f)) for f in mtype.fields.values()]))
        out.append("}")
    return "\n".join(out)


def _executable_directive(directive: ExecutableDirective) -> str:
    out = _description(directive.description, "")
    repeatable = " repeatable" if directive.repeatable else ""
    out.append(
        f"directive @{directive.name}{_arguments(directive.args.values(), '')}{repeatable} on "
        + " | ".join(directive.locations)
    )
    return "\n".join(out)


def print_supergraph(supergraph: Supergraph) -> str:
    """Print ``supergraph`` as SDL; definitions are sorted by name."""
    version = supergraph.join_version
    features = _features(supergraph)
    links = [
        '@link(url: "https://specs.apollo.dev/link/v1.0")',
        f'@link(url: "https://specs.apollo.dev/join/v{version}", for: EXECUTION)',
    ]
    if "tag" in features:
        links.append('@link(url: "https://specs.apollo.dev/tag/v0.3")')
    if "inaccessible" in features:
        links.append('@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)')
    for spec in ("authenticated", "requiresScopes", "policy"):
        if spec in features:
            links.append(f'@link(url: "https://specs.apollo.dev/{spec}/v0.1", for: SECURITY)')
    if "cost" in features:
        links.append('@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"])')
    schema = ["schema"] + [f"  {link}" for link in links] + ["{"]
    schema += [f"  {op}: {name}" for op, name in supergraph.roots.items()] + ["}"]

    directives: dict[str, str] = {
        "join__enumValue": "directive @join__enumValue(graph: join__Graph!) repeatable on "
        "ENUM_VALUE",
        "join__field": f"directive @join__field({_JOIN_FIELD_ARGS[version]}) repeatable on "
        "FIELD_DEFINITION | INPUT_FIELD_DEFINITION",
        "join__graph": "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
        "join__implements": "directive @join__implements(graph: join__Graph!, interface: "
        "String!) repeatable on OBJECT | INTERFACE",
        "join__type": "directive @join__type(graph: join__Graph!, key: join__FieldSet, "
        "extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: "
        "Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | "
        "SCALAR",
        "join__unionMember": "directive @join__unionMember(graph: join__Graph!, member: "
        "String!) repeatable on UNION",
        "link": "directive @link(url: String, as: String, for: link__Purpose, import: "
        "[link__Import]) repeatable on SCHEMA",
    }
    types: dict[str, str] = {
        "join__FieldSet": "scalar join__FieldSet",
        "link__Import": "scalar link__Import",
        "link__Purpose": _LINK_PURPOSE,
    }
    if version in ("0.4", "0.5"):
        directives["join__directive"] = (
            "directive @join__directive(graphs: [join__Graph!], name: String!, args: "
            "join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION"
        )
        types["join__DirectiveArguments"] = "scalar join__DirectiveArguments"
    if version == "0.5":
        types["join__ContextArgument"] = (
            "input join__ContextArgument {\n  name: String!\n  type: String!\n"
            "  context: String!\n  selection: join__FieldValue!\n}"
        )
        types["join__FieldValue"] = "scalar join__FieldValue"
    if "inaccessible" in features:
        directives["inaccessible"] = f"directive @inaccessible on {_INACCESSIBLE_LOCATIONS}"
    if "tag" in features:
        directives["tag"] = (
            f"directive @tag(name: String!) repeatable on {_INACCESSIBLE_LOCATIONS} | SCHEMA"
        )
    if "authenticated" in features:
        directives["authenticated"] = f"directive @authenticated on {_AUTH_LOCATIONS}"
    if "requiresScopes" in features:
        directives["requiresScopes"] = (
            "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on " + _AUTH_LOCATIONS
        )
        types["requiresScopes__Scope"] = "scalar requiresScopes__Scope"
    if "policy" in features:
        directives["policy"] = (
            f"directive @policy(policies: [[policy__Policy!]!]!) on {_AUTH_LOCATIONS}"
        )
        types["policy__Policy"] = "scalar policy__Policy"
    if "cost" in features:
        directives["cost"] = (
            "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | "
            "INPUT_FIELD_DEFINITION | OBJECT | SCALAR"
        )
        directives["listSize"] = (
            "directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: "
            "[String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION"
        )
    for directive in supergraph.directives:
        directives[directive.name] = _executable_directive(directive)
    graph_lines = [
        f"  {g.enum_name} @join__graph(name: {_string(g.name)}, url: {_string(g.url)})"
        for g in supergraph.graphs
    ]
    types["join__Graph"] = "enum join__Graph {\n" + "\n".join(graph_lines) + "\n}"
    for name, mtype in supergraph.types.items():
        types[name] = _type(mtype)
    blocks = ["\n".join(schema)]
    blocks.extend(directives[name] for name in sorted(directives))
    blocks.extend(types[name] for name in sorted(types, key=lambda n: (n.lower(), n)))
    return "\n\n".join(blocks) + "\n"
