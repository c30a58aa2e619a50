"""Run a query plan against the subgraphs and merge their answers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from .hooks import SubgraphRequest, SubgraphResponse
from .plan import (
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    ReprField,
    ReprSelection,
    Sequence,
)
from .transport import SubgraphClient, TransportError

if TYPE_CHECKING:
    from .context import OperationContext
    from .hooks import Hooks
    from .tracing import Tracing

__all__ = ["execute_plan"]


def _merge(dst: dict[str, Any], src: Mapping[str, Any]) -> None:
    for k, v in src.items():
        cur = dst.get(k)
        if cur is None:
            dst[k] = v
        elif type(cur) is dict and type(v) is dict:
            _merge(cur, v)
        elif type(cur) is list and type(v) is list and len(cur) == len(v):
            for i, b in enumerate(v):
                a = cur[i]
                if type(a) is dict and type(b) is dict:
                    _merge(a, b)
                elif b is not None or a is None:
                    cur[i] = b
        elif v is not None:
            dst[k] = v


def _objects(data: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """The objects found at a flatten path (lists flattened, nulls skipped)."""
    items: list[Any] = [data]
    for seg in path:
        if seg == "@":
            continue
        nxt: list[Any] = []
        for obj in items:
            if type(obj) is dict:
                v = obj.get(seg)
                if v is not None:
                    if type(v) is list:
                        _flatten(v, nxt)
                    else:
                        nxt.append(v)
        items = nxt
    return [o for o in items if type(o) is dict]


def _flatten(v: list[Any], out: list[Any]) -> None:
    for x in v:
        if type(x) is list:
            _flatten(x, out)
        elif x is not None:
            out.append(x)


def _paths(data: Any, path: tuple[str, ...]) -> dict[int, list[Any]]:
    """Response paths of the objects at a flatten path, by object identity (slow: errors)."""
    items: list[tuple[Any, list[Any]]] = [(data, [])]
    for seg in path:
        if seg == "@":
            continue
        nxt: list[tuple[Any, list[Any]]] = []
        for obj, p in items:
            if isinstance(obj, dict):
                v = obj.get(seg)
                if v is not None:
                    _expand(v, [*p, seg], nxt)
        items = nxt
    out: list[tuple[Any, list[Any]]] = []
    for obj, p in items:
        _expand(obj, p, out)
    return {id(o): p for o, p in out}


def _expand(v: Any, p: list[Any], out: list[Any]) -> None:
    if isinstance(v, list):
        for i, x in enumerate(v):
            _expand(x, [*p, i], out)
    elif isinstance(v, dict):
        out.append((v, p))


_MISSING: Any = object()


def _build(
    obj: Mapping[str, Any], sel: ReprSelection, t: str | None, top: bool = True
) -> dict[str, Any] | None:
    fields = sel.by_type.get(t) if t is not None else None
    if fields is None:
        fields = sel.by_type.get("*")
        if fields is None:
            return None
    rep: dict[str, Any] = {"__typename": t} if top else {}
    try:
        for rf in fields:
            if rf.selection is None:
                rep[rf.name] = obj[rf.data_key]
            else:
                v = obj[rf.data_key]
                if v is not None:
                    v = _build_value(v, rf.selection)
                    if v is _MISSING:
                        return None
                rep[rf.name] = v
    except KeyError:
        return _build_lenient(obj, fields, rep)
    return rep


def _build_lenient(
    obj: Mapping[str, Any], fields: tuple[ReprField, ...], rep: dict[str, Any]
) -> dict[str, Any] | None:
    """A missing `__typename` inside a representation is tolerated; other fields are not."""
    for rf in fields:
        if rf.data_key not in obj:
            if rf.name == "__typename":
                continue
            return None
        v = obj[rf.data_key]
        if rf.selection is not None and v is not None:
            v = _build_value(v, rf.selection)
            if v is _MISSING:
                return None
        rep[rf.name] = v
    return rep


def _build_value(v: Any, sel: ReprSelection) -> Any:
    if isinstance(v, list):
        out = []
        for x in v:
            r = _build_value(x, sel)
            if r is _MISSING:
                return _MISSING
            out.append(r)
        return out
    if isinstance(v, dict):
        r = _build(v, sel, v.get("__typename"), top=False)
        return _MISSING if r is None else r
    return v


class _Run:
    __slots__ = ("client", "ctx", "data", "errors", "headers", "hooks", "tracing", "variables")

    def __init__(
        self,
        client: SubgraphClient,
        variables: Mapping[str, Any],
        headers: Mapping[str, str] | None,
        tracing: Tracing | None = None,
        hooks: Hooks | None = None,
        ctx: OperationContext | None = None,
    ) -> None:
        self.client = client
        self.variables = variables
        self.headers = headers
        self.tracing = tracing
        #: Set only when a hook watches subgraph fetches (the plain path tests one attribute).
        self.hooks = hooks
        self.ctx = ctx
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []

    async def run(self, node: PlanNode) -> None:
        if isinstance(node, Fetch):
            await self.root_fetch(node)
        elif isinstance(node, Flatten):
            await self.entity_fetch(node)
        elif isinstance(node, Sequence):
            for n in node.nodes:
                await self.run(n)
        elif isinstance(node, Parallel):
            await asyncio.gather(*(self.run(n) for n in node.nodes))

    async def hooked_call(
        self, fetch: Fetch, variables: dict[str, Any], representations: int | None
    ) -> dict[str, Any] | None:
        """:meth:`send` between the hooks' ``on_subgraph_request`` and ``on_subgraph_response``."""
        hooks, ctx = self.hooks, self.ctx
        assert hooks is not None and ctx is not None
        headers = self.headers
        if hooks.on_subgraph_request:
            request = SubgraphRequest(
                fetch.service, fetch.url, fetch.operation, variables, dict(headers or {})
            )
            for on_request in hooks.on_subgraph_request:
                pending = on_request(ctx, request)
                if pending is not None:
                    await pending
            headers = request.headers
        result = await self.send(fetch, variables, headers, representations)
        if hooks.on_subgraph_response:
            response = SubgraphResponse(fetch.service, fetch.url, result)
            for on_response in hooks.on_subgraph_response:
                pending = on_response(ctx, response)
                if pending is not None:
                    await pending
            result = response.body
        return result

    async def send(
        self,
        fetch: Fetch,
        variables: dict[str, Any],
        headers: Mapping[str, str] | None,
        representations: int | None,
    ) -> dict[str, Any] | None:
        body = orjson.dumps({"query": fetch.operation, "variables": variables})
        try:
            if self.tracing is None:
                _, raw = await self.client.request(
                    fetch.url, body, headers, dedupe=not fetch.mutation
                )
            else:
                _, raw = await self.tracing.fetch(
                    self.client, fetch, body, headers, representations
                )
        except (TransportError, OSError) as exc:
            self.errors.append(
                {
                    "message": f"Subgraph '{fetch.service}' is unavailable: {exc}",
                    "extensions": {"code": "SUBREQUEST_HTTP_ERROR", "service": fetch.service},
                }
            )
            return None
        try:
            result = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.errors.append(
                {
                    "message": f"Subgraph '{fetch.service}' returned an invalid response.",
                    "extensions": {"code": "SUBREQUEST_MALFORMED_RESPONSE"},
                }
            )
            return None
        if not isinstance(result, dict):
            return None
        return result

    def variables_for(self, fetch: Fetch) -> dict[str, Any]:
        return {n: self.variables[n] for n in fetch.variable_usages if n in self.variables}

    async def root_fetch(self, fetch: Fetch) -> None:
        variables = self.variables_for(fetch)
        if self.hooks is None:
            result = await self.send(fetch, variables, self.headers, None)
        else:
            result = await self.hooked_call(fetch, variables, None)
        if result is None:
            return
        errors = result.get("errors")
        if isinstance(errors, list):
            for err in errors:
                path = err.get("path") if isinstance(err, dict) else None
                self.errors.append(_subgraph_error(err, fetch, path))
        data = result.get("data")
        if isinstance(data, dict):
            _merge(self.data, data)

    async def entity_fetch(self, node: Flatten) -> None:
        fetch = node.node
        sel = fetch.requires
        if sel is None:
            return
        by_type = sel.by_type
        typename_as = sel.typename_as
        targets: list[tuple[dict[str, Any], int]] = []
        reps: list[dict[str, Any]] = []
        seen: dict[Any, int] = {}
        for obj in _objects(self.data, node.path):
            t = obj.get("__typename")
            if t is None or t not in by_type:
                continue
            rep = _build(obj, sel, t)
            if rep is None:
                continue
            rep["__typename"] = typename_as.get(t, t)
            try:
                k: Any = tuple(rep.values())
                idx = seen.get(k)
            except TypeError:  # lists or objects in the representation
                k = orjson.dumps(rep)
                idx = seen.get(k)
            if idx is None:
                idx = seen[k] = len(reps)
                reps.append(rep)
            targets.append((obj, idx))
        if not reps:
            return
        variables = self.variables_for(fetch)
        variables["representations"] = reps
        if self.hooks is None:
            result = await self.send(fetch, variables, self.headers, len(reps))
        else:
            result = await self.hooked_call(fetch, variables, len(reps))
        if result is None:
            return
        data = result.get("data")
        entities = data.get("_entities") if isinstance(data, dict) else None
        if result.get("errors"):
            self.entity_errors(node, result["errors"], targets)
        if not isinstance(entities, list):
            return
        n = len(entities)
        for obj, idx in targets:
            if idx < n:
                ent = entities[idx]
                if type(ent) is dict:
                    _merge(obj, ent)

    def entity_errors(self, node: Flatten, errors: Any, targets: list[tuple[Any, int]]) -> None:
        paths = _paths(self.data, node.path)
        by_index: dict[int, list[Any]] = {}
        for obj, idx in targets:
            by_index.setdefault(idx, paths.get(id(obj), []))
        first = paths.get(id(targets[0][0])) if targets else None
        for err in errors if isinstance(errors, list) else ():
            epath = err.get("path") if isinstance(err, dict) else None
            if (
                isinstance(epath, list)
                and len(epath) >= 2
                and epath[0] == "_entities"
                and isinstance(epath[1], int)
            ):
                p = by_index.get(epath[1])
                self.errors.append(
                    _subgraph_error(err, node.node, [*p, *epath[2:]] if p is not None else None)
                )
            else:
                self.errors.append(_subgraph_error(err, node.node, first))


def _subgraph_error(err: Any, fetch: Fetch, path: Any) -> dict[str, Any]:
    if not isinstance(err, dict):
        return {"message": str(err)}
    out: dict[str, Any] = {"message": err.get("message", "Subgraph error")}
    if path:
        out["path"] = path
    ext = dict(err.get("extensions") or {})
    ext.setdefault("serviceName", fetch.service)
    out["extensions"] = ext
    return out


async def execute_plan(
    node: PlanNode | None,
    client: SubgraphClient,
    variables: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    tracing: Tracing | None = None,
    hooks: Hooks | None = None,
    ctx: OperationContext | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Execute a plan; returns the merged (unshaped) data and the errors met.

    With ``tracing``, each fetch runs in a span (a child of the current one); with ``hooks``
    that watch subgraph fetches, each fetch goes through them (with ``ctx``)."""
    watched = hooks if hooks is not None and hooks.subgraph and ctx is not None else None
    run = _Run(client, variables, headers, tracing, watched, ctx)
    if node is not None:
        await run.run(node)
    return run.data, run.errors
