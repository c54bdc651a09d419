"""The ASGI application: routing, body limits, authentication and the one error boundary."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from threadpoolctl import threadpool_limits

from tenbin.config import Settings
from tenbin.engine import Engine
from tenbin.errors import InvalidRequest, MethodNotAllowed, NotFound, PayloadTooLarge, TenbinError
from tenbin.gateway import chat, endpoints
from tenbin.gateway.auth import Authenticator
from tenbin.gateway.context import RequestContext
from tenbin.gateway.guarding import GuardPolicy
from tenbin.gateway.limits import RedisLimiter, build_limiter
from tenbin.gateway.responses import send_error
from tenbin.gateway.validation import parse_json_body
from tenbin.guard import Guard
from tenbin.observe import Metrics
from tenbin.observe.shared import SharedMetrics
from tenbin.routing import RouteTable
from tenbin.store.db import Database
from tenbin.store.keys import KeyStore
from tenbin.store.ledger import LedgerWriter

log = logging.getLogger("tenbin.gateway")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Handler = Callable[["Gateway", RequestContext, Receive, Send], Awaitable[None]]

ROUTES: dict[tuple[str, str], tuple[str, Handler, bool]] = {
    # (method, path): (ledger endpoint name, handler, needs auth)
    ("POST", "/v1/chat/completions"): ("chat", chat.handle_chat, True),
    ("POST", "/chat/completions"): ("chat", chat.handle_chat, True),
    ("POST", "/v1/embeddings"): ("embeddings", endpoints.handle_embeddings, True),
    ("POST", "/embeddings"): ("embeddings", endpoints.handle_embeddings, True),
    ("GET", "/v1/models"): ("models", endpoints.handle_models, True),
    ("GET", "/models"): ("models", endpoints.handle_models, True),
    ("POST", "/v1/feedback"): ("feedback", endpoints.handle_feedback, True),
    ("GET", "/health"): ("health", endpoints.handle_health, False),
    ("GET", "/metrics"): ("metrics", endpoints.handle_metrics, True),
}
PATHS = {path for _, path in ROUTES}
DRAIN_FACTOR = 16
RECENT_OWNERS = 100_000


class Gateway:
    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        database: Database | None = None,
        master_key: str | None = None,
        metrics_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine or Engine(settings)
        self.routes: RouteTable | None = RouteTable(settings)
        self.guard = GuardPolicy(settings.guard)
        self.database = database
        self.keys = KeyStore(database) if database else None
        self.auth = Authenticator(self.keys, master_key)
        limits = settings.limits
        self.limiter = build_limiter(limits.backend, limits.redis_url, limits.rpm, limits.tpm)
        ledger = settings.ledger
        self.ledger = (
            LedgerWriter(database, ledger.flush_interval_s, ledger.batch_size) if database and ledger.enabled else None
        )
        self.store_bodies = ledger.store_bodies
        self.metrics = Metrics()
        # set for the workers of a multi-worker run, so that /metrics reports the totals of them all
        self.shared_metrics = SharedMetrics(metrics_dir, self.metrics) if metrics_dir else None
        # request id -> key name of recent chat requests, so feedback can be checked without the database
        self.recent_owners: OrderedDict[str, str | None] = OrderedDict()
        self.max_body_bytes = settings.server.max_body_bytes
        self._background: list[asyncio.Task[None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # Routing decisions are tiny matrix products: one BLAS thread keeps them under a millisecond
                # instead of waking a thread pool per request.
                threadpool_limits(limits=1, user_api="blas")
                await asyncio.to_thread(self.guard.warm_up)
                self._background.append(asyncio.create_task(self.auth.refresh_forever()))
                if self.shared_metrics is not None:
                    self._background.append(asyncio.create_task(self.shared_metrics.publish_forever()))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._background.clear()
        if self.shared_metrics is not None:
            self.shared_metrics.publish()  # the last requests of this worker still count after it is gone
        await self.engine.aclose()
        if isinstance(self.limiter, RedisLimiter):
            await self.limiter.aclose()
        if self.ledger is not None:
            await asyncio.to_thread(self.ledger.close)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        headers = dict(scope["headers"])
        client = scope.get("client")
        route = ROUTES.get((method, path))
        endpoint = route[0] if route else "unknown"
        context = RequestContext(endpoint, client[0] if client else None, headers)
        started = False

        async def tracked_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            if route is None:
                if path in PATHS:
                    raise MethodNotAllowed(f"Method {method} is not allowed on {path}.")
                raise NotFound(f"Unknown path {path}.", code="unknown_url")
            _, handler, needs_auth = route
            if needs_auth:
                context.principal = await self.auth.authenticate(headers.get(b"authorization"), context.client_host)
            await handler(self, context, receive, tracked_send)
        except TenbinError as error:
            if not started:
                await send_error(send, error, context.response_headers)
            if not error.recorded:
                self.record_error(context, error)
        except Exception as error:  # the one place a bug becomes a clean 500 instead of a traceback on the wire
            log.exception("unexpected error on %s %s", method, path)
            internal = TenbinError(f"Internal error ({type(error).__name__}); see the gateway log for {context.request_id}.")
            if not started:
                await send_error(send, internal, context.response_headers)
            self.record_error(context, internal)

    async def read_json(self, context: RequestContext, receive: Receive) -> dict[str, Any]:
        """The body as a JSON object, refusing anything over the configured limit."""
        limit = self.max_body_bytes
        declared = context.headers.get(b"content-length")
        too_large = declared is not None and declared.isdigit() and int(declared) > limit
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise InvalidRequest("The client went away before the body was complete.")
            chunk = message.get("body", b"")
            size += len(chunk)
            too_large = too_large or size > limit
            if not too_large:
                chunks.append(chunk)
            # An oversized body is read to its end (up to a bound) so that the client, still sending, gets
            # the 413 instead of a broken pipe.
            if not message.get("more_body") or size > DRAIN_FACTOR * limit:
                break
        if too_large:
            raise PayloadTooLarge(f"The request body is over the limit of {limit} bytes.")
        body = parse_json_body(b"".join(chunks) if len(chunks) != 1 else chunks[0])
        context.body = body
        return body

    def record(self, context: RequestContext, status: int, **fields: Any) -> None:
        if context.endpoint in ("health", "metrics"):
            return
        row = context.ledger_row(status)
        for name, value in fields.items():
            setattr(row, name, value)
        if context.endpoint == "chat" and status == 200:
            self.recent_owners[row.request_id] = row.key_name
            if len(self.recent_owners) > RECENT_OWNERS:
                self.recent_owners.popitem(last=False)
        self.metrics.record(
            row.endpoint, row.model, status, row.latency_ms / 1000 if row.latency_ms is not None else None,
            row.ttft_ms / 1000 if row.ttft_ms is not None else None, row.input_tokens, row.output_tokens, row.cost_usd,
        )
        if context.guard is not None:
            for verdict in context.guard.verdicts:
                self.metrics.record_guard(verdict.kind, "flagged" if verdict.flagged else "passed")
        if self.ledger is None:
            return
        if self.store_bodies and context.body is not None and row.request_body is None and self._body_is_safe(context):
            row.request_body = orjson.dumps(context.body).decode()
        self.ledger.record(row)

    def guard_for(self, context: RequestContext) -> Guard | None:
        """The guard of the calling key (its overrides merged in), or None when it checks nothing."""
        principal = context.principal
        record = principal.record if principal else None
        return self.guard.for_key(principal.name if principal else None, record.guard if record else None)

    def _body_is_safe(self, context: RequestContext) -> bool:
        """A body may be stored once the guard has masked it, or when the caller's guard masks nothing."""
        if context.guard is not None:
            return True
        guard = self.guard_for(context)
        return guard is None or guard.settings.pii.action == "off"

    def record_error(self, context: RequestContext, error: TenbinError) -> None:
        self.record(context, error.status, error_type=error.code or error.error_type)
