"""A fake Gemini API on loopback: real HTTP, the REST wire format, and a record of what it was sent.

Every request body is checked the way the real service would see it: field names in camelCase, and each
part validated against the official SDK's pydantic types (``google.genai.types``, extra fields forbidden).
A body that fails gets Gemini's own 400 INVALID_ARGUMENT answer and lands in ``problems``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from google.genai import types
from pydantic import TypeAdapter, ValidationError

API_KEY = "test-gemini-key"

# What a GenerateContentRequest may hold, each with the SDK type that describes it.
_REQUEST_FIELDS: dict[str, TypeAdapter[Any]] = {
    "contents": TypeAdapter(list[types.Content]),
    "systemInstruction": TypeAdapter(types.Content),
    "tools": TypeAdapter(list[types.Tool]),
    "toolConfig": TypeAdapter(types.ToolConfig),
    "generationConfig": TypeAdapter(types.GenerationConfig),
    "safetySettings": TypeAdapter(list[types.SafetySetting]),
    "cachedContent": TypeAdapter(str),
}
_EMBED_FIELDS: dict[str, TypeAdapter[Any]] = {
    "model": TypeAdapter(str),
    "content": TypeAdapter(types.Content),
    "outputDimensionality": TypeAdapter(int),
    "taskType": TypeAdapter(str),
    "title": TypeAdapter(str),
}
# Free-form JSON inside the typed structure: user data, whose keys may be anything.
_FREE_FORM = frozenset({"args", "response", "parametersJsonSchema", "responseJsonSchema"})


@dataclass
class Received:
    method: str
    model: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    events: list[Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def text_response(text: str = "Hello from fake Gemini.", finish: str = "STOP", **usage: int) -> dict[str, Any]:
    meta = {"promptTokenCount": 11, "candidatesTokenCount": 5, "totalTokenCount": 16} | usage
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": finish}],
        "usageMetadata": meta,
        "modelVersion": "gemini-2.0-flash-001",
        "responseId": "fakeResponse123",
    }


def google_error(status: int, message: str, code: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": code}}


class FakeGemini:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.problems: list[str] = []
        self.replies: deque[Reply] = deque()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def reply_json(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.replies.append(Reply(status=status, body=body, headers=headers or {}))

    def reply_stream(self, events: list[Any]) -> None:
        """Events are GenerateContentResponse dicts, or raw strings sent as the data line."""
        self.replies.append(Reply(events=events))

    @property
    def last(self) -> Received:
        return self.received[-1]

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_post("/{version}/{resource:.+}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        resource, _, method = request.match_info["resource"].rpartition(":")
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return self._error(400, "Invalid JSON payload received.", "INVALID_ARGUMENT")
        self.received.append(Received(method, resource, dict(request.query), dict(request.headers), body))
        if request.match_info["version"] != "v1beta" or not resource.startswith("models/"):
            return self._error(404, f"{resource} is not found for API version {request.match_info['version']}",
                               "NOT_FOUND")
        if request.headers.get("x-goog-api-key") != API_KEY:
            return self._error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT")
        problem = self._check(method, body)
        if problem:
            self.problems.append(problem)
            return self._error(400, f"Invalid JSON payload received. {problem}", "INVALID_ARGUMENT")
        reply = self.replies.popleft() if self.replies else Reply(body=self._default(method, body))
        if reply.status >= 400 or method != "streamGenerateContent":
            return web.json_response(reply.body, status=reply.status, headers=reply.headers, dumps=_dumps)
        events = reply.events if reply.events is not None else [reply.body]
        if request.query.get("alt") != "sse":
            # Without alt=sse the real service answers with one JSON array of every response.
            return web.json_response(events, dumps=_dumps)
        return await self._sse(request, events)

    async def _sse(self, request: web.Request, events: list[Any]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for event in events:
            data = event if isinstance(event, str) else orjson.dumps(event).decode()
            await response.write(f"data: {data}\r\n\r\n".encode())
        await response.write_eof()
        return response

    def _error(self, status: int, message: str, code: str) -> web.Response:
        return web.json_response(google_error(status, message, code), status=status)

    def _default(self, method: str, body: Any) -> Any:
        if method == "batchEmbedContents":
            return {"embeddings": [{"values": [0.1, 0.2, 0.3]} for _ in body["requests"]]}
        return text_response()

    def _check(self, method: str, body: Any) -> str | None:
        if method in ("generateContent", "streamGenerateContent"):
            problem = _check_fields(body, _REQUEST_FIELDS, required=("contents",))
            roles = {content.get("role") for content in body.get("contents", []) if isinstance(content, dict)}
            if problem is None and not roles <= {"user", "model"}:
                problem = f"contents roles must be user or model, got {sorted(map(str, roles))}"
            return problem
        if method == "batchEmbedContents":
            requests = body.get("requests") if isinstance(body, dict) else None
            if not isinstance(requests, list) or set(body) != {"requests"}:
                return "batchEmbedContents takes {requests: [...]}"
            for request in requests:
                problem = _check_fields(request, _EMBED_FIELDS, required=("model", "content"))
                if problem:
                    return problem
            return None
        return f"unknown method {method}"


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _check_fields(body: Any, fields: dict[str, TypeAdapter[Any]], required: tuple[str, ...]) -> str | None:
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    unknown = sorted(set(body) - set(fields))
    if unknown:
        return f"Unknown name {unknown[0]!r}: Cannot find field."
    missing = [name for name in required if name not in body]
    if missing:
        return f"{missing[0]} is required"
    snake = _snake_case_key(body)
    if snake:
        return f"Unknown name {snake!r}: the REST API spells fields in camelCase."
    for name, adapter in fields.items():
        if name in body:
            try:
                adapter.validate_json(orjson.dumps(body[name]))
            except ValidationError as error:
                return f"{name}: {error.errors()[0]['loc']} {error.errors()[0]['msg']}"
    return None


def _snake_case_key(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, item in value.items():
            if "_" in key:
                return str(key)
            found = None if key in _FREE_FORM else _snake_case_key(item)
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _snake_case_key(item)
            if found:
                return found
    return None
