"""What the engine's stages leave in the operation context, memoized across requests.

:class:`Document` (parse, then validate: per query text), :class:`OperationFacts` (validate:
per text and operation name) and :class:`Operation` (plan: per text, operation name and
authorization profile); and :class:`VariablesRule`, the validation rules asked again per request.
These records import no stage and no context, so the context can name them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode
from graphql.validation import ASTValidationRule

from ..planner import PreparedOperation

__all__ = ["Document", "Operation", "OperationFacts", "RootKey", "VariablesRule"]


class VariablesRule(ASTValidationRule):
    """A validation rule that may need the request's variables to decide.

    During the visit it reports what it can decide and sets :attr:`deferred` for the rest; the
    validate stage then calls :meth:`check_variables` for each request of that text."""

    deferred = False

    def check_variables(
        self, operation: OperationDefinitionNode, variables: Mapping[str, Any]
    ) -> GraphQLError | None:
        """The error of ``operation`` with these ``variables``, if any."""
        return None


class Document:
    """A query text's document, or the errors (and HTTP status) that stop it.

    ``validated`` turns true once the validate stage has run the rules over it (its errors, if
    any, join ``errors``); ``deferred`` holds the rules that could not decide without the
    variables (the cost of a list sized by a variable), asked again per request."""

    __slots__ = ("deferred", "document", "errors", "status", "validated")

    def __init__(
        self, document: DocumentNode | None, errors: list[dict[str, Any]], status: int
    ) -> None:
        self.document = document
        self.errors = errors
        self.status = status
        self.validated = document is None
        self.deferred: tuple[VariablesRule, ...] = ()


@dataclass(frozen=True, slots=True)
class OperationFacts:
    """The operation a request runs, and what the edge's stages look at."""

    operation: OperationDefinitionNode
    op_type: str
    root_fields: frozenset[str]
    introspection: bool


#: How a root selection of a mixed operation is put back: ``(introspection?, response key)``;
#: ``None`` for a fragment (its planned keys go there).
RootKey = tuple[bool, str] | None


@dataclass(slots=True)
class Operation:
    """An operation ready to plan, and how its introspection part (if any) is answered."""

    prepared: PreparedOperation
    #: Answered by graphql-core alone (introspection and ``__typename`` only).
    local: bool = False
    #: The introspection root fields of a mixed operation, as a document of their own.
    introspection: DocumentNode | None = None
    #: The root selections' order of a mixed operation.
    keys: tuple[RootKey, ...] = ()
