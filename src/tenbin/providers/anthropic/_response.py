"""Anthropic Message (and its usage, stop reasons, error events) → OpenAI chat-completion shapes."""

from __future__ import annotations

import time
from typing import Any

import orjson

from tenbin.errors import TenbinError, UpstreamError
from tenbin.providers._http import error_for_status

Body = dict[str, Any]

_FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
# The HTTP status Anthropic documents for each error type; used for errors that arrive inside a stream.
_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def finish_reason(stop_reason: Any) -> str:
    return _FINISH_REASONS.get(stop_reason, "stop") if stop_reason else "stop"


def openai_usage(usage: Any) -> Body:
    """Cache reads and writes are input tokens too: OpenAI's prompt_tokens counts them all."""
    usage = usage if isinstance(usage, dict) else {}
    cache_read = int(usage.get("cache_read_input_tokens") or 0)
    cache_write = int(usage.get("cache_creation_input_tokens") or 0)
    prompt = int(usage.get("input_tokens") or 0) + cache_read + cache_write
    completion = int(usage.get("output_tokens") or 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cache_read},
    }


def error_from_event(data: Any) -> TenbinError:
    error = data.get("error") if isinstance(data, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    return error_for_status(_ERROR_STATUS.get(str(kind), 500), orjson.dumps(data), None, "anthropic")


def completion_from_message(message: Any, model: str) -> Body:
    if isinstance(message, dict) and message.get("type") == "error":
        raise error_from_event(message)
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        raise UpstreamError("anthropic upstream sent a body that is not a Message")
    texts: list[str] = []
    tool_calls: list[Body] = []
    for block in message["content"]:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text") or ""))
        elif kind == "tool_use":
            tool_calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {
                        "name": block.get("name"),
                        "arguments": orjson.dumps(block.get("input") or {}).decode(),
                    },
                }
            )
    reply: Body = {"role": "assistant", "content": "".join(texts) or None, "refusal": None}
    if tool_calls:
        reply["tool_calls"] = tool_calls
    return {
        "id": message.get("id") or "msg_unknown",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": message.get("model") or model,
        "choices": [
            {
                "index": 0,
                "message": reply,
                "finish_reason": finish_reason(message.get("stop_reason")),
                "logprobs": None,
            }
        ],
        "usage": openai_usage(message.get("usage")),
    }
