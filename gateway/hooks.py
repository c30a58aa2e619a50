"""Extension points: add a stage to the gateway in Python, without editing the edge.

A hook is an object with any of these methods, plain or ``async`` (subclass :class:`Hook` and
override what you need; a plain method costs no coroutine on the request path).
``create_app(sdl, config, hooks=[...])`` runs them, in list order, after the edge's own stages
(which are hooks too: ``gateway/edge/``):

* ``on_request(ctx)``: before parsing; ``ctx.payload``, ``ctx.principal`` and ``ctx.query`` are
  known (with an edge).
* ``on_operation(ctx)``: the operation is parsed and valid: ``ctx.document``, ``ctx.facts``
  (operation type, root fields) and ``ctx.variables``; before authorization and planning.
* ``on_subgraph_request(ctx, request)``: before each subgraph fetch; may change
  ``request.headers``.
* ``on_subgraph_response(ctx, response)``: after each subgraph fetch (``response.body`` is the
  decoded answer, ``None`` when the fetch failed).
* ``on_response(ctx)``: the response is ``ctx.status`` and ``ctx.body``, before error masking;
  ``ctx.extensions`` lands in the body's ``extensions``.

Any of them may end the operation with :class:`~gateway.context.Reply` (e.g.
``raise Reply.of(403, "Not on Sundays.", "FORBIDDEN")``). A hook may also bring graphql-core
validation rules (``validation_rules()``, run by the validate stage once per query text) and
``@policy`` deciders (``policies()``, see :func:`policy`).

Only the methods a hook overrides are called: a gateway without hooks pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from graphql.validation import ASTValidationRule

    from .authorization import Policy
    from .context import OperationContext

__all__ = [
    "Hook",
    "Hooks",
    "PolicyHook",
    "SubgraphRequest",
    "SubgraphResponse",
    "policy",
]


@dataclass(slots=True)
class SubgraphRequest:
    """One subgraph fetch about to be sent."""

    service: str
    url: str
    query: str
    variables: Mapping[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SubgraphResponse:
    """The answer of one subgraph fetch (``body`` is ``None`` when there was none)."""

    service: str
    url: str
    body: dict[str, Any] | None


#: What a hook method returns: ``None`` (a plain method) or an awaitable (an ``async`` one).
Pending: TypeAlias = Awaitable[None] | None


class Hook:
    """The hook interface; every method does nothing until overridden (override with a plain
    or an ``async`` method)."""

    def on_request(self, ctx: OperationContext) -> Pending:
        """Before parsing."""
        return None

    def on_operation(self, ctx: OperationContext) -> Pending:
        """After validation, before authorization and planning."""
        return None

    def on_subgraph_request(self, ctx: OperationContext, request: SubgraphRequest) -> Pending:
        """Before each subgraph fetch."""
        return None

    def on_subgraph_response(self, ctx: OperationContext, response: SubgraphResponse) -> Pending:
        """After each subgraph fetch."""
        return None

    def on_response(self, ctx: OperationContext) -> Pending:
        """After the response is shaped (also for an operation ended early)."""
        return None

    def validation_rules(self) -> Sequence[type[ASTValidationRule]]:
        """graphql-core rules the validate stage runs (after the specification's)."""
        return ()

    def policies(self) -> Mapping[str, Policy]:
        """``@policy`` name → decider (called with the caller, ``None`` for a visitor)."""
        return {}


class PolicyHook(Hook):
    """A hook that decides one ``@policy`` name."""

    def __init__(self, name: str, decide: Policy) -> None:
        self.name = name
        self.decide = decide

    def policies(self) -> Mapping[str, Policy]:
        return {self.name: self.decide}


def policy(name: str) -> Callable[[Policy], PolicyHook]:
    """Decorator: ``@policy("vip")`` over ``def vip(principal) -> bool`` makes it a hook."""

    def wrap(decide: Policy) -> PolicyHook:
        return PolicyHook(name, decide)

    return wrap


OnContext = Callable[["OperationContext"], Pending]
OnRequest = Callable[["OperationContext", SubgraphRequest], Pending]
OnResponse = Callable[["OperationContext", SubgraphResponse], Pending]


def _overridden(hooks: Sequence[Any], name: str) -> tuple[Any, ...]:
    """The bound ``name`` methods of the hooks that define it (other than :class:`Hook`'s)."""
    base = getattr(Hook, name)
    out = []
    for hook in hooks:
        method = getattr(type(hook), name, None)
        if method is not None and method is not base:
            out.append(getattr(hook, name))
    return tuple(out)


class Hooks:
    """The hooks of one engine, sorted by method once (each tuple empty when nobody cares)."""

    __slots__ = (
        "all",
        "on_operation",
        "on_request",
        "on_response",
        "on_subgraph_request",
        "on_subgraph_response",
    )

    def __init__(self, hooks: Sequence[Any] = ()) -> None:
        self.all = tuple(hooks)
        self.on_request: tuple[OnContext, ...] = _overridden(hooks, "on_request")
        self.on_operation: tuple[OnContext, ...] = _overridden(hooks, "on_operation")
        self.on_subgraph_request: tuple[OnRequest, ...] = _overridden(hooks, "on_subgraph_request")
        self.on_subgraph_response: tuple[OnResponse, ...] = _overridden(
            hooks, "on_subgraph_response"
        )
        self.on_response: tuple[OnContext, ...] = _overridden(hooks, "on_response")

    @property
    def subgraph(self) -> bool:
        """Whether any hook watches subgraph fetches."""
        return bool(self.on_subgraph_request or self.on_subgraph_response)

    def validation_rules(self) -> list[type[ASTValidationRule]]:
        rules: list[type[ASTValidationRule]] = []
        for hook in self.all:
            method = getattr(hook, "validation_rules", None)
            if method is not None:
                rules.extend(method())
        return rules

    def policies(self) -> dict[str, Policy]:
        out: dict[str, Policy] = {}
        for hook in self.all:
            method = getattr(hook, "policies", None)
            if method is not None:
                out.update(method())
        return out
