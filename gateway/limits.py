"""Operation limits: depth, aliases, root fields, tokens and an estimated cost.

Depth, aliases, root fields and cost are graphql-core validation rules (:meth:`Limits.rules`):
the engine's validate stage runs them once per query text, after the specification's rules, on
every operation of the document (fragments expanded); only a cost that depends on variable
values (a slicing argument given as a variable) is computed again per request
(:class:`~gateway.engine.records.VariablesRule`). The token count is not a rule: it runs on the
text before parsing (:meth:`Limits.check_tokens`), since what it protects is the parser.

Cost follows the demand-control rules of the reference router: an object, interface or union
field costs 1, a scalar or enum field 0, a mutation root field 10; a list multiplies the cost of
its items by its size: ``@listSize(assumedSize:)``, else the value of a slicing argument
(``@listSize(slicingArguments:)``, else an argument named ``first``, ``last`` or ``limit``),
else ``default_list_size``. ``@cost(weight:)`` replaces the weight of a field or type.
"""

from __future__ import annotations

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
    is_leaf_type,
)
from graphql.language import Lexer, Source, TokenKind
from graphql.validation import ASTValidationRule

from .cache import LRU
from .engine.records import VariablesRule

__all__ = ["CostModel", "LimitViolation", "Limits", "count_tokens"]

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


def _fragments(rule: ASTValidationRule) -> dict[str, FragmentDefinitionNode]:
    return {
        d.name.value: d
        for d in rule.context.document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }


def _violation(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


class _OperationRule(ASTValidationRule):
    """A limit judged per operation, on entering it (so limits report in the order listed)."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        err = self.judge(node, _fragments(self))
        if err is not None:
            self.report_error(err)

    def judge(
        self, operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
    ) -> GraphQLError | None:
        raise NotImplementedError


def max_depth_rule(limit: int) -> type[ASTValidationRule]:
    """Fields nested deeper than ``limit`` (a root field is at depth 1): ``MAX_DEPTH_LIMIT``."""

    class MaxDepthRule(_OperationRule):
        def judge(
            self,
            operation: OperationDefinitionNode,
            fragments: Mapping[str, FragmentDefinitionNode],
        ) -> GraphQLError | None:
            depth = _measure(operation.selection_set, fragments, 1, frozenset(), [0])
            if depth <= limit:
                return None
            return _violation(
                f"The operation is {depth} levels deep; the limit is {limit} (max_depth).",
                "MAX_DEPTH_LIMIT",
            )

    return MaxDepthRule


def max_aliases_rule(limit: int) -> type[ASTValidationRule]:
    """More than ``limit`` aliases: ``MAX_ALIASES_LIMIT``."""

    class MaxAliasesRule(_OperationRule):
        def judge(
            self,
            operation: OperationDefinitionNode,
            fragments: Mapping[str, FragmentDefinitionNode],
        ) -> GraphQLError | None:
            aliases = [0]
            _measure(operation.selection_set, fragments, 1, frozenset(), aliases)
            if aliases[0] <= limit:
                return None
            return _violation(
                f"The operation has {aliases[0]} aliases; the limit is {limit} (max_aliases).",
                "MAX_ALIASES_LIMIT",
            )

    return MaxAliasesRule


def max_root_fields_rule(limit: int) -> type[ASTValidationRule]:
    """More than ``limit`` root fields: ``MAX_ROOT_FIELDS_LIMIT``."""

    class MaxRootFieldsRule(_OperationRule):
        def judge(
            self,
            operation: OperationDefinitionNode,
            fragments: Mapping[str, FragmentDefinitionNode],
        ) -> GraphQLError | None:
            count = _root_fields(operation.selection_set, fragments)
            if count <= limit:
                return None
            return _violation(
                f"The operation has {count} root fields; the limit is {limit} (max_root_fields).",
                "MAX_ROOT_FIELDS_LIMIT",
            )

    return MaxRootFieldsRule


def _too_expensive(cost: int, limit: int) -> GraphQLError | None:
    if cost <= limit:
        return None
    return _violation(
        f"The operation's estimated cost is {cost}; the limit is {limit} (max_cost).",
        "COST_ESTIMATED_TOO_EXPENSIVE",
    )


def max_cost_rule(costs: CostModel, limit: int) -> type[ASTValidationRule]:
    """An estimated cost over ``limit``: ``COST_ESTIMATED_TOO_EXPENSIVE`` (decided per request
    when a list's size is a variable)."""

    class MaxCostRule(VariablesRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            cost, uses_variables = costs.cost(node, _fragments(self), None)
            if uses_variables:
                self.deferred = True
                return
            err = _too_expensive(cost, limit)
            if err is not None:
                self.report_error(err)

        def check_variables(
            self, operation: OperationDefinitionNode, variables: Mapping[str, Any]
        ) -> GraphQLError | None:
            cost, _ = costs.cost(operation, _fragments(self), variables or {})
            return _too_expensive(cost, limit)

    return MaxCostRule


class Limits:
    """The configured limits (0 turns one off): the token check and the validation rules."""

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
        #: Token counts per query text.
        self.tokens: LRU[str, int] = LRU(_CACHE_SIZE)

    @property
    def active(self) -> bool:
        return any(
            (self.max_depth, self.max_aliases, self.max_root_fields, self.max_tokens, self.max_cost)
        )

    def check_tokens(self, query: str) -> None:
        """Before parsing: the token limit."""
        if not self.max_tokens:
            return
        n = self.tokens.lookup(query)
        if n is None:
            n = count_tokens(query)
            self.tokens.put(query, n)
        if n > self.max_tokens:
            raise LimitViolation(
                f"The operation has {n} tokens; the limit is {self.max_tokens} (max_tokens).",
                "MAX_TOKENS_LIMIT",
            )

    def rules(self) -> list[type[ASTValidationRule]]:
        """The validation rules of the limits that are on, in the order they are judged."""
        rules: list[type[ASTValidationRule]] = []
        if self.max_depth:
            rules.append(max_depth_rule(self.max_depth))
        if self.max_aliases:
            rules.append(max_aliases_rule(self.max_aliases))
        if self.max_root_fields:
            rules.append(max_root_fields_rule(self.max_root_fields))
        if self.max_cost:
            rules.append(max_cost_rule(self.costs, self.max_cost))
        return rules
