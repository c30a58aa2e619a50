"""The one object an operation carries through the edge and the engine.

Every stage reads what the stages before it left and adds its own part: the server fills the
request (method, headers, id), the body stage the payload, authentication the principal, the
persisted-queries stage the query text, parse the document, validate the operation, the
authorization stage the caller's profile, plan the plan, execute the data and errors, shape the
response. One slotted object per request and nothing copied between stages keeps the path lean;
hooks (``gateway/hooks.py``) see the same object, and keep what they need in :attr:`state`.

A stage that ends the operation early raises :class:`Reply` with the status and the errors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphql import DocumentNode

    from .auth import Principal
    from .authorization import Authorization, AuthorizationOutcome
    from .engine.records import Document, Operation, OperationFacts
    from .planner import PlannedOperation
    from .tracing import RequestSpan

__all__ = ["OperationContext", "Receive", "Reply", "error"]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


def error(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """A GraphQL error with ``extensions.code``."""
    return {"message": message, "extensions": {"code": code, **extensions}}


class Reply(Exception):
    """End the operation now with ``status`` and ``errors`` (and ``data: null`` when ``data``).

    ``headers`` go on the HTTP response (e.g. ``retry-after``, ``www-authenticate``)."""

    def __init__(
        self,
        status: int,
        errors: list[dict[str, Any]],
        headers: list[tuple[bytes, bytes]] | None = None,
        *,
        data: bool = False,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.errors = errors
        self.headers = headers
        self.data = data

    @classmethod
    def of(cls, status: int, message: str, code: str, **extensions: Any) -> Reply:
        """A reply with one error."""
        return cls(status, [error(message, code, **extensions)])

    def body(self) -> dict[str, Any]:
        return {"data": None, "errors": self.errors} if self.data else {"errors": self.errors}


class OperationContext:
    """One GraphQL request on its way through the stages (see the module docstring)."""

    __slots__ = (
        "allow_mutations",
        "authorization",
        "authorized",
        "body",
        "client_ip",
        "coerced",
        "data",
        "document",
        "errors",
        "extensions",
        "facts",
        "forward",
        "headers",
        "introspected",
        "method",
        "operation",
        "operation_name",
        "parsed",
        "payload",
        "planned",
        "principal",
        "query",
        "query_string",
        "receive",
        "request_id",
        "response_headers",
        "span",
        "state",
        "status",
        "variables",
    )

    def __init__(
        self,
        *,
        method: str = "POST",
        headers: dict[bytes, bytes] | None = None,
        request_id: str = "",
        receive: Receive | None = None,
        query_string: bytes = b"",
        client_ip: str = "unknown",
        payload: Any = None,
        forward: dict[str, str] | None = None,
    ) -> None:
        # -- the request (server) --------------------------------------------------------------
        self.method = method
        #: Request headers, names lower-cased.
        self.headers: dict[bytes, bytes] = headers if headers is not None else {}
        self.request_id = request_id
        self.receive = receive
        self.client_ip = client_ip
        #: GET: the URL's query string (POST: the body stage reads ``receive``).
        self.query_string = query_string
        #: Whatever hooks keep between their calls for this operation.
        self.state: dict[str, Any] = {}
        self.allow_mutations = method == "POST"
        # -- the operation (edge stages) -------------------------------------------------------
        #: The decoded GraphQL request body (or GET parameters).
        self.payload: Any = payload
        #: The query text (the persisted-queries stage may find it by hash); else the payload's.
        self.query: str | None = None
        self.operation_name: str | None = None
        #: The raw variables of the request (coerced ones: :attr:`coerced`).
        self.variables: dict[str, Any] = {}
        self.principal: Principal | None = None
        #: Headers sent with every subgraph request.
        self.forward: dict[str, str] | None = forward
        #: The caller's field authorization (set by the edge's authorization stage).
        self.authorization: Authorization | None = None
        self.span: RequestSpan | None = None
        # -- the engine ------------------------------------------------------------------------
        self.parsed: Document | None = None
        self.document: DocumentNode | None = None
        self.facts: OperationFacts | None = None
        self.authorized: AuthorizationOutcome | None = None
        self.operation: Operation | None = None
        self.coerced: dict[str, Any] = {}
        self.planned: PlannedOperation | None = None
        self.data: Any = None
        #: graphql-core's answer to the introspection root fields of a mixed operation.
        self.introspected: dict[str, Any] | None = None
        self.errors: list[dict[str, Any]] = []
        # -- the response ----------------------------------------------------------------------
        self.status = 200
        self.body: dict[str, Any] = {}
        #: Added to the response body's ``extensions`` (hooks may add their own).
        self.extensions: dict[str, Any] | None = None
        self.response_headers: list[tuple[bytes, bytes]] | None = None
