"""Field sets (``@key``/``@requires``/``@provides`` ``fields:``) resolved against a subgraph."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import GraphQLError, parse
from graphql.language import (
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from .model import Kind, SubgraphSchema
from .typeref import base_name


@dataclass
class FieldSetResult:
    """Fields selected by a field set, as ``(type, field)`` coordinates, plus problems."""

    coordinates: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    with_args: list[str] = field(default_factory=list)
    abstract: list[str] = field(default_factory=list)
    local_leaves: list[tuple[str, str]] = field(default_factory=list)


def parse_field_set(text: str) -> SelectionSetNode:
    document = parse("{" + text + "}", no_location=True)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def resolve_field_set(schema: SubgraphSchema, type_name: str, text: str) -> FieldSetResult:
    """Resolve ``text`` on ``type_name`` of ``schema``; unknown fields become errors."""
    result = FieldSetResult()
    try:
        selection_set = parse_field_set(text)
    except GraphQLError as error:
        result.errors.append(f"Invalid field set: {error.message}")
        return result
    _walk(schema, type_name, selection_set, result, False)
    return result


def _walk(
    schema: SubgraphSchema,
    type_name: str,
    selection_set: SelectionSetNode,
    result: FieldSetResult,
    under_external: bool,
) -> None:
    parent = schema.types.get(type_name)
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            result.errors.append("Named fragments are not allowed in field sets")
        elif isinstance(selection, InlineFragmentNode):
            condition = (
                selection.type_condition.name.value if selection.type_condition else type_name
            )
            if condition not in schema.types:
                result.errors.append(f'Unknown type "{condition}"')
                continue
            _walk(schema, condition, selection.selection_set, result, under_external)
        elif isinstance(selection, FieldNode):
            name = selection.name.value
            if name == "__typename":
                continue
            definition = parent.fields.get(name) if parent else None
            if parent is None or definition is None:
                result.errors.append(f'Cannot query field "{name}" on type "{type_name}"')
                continue
            result.coordinates.append((type_name, name))
            external = under_external or definition.external
            if not external and not selection.selection_set:
                result.local_leaves.append((type_name, name))
            if selection.arguments:
                result.with_args.append(f"{type_name}.{name}")
            target_name = base_name(definition.type)
            target = schema.types.get(target_name)
            if target and target.kind in (Kind.INTERFACE, Kind.UNION):
                result.abstract.append(f"{type_name}.{name}")
            if selection.selection_set:
                if target is None or target.kind not in (Kind.OBJECT, Kind.INTERFACE, Kind.UNION):
                    result.errors.append(
                        f'Field "{type_name}.{name}" of type "{target_name}" must not have a '
                        "selection since type "
                        f'"{target_name}" has no subfields'
                    )
                    continue
                _walk(schema, target_name, selection.selection_set, result, external)
            elif target and target.kind in (Kind.OBJECT, Kind.INTERFACE, Kind.UNION):
                result.errors.append(
                    f'Field "{type_name}.{name}" of type "{target_name}" must have a selection '
                    "of subfields"
                )
