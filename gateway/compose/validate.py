"""Per-subgraph federation checks (keys, ``@requires``, ``@provides``, ``@external``).

Also applies the fed1 normalisations of the reference composer: ``@external`` on key
fields of type extensions is ignored and unused ``@external`` fields are dropped.
"""

from __future__ import annotations

from .errors import IssueCollector
from .fieldset import resolve_field_set
from .model import Kind, SubgraphSchema, TypeDef
from .typeref import base_name


def _interface_field_names(schema: SubgraphSchema, typedef: TypeDef) -> set[str]:
    names: set[str] = set()
    for itf_name in typedef.interfaces:
        itf = schema.types.get(itf_name)
        if itf is not None:
            names.update(itf.fields)
    return names


_BUILTIN_SCALARS = frozenset({"Int", "Float", "String", "Boolean", "ID"})


def _check_references(schema: SubgraphSchema, issues: IssueCollector) -> None:
    def check(type_name: str, where: str) -> None:
        if type_name not in schema.types and type_name not in _BUILTIN_SCALARS:
            issues.add(
                "INVALID_GRAPHQL",
                f'[{schema.name}] Unknown type "{type_name}" (referenced by "{where}").',
                subgraph=schema.name,
                coordinate=where,
            )

    for typedef in schema.types.values():
        for itf in typedef.interfaces:
            check(itf, typedef.name)
        for member in typedef.members:
            check(member, typedef.name)
        for fld in typedef.fields.values():
            check(base_name(fld.type), f"{typedef.name}.{fld.name}")
            for arg in fld.args.values():
                check(base_name(arg.type), f"{typedef.name}.{fld.name}({arg.name}:)")
        for input_field in typedef.input_fields.values():
            check(base_name(input_field.type), f"{typedef.name}.{input_field.name}")


def check_subgraph(schema: SubgraphSchema, issues: IssueCollector) -> None:
    """Validate ``schema`` and normalise its external/shareable flags in place."""
    name = schema.name
    _check_references(schema, issues)
    used: set[tuple[str, str]] = set()
    key_fields: set[tuple[str, str]] = set()
    for typedef in schema.types.values():
        if typedef.kind is Kind.INTERFACE and schema.fed1:
            typedef.keys.clear()
        for key in typedef.keys:
            result = resolve_field_set(schema, typedef.name, key.fields)
            where = f'On type "{typedef.name}", for @key(fields: "{key.fields}")'
            for error in result.errors:
                issues.add(
                    "KEY_INVALID_FIELDS",
                    f"[{name}] {where}: {error} (the field should either be added to this "
                    "subgraph or, if it should not be resolved by this subgraph, you need to add "
                    "it to this subgraph with @external).",
                    subgraph=name,
                    coordinate=typedef.name,
                )
            for coordinate in result.with_args:
                issues.add(
                    "KEY_FIELDS_HAS_ARGS",
                    f"[{name}] {where}: field {coordinate} cannot be included because it has "
                    "arguments (fields with argument are not allowed in @key)",
                    subgraph=name,
                    coordinate=typedef.name,
                )
            for coordinate in result.abstract:
                issues.add(
                    "KEY_FIELDS_SELECT_INVALID_TYPE",
                    f'[{name}] {where}: field "{coordinate}" is an Interface or Union type which '
                    "is not allowed in @key",
                    subgraph=name,
                    coordinate=typedef.name,
                )
            key_fields.update(result.coordinates)
            used.update(result.coordinates)
            if key.extension or typedef.extends or schema.fed1:
                for type_name, field_name in result.coordinates:
                    schema.types[type_name].fields[field_name].external = False
    for typedef in schema.types.values():
        for field in typedef.fields.values():
            coordinate = f"{typedef.name}.{field.name}"
            if field.requires is not None:
                result = resolve_field_set(schema, typedef.name, field.requires)
                for error in result.errors:
                    issues.add(
                        "REQUIRES_INVALID_FIELDS",
                        f'[{name}] On field "{coordinate}", for @requires(fields: '
                        f'"{field.requires}"): {error}',
                        subgraph=name,
                        coordinate=coordinate,
                    )
                used.update(result.coordinates)
                if not schema.fed1:
                    for type_name, field_name in result.local_leaves:
                        issues.add(
                            "REQUIRES_FIELDS_MISSING_EXTERNAL",
                            f'[{name}] On field "{coordinate}", for @requires(fields: '
                            f'"{field.requires}"): field "{type_name}.{field_name}" should '
                            "not be part of a @requires since it is already provided by "
                            "this subgraph (it is not marked @external)",
                            subgraph=name,
                            coordinate=coordinate,
                        )
            if field.provides is not None:
                target = base_name(field.type)
                target_def = schema.types.get(target)
                if target_def is None or target_def.kind not in (
                    Kind.OBJECT,
                    Kind.INTERFACE,
                    Kind.UNION,
                ):
                    issues.add(
                        "PROVIDES_ON_NON_OBJECT_FIELD",
                        f'[{name}] Invalid @provides directive on field "{coordinate}": field '
                        f'has type "{target}" which is not a Composite Type',
                        subgraph=name,
                        coordinate=coordinate,
                    )
                    continue
                result = resolve_field_set(schema, target, field.provides)
                for error in result.errors:
                    issues.add(
                        "PROVIDES_INVALID_FIELDS",
                        f'[{name}] On field "{coordinate}", for @provides(fields: '
                        f'"{field.provides}"): {error}',
                        subgraph=name,
                        coordinate=coordinate,
                    )
                used.update(result.coordinates)
    schema.used = used
    for type_name, field_name in key_fields:
        schema.types[type_name].fields[field_name].shareable = True
    for typedef in schema.types.values():
        satisfying = _interface_field_names(schema, typedef)
        for field_name, field in list(typedef.fields.items()):
            if not field.external or (typedef.name, field_name) in used:
                continue
            if field_name in satisfying:
                continue
            if schema.fed1:
                del typedef.fields[field_name]
            elif typedef.kind is Kind.OBJECT:
                issues.add(
                    "EXTERNAL_UNUSED",
                    f'[{name}] Field "{typedef.name}.{field_name}" is marked @external but is '
                    "not used in any federation directive (@key, @provides, @requires) or to "
                    "satisfy an interface; the field declaration has no use and should be "
                    "removed (or the field should not be @external).",
                    subgraph=name,
                    coordinate=f"{typedef.name}.{field_name}",
                )
