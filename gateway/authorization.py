"""Field authorization from the supergraph's ``@authenticated``/``@requiresScopes``/``@policy``.

The reference routers' semantics, applied to an operation before it is planned:

* A field is authorized when the caller satisfies the field's own requirements and those of the
  type it returns (and, for an abstract return type selected without type conditions, those of
  every possible runtime type). ``@requiresScopes``/``@policy`` take an OR of AND-lists.
  Requirements from several places are ANDed.
* A field selected on an interface without a type condition must be authorized on the interface
  and on every implementation (filtered as a whole); inside a type condition each type is judged
  on its own. A type condition naming a type the caller may not see is removed.
* Unauthorized fields are removed from the document (so no subgraph is asked for them) and come
  back ``null`` with one ``UNAUTHORIZED_FIELD_OR_TYPE`` error per path (list levels are ``"@"``);
  a non-null field's ``null`` propagates to its nearest nullable parent. A field whose whole
  selection set is removed is removed too. When nothing is left the request is rejected.
* ``reject`` mode rejects any request touching an unauthorized field; ``dry_run`` only reports.
* ``@policy`` names are decided by Python callables registered by name; an unknown policy denies.

Results are cached per (query, operation name, authorization profile); the profile is what the
decision depends on: authenticated or not, the scopes, and the policies granted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    ListValueNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SchemaDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_abstract_type,
)
from graphql.language import Visitor, visit

from .auth import Principal
from .cache import LRU

log = logging.getLogger("astro.gateway.authorization")

__all__ = [
    "Authorization",
    "AuthorizationOutcome",
    "AuthorizationProfile",
    "Authorizer",
    "Policy",
    "Requirement",
]

Mode = Literal["filter", "reject", "dry_run"]
Policy = Callable[[Principal | None], bool]
Segment = tuple[str, bool]  # response key or "@" (a list level), and whether it is non-null

UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"
_MESSAGE = "Unauthorized field or type"
_CACHE_SIZE = 4096

_SPECS = {"authenticated": "authenticated", "requiresScopes": "requiresScopes", "policy": "policy"}


@dataclass(frozen=True, slots=True)
class AuthorizationProfile:
    """What an authorization decision depends on; equal profiles get the same decisions."""

    authenticated: bool
    scopes: frozenset[str]
    policies: frozenset[str]


VISITOR = AuthorizationProfile(False, frozenset(), frozenset())

Clause = tuple[frozenset[str], ...]  # OR of AND-sets


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a schema element asks of the caller; ``&`` combines (ANDs) two requirements."""

    authenticated: bool = False
    scopes: tuple[Clause, ...] = ()
    policies: tuple[Clause, ...] = ()

    def __and__(self, other: Requirement) -> Requirement:
        if not other:
            return self
        if not self:
            return other
        return Requirement(
            self.authenticated or other.authenticated,
            tuple(dict.fromkeys(self.scopes + other.scopes)),
            tuple(dict.fromkeys(self.policies + other.policies)),
        )

    def __bool__(self) -> bool:
        return self.authenticated or bool(self.scopes) or bool(self.policies)

    def allows(self, profile: AuthorizationProfile) -> bool:
        if self.authenticated and not profile.authenticated:
            return False
        for clause in self.scopes:
            if not any(need <= profile.scopes for need in clause):
                return False
        for clause in self.policies:
            if not any(need <= profile.policies for need in clause):
                return False
        return True


NONE = Requirement()


@dataclass(frozen=True, slots=True)
class AuthorizationOutcome:
    """An operation filtered for one profile."""

    document: DocumentNode
    errors: tuple[dict[str, Any], ...]
    null_paths: tuple[tuple[str, ...], ...]
    rejected: bool
    profile: AuthorizationProfile
    dry_run: bool = False
    #: Response paths (``"@"`` at list levels) of the fields removed from ``document``: the
    #: response shape puts their ``null`` back where the query selected them.
    removed: tuple[tuple[str, ...], ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.null_paths)

    def complete(self, data: Any, errors: list[dict[str, Any]]) -> Any:
        """``data`` with ``null`` at every removed path; the path errors appended to ``errors``."""
        if not self.errors:
            return data
        if self.dry_run:
            log.warning(
                "authorization dry run: would remove %s", ", ".join(_path(e) for e in self.errors)
            )
            return data
        for path in self.null_paths:
            if not path:
                data = None
                break
            _set_null(data, path, 0)
        errors.extend(dict(e) for e in self.errors)
        return data


def _path(error: Mapping[str, Any]) -> str:
    return ".".join(str(p) for p in error.get("path") or ())


def _set_null(value: Any, path: tuple[str, ...], i: int) -> None:
    segment = path[i]
    last = i == len(path) - 1
    if segment == "@":
        if not isinstance(value, list):
            return
        if last:
            for j in range(len(value)):
                value[j] = None
        else:
            for item in value:
                _set_null(item, path, i + 1)
        return
    if not isinstance(value, dict):
        return
    if last:
        # The response shape already holds the key, in the query's order; an object without it
        # is of a runtime type that did not select it.
        if segment in value:
            value[segment] = None
    else:
        _set_null(value.get(segment), path, i + 1)


def _strings(value: ValueNode) -> list[list[str]]:
    out: list[list[str]] = []
    if isinstance(value, ListValueNode):
        for inner in value.values:
            if isinstance(inner, ListValueNode):
                out.append([v.value for v in inner.values if isinstance(v, StringValueNode)])
            elif isinstance(inner, StringValueNode):
                out.append([inner.value])
    return out


def _clause(value: ValueNode | None) -> Clause:
    if value is None:
        return ()
    return tuple(frozenset(group) for group in _strings(value))


def _arg(directive: DirectiveNode, name: str) -> ValueNode | None:
    for arg in directive.arguments or ():
        if arg.name.value == name:
            return arg.value
    return None


class _Names:
    """The names under which the supergraph imports the three directives (``@link(as:)``)."""

    def __init__(self, document: DocumentNode) -> None:
        self.by_name: dict[str, str] = {}
        for defn in document.definitions:
            if not isinstance(defn, SchemaDefinitionNode):
                continue
            for d in defn.directives or ():
                if d.name.value != "link":
                    continue
                url = _arg(d, "url")
                alias = _arg(d, "as")
                if not isinstance(url, StringValueNode):
                    continue
                for spec in _SPECS:
                    if f"/{spec}/" in url.value:
                        name = alias.value if isinstance(alias, StringValueNode) else spec
                        self.by_name[name] = spec
        for spec in _SPECS:
            self.by_name.setdefault(spec, spec)

    def requirement(self, directives: Iterable[DirectiveNode]) -> Requirement:
        req = NONE
        for d in directives:
            spec = self.by_name.get(d.name.value)
            if spec == "authenticated":
                req = req & Requirement(authenticated=True)
            elif spec == "requiresScopes":
                req = req & Requirement(scopes=(_clause(_arg(d, "scopes")),))
            elif spec == "policy":
                req = req & Requirement(policies=(_clause(_arg(d, "policies")),))
        return req


def _is_nonnull(t: GraphQLOutputType) -> bool:
    return isinstance(t, GraphQLNonNull)


def _segments(key: str, t: GraphQLOutputType) -> list[Segment]:
    """The response segments of a field: its key, then one ``@`` per list level."""
    out: list[Segment] = [(key, _is_nonnull(t))]
    inner: Any = t.of_type if isinstance(t, GraphQLNonNull) else t
    while isinstance(inner, GraphQLList):
        item = inner.of_type
        out.append(("@", _is_nonnull(item)))
        inner = item.of_type if isinstance(item, GraphQLNonNull) else item
    return out


def _null_target(segments: list[Segment]) -> tuple[str, ...]:
    segs = list(segments)
    while segs and segs[-1][1]:
        segs.pop()
    return tuple(s for s, _ in segs)


class _Run:
    """One filtering pass of one operation for one profile."""

    def __init__(
        self,
        authorizer: Authorizer,
        profile: AuthorizationProfile,
        fragments: Mapping[str, FragmentDefinitionNode],
    ) -> None:
        self.a = authorizer
        self.profile = profile
        self.fragments = fragments
        self.errors: dict[tuple[str, ...], None] = {}
        self.nulls: dict[tuple[str, ...], None] = {}
        self.removed: dict[tuple[str, ...], None] = {}
        self.changed = False

    def deny(self, error_path: list[Segment], null_path: list[Segment]) -> None:
        self.errors[tuple(s for s, _ in error_path)] = None
        self.nulls[_null_target(null_path)] = None
        self.removed[tuple(s for s, _ in null_path)] = None
        self.changed = True

    def selection_set(
        self,
        sel: SelectionSetNode,
        parent: GraphQLNamedType,
        path: list[Segment],
        conditioned: bool,
    ) -> SelectionSetNode | None:
        """The filtered selection set (``None`` when nothing is left)."""
        out: list[SelectionNode] = []
        touched = False
        for node in sel.selections:
            kept: SelectionNode | None
            if isinstance(node, FieldNode):
                kept = self.field(node, parent, path, conditioned)
            elif isinstance(node, InlineFragmentNode):
                kept = self.fragment(node, node.type_condition, node.selection_set, parent, path)
            elif isinstance(node, FragmentSpreadNode):
                frag = self.fragments.get(node.name.value)
                if frag is None:
                    kept = node
                else:
                    kept = self.fragment(
                        node, frag.type_condition, frag.selection_set, parent, path
                    )
            else:  # pragma: no cover - no other selection kinds
                kept = node
            if kept is not node:
                touched = True
            if kept is not None:
                out.append(kept)
        if not out:
            return None
        if not touched:
            return sel
        return SelectionSetNode(selections=tuple(out))

    def fragment(
        self,
        node: InlineFragmentNode | FragmentSpreadNode,
        condition: NamedTypeNode | None,
        sel: SelectionSetNode,
        parent: GraphQLNamedType,
        path: list[Segment],
    ) -> SelectionNode | None:
        target: GraphQLNamedType = parent
        if condition is not None:
            found = self.a.schema.get_type(condition.name.value)
            if found is None:
                return node
            target = found
            if not self.a.type_requirement(target, parent).allows(self.profile):
                self.errors[tuple(s for s, _ in path)] = None
                self.changed = True
                return None
        filtered = self.selection_set(sel, target, path, conditioned=condition is not None)
        if filtered is None:
            return None
        if isinstance(node, InlineFragmentNode):
            if filtered is sel:
                return node
            return InlineFragmentNode(
                type_condition=node.type_condition,
                directives=node.directives,
                selection_set=filtered,
            )
        if filtered is sel:
            return node
        # A spread whose fragment lost fields becomes an inline fragment (fragments are shared).
        return InlineFragmentNode(
            type_condition=condition, directives=node.directives, selection_set=filtered
        )

    def field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        path: list[Segment],
        conditioned: bool,
    ) -> FieldNode | None:
        name = node.name.value
        if name.startswith("__"):
            return node
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        fdef = parent.fields.get(name)
        if fdef is None:
            return node
        key = node.alias.value if node.alias else name
        own = [*path, (key, _is_nonnull(fdef.type))]
        unconditioned_sub = node.selection_set is not None and any(
            isinstance(s, FieldNode) and s.name.value != "__typename"
            for s in node.selection_set.selections
        )
        req = self.a.field_requirement(parent, name, unconditioned_sub)
        if not req.allows(self.profile):
            self.deny(own, own)
            return None
        if node.selection_set is None:
            return node
        child_path = [*path, *_segments(key, fdef.type)]
        sub = self.selection_set(node.selection_set, get_named_type(fdef.type), child_path, False)
        if sub is None:
            self.nulls[_null_target(own)] = None
            self.removed[tuple(s for s, _ in own)] = None
            self.changed = True
            return None
        if sub is node.selection_set:
            return node
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=node.arguments,
            directives=node.directives,
            selection_set=sub,
        )


class _VariableUses(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.names.add(node.name.value)


class _SpreadNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.names.add(node.name.value)


@dataclass(frozen=True, slots=True)
class Authorization:
    """What the engine's authorize stage needs to filter an operation for one caller."""

    authorizer: Authorizer
    profile: AuthorizationProfile

    def apply(
        self, query: str, document: DocumentNode, operation_name: str | None
    ) -> AuthorizationOutcome:
        """The operation filtered for this caller (cached per query, operation and profile)."""
        return self.authorizer.filter(query, document, operation_name, self.profile)


class Authorizer:
    """Decides, per profile, what of an operation the caller may see."""

    def __init__(
        self,
        supergraph: DocumentNode,
        api_schema: GraphQLSchema,
        *,
        mode: Mode = "filter",
        policies: Mapping[str, Policy] | None = None,
    ) -> None:
        self.schema = api_schema
        self.mode: Mode = mode
        self.policies: dict[str, Policy] = dict(policies or {})
        names = _Names(supergraph)
        self._types: dict[str, Requirement] = {}
        self._fields: dict[tuple[str, str], Requirement] = {}
        referenced: set[str] = set()
        for defn in supergraph.definitions:
            if not isinstance(defn, TypeDefinitionNode | TypeExtensionNode):
                continue
            tname = defn.name.value
            req = names.requirement(defn.directives or ())
            if req:
                self._types[tname] = self._types.get(tname, NONE) & req
            for fdef in getattr(defn, "fields", None) or ():
                freq = names.requirement(fdef.directives or ())
                if freq:
                    k = (tname, fdef.name.value)
                    self._fields[k] = self._fields.get(k, NONE) & freq
        for req in (*self._types.values(), *self._fields.values()):
            for clause in req.policies:
                for group in clause:
                    referenced |= group
        #: Every policy the schema names (each is evaluated per request).
        self.referenced_policies = frozenset(referenced)
        self._field_cache: dict[tuple[str, str, bool], Requirement] = {}
        self._type_cache: dict[tuple[str, str], Requirement] = {}
        #: Decisions per (query, operation name, profile) (``authorization`` in ``/metrics``).
        self.cache: LRU[Hashable, AuthorizationOutcome] = LRU(_CACHE_SIZE)

    @property
    def enabled(self) -> bool:
        """Whether the schema carries any authorization directive at all."""
        return bool(self._types or self._fields)

    def register(self, name: str, policy: Policy) -> None:
        """Decide ``@policy`` name ``name`` with ``policy`` (called with the caller)."""
        self.policies[name] = policy
        self.cache.clear()

    def profile(self, principal: Principal | None) -> AuthorizationProfile:
        """The caller's authorization profile."""
        granted = frozenset(
            name
            for name in self.referenced_policies
            if (policy := self.policies.get(name)) is not None and _granted(policy, principal)
        )
        if principal is None:
            return VISITOR if not granted else AuthorizationProfile(False, frozenset(), granted)
        return AuthorizationProfile(True, principal.scopes, granted)

    # -- requirements ------------------------------------------------------------------------

    def _possible(self, t: GraphQLNamedType) -> list[GraphQLObjectType]:
        if is_abstract_type(t):
            assert isinstance(t, GraphQLInterfaceType | GraphQLUnionType)
            return list(self.schema.get_possible_types(t))
        return [t] if isinstance(t, GraphQLObjectType) else []

    def type_requirement(self, t: GraphQLNamedType, parent: GraphQLNamedType | None) -> Requirement:
        """A type condition on ``t``: its own requirement and (abstract) every possible type's
        that can occur under ``parent``."""
        key = (t.name, parent.name if parent is not None else "")
        hit = self._type_cache.get(key)
        if hit is not None:
            return hit
        req = self._types.get(t.name, NONE)
        if is_abstract_type(t):
            allowed = {p.name for p in self._possible(parent)} if parent is not None else None
            for p in self._possible(t):
                if allowed is None or p.name in allowed:
                    req = req & self._types.get(p.name, NONE)
        self._type_cache[key] = req
        return req

    def field_requirement(
        self, parent: GraphQLObjectType | GraphQLInterfaceType, name: str, unconditioned: bool
    ) -> Requirement:
        """Field ``parent.name``: its requirement (on every implementation when ``parent`` is an
        interface), and its return type's (every possible type's when ``unconditioned``)."""
        key = (parent.name, name, unconditioned)
        hit = self._field_cache.get(key)
        if hit is not None:
            return hit
        req = self._fields.get((parent.name, name), NONE)
        if isinstance(parent, GraphQLInterfaceType):
            for impl in self.schema.get_possible_types(parent):
                req = req & self._fields.get((impl.name, name), NONE)
        fdef = parent.fields[name]
        ret = get_named_type(fdef.type)
        req = req & self._types.get(ret.name, NONE)
        if unconditioned and is_abstract_type(ret):
            for p in self._possible(ret):
                req = req & self._types.get(p.name, NONE)
        self._field_cache[key] = req
        return req

    # -- filtering ---------------------------------------------------------------------------

    def filter(
        self,
        query: str,
        document: DocumentNode,
        operation_name: str | None,
        profile: AuthorizationProfile,
    ) -> AuthorizationOutcome:
        """``document`` filtered for ``profile`` (cached per query, operation and profile)."""
        key = (query, operation_name, profile)
        hit = self.cache.lookup(key)
        if hit is not None:
            return hit
        outcome = self._filter(document, operation_name, profile)
        self.cache.put(key, outcome)
        return outcome

    def _filter(
        self, document: DocumentNode, operation_name: str | None, profile: AuthorizationProfile
    ) -> AuthorizationOutcome:
        operation = get_operation_ast(document, operation_name)
        if operation is None or not self.enabled:
            return AuthorizationOutcome(document, (), (), False, profile)
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return AuthorizationOutcome(document, (), (), False, profile)
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        run = _Run(self, profile, fragments)
        filtered = run.selection_set(operation.selection_set, root, [], False)
        if not run.changed:
            return AuthorizationOutcome(document, (), (), False, profile)
        errors = tuple(
            {"message": _MESSAGE, "path": list(p), "extensions": {"code": UNAUTHORIZED}}
            for p in run.errors
        )
        nulls = tuple(run.nulls)
        if self.mode == "dry_run":
            return AuthorizationOutcome(document, errors, nulls, False, profile, dry_run=True)
        if filtered is None or self.mode == "reject":
            return AuthorizationOutcome(document, errors, nulls, True, profile)
        return AuthorizationOutcome(
            _rebuild(document, operation, filtered),
            errors,
            nulls,
            False,
            profile,
            removed=tuple(run.removed),
        )


def _granted(policy: Policy, principal: Principal | None) -> bool:
    try:
        return bool(policy(principal))
    except Exception:
        return False  # a failing policy denies


def _rebuild(
    document: DocumentNode, operation: OperationDefinitionNode, selection: SelectionSetNode
) -> DocumentNode:
    """A document of just ``operation`` with ``selection``, the fragments it still spreads and
    the variables it still uses."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    spreads = _SpreadNames()
    visit(selection, spreads)
    used: set[str] = set()
    todo = list(spreads.names)
    while todo:
        name = todo.pop()
        if name in used or name not in fragments:
            continue
        used.add(name)
        inner = _SpreadNames()
        visit(fragments[name], inner)
        todo.extend(inner.names)
    kept_fragments = [fragments[n] for n in fragments if n in used]
    uses = _VariableUses()
    visit(selection, uses)
    for frag in kept_fragments:
        visit(frag, uses)
    for d in operation.directives or ():
        visit(d, uses)
    variables = tuple(
        v for v in operation.variable_definitions or () if v.variable.name.value in uses.names
    )
    new_op = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=variables,
        directives=operation.directives,
        selection_set=selection,
    )
    return DocumentNode(definitions=(new_op, *kept_fragments))
