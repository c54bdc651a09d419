"""A fake OpenAI-compatible upstream on loopback: streamed chat completions, /v1/models with pricing.

Each test passes a ``responder(model, messages) -> str``; the server streams that text in small chunks with
a final usage chunk, counts calls per model, and can fail the first call of a prompt with 503.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.conftest import free_port

Responder = Callable[[str, list[dict[str, Any]]], str]


class FakeServer:
    def __init__(
        self,
        responder: Responder,
        models: dict[str, dict[str, float] | None],
        *,
        delay_s: float = 0.0,
        flaky: set[str] | None = None,
    ) -> None:
        self.responder, self.models, self.delay_s = responder, models, delay_s
        self.flaky = flaky or set()
        self.calls: Counter[str] = Counter()
        self._failed: set[str] = set()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    async def _models(self, request: web.Request) -> web.Response:
        data = []
        for name, price in self.models.items():
            entry: dict[str, Any] = {"id": name, "object": "model", "created": 0, "owned_by": "fake"}
            if price:
                entry["pricing"] = price
            data.append(entry)
        return web.json_response({"object": "list", "data": data})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        model, messages = body["model"], body["messages"]
        if model not in self.models:
            return web.json_response(
                {"error": {"message": f"no model {model}", "type": "invalid_request_error"}}, status=404
            )
        key = model + json.dumps(messages, sort_keys=True)
        if model in self.flaky and key not in self._failed:
            self._failed.add(key)
            return web.json_response({"error": {"message": "try again", "type": "server_error"}}, status=503)
        self.calls[model] += 1
        text = self.responder(model, messages)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model}
        for i in range(0, len(text), 4):
            chunk = base | {
                "choices": [{"index": 0, "delta": {"content": text[i : i + 4]}, "finish_reason": None}]
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        final = base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        await response.write(f"data: {json.dumps(final)}\n\n".encode())
        prompt_tokens = sum(len(str(m["content"])) for m in messages) // 4 + 1
        usage = base | {
            "choices": [],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": len(text) // 4 + 1,
                "total_tokens": 0,
            },
        }
        await response.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())
        return response

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> FakeServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
