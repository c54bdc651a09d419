"""With no config file: find providers from the environment and from local servers on their default ports."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Mapping
from typing import Any

from tenbin.config import Settings, settings_from_dict

# Well-known models offered when a provider's key is present (list prices, USD per million tokens).
HOSTED_MODELS: dict[str, list[tuple[str, float, float]]] = {
    "openai": [("gpt-4o-mini", 0.15, 0.60), ("gpt-4o", 2.50, 10.00), ("gpt-4.1-mini", 0.40, 1.60)],
    "anthropic": [("claude-haiku-4-5", 1.00, 5.00), ("claude-sonnet-4-5", 3.00, 15.00)],
    "gemini": [("gemini-2.5-flash", 0.30, 2.50), ("gemini-2.5-pro", 1.25, 10.00)],
}
KEY_VARIABLES = {"openai": ("OPENAI_API_KEY",), "anthropic": ("ANTHROPIC_API_KEY",), "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
# OpenAI-compatible servers people run locally, on their default ports.
LOCAL_SERVERS = {"ollama": "http://127.0.0.1:11434/v1", "vllm": "http://127.0.0.1:8000/v1", "llamacpp": "http://127.0.0.1:8080/v1"}
MOCK_MODEL = "mock"


def _local_models(base_url: str, timeout_s: float) -> list[str]:
    """The model ids a local OpenAI-compatible server lists, or [] when nothing answers like one."""
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=timeout_s) as response:
            payload = json.loads(response.read())
    except Exception:  # whatever listens there (or nothing) is not an OpenAI-compatible server
        return []
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        return []
    return [str(item["id"]) for item in data if isinstance(item, dict) and item.get("id")]


def discover(environ: Mapping[str, str] | None = None, probe_timeout_s: float = 0.3) -> Settings:
    environ = os.environ if environ is None else environ
    providers: dict[str, Any] = {}
    models: list[dict[str, Any]] = []
    for kind, variables in KEY_VARIABLES.items():
        key = next((environ[name] for name in variables if environ.get(name)), None)
        if key is None:
            continue
        providers[kind] = {"type": kind, "api_key": key}
        for model, price_in, price_out in HOSTED_MODELS[kind]:
            price = {"input_per_mtok": price_in, "output_per_mtok": price_out}
            models.append({"name": model, "provider": kind, "model": model, "price": price})
    for name, base_url in LOCAL_SERVERS.items():
        found = _local_models(base_url, probe_timeout_s)
        if found:
            providers[name] = {"type": "openai", "base_url": base_url}
            models.extend({"name": model, "provider": name, "model": model, "price": {}} for model in found)
    providers["mock"] = {"type": "mock"}
    models.append({"name": MOCK_MODEL, "provider": "mock", "model": "mock", "price": {}})
    return settings_from_dict({"providers": providers, "models": models})
