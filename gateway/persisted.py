"""Automatic persisted queries (Redis-backed) and the operation safelist.

APQ follows the Apollo protocol: a request may carry
``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}``. Without ``query`` the
gateway looks the hash up (``PERSISTED_QUERY_NOT_FOUND`` when unknown, and the client retries with
the query); with ``query`` it checks the hash and stores the text for next time.

The safelist is the clients' operations manifest: a directory of ``*.graphql`` files (each
operation with the fragments it spreads) or an Apollo persisted-query manifest JSON
(``{"operations": [{"id", "name", "body"}]}``). In safelist mode an operation whose normalized
text (parsed and printed again, so whitespace and comments do not matter) is not listed is
rejected with ``PERSISTED_QUERY_NOT_IN_LIST``; a listed one may also be sent by its id/hash alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    print_ast,
)
from graphql.language import Visitor, visit
from redis.asyncio import Redis
from redis.exceptions import RedisError

from .cache import LRU

__all__ = ["PersistedQueries", "PersistedQueryError", "Safelist", "sha256_hex"]

log = logging.getLogger("astro.gateway.persisted")

_PREFIX = "astro:apq:"


def sha256_hex(text: str) -> str:
    """The APQ hash of a query text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PersistedQueryError(Exception):
    """A persisted-query request that cannot be served; ``code`` goes to ``extensions.code``."""

    def __init__(self, message: str, code: str, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.names.add(node.name.value)


def _operation_documents(document: DocumentNode) -> Iterable[tuple[str, DocumentNode]]:
    """Each operation of ``document`` as its own document with the fragments it needs."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    for op in document.definitions:
        if not isinstance(op, OperationDefinitionNode):
            continue
        needed: list[str] = []
        todo = [op]
        seen: set[str] = set()
        while todo:
            node = todo.pop()
            spreads = _Spreads()
            visit(node, spreads)
            for name in sorted(spreads.names):
                if name not in seen and name in fragments:
                    seen.add(name)
                    needed.append(name)
                    todo.append(fragments[name])  # type: ignore[arg-type]
        defs = (op, *(fragments[n] for n in sorted(needed)))
        yield (op.name.value if op.name else ""), DocumentNode(definitions=defs)


def normalize(document: DocumentNode) -> str:
    """The canonical text of a document: definitions printed in a stable order."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    frags = sorted(
        (d for d in document.definitions if isinstance(d, FragmentDefinitionNode)),
        key=lambda f: f.name.value,
    )
    return "\n\n".join(print_ast(d) for d in (*ops, *frags))


class Safelist:
    """The operations the clients may send."""

    def __init__(self, bodies: dict[str, str]) -> None:
        #: id (and sha256 of the body) → body
        self.by_id: dict[str, str] = {}
        self.normalized: set[str] = set()
        self.names: list[str] = []
        for op_id, body in bodies.items():
            self.by_id[op_id] = body
            self.by_id[sha256_hex(body)] = body
            try:
                doc = parse(body)
            except GraphQLError as exc:
                raise ValueError(
                    f"operation {op_id!r} in the manifest does not parse: {exc}"
                ) from exc
            for name, op_doc in _operation_documents(doc):
                self.normalized.add(normalize(op_doc))
                self.names.append(name)
        #: Verdicts per query text (``safelist`` in ``/metrics``).
        self.checked: LRU[str, bool] = LRU(4096)

    @classmethod
    def load(cls, path: Path) -> Safelist:
        """From a directory of ``*.graphql`` files or a JSON manifest file."""
        bodies: dict[str, str] = {}
        if path.is_dir():
            for file in sorted(path.glob("*.graphql")):
                text = file.read_text(encoding="utf-8")
                doc = parse(text)
                for name, op_doc in _operation_documents(doc):
                    body = print_ast(op_doc)
                    bodies[name or file.stem] = body
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            for entry in data.get("operations", []):
                bodies[str(entry.get("id") or sha256_hex(entry["body"]))] = str(entry["body"])
        return cls(bodies)

    def allows(self, query: str) -> bool:
        """Whether ``query`` is a listed operation (a text that does not parse is not).

        Judged before the engine parses (a text off the list never reaches the parser's
        cache); the verdict is cached per text, so a listed text is parsed here once."""
        hit = self.checked.lookup(query)
        if hit is not None:
            return hit
        try:
            document: DocumentNode | None = parse(query)
        except GraphQLError:
            document = None
        ok = False
        if document is not None:
            ok = all(normalize(d) in self.normalized for _, d in _operation_documents(document))
            ok = ok and any(isinstance(d, OperationDefinitionNode) for d in document.definitions)
        self.checked.put(query, ok)
        return ok


class PersistedQueries:
    """The APQ store (Redis, or process memory when no Redis is configured)."""

    def __init__(
        self,
        redis: Redis | None,
        *,
        ttl_seconds: int,
        enabled: bool = True,
        safelist: Safelist | None = None,
        allow_registration: bool = True,
    ) -> None:
        self.redis = redis
        self.ttl = ttl_seconds
        self.enabled = enabled
        self.safelist = safelist
        self.allow_registration = allow_registration
        #: Query texts by hash, in front of Redis (``apq`` in ``/metrics``).
        self.local: LRU[str, str] = LRU(4096)

    async def _get(self, digest: str) -> str | None:
        local = self.local.lookup(digest)
        if local is not None:
            return local
        if self.redis is None:
            return None
        try:
            raw = await self.redis.get(_PREFIX + digest)
        except RedisError as exc:
            log.warning("APQ lookup failed: %s", exc)
            return None
        if raw is None:
            return None
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        self._remember(digest, text)
        return text

    def _remember(self, digest: str, text: str) -> None:
        self.local.put(digest, text)

    async def _put(self, digest: str, text: str) -> None:
        self._remember(digest, text)
        if self.redis is None:
            return
        try:
            await self.redis.set(_PREFIX + digest, text, ex=self.ttl)
        except RedisError as exc:
            log.warning("APQ store failed: %s", exc)

    async def resolve(self, payload: dict[str, Any]) -> str | None:
        """The query text of the request (``None`` when it has none and no persisted query)."""
        query = payload.get("query")
        extensions = payload.get("extensions")
        pq = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if not isinstance(pq, dict):
            return query if isinstance(query, str) else None
        digest = pq.get("sha256Hash")
        if pq.get("version", 1) != 1 or not isinstance(digest, str):
            raise PersistedQueryError("Unsupported persisted query version.", "BAD_REQUEST", 400)
        if isinstance(query, str):
            if sha256_hex(query) != digest.lower():
                raise PersistedQueryError(
                    "The provided sha256Hash does not match the query.", "BAD_REQUEST", 400
                )
            if self.enabled and (self.safelist is None or self.allow_registration):
                await self._put(digest.lower(), query)
            return query
        if self.safelist is not None:
            listed = self.safelist.by_id.get(digest) or self.safelist.by_id.get(digest.lower())
            if listed is not None:
                return listed
        if not self.enabled:
            raise PersistedQueryError("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
        text = await self._get(digest.lower())
        if text is None:
            raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return text
