"""Behaviour of the federation composer (``gateway.compose``) on small hand-written subgraphs."""

from __future__ import annotations

import pytest
from graphql import build_ast_schema, parse, print_ast
from graphql.language import (
    DocumentNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
)

from gateway.compose import CompositionError, Subgraph, compose

FED = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: '
    '["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", '
    '"@tag", "@override", "@interfaceObject", "@extends"])\n'
)


def sub(name: str, sdl: str, fed2: bool = True) -> Subgraph:
    return Subgraph(name=name, url=f"http://{name}.local/graphql", sdl=(FED if fed2 else "") + sdl)


def supergraph(*subgraphs: Subgraph) -> DocumentNode:
    return parse(compose(subgraphs))


def definition(doc: DocumentNode, name: str) -> TypeDefinitionNode:
    for node in doc.definitions:
        if isinstance(node, TypeDefinitionNode) and node.name.value == name:
            return node
    raise AssertionError(f"{name} not in supergraph")


def type_directives(doc: DocumentNode, name: str) -> list[str]:
    return [print_ast(d) for d in definition(doc, name).directives or ()]


def field_directives(doc: DocumentNode, type_name: str, field: str) -> list[str]:
    node = definition(doc, type_name)
    assert isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode)
    for fld in node.fields or ():
        if fld.name.value == field:
            return [print_ast(d) for d in fld.directives or ()]
    raise AssertionError(f"{type_name}.{field} not in supergraph")


def field_type(doc: DocumentNode, type_name: str, field: str) -> str:
    node = definition(doc, type_name)
    assert isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode)
    return next(print_ast(f.type) for f in node.fields or () if f.name.value == field)


def error_codes(*subgraphs: Subgraph) -> list[str]:
    with pytest.raises(CompositionError) as info:
        compose(subgraphs)
    return info.value.codes


ROCKETS = sub(
    "rockets",
    """
    type Query { rockets: [Rocket!]! }
    type Rocket @key(fields: "id") { id: ID! name: String! }
    """,
)
SEATS = sub(
    "seats",
    """
    type Rocket @key(fields: "id") { id: ID! seats: Int! }
    """,
)


def test_supergraph_links_join_and_lists_graphs() -> None:
    doc = supergraph(ROCKETS, SEATS)
    schema = next(d for d in doc.definitions if isinstance(d, SchemaDefinitionNode))
    links = [print_ast(d) for d in schema.directives or ()]
    assert '@link(url: "https://specs.apollo.dev/link/v1.0")' in links
    assert '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)' in links
    graphs = definition(doc, "join__Graph")
    assert isinstance(graphs, EnumTypeDefinitionNode)
    assert [print_ast(v) for v in graphs.values or ()] == [
        'ROCKETS @join__graph(name: "rockets", url: "http://rockets.local/graphql")',
        'SEATS @join__graph(name: "seats", url: "http://seats.local/graphql")',
    ]
    build_ast_schema(doc)


def test_graph_enum_names_are_upper_cased_with_underscores() -> None:
    doc = supergraph(sub("launch-pads.v2", "type Query { pads: [String] }"))
    graphs = definition(doc, "join__Graph")
    assert isinstance(graphs, EnumTypeDefinitionNode)
    assert [v.name.value for v in graphs.values or ()] == ["LAUNCH_PADS_V2"]


def test_output_is_deterministic_regardless_of_subgraph_order() -> None:
    assert compose([ROCKETS, SEATS]) == compose([SEATS, ROCKETS])


def test_entity_gets_join_type_with_key_per_subgraph() -> None:
    doc = supergraph(ROCKETS, SEATS)
    assert type_directives(doc, "Rocket") == [
        '@join__type(graph: ROCKETS, key: "id")',
        '@join__type(graph: SEATS, key: "id")',
    ]
    assert type_directives(doc, "Query") == [
        "@join__type(graph: ROCKETS)",
        "@join__type(graph: SEATS)",
    ]


def test_field_in_every_subgraph_of_its_type_has_no_join_field() -> None:
    doc = supergraph(ROCKETS, SEATS)
    assert field_directives(doc, "Rocket", "id") == []
    assert field_directives(doc, "Rocket", "seats") == ["@join__field(graph: SEATS)"]
    assert field_directives(doc, "Query", "rockets") == ["@join__field(graph: ROCKETS)"]


def test_shareable_field_gets_join_field_per_subgraph() -> None:
    doc = supergraph(
        sub(
            "a",
            'type Query { a: Pad } type Pad @key(fields: "id") { id: ID! loc: String @shareable }',
        ),
        sub("b", 'type Pad @key(fields: "id") { id: ID! loc: String @shareable }'),
        sub("c", 'type Pad @key(fields: "id") { id: ID! size: Int }'),
    )
    assert field_directives(doc, "Pad", "loc") == [
        "@join__field(graph: A)",
        "@join__field(graph: B)",
    ]


def test_conflicting_non_shareable_field_is_a_composition_error() -> None:
    with pytest.raises(CompositionError) as info:
        compose(
            [
                sub(
                    "a", 'type Query { a: Pad } type Pad @key(fields: "id") { id: ID! loc: String }'
                ),
                sub("b", 'type Pad @key(fields: "id") { id: ID! loc: String }'),
            ]
        )
    (error,) = info.value.errors
    assert error.code == "INVALID_FIELD_SHARING"
    assert '"Pad.loc"' in error.message
    assert '"a"' in error.message and '"b"' in error.message


def test_external_requires_and_provides_are_recorded_on_join_field() -> None:
    doc = supergraph(
        sub(
            "flights",
            'type Query { flights: [Flight] } type Flight @key(fields: "id") { id: ID! fuel: Int }',
        ),
        sub(
            "cost",
            """
            type Flight @key(fields: "id") {
              id: ID!
              fuel: Int @external
              price: Int @requires(fields: "fuel")
            }
            """,
        ),
        sub(
            "crew",
            """
            type Query { pilots: [Pilot] }
            type Pilot { name: String flight: Flight @provides(fields: "fuel") }
            type Flight @key(fields: "id") { id: ID! fuel: Int @external }
            """,
        ),
    )
    assert field_directives(doc, "Flight", "fuel") == [
        "@join__field(graph: COST, external: true)",
        "@join__field(graph: CREW, external: true)",
        "@join__field(graph: FLIGHTS)",
    ]
    assert field_directives(doc, "Flight", "price") == [
        '@join__field(graph: COST, requires: "fuel")'
    ]
    assert field_directives(doc, "Pilot", "flight") == [
        '@join__field(graph: CREW, provides: "fuel")'
    ]


def test_extend_type_and_extends_mark_key_as_extension() -> None:
    doc = supergraph(
        ROCKETS,
        sub("seats", 'extend type Rocket @key(fields: "id") { id: ID! @external seats: Int }'),
        sub("fuel", 'type Rocket @extends @key(fields: "id") { id: ID! @external fuel: Int }'),
    )
    assert type_directives(doc, "Rocket") == [
        '@join__type(graph: FUEL, key: "id", extension: true)',
        '@join__type(graph: ROCKETS, key: "id")',
        '@join__type(graph: SEATS, key: "id", extension: true)',
    ]
    assert field_directives(doc, "Rocket", "id") == []


def test_non_resolvable_key_and_multiple_keys() -> None:
    doc = supergraph(
        sub(
            "a",
            'type Query { a: Pad } type Pad @key(fields: "id") @key(fields: "code") { id: ID! code: String! }',
        ),
        sub(
            "b", 'type Query { b: Pad } type Pad @key(fields: "id", resolvable: false) { id: ID! }'
        ),
    )
    assert type_directives(doc, "Pad") == [
        '@join__type(graph: A, key: "id")',
        '@join__type(graph: A, key: "code")',
        '@join__type(graph: B, key: "id", resolvable: false)',
    ]


def test_different_field_types_get_join_field_type_and_supertype() -> None:
    doc = supergraph(
        sub(
            "a",
            'type Query { a: Pad } type Pad @key(fields: "id") { id: ID! code: String! @shareable }',
        ),
        sub("b", 'type Pad @key(fields: "id") { id: ID! code: String @shareable }'),
    )
    assert field_type(doc, "Pad", "code") == "String"
    assert field_directives(doc, "Pad", "code") == [
        '@join__field(graph: A, type: "String!")',
        '@join__field(graph: B, type: "String")',
    ]


def test_incompatible_field_types_are_a_composition_error() -> None:
    assert error_codes(
        sub(
            "a",
            'type Query { a: Pad } type Pad @key(fields: "id") { id: ID! code: Int @shareable }',
        ),
        sub("b", 'type Pad @key(fields: "id") { id: ID! code: String @shareable }'),
    ) == ["FIELD_TYPE_MISMATCH"]


def test_type_kind_mismatch_is_a_composition_error() -> None:
    with pytest.raises(CompositionError) as info:
        compose(
            [
                sub("a", "type Query { a: Pad } type Pad { id: ID }"),
                sub("b", "type Query { b: Pad } interface Pad { id: ID }"),
            ]
        )
    (error,) = info.value.errors
    assert error.code == "TYPE_KIND_MISMATCH"
    assert '"Pad"' in error.message and '"b"' in error.message


def test_invalid_key_fields_are_a_composition_error() -> None:
    with pytest.raises(CompositionError) as info:
        compose([sub("a", 'type Query { a: Pad } type Pad @key(fields: "uuid") { id: ID }')])
    (error,) = info.value.errors
    assert error.code == "KEY_INVALID_FIELDS"
    assert "[a]" in error.message and '"uuid"' in error.message and '"Pad"' in error.message


def test_unused_external_field_is_a_composition_error() -> None:
    assert error_codes(
        ROCKETS,
        sub("b", 'type Rocket @key(fields: "id") { id: ID! name: String! @external }'),
    ) == ["EXTERNAL_UNUSED"]


def test_unsatisfiable_field_is_a_composition_error() -> None:
    with pytest.raises(CompositionError) as info:
        compose(
            [
                sub("a", "type Query { a: Pad } type Pad { id: ID! @shareable }"),
                sub("b", "type Query { b: Pad } type Pad { id: ID! @shareable size: Int }"),
            ]
        )
    (error,) = info.value.errors
    assert error.code == "SATISFIABILITY_ERROR"
    assert "Pad.size" in error.message and '"a"' in error.message


def test_input_objects_merge_by_intersection() -> None:
    doc = supergraph(
        sub("a", "type Query { a(f: Filter): Int } input Filter { first: Int offset: Int }"),
        sub("b", "type Query { b(f: Filter): Int } input Filter { first: Int after: String }"),
    )
    node = definition(doc, "Filter")
    assert isinstance(node, InputObjectTypeDefinitionNode)
    assert [f.name.value for f in node.fields or ()] == ["first"]


def test_required_input_field_missing_in_a_subgraph_is_an_error() -> None:
    assert error_codes(
        sub("a", "type Query { a(f: Filter): Int } input Filter { first: Int! }"),
        sub("b", "type Query { b(f: Filter): Int } input Filter { after: String }"),
    ) == ["REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH", "EMPTY_MERGED_INPUT_TYPE"]


def test_output_enum_is_a_union_with_join_enum_value() -> None:
    doc = supergraph(
        sub("a", "type Query { a: Status } enum Status { BOOKED CANCELLED }"),
        sub("b", "type Query { b: Status } enum Status { BOOKED BOARDED }"),
    )
    node = definition(doc, "Status")
    assert isinstance(node, EnumTypeDefinitionNode)
    assert {
        v.name.value: [print_ast(d) for d in v.directives or ()] for v in node.values or ()
    } == {
        "BOOKED": ["@join__enumValue(graph: A)", "@join__enumValue(graph: B)"],
        "CANCELLED": ["@join__enumValue(graph: A)"],
        "BOARDED": ["@join__enumValue(graph: B)"],
    }


def test_input_enum_is_an_intersection() -> None:
    doc = supergraph(
        sub("a", "type Query { a(s: Status): Int } enum Status { BOOKED CANCELLED }"),
        sub("b", "type Query { b(s: Status): Int } enum Status { BOOKED BOARDED }"),
    )
    node = definition(doc, "Status")
    assert isinstance(node, EnumTypeDefinitionNode)
    assert [v.name.value for v in node.values or ()] == ["BOOKED"]


def test_enum_used_as_input_and_output_must_be_consistent() -> None:
    codes = error_codes(
        sub("a", "type Query { a(s: Status): Status } enum Status { BOOKED CANCELLED }"),
        sub("b", "type Query { b: Status } enum Status { BOOKED }"),
    )
    assert codes == ["ENUM_VALUE_MISMATCH"]


def test_field_arguments_merge_by_intersection() -> None:
    doc = supergraph(
        sub("a", "type Query { seats(limit: Int, cabin: String): Int @shareable }"),
        sub("b", "type Query { seats(limit: Int!): Int @shareable }"),
    )
    node = definition(doc, "Query")
    assert isinstance(node, ObjectTypeDefinitionNode)
    (seats,) = node.fields or ()
    assert [print_ast(a) for a in seats.arguments or ()] == ["limit: Int!"]


def test_union_members_are_merged_with_join_union_member() -> None:
    doc = supergraph(
        sub(
            "a",
            "type Query { a: Item } union Item = Seat | Meal type Seat { n: Int @shareable } type Meal { m: Int }",
        ),
        sub(
            "b",
            "type Query { b: Item } union Item = Seat | Bag type Seat { n: Int @shareable } type Bag { k: Int }",
        ),
    )
    node = definition(doc, "Item")
    assert isinstance(node, UnionTypeDefinitionNode)
    assert [t.name.value for t in node.types or ()] == ["Seat", "Meal", "Bag"]
    assert '@join__unionMember(graph: B, member: "Bag")' in type_directives(doc, "Item")


def test_interfaces_get_join_implements() -> None:
    doc = supergraph(
        sub(
            "a",
            'type Query { a: Node } interface Node { id: ID! } type Pad implements Node @key(fields: "id") { id: ID! }',
        ),
        sub("b", 'type Pad @key(fields: "id") { id: ID! size: Int }'),
    )
    assert type_directives(doc, "Pad")[0] == '@join__implements(graph: A, interface: "Node")'


def test_override_removes_unused_field_from_source_subgraph() -> None:
    doc = supergraph(
        sub("a", 'type Query { a: Pad } type Pad @key(fields: "id") { id: ID! size: Int }'),
        sub("b", 'type Pad @key(fields: "id") { id: ID! size: Int @override(from: "a") }'),
    )
    assert field_directives(doc, "Pad", "size") == ['@join__field(graph: B, override: "a")']


def test_override_of_a_field_used_in_a_key_keeps_it_as_used_overridden() -> None:
    doc = supergraph(
        sub(
            "a",
            'type Query { a: Pad } type Pad @key(fields: "id") @key(fields: "code") '
            "{ id: ID! code: String! }",
        ),
        sub(
            "b",
            'type Pad @key(fields: "id") @key(fields: "code") '
            '{ id: ID! code: String! @override(from: "a") }',
        ),
    )
    assert field_directives(doc, "Pad", "code") == [
        "@join__field(graph: A, usedOverridden: true)",
        '@join__field(graph: B, override: "a")',
    ]


def test_override_from_self_is_an_error() -> None:
    assert "OVERRIDE_FROM_SELF_ERROR" in error_codes(
        sub(
            "a",
            'type Query { a: Pad } type Pad @key(fields: "id") { id: ID! n: Int @override(from: "a") }',
        )
    )


def test_inaccessible_is_propagated_with_its_spec_link() -> None:
    doc = supergraph(
        sub(
            "a",
            'type Query { a: Pad } type Pad @key(fields: "id") { id: ID! secret: String @inaccessible }',
        ),
    )
    assert field_directives(doc, "Pad", "secret") == [
        "@join__field(graph: A)",
        "@inaccessible",
    ] or (field_directives(doc, "Pad", "secret") == ["@inaccessible"])
    assert "https://specs.apollo.dev/inaccessible/v0.2" in compose(
        [sub("a", "type Query { a: Int @inaccessible b: Int }")]
    )


def test_interface_object_fields_are_added_to_implementations() -> None:
    doc = supergraph(
        sub(
            "a",
            """
            type Query { media: [Media] }
            interface Media @key(fields: "id") { id: ID! }
            type Film implements Media @key(fields: "id") { id: ID! }
            """,
        ),
        sub("b", 'type Media @key(fields: "id") @interfaceObject { id: ID! rating: Int }'),
    )
    assert definition(doc, "Media").__class__ is InterfaceTypeDefinitionNode
    assert type_directives(doc, "Media") == [
        '@join__type(graph: A, key: "id")',
        '@join__type(graph: B, key: "id", isInterfaceObject: true)',
    ]
    assert field_directives(doc, "Film", "rating") == ["@join__field"]


def test_fed1_fields_are_shareable_and_extension_key_fields_not_external() -> None:
    doc = supergraph(
        sub(
            "a",
            'type Query { a: Pad } type Pad @key(fields: "id") { id: ID! name: String }',
            fed2=False,
        ),
        sub(
            "b",
            'extend type Pad @key(fields: "id") { id: ID! @external name: String @external '
            'label: String @requires(fields: "name") }',
            fed2=False,
        ),
    )
    assert type_directives(doc, "Pad") == [
        '@join__type(graph: A, key: "id")',
        '@join__type(graph: B, key: "id")',
    ]
    assert field_directives(doc, "Pad", "id") == []
    assert field_directives(doc, "Pad", "name") == [
        "@join__field(graph: A)",
        "@join__field(graph: B, external: true)",
    ]


def test_fed1_value_types_compose_without_shareable() -> None:
    doc = supergraph(
        sub("a", "type Query { a: Money } type Money { amount: Int }", fed2=False),
        sub("b", "type Query { b: Money } type Money { amount: Int }", fed2=False),
    )
    assert field_directives(doc, "Money", "amount") == []


def test_custom_root_type_names_become_query_and_mutation() -> None:
    doc = supergraph(
        sub(
            "a",
            "schema { query: RootQ mutation: RootM } type RootQ { a: Int } type RootM { book: Int }",
        ),
    )
    schema = next(d for d in doc.definitions if isinstance(d, SchemaDefinitionNode))
    assert [print_ast(op) for op in schema.operation_types] == [
        "query: Query",
        "mutation: Mutation",
    ]
    assert field_directives(doc, "Mutation", "book") == []


def test_tags_and_descriptions_are_carried_over() -> None:
    text = compose([sub("a", '"""All rockets"""\ntype Query { a: Int @tag(name: "public") }')])
    assert '"""All rockets"""' in text
    assert '@tag(name: "public")' in text
    assert "https://specs.apollo.dev/tag/v0.3" in text


def test_auth_requirements_are_merged_with_and() -> None:
    head = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: '
        '["@key", "@shareable", "@requiresScopes", "@authenticated"])\n'
    )
    doc = parse(
        compose(
            [
                Subgraph(
                    "a",
                    "http://a",
                    head
                    + 'type Query { me: User @authenticated } type User @key(fields: "id") @requiresScopes(scopes: [["read"]]) { id: ID! }',
                ),
                Subgraph(
                    "b",
                    "http://b",
                    head
                    + 'type User @key(fields: "id") @requiresScopes(scopes: [["admin"], ["self"]]) { id: ID! }',
                ),
            ]
        )
    )
    assert '@requiresScopes(scopes: [["admin", "read"], ["read", "self"]])' in type_directives(
        doc, "User"
    )
    assert "@authenticated" in field_directives(doc, "Query", "me")


def test_duplicate_subgraph_names_are_rejected() -> None:
    assert error_codes(ROCKETS, ROCKETS) == ["INVALID_SUBGRAPH_NAME"]


def test_invalid_sdl_is_reported_with_subgraph_name() -> None:
    with pytest.raises(CompositionError) as info:
        compose([Subgraph("broken", "http://b", "type Query {")])
    assert info.value.errors[0].code == "INVALID_GRAPHQL"
    assert "[broken]" in info.value.errors[0].message


def test_no_query_fields_is_an_error() -> None:
    assert error_codes(sub("a", 'type Pad @key(fields: "id") { id: ID! }')) == ["NO_QUERIES"]


def test_argument_default_mismatch_is_an_error() -> None:
    assert error_codes(
        sub("a", "type Query { seats(first: Int = 5): Int @shareable }"),
        sub("b", "type Query { seats(first: Int = 10): Int @shareable }"),
    ) == ["FIELD_ARGUMENT_DEFAULT_MISMATCH"]


def test_required_argument_missing_in_a_subgraph_is_an_error() -> None:
    assert error_codes(
        sub("a", "type Query { seats(first: Int!): Int @shareable }"),
        sub("b", "type Query { seats: Int @shareable }"),
    ) == ["REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH"]


def test_interface_field_missing_on_an_implementation_is_an_error() -> None:
    with pytest.raises(CompositionError) as info:
        compose(
            [
                sub(
                    "a",
                    "type Query { items: [Item] } interface Item { id: ID! price: Int } "
                    'type Seat implements Item @key(fields: "id") { id: ID! price: Int }',
                ),
                sub(
                    "b",
                    "type Query { bags: [Bag] } interface Item { id: ID! } "
                    'type Bag implements Item @key(fields: "id") { id: ID! }',
                ),
            ]
        )
    (error,) = info.value.errors
    assert error.code == "INTERFACE_FIELD_NO_IMPLEM"
    assert '"Item.price"' in error.message and '"Bag"' in error.message


def test_unknown_type_reference_is_reported() -> None:
    with pytest.raises(CompositionError) as info:
        compose([sub("a", "type Query { pad: LaunchPad }")])
    (error,) = info.value.errors
    assert error.code == "INVALID_GRAPHQL"
    assert '"LaunchPad"' in error.message and "[a]" in error.message
