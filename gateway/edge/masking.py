"""Edge step after the engine: error counting, masking (``MASK_ERRORS``) and request ids.

Every error is counted by code and gets ``extensions.requestId``. With masking on, an internal
error (or one without a code) becomes "Internal server error." and a subgraph's failure "A
service this request needs is unavailable."; the original goes to the log with the request id.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from ..metrics import Metrics

__all__ = ["ErrorMasking"]

log = logging.getLogger("astro.gateway")

#: Error codes whose message a client may see even when errors are masked.
_MASKED_CODES = frozenset({"INTERNAL_SERVER_ERROR", "QUERY_PLANNING_FAILED"})
_SUBGRAPH_CODES_PREFIX = "SUBREQUEST_"


class ErrorMasking:
    """Rewrites a response body's errors on their way out."""

    def __init__(self, *, mask: bool, metrics: Metrics) -> None:
        self.mask = mask
        self.metrics = metrics

    def __call__(self, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        errors = body.get("errors")
        if not errors:
            return body
        mask = self.mask
        out: list[dict[str, Any]] = []
        for err in errors:
            ext = dict(err.get("extensions") or {})
            code = str(ext.get("code") or "INTERNAL_SERVER_ERROR")
            self.metrics.errors.inc(code=code)
            if code == "UNAUTHORIZED_FIELD_OR_TYPE":
                self.metrics.unauthorized.inc()
            if mask:
                ext.pop("exception", None)
                ext.pop("stacktrace", None)
                if code in _MASKED_CODES or "code" not in (err.get("extensions") or {}):
                    log.error("request %s: %s", request_id, orjson.dumps(err).decode())
                    err = {k: v for k, v in err.items() if k in ("path", "locations")}
                    err["message"] = "Internal server error."
                    ext = {"code": "INTERNAL_SERVER_ERROR"}
                elif code.startswith(_SUBGRAPH_CODES_PREFIX):
                    log.error("request %s: %s", request_id, orjson.dumps(err).decode())
                    err = {k: v for k, v in err.items() if k in ("path", "locations")}
                    err["message"] = "A service this request needs is unavailable."
                    ext = {"code": code}
            ext["requestId"] = request_id
            out.append({**err, "extensions": ext})
        return {**body, "errors": out}
