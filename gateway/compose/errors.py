"""Composition errors: one :class:`CompositionIssue` per problem, raised together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CompositionIssue:
    """One composition problem, with a stable Apollo-style ``code``."""

    code: str
    message: str
    subgraph: str | None = None
    coordinate: str | None = None

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class CompositionError(Exception):
    """Raised by :func:`gateway.compose.compose` when the subgraphs do not compose."""

    def __init__(self, errors: Sequence[CompositionIssue]) -> None:
        self.errors: list[CompositionIssue] = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))

    @property
    def codes(self) -> list[str]:
        """The codes of all errors, in report order."""
        return [error.code for error in self.errors]


class IssueCollector:
    """Accumulates issues so that all problems are reported at once."""

    def __init__(self) -> None:
        self.issues: list[CompositionIssue] = []

    def add(
        self,
        code: str,
        message: str,
        subgraph: str | None = None,
        coordinate: str | None = None,
    ) -> None:
        self.issues.append(CompositionIssue(code, message, subgraph, coordinate))

    def raise_if_any(self) -> None:
        if self.issues:
            raise CompositionError(self.issues)
