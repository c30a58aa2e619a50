"""Errors a client can act on, each with a stable ``extensions.code``.

graphql-core copies ``extensions`` from the original exception onto the located GraphQL error,
so raising one of these in a resolver is all a subgraph needs to do.
"""

from __future__ import annotations

from typing import Any


class AstroError(Exception):
    """Base of the errors a resolver raises on purpose; the message is shown to the client."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}


class BadUserInput(AstroError):
    """The request's input breaks a rule; the message names the field and the rule."""

    code = "BAD_USER_INPUT"


class NotFound(AstroError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = "NOT_FOUND"


class Conflict(AstroError):
    """The request clashes with the current state (sold out, already cancelled, duplicate)."""

    code = "CONFLICT"


class Unauthenticated(AstroError):
    """No valid credentials where they are needed, or credentials that do not verify."""

    code = "UNAUTHENTICATED"


class Forbidden(AstroError):
    """Valid credentials without the role or ownership the operation needs."""

    code = "FORBIDDEN"
