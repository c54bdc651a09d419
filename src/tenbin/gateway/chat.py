"""POST /v1/chat/completions: validate, admit, call the engine, answer as JSON or as server-sent events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from tenbin import plans
from tenbin.engine import CallInfo
from tenbin.errors import InvalidRequest, PermissionDenied, TenbinError
from tenbin.gateway.context import RequestContext
from tenbin.gateway.guarding import GuardedExchange, GuardedStream
from tenbin.gateway.responses import SSE_DONE, send_json, sse_event, start_sse
from tenbin.gateway.validation import validate_chat

if TYPE_CHECKING:
    from tenbin.gateway.app import Gateway, Receive, Send

CLIENT_CLOSED = 499
_T = TypeVar("_T")
log = logging.getLogger("tenbin.gateway")


async def admit(gateway: Gateway, context: RequestContext, model: str, routable: bool = True) -> None:
    """404 for an unknown model, 403 for a model the key may not use, 429 over the key's limits.

    A route name (``tenbin/auto`` and the configured routes) is resolved here to the model its router picks.
    """
    principal = context.principal
    assert principal is not None
    if routable and gateway.routes is not None and model in gateway.routes and context.body is not None:
        record = principal.record
        allowed = None if record is None or record.models is None or model in record.models else set(record.models)
        decision = gateway.routes.decide(model, context.body, allowed)
        if allowed is not None and not set(decision.plan or (decision.model,)) <= allowed:
            raise PermissionDenied(f"This key is not allowed to use the model `{decision.model}`.", param="model")
        context.route = decision
        context.response_headers["x-tenbin-route"] = decision.header()
        context.body["model"] = model = decision.model
    else:
        gateway.engine.deployments(model)
        principal.check_model(model)
    record = principal.record
    await gateway.limiter.admit(principal.name, record.rpm if record else None, record.tpm if record else None)


def settle(gateway: Gateway, context: RequestContext, info: CallInfo, status: int, **fields: Any) -> None:
    record = context.principal.record if context.principal else None
    tokens = (info.input_tokens or 0) + (info.output_tokens or 0)
    gateway.limiter.charge_tokens(context.principal.name if context.principal else None, record.tpm if record else None, tokens)
    gateway.record(
        context,
        status,
        deployment=info.deployment,
        input_tokens=info.input_tokens,
        output_tokens=info.output_tokens,
        usage_estimated=info.usage_estimated,
        cost_usd=info.cost_usd,
        ttft_ms=info.ttft_s * 1000 if info.ttft_s is not None else None,
        route=_route_record(context),
        guard=context.guard.ledger() if context.guard is not None else None,
        **fields,
    )


async def apply_guard(gateway: Gateway, context: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """Mask and scan the request per the key's guard settings; returns the body to send upstream."""
    guard = gateway.guard_for(context)
    if guard is None:
        return body
    exchange, upstream_body, blocked = await GuardedExchange.inspect(guard, body)
    context.guard = exchange
    context.body = upstream_body  # the ledger never sees the originals
    header = exchange.header()
    if header:
        context.response_headers["x-tenbin-guard"] = header
    if blocked is not None:
        raise blocked
    return upstream_body


async def handle_chat(gateway: Gateway, context: RequestContext, receive: Receive, send: Send) -> None:
    body = await gateway.read_json(context, receive)
    validate_chat(body)
    await admit(gateway, context, body["model"])
    body = await apply_guard(gateway, context, body)
    if body.get("stream"):
        await _stream(gateway, context, body, receive, send)
        return
    info = CallInfo()
    try:
        response, info = await _unless_client_leaves(receive, _complete(gateway, context, body, info))
    except TenbinError as error:
        settle(gateway, context, info, error.status, error_type=error.code or error.error_type)
        error.recorded = True
        raise
    except _ClientLeft:  # nobody to answer; the calls already made stay on the ledger
        settle(gateway, context, info, CLIENT_CLOSED, error_type="client_closed_request")
        return
    stored = _body_text(gateway, response)
    if context.guard is not None:
        try:
            response = context.guard.restore(response)
        except TenbinError as error:
            settle(gateway, context, info, error.status, error_type=error.code, response_body=stored)
            error.recorded = True
            raise
        header = context.guard.header()
        if header:
            context.response_headers["x-tenbin-guard"] = header
    await send_json(send, 200, response, context.response_headers)
    settle(gateway, context, info, 200, response_body=stored)


async def _disconnect(receive: Receive) -> None:
    """Returns when the client hangs up (the request body has been read by then)."""
    while (await receive())["type"] != "http.disconnect":
        pass


class _ClientLeft(Exception):
    """The client disconnected before its answer was ready."""


async def _unless_client_leaves(receive: Receive, work: Coroutine[Any, Any, _T]) -> _T:
    """`work`'s result, or _ClientLeft once the client disconnects (the work is cancelled: a plan or a slow
    model does not go on spending for nobody)."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnect(receive))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, watcher):
            if not pending.done():
                pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    if not task.done() or task.cancelled():
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise _ClientLeft
    return task.result()


def _route_record(context: RequestContext) -> dict[str, Any] | None:
    if context.route is None:
        return None
    record = context.route.as_dict()
    if context.plan is not None:
        record["trace"] = context.plan.as_dict()
    return record


async def _complete(
    gateway: Gateway, context: RequestContext, body: dict[str, Any], info: CallInfo
) -> tuple[dict[str, Any], CallInfo]:
    """One model's answer, or the answer of the cascade or ensemble the route chose."""
    decision = context.route
    if decision is None or not decision.runs_plan:
        return await gateway.engine.chat(body, info)
    assert gateway.routes is not None
    if body.get("n") not in (None, 1):
        # A cascade or ensemble picks one answer among models; n answers of one model is not what it does.
        raise InvalidRequest(
            f"'n' must be 1 when the route runs a {decision.policy} ({decision.route}); "
            "ask a model by name for several choices.",
            param="n",
        )
    route = gateway.routes.config(decision.route)
    if decision.policy == "cascade":
        target = decision.target if decision.target is not None else 0.0
        response, total, trace = await plans.run_cascade(
            gateway.engine,
            body,
            list(decision.plan),
            decision.predicted,
            target,
            route.verifier,
            route.accept_score,
            total=info,
        )
    else:
        response, total, trace = await plans.run_ensemble(
            gateway.engine, body, list(decision.plan), route.judge, total=info
        )
    context.plan = trace
    context.response_headers["x-tenbin-route"] = decision.header() + f"; answered_by={trace.chosen}"
    return response, total


async def _plan_chunks(
    gateway: Gateway, context: RequestContext, body: dict[str, Any], info: CallInfo
) -> AsyncIterator[dict[str, Any]]:
    """A plan's answer replayed as a stream: a cascade or ensemble must see answers before it can send one."""
    response, total = await _complete(gateway, context, {**body, "stream": False}, info)
    for name in ("deployment", "input_tokens", "output_tokens", "usage_estimated", "cost_usd", "latency_s"):
        setattr(info, name, getattr(total, name))
    info.ttft_s = total.latency_s
    for chunk in plans.completion_as_chunks(response):
        yield chunk


def _body_text(gateway: Gateway, payload: Any) -> str | None:
    if not gateway.store_bodies:
        return None
    return orjson.dumps(payload).decode()


async def _stream(gateway: Gateway, context: RequestContext, body: dict[str, Any], receive: Receive, send: Send) -> None:
    info = CallInfo()
    plan = context.route is not None and context.route.runs_plan
    chunks: AsyncIterator[dict[str, Any]] = (
        _plan_chunks(gateway, context, body, info) if plan else gateway.engine.stream(body, info)
    )
    this_task = asyncio.current_task()
    disconnected = asyncio.Event()

    async def watch_disconnect() -> None:
        await _disconnect(receive)
        disconnected.set()
        if this_task is not None:
            this_task.cancel()

    # Watched from the start: a cascade runs whole (several calls) before its first chunk, and a slow model
    # may think for seconds; a client that leaves meanwhile must stop them, not only a stream under way.
    watcher = asyncio.create_task(watch_disconnect())
    status: int | None = 200
    error_type: str | None = None
    try:
        try:
            first = await anext(chunks)
        except StopAsyncIteration:
            first = None
        except TenbinError as error:  # nothing sent yet: the client gets a proper HTTP error status
            status = None
            settle(gateway, context, info, error.status, error_type=error.code or error.error_type)
            error.recorded = True
            raise
        await start_sse(send, context.response_headers)
        relay = _Relay(send, body, info, context.guard.stream() if context.guard is not None else None)
        try:
            await relay.run(first, chunks)
        except TenbinError as error:  # the stream had begun: the error travels as an SSE event
            status, error_type = error.status, error.code or error.error_type
            await relay.fail(error)
        except Exception as error:  # a bug mid-stream: the client still gets an error event and the end of the stream
            log.exception("stream %s failed", context.request_id)
            internal = TenbinError(
                f"Internal error ({type(error).__name__}); see the gateway log for {context.request_id}."
            )
            status, error_type = internal.status, internal.error_type
            with contextlib.suppress(Exception):
                await relay.fail(internal)
    except asyncio.CancelledError:
        if not disconnected.is_set():
            raise
        status, error_type = CLIENT_CLOSED, "client_closed_request"
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await watcher
        with contextlib.suppress(Exception):
            await chunks.aclose()  # type: ignore[attr-defined]  # stops the upstream when the client left
        if status == CLIENT_CLOSED and this_task is not None:
            this_task.uncancel()
        if status is not None:
            settle(gateway, context, info, status, error_type=error_type)


class _Relay:
    """Sends chunks as server-sent events: restores guarded text, and sends the usage chunk only when asked."""

    def __init__(self, send: Send, body: dict[str, Any], info: CallInfo, guarded: GuardedStream | None) -> None:
        self.send = send
        self.body = body
        self.info = info
        self.guarded = guarded
        self.include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        self.template: dict[str, Any] = {}

    async def event(self, payload: dict[str, Any]) -> None:
        await self.send({"type": "http.response.body", "body": sse_event(payload), "more_body": True})

    async def done(self) -> None:
        await self.send({"type": "http.response.body", "body": SSE_DONE, "more_body": False})

    async def run(self, first: dict[str, Any] | None, chunks: AsyncIterator[dict[str, Any]]) -> None:
        saw_usage = False
        chunk = first
        while chunk is not None:
            self.template = chunk
            if not chunk.get("choices") and chunk.get("usage"):
                saw_usage = True
                await self.leftovers()
                if self.include_usage:
                    await self.event(chunk)
            else:
                await self.event(self.guarded.chunk(chunk) if self.guarded is not None else chunk)
            chunk = await anext(chunks, None)
        await self.leftovers()
        if self.guarded is not None:
            self.guarded.finish()
        if self.include_usage and not saw_usage and self.info.input_tokens is not None:
            await self.event(_usage_chunk(self.template, self.body, self.info))
        await self.done()

    async def fail(self, error: TenbinError) -> None:
        await self.event(error.to_dict())
        await self.done()

    async def leftovers(self) -> None:
        """Text the restorer still held (a stream that ended without a finish reason), as one last chunk."""
        if self.guarded is None:
            return
        for index, text in self.guarded.leftovers().items():
            await self.event({
                "id": self.template.get("id", "chatcmpl-tenbin"),
                "object": "chat.completion.chunk",
                "created": self.template.get("created", 0),
                "model": self.template.get("model"),
                "choices": [{"index": index, "delta": {"content": text}, "finish_reason": None, "logprobs": None}],
            })


def _usage_chunk(template: dict[str, Any], body: dict[str, Any], info: CallInfo) -> dict[str, Any]:
    """The usage chunk a client asked for when the upstream sent none (estimated, as the ledger says)."""
    prompt, completion = info.input_tokens or 0, info.output_tokens or 0
    return {
        "id": template.get("id", "chatcmpl-tenbin"),
        "object": "chat.completion.chunk",
        "created": template.get("created", 0),
        "model": body["model"],
        "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }
