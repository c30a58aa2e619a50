"""Stage 6, shape: the merged subgraph data cut to what the query asked, in its order.

The plan's response shape drops internal fields and propagates nulls; the authorization outcome
puts back the ``null`` (and error) of each removed field; the introspection part of a mixed
operation joins the data at its root keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Reply, error

if TYPE_CHECKING:
    from ..context import OperationContext
    from .records import RootKey

__all__ = ["merge_introspection", "shape"]


def merge_introspection(data: Any, introspected: dict[str, Any], keys: tuple[RootKey, ...]) -> Any:
    """The planned root ``data`` and the ``introspected`` fields' in the query's key order."""
    if data is None:  # a non-null root field was null: the whole data is
        return None
    local = introspected.get("data") or {}
    out: dict[str, Any] = {}
    for key in keys:
        if key is None:  # a root fragment: its planned keys come here
            for k, v in data.items():
                out.setdefault(k, v)
        elif key[0]:
            out.setdefault(key[1], local.get(key[1]))
        elif key[1] in data:
            out.setdefault(key[1], data[key[1]])
    for k, v in data.items():
        out.setdefault(k, v)
    return out


def shape(ctx: OperationContext) -> None:
    """``ctx.body`` from ``ctx.data`` and ``ctx.errors``."""
    if ctx.body:  # answered by graphql-core alone
        return
    planned = ctx.planned
    assert planned is not None
    errs = ctx.errors
    try:
        out = planned.shape.apply(ctx.data, errs)
        if ctx.authorized is not None:
            out = ctx.authorized.complete(out, errs)
    except Exception as exc:  # a shaping bug must not kill the server
        raise Reply(
            500, [error(f"Internal error: {exc!r}", "INTERNAL_SERVER_ERROR")], data=True
        ) from None
    op = ctx.operation
    if op is not None and op.introspection is not None:
        introspected = ctx.introspected or {}
        out = merge_introspection(out, introspected, op.keys)
        errs.extend(introspected.get("errors") or ())
    body: dict[str, Any] = {"data": out}
    if errs:
        body["errors"] = errs
    ctx.body = body
