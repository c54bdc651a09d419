"""The small endpoints: models, health, embeddings."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from tenbin.engine import CallInfo
from tenbin.errors import GuardrailBlocked, InvalidRequest, NotFound, PermissionDenied, TenbinError
from tenbin.gateway.chat import admit, settle
from tenbin.gateway.context import RequestContext
from tenbin.gateway.responses import encode_headers, send_json
from tenbin.gateway.validation import validate_embeddings
from tenbin.guard import Vault, detect_pii, mask_text
from tenbin.store.feedback import add_feedback
from tenbin.store.ledger import request_owner

if TYPE_CHECKING:
    from tenbin.gateway.app import Gateway, Receive, Send

_STARTED = int(time.time())


def model_object(gateway: Gateway, name: str) -> dict[str, Any]:
    deployment = gateway.engine.deployments(name)[0]
    entry: dict[str, Any] = {"id": name, "object": "model", "created": _STARTED, "owned_by": deployment.provider_name}
    if deployment.price is not None:
        entry["pricing"] = deployment.price.model_dump()
    return entry


async def handle_models(gateway: Gateway, context: RequestContext, receive: Receive, send: Send) -> None:
    principal = context.principal
    names = [name for name in gateway.engine.model_names() if principal is None or principal.allows(name)]
    data = [model_object(gateway, name) for name in names]
    if gateway.routes is not None:
        data.extend(
            {"id": route, "object": "model", "created": _STARTED, "owned_by": "tenbin"}
            for route in gateway.routes.names()
            if principal is None or principal.allows(route) or any(principal.allows(m) for m in gateway.routes.candidates(route))
        )
    payload = {"object": "list", "data": data}
    await send_json(send, 200, payload, context.response_headers)


async def handle_health(gateway: Gateway, context: RequestContext, receive: Receive, send: Send) -> None:
    await send_json(send, 200, {"status": "ok", "models": len(gateway.engine.model_names())}, context.response_headers)


async def handle_metrics(gateway: Gateway, context: RequestContext, receive: Receive, send: Send) -> None:
    """Prometheus text format; needs a key like every other endpoint (the numbers reveal traffic and spend).

    With several workers, the totals of all of them: the others' numbers as of their last snapshot (≤ ~1 s old).
    """
    shared = gateway.shared_metrics
    metrics = await shared.totals() if shared is not None else gateway.metrics
    body = metrics.render().encode()
    headers = [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8"), *encode_headers(context.response_headers)]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _mask_embedding_input(gateway: Gateway, context: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """Texts sent for embedding carry PII too: the key's PII policy applies (masking needs no restore here)."""
    guard = gateway.guard_for(context)
    action = guard.settings.pii.action if guard is not None else "off"
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    if action == "off" or not all(isinstance(text, str) for text in texts):
        return body
    if action == "block":
        if any(detect_pii(text) for text in texts):
            raise GuardrailBlocked("The request was blocked because its input contains PII.", code="pii_detected")
        return body
    vault = Vault()
    masked = [mask_text(text, vault) for text in texts]
    masked_body = {**body, "input": masked if isinstance(body["input"], list) else masked[0]}
    context.body = masked_body  # the ledger never sees the originals
    return masked_body


async def handle_embeddings(gateway: Gateway, context: RequestContext, receive: Receive, send: Send) -> None:
    body = await gateway.read_json(context, receive)
    validate_embeddings(body)
    await admit(gateway, context, body["model"], routable=False)
    body = _mask_embedding_input(gateway, context, body)
    info = CallInfo()
    try:
        response, info = await gateway.engine.embed(body, info)
    except TenbinError as error:
        settle(gateway, context, info, error.status, error_type=error.code or error.error_type)
        error.recorded = True
        raise
    await send_json(send, 200, response, context.response_headers)
    settle(gateway, context, info, 200)


async def handle_feedback(gateway: Gateway, context: RequestContext, receive: Receive, send: Send) -> None:
    body = await gateway.read_json(context, receive)
    request_id, score, comment = body.get("request_id"), body.get("score"), body.get("comment")
    if not isinstance(request_id, str) or not request_id:
        raise InvalidRequest("Missing required parameter: 'request_id' (the x-request-id of the answer).", param="request_id")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise InvalidRequest("'score' must be a number from 0 (bad) to 1 (good).", param="score")
    if comment is not None and not isinstance(comment, str):
        raise InvalidRequest("'comment' must be a string.", param="comment")
    if gateway.database is None:
        raise InvalidRequest("This gateway runs without a database, so it cannot keep feedback.")
    name = context.principal.name if context.principal else None
    if request_id in gateway.recent_owners:
        owner = gateway.recent_owners[request_id]
    else:
        found = await asyncio.to_thread(request_owner, gateway.database, request_id)
        if found is None:
            raise NotFound(f"No answered chat request has the id {request_id!r}.", param="request_id",
                           code="request_not_found")
        owner = found[0]
    if owner != name and not (context.principal and context.principal.is_master):
        raise PermissionDenied("Feedback can only be given by the key that made the request.", param="request_id",
                               code="not_your_request")
    await asyncio.to_thread(add_feedback, gateway.database, request_id, float(score), name, comment)
    await send_json(send, 200, {"object": "feedback", "request_id": request_id, "score": float(score)}, context.response_headers)
