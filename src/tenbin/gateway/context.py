"""Per-request context shared by the handlers: identity, timing and the ledger row being built."""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field
from typing import Any

from tenbin.gateway.auth import Principal
from tenbin.gateway.guarding import GuardedExchange
from tenbin.plans import PlanTrace
from tenbin.routing import RouteDecision
from tenbin.store.ledger import LedgerRow

# A random prefix per process and a counter: unique across workers and restarts without a system call (and a
# release of the GIL to the ledger thread) on every request.
_PREFIX = "req_" + os.urandom(6).hex()
_COUNTER = itertools.count(1)


def new_request_id() -> str:
    return f"{_PREFIX}{next(_COUNTER):08x}"


@dataclass(slots=True)
class RequestContext:
    endpoint: str
    client_host: str | None
    headers: dict[bytes, bytes]
    request_id: str = field(default_factory=new_request_id)
    started: float = field(default_factory=time.perf_counter)
    principal: Principal | None = None
    body: dict[str, Any] | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    route: RouteDecision | None = None
    guard: GuardedExchange | None = None
    plan: PlanTrace | None = None

    def __post_init__(self) -> None:
        self.response_headers["x-request-id"] = self.request_id

    def ledger_row(self, status: int) -> LedgerRow:
        body = self.body or {}
        model = self.route.route if self.route is not None else body.get("model")
        user = body.get("user")
        return LedgerRow(
            request_id=self.request_id,
            ts=time.time(),
            endpoint=self.endpoint,
            status=status,
            key_name=self.principal.name if self.principal else None,
            model=model if isinstance(model, str) else None,
            user=user if isinstance(user, str) else None,
            stream=bool(body.get("stream")),
            latency_ms=(time.perf_counter() - self.started) * 1000,
            guard=self.guard.ledger() if self.guard is not None else None,
        )
