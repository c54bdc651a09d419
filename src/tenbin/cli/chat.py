"""`tenbin chat "…"`: a quick question to a running gateway, streamed to the terminal."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Annotated

import typer

from tenbin.cli.common import fail


def chat(
    prompt: Annotated[str, typer.Argument(help="What to ask.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model name as the gateway lists it.")] = "mock",
    base_url: Annotated[str, typer.Option(help="The gateway's /v1 URL.", envvar="TENBIN_BASE_URL")] = "http://127.0.0.1:4000/v1",
    api_key: Annotated[str | None, typer.Option(help="Key (default $TENBIN_API_KEY or $TENBIN_MASTER_KEY).")] = None,
    system: Annotated[str | None, typer.Option(help="A system prompt.")] = None,
) -> None:
    """Ask a running gateway one question and stream the answer."""
    key = api_key or os.environ.get("TENBIN_API_KEY") or os.environ.get("TENBIN_MASTER_KEY") or "none"
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    body = json.dumps({"model": model, "messages": messages, "stream": True}).encode()
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/chat/completions",
        data=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            for raw in response:
                line = raw.decode("utf-8").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                event = json.loads(data)
                if "error" in event:
                    fail(event["error"].get("message", "the stream failed"))
                for choice in event.get("choices", []):
                    typer.echo((choice.get("delta") or {}).get("content") or "", nl=False)
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = str(error)
        fail(f"{error.code}: {message}")
    except urllib.error.URLError as error:
        fail(f"cannot reach the gateway at {base_url}: {error.reason}")
    typer.echo()
