"""Walk the text inside an OpenAI chat-completions request or response, in place.

Content may be a string or a list of parts; tool-call arguments are JSON text whose string values are
visited one by one (so a replacement can never break the JSON), falling back to the raw text when the
arguments do not parse.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

TextFn = Callable[[str], str]


class GuardInputError(ValueError):
    """The request or response does not have the chat-completions shape the guard expects."""


def request_messages(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        raise GuardInputError(f"request body must be a JSON object, got {type(body).__name__}")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise GuardInputError("request body needs a 'messages' list")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise GuardInputError(f"messages[{index}] must be an object, got {type(message).__name__}")
    return messages


def iter_content_texts(message: dict[str, Any]) -> Iterator[str]:
    """The plain text a message carries (not tool-call arguments)."""
    content = message.get("content")
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                yield part["text"]


def iter_all_texts(message: dict[str, Any]) -> Iterator[str]:
    yield from iter_content_texts(message)
    for call in _tool_calls(message):
        arguments = call.get("arguments")
        if isinstance(arguments, str):
            yield arguments


def rewrite_message(message: dict[str, Any], content_fn: TextFn, arguments_fn: TextFn | None = None) -> None:
    """Apply `content_fn` to every text of the message and `arguments_fn` (default: the same, per JSON
    string value) to tool-call arguments, in place."""
    content = message.get("content")
    if isinstance(content, str):
        message["content"] = content_fn(content)
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                part["text"] = content_fn(part["text"])
    for call in _tool_calls(message):
        arguments = call.get("arguments")
        if isinstance(arguments, str):
            call["arguments"] = (
                arguments_fn(arguments) if arguments_fn else rewrite_json_strings(arguments, content_fn)
            )


def rewrite_json_strings(text: str, fn: TextFn) -> str:
    """Apply `fn` to every string value (and key) inside JSON text; to the raw text when it is not JSON."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return fn(text)
    return json.dumps(_map_strings(parsed, fn), ensure_ascii=False)


def _map_strings(value: Any, fn: TextFn) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_map_strings(item, fn) for item in value]
    if isinstance(value, dict):
        return {fn(key): _map_strings(item, fn) for key, item in value.items()}
    return value


def _tool_calls(message: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The function objects of tool_calls (and the legacy function_call)."""
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            if isinstance(call, dict) and isinstance(call.get("function"), dict):
                yield call["function"]
    legacy = message.get("function_call")
    if isinstance(legacy, dict):
        yield legacy
