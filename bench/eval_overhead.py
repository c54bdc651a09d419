"""How much time does the eval harness itself add?

1,000 items against a mock model that takes 200 ms per call, at concurrency 64. Prints, from one run:
  ideal      ceil(items / concurrency) × latency (perfect batching, zero overhead)
  raw        the same calls through the same backend in a bare asyncio loop (the baseline)
  harness    `run_eval` end to end: load, call, score, write items/results/outcomes/report
  cached     the same run again, every response from the cache
and the harness's own overhead per item.

    python bench/eval_overhead.py [--items 1000] [--latency 0.2] [--concurrency 64] [--backend engine|http]

``engine`` (default) uses the gateway engine in-process with the built-in mock provider (needs tenbin installed
so its provider entry points exist); ``http`` uses a local aiohttp fake OpenAI server and the openai client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tenbin.evals.backends import Backend, EngineBackend, OpenAIBackend
from tenbin.evals.runner import RunConfig, run_eval

REPLY = "考え方: 9 × 2 = 18。\n#### 18"


def make_suite(folder: Path, items: int) -> Path:
    path = folder / "bench_items.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(items):
            fh.write(
                json.dumps({"id": i, "input": f"問題 {i}: 9 × 2 は？", "target": 18}, ensure_ascii=False)
                + "\n"
            )
    return path


def engine_backend(folder: Path, latency: float) -> Backend:
    config = folder / "bench.yaml"
    config.write_text(
        "providers:\n  mock:\n    type: mock\n    options:\n"
        f"      latency_s: {latency}\n      reply: {json.dumps(REPLY, ensure_ascii=False)}\n"
        "models:\n  - name: mock-200ms\n    provider: mock\n    model: mock\n"
        "    price: {input_per_mtok: 0.5, output_per_mtok: 1.5}\n",
        encoding="utf-8",
    )
    return EngineBackend(str(config))


def http_backend(latency: float) -> Backend:
    from aiohttp import web

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "mock-200ms", "object": "model"}]})

    async def chat(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(latency)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        chunk = {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "mock-200ms",
            "choices": [{"index": 0, "delta": {"content": REPLY}, "finish_reason": "stop"}],
        }
        usage = chunk | {
            "choices": [],
            "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18},
        }
        await response.write(
            f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode()
        )
        return response

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ready = threading.Event()

    def serve() -> None:
        loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_get("/v1/models", models)
        app.router.add_post("/v1/chat/completions", chat)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    ready.wait(10)
    return OpenAIBackend(f"http://127.0.0.1:{port}/v1")


async def raw_calls(backend: Backend, items: int, concurrency: int) -> float:
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            await backend.complete(
                "mock-200ms",
                [{"role": "user", "content": f"問題 {i}: 9 × 2 は？"}],
                {"temperature": 0.0, "max_tokens": 64},
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(items)))
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        suite = make_suite(folder, args.items)
        backend = (
            engine_backend(folder, args.latency) if args.backend == "engine" else http_backend(args.latency)
        )
        try:
            raw = await raw_calls(backend, args.items, args.concurrency)
            timings = []
            for label in ("harness", "cached"):
                cfg = RunConfig(
                    models=["mock-200ms"],
                    suites=[f"{suite}@numeric"],
                    out=folder / label,
                    concurrency=args.concurrency,
                    cache=folder / "cache.jsonl",
                )
                started = time.perf_counter()
                document = await run_eval(cfg, backend)
                timings.append(time.perf_counter() - started)
                assert document["results"]["mock-200ms"]["bench_items"]["score"] == 1.0
        finally:
            await backend.aclose()
    ideal = math.ceil(args.items / args.concurrency) * args.latency
    harness, cached = timings
    return {
        "backend": args.backend,
        "items": args.items,
        "latency_s": args.latency,
        "concurrency": args.concurrency,
        "ideal_s": round(ideal, 3),
        "raw_backend_s": round(raw, 3),
        "harness_s": round(harness, 3),
        "cached_rerun_s": round(cached, 3),
        "harness_vs_ideal": round(harness / ideal, 3),
        "harness_overhead_ms_per_item": round(1000 * (harness - raw) / args.items, 3),
        "cached_ms_per_item": round(1000 * cached / args.items, 3),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--backend", choices=("engine", "http"), default="engine")
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
