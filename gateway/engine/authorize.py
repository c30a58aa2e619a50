"""Stage 3, authorize: the operation filtered for the caller before it is planned.

The edge's authorization stage leaves the caller's profile in ``ctx.authorization``; without
it (no edge, or a schema without ``@authenticated``/``@requiresScopes``/``@policy``) nothing
happens here. Decisions are cached per (text, operation name, profile) by the
:class:`~gateway.authorization.Authorizer` (``authorization`` cache).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..context import Reply

if TYPE_CHECKING:
    from ..context import OperationContext

__all__ = ["authorize"]


def authorize(ctx: OperationContext) -> None:
    """Replace ``ctx.document`` by what the caller may see (or reject the operation)."""
    access = ctx.authorization
    if access is None:
        return
    assert ctx.query is not None and ctx.document is not None
    outcome = access.apply(ctx.query, ctx.document, ctx.operation_name)
    if outcome.rejected:
        raise Reply(200, list(outcome.errors))
    ctx.authorized = outcome
    ctx.document = outcome.document
