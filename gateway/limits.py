"""Operation limits: depth, aliases, root fields, tokens and an estimated cost.

Measures are taken once per query text (fragments expanded) and cached; only a cost that depends
on variable values (a slicing argument given as a variable) is recomputed per request.

Cost follows the demand-control rules of the reference router: an object, interface or union
field costs 1, a scalar or enum field 0, a mutation root field 10; a list multiplies the cost of
its items by its size: ``@listSize(assumedSize:)``, else the value of a slicing argument
(``@listSize(slicingArguments:)``, else an argument named ``first``, ``last`` or ``limit``),
else ``default_list_size``. ``@cost(weight:)`` replaces the weight of a field or type.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_leaf_type,
)
from graphql.language import Lexer, Source, TokenKind

__all__ = ["CostModel", "LimitViolation", "Limits", "Measures", "count_tokens"]

_SLICING_NAMES = ("first", "last", "limit")
_CACHE_SIZE = 4096


class LimitViolation(Exception):
    """An operation over a configured limit; ``code`` is the error's ``extensions.code``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def count_tokens(query: str) -> int:
    """The number of lexical tokens of ``query`` (0 when it does not even lex)."""
    lexer = Lexer(Source(query))
    count = 0
    try:
        while lexer.advance().kind != TokenKind.EOF:
            count += 1
    except GraphQLError:
        return 0
    return count


@dataclass(frozen=True, slots=True)
class _ListSize:
    assumed: int | None
    slicing: tuple[str, ...]


class CostModel:
    """``@cost``/``@listSize`` read from the supergraph, and the cost estimate."""

    def __init__(
        self, supergraph: DocumentNode | None, schema: GraphQLSchema, default_list_size: int
    ) -> None:
        self.schema = schema
        self.default_list_size = default_list_size
        self.type_weight: dict[str, int] = {}
        self.field_weight: dict[tuple[str, str], int] = {}
        self.list_size: dict[tuple[str, str], _ListSize] = {}
        for defn in supergraph.definitions if supergraph is not None else ():
            if not isinstance(defn, TypeDefinitionNode | TypeExtensionNode):
                continue
            for d in defn.directives or ():
                if _base(d.name.value) == "cost":
                    w = _int_arg(d.arguments, "weight")
                    if w is not None:
                        self.type_weight[defn.name.value] = w
            for f in getattr(defn, "fields", None) or ():
                key = (defn.name.value, f.name.value)
                for d in f.directives or ():
                    base = _base(d.name.value)
                    if base == "cost":
                        w = _int_arg(d.arguments, "weight")
                        if w is not None:
                            self.field_weight[key] = w
                    elif base == "listSize":
                        slicing: tuple[str, ...] = ()
                        for a in d.arguments or ():
                            if a.name.value == "slicingArguments" and isinstance(
                                a.value, ListValueNode
                            ):
                                slicing = tuple(
                                    v.value
                                    for v in a.value.values
                                    if isinstance(v, StringValueNode)
                                )
                        self.list_size[key] = _ListSize(
                            _int_arg(d.arguments, "assumedSize"), slicing
                        )

    def _size(
        self,
        parent: str,
        node: FieldNode,
        arg_names: list[str],
        variables: Mapping[str, Any] | None,
        uses: list[bool],
    ) -> int:
        spec = self.list_size.get((parent, node.name.value))
        if spec is not None and spec.assumed is not None and not spec.slicing:
            return spec.assumed
        names = spec.slicing if spec is not None and spec.slicing else _SLICING_NAMES
        best: int | None = None
        for arg in node.arguments or ():
            if arg.name.value not in names:
                continue
            value: Any = None
            if isinstance(arg.value, IntValueNode):
                value = int(arg.value.value)
            elif isinstance(arg.value, VariableNode):
                uses[0] = True
                if variables is not None:
                    value = variables.get(arg.value.name.value)
            if isinstance(value, int) and (best is None or value > best):
                best = value
        if best is None and spec is None:
            # Arguments with defaults: `first: Int = 20`.
            for name in arg_names:
                if name in _SLICING_NAMES:
                    fdef = self._field(parent, node.name.value)
                    default = fdef.args[name].default_value if fdef is not None else None
                    if isinstance(default, int):
                        best = default if best is None else max(best, default)
        if best is not None:
            return max(best, 0)
        if spec is not None and spec.assumed is not None:
            return spec.assumed
        return self.default_list_size

    def _field(self, parent: str, name: str) -> Any:
        t = self.schema.get_type(parent)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            return t.fields.get(name)
        return None

    def cost(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
    ) -> tuple[int, bool]:
        """The estimated cost, and whether it depends on variables."""
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0, False
        uses = [False]
        mutation = operation.operation.value == "mutation"
        total = self._sel(operation.selection_set, root, fragments, variables, uses, mutation, 0)
        return total, uses[0]

    def _sel(
        self,
        sel: SelectionSetNode,
        parent: GraphQLNamedType,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
        uses: list[bool],
        mutation_root: bool,
        depth: int,
    ) -> int:
        if depth > 64:
            return 0
        total = 0
        for node in sel.selections:
            if isinstance(node, FieldNode):
                total += self._fieldcost(
                    node, parent, fragments, variables, uses, mutation_root, depth
                )
            elif isinstance(node, InlineFragmentNode):
                target = parent
                if node.type_condition is not None:
                    target = self.schema.get_type(node.type_condition.name.value) or parent
                total += self._sel(
                    node.selection_set, target, fragments, variables, uses, mutation_root, depth
                )
            elif isinstance(node, FragmentSpreadNode):
                frag = fragments.get(node.name.value)
                if frag is not None:
                    target = self.schema.get_type(frag.type_condition.name.value) or parent
                    total += self._sel(
                        frag.selection_set,
                        target,
                        fragments,
                        variables,
                        uses,
                        mutation_root,
                        depth + 1,
                    )
        return total

    def _fieldcost(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
        uses: list[bool],
        mutation_root: bool,
        depth: int,
    ) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 0
        fdef = parent.fields.get(name)
        if fdef is None:
            return 0
        ftype: GraphQLOutputType = fdef.type
        named = get_named_type(ftype)
        weight = self.field_weight.get((parent.name, name))
        if weight is None:
            weight = self.type_weight.get(named.name)
        if weight is None:
            weight = 0 if is_leaf_type(named) else 1
        if mutation_root:
            weight += 10
        inner = 0
        if node.selection_set is not None:
            inner = self._sel(
                node.selection_set, named, fragments, variables, uses, False, depth + 1
            )
        t: Any = ftype
        is_list = False
        while isinstance(t, GraphQLNonNull | GraphQLList):
            if isinstance(t, GraphQLList):
                is_list = True
            t = t.of_type
        if is_list:
            size = self._size(parent.name, node, list(fdef.args), variables, uses)
            return size * (weight + inner)
        return weight + inner


def _base(name: str) -> str:
    return name.removeprefix("federation__")


def _int_arg(arguments: Any, name: str) -> int | None:
    for a in arguments or ():
        if a.name.value == name and isinstance(a.value, IntValueNode):
            return int(a.value.value)
    return None


@dataclass(frozen=True, slots=True)
class Measures:
    """What the static limits look at, for one operation."""

    depth: int
    aliases: int
    root_fields: int
    cost: int
    cost_uses_variables: bool


def _measure(
    sel: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    level: int,
    seen: frozenset[str],
    out: list[int],
) -> int:
    """Depth below ``sel`` (a field at the root is depth 1); counts aliases into ``out[0]``."""
    deepest = level - 1
    for node in sel.selections:
        if isinstance(node, FieldNode):
            if node.alias is not None:
                out[0] += 1
            d = level
            if node.selection_set is not None:
                d = _measure(node.selection_set, fragments, level + 1, seen, out)
            deepest = max(deepest, d)
        elif isinstance(node, InlineFragmentNode):
            deepest = max(deepest, _measure(node.selection_set, fragments, level, seen, out))
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            frag = fragments.get(name)
            if frag is not None and name not in seen:
                deepest = max(
                    deepest, _measure(frag.selection_set, fragments, level, seen | {name}, out)
                )
    return deepest


def _root_fields(sel: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]) -> int:
    count = 0
    for node in sel.selections:
        if isinstance(node, FieldNode):
            count += 1
        elif isinstance(node, InlineFragmentNode):
            count += _root_fields(node.selection_set, fragments)
        elif isinstance(node, FragmentSpreadNode):
            frag = fragments.get(node.name.value)
            if frag is not None:
                count += _root_fields(frag.selection_set, fragments)
    return count


class Limits:
    """Checks operations against the configured limits (0 turns a limit off)."""

    def __init__(
        self,
        *,
        schema: GraphQLSchema,
        supergraph: DocumentNode | None = None,
        max_depth: int = 0,
        max_aliases: int = 0,
        max_root_fields: int = 0,
        max_tokens: int = 0,
        max_cost: int = 0,
        default_list_size: int = 10,
    ) -> None:
        self.max_depth = max_depth
        self.max_aliases = max_aliases
        self.max_root_fields = max_root_fields
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self.costs = CostModel(supergraph, schema, default_list_size)
        self._measures: OrderedDict[tuple[str, str | None], Measures] = OrderedDict()
        self._tokens: OrderedDict[str, int] = OrderedDict()

    @property
    def active(self) -> bool:
        return any(
            (self.max_depth, self.max_aliases, self.max_root_fields, self.max_tokens, self.max_cost)
        )

    def check_tokens(self, query: str) -> None:
        """Before parsing: the token limit."""
        if not self.max_tokens:
            return
        n = self._tokens.get(query)
        if n is None:
            n = count_tokens(query)
            self._tokens[query] = n
            if len(self._tokens) > _CACHE_SIZE:
                self._tokens.popitem(last=False)
        if n > self.max_tokens:
            raise LimitViolation(
                f"The operation has {n} tokens; the limit is {self.max_tokens} (max_tokens).",
                "MAX_TOKENS_LIMIT",
            )

    def measure(
        self, query: str, document: DocumentNode, operation_name: str | None
    ) -> Measures | None:
        key = (query, operation_name)
        hit = self._measures.get(key)
        if hit is not None:
            return hit
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return None
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        aliases = [0]
        depth = _measure(operation.selection_set, fragments, 1, frozenset(), aliases)
        cost, uses = (0, False)
        if self.max_cost:
            cost, uses = self.costs.cost(operation, fragments, None)
        measures = Measures(
            depth, aliases[0], _root_fields(operation.selection_set, fragments), cost, uses
        )
        self._measures[key] = measures
        if len(self._measures) > _CACHE_SIZE:
            self._measures.popitem(last=False)
        return measures

    def check(
        self,
        query: str,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> None:
        """After validation: depth, aliases, root fields and cost."""
        m = self.measure(query, document, operation_name)
        if m is None:
            return
        if self.max_depth and m.depth > self.max_depth:
            raise LimitViolation(
                f"The operation is {m.depth} levels deep; the limit is {self.max_depth} "
                "(max_depth).",
                "MAX_DEPTH_LIMIT",
            )
        if self.max_aliases and m.aliases > self.max_aliases:
            raise LimitViolation(
                f"The operation has {m.aliases} aliases; the limit is {self.max_aliases} "
                "(max_aliases).",
                "MAX_ALIASES_LIMIT",
            )
        if self.max_root_fields and m.root_fields > self.max_root_fields:
            raise LimitViolation(
                f"The operation has {m.root_fields} root fields; the limit is "
                f"{self.max_root_fields} (max_root_fields).",
                "MAX_ROOT_FIELDS_LIMIT",
            )
        if self.max_cost:
            cost = m.cost
            if m.cost_uses_variables:
                operation = get_operation_ast(document, operation_name)
                assert operation is not None
                fragments = {
                    d.name.value: d
                    for d in document.definitions
                    if isinstance(d, FragmentDefinitionNode)
                }
                cost, _ = self.costs.cost(operation, fragments, variables or {})
            if cost > self.max_cost:
                raise LimitViolation(
                    f"The operation's estimated cost is {cost}; the limit is {self.max_cost} "
                    "(max_cost).",
                    "COST_ESTIMATED_TOO_EXPENSIVE",
                )
