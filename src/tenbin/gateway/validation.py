"""Request validation for the OpenAI endpoints: fast, hand-written, naming the offending param.

Unknown fields pass through untouched: OpenAI adds fields often, and upstreams may understand them.
"""

from __future__ import annotations

from typing import Any

import orjson

from tenbin.errors import InvalidRequest

Body = dict[str, Any]

MESSAGE_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})
TOOL_CHOICE_WORDS = frozenset({"none", "auto", "required"})
RESPONSE_FORMATS = frozenset({"text", "json_object", "json_schema"})
MAX_EMBEDDING_DIMENSIONS = 16_384


def parse_json_body(raw: bytes) -> Body:
    if not raw:
        raise InvalidRequest("The request body is empty; send a JSON object.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidRequest(f"The request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number" if isinstance(value, int | float) else type(value).__name__
    )


def _fail(param: str, expected: str, value: Any) -> InvalidRequest:
    return InvalidRequest(f"Invalid type for '{param}': expected {expected}, but got {_type_name(value)}.", param=param)


def _number(body: Body, name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(name, "a number", value)
    if not low <= value <= high:
        raise InvalidRequest(f"'{name}' must be between {low:g} and {high:g}, got {value}.", param=name)


def _integer(body: Body, name: str, low: int, high: int | None = None) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(name, "an integer", value)
    if value < low or (high is not None and value > high):
        bound = f"at least {low}" if high is None else f"between {low} and {high}"
        raise InvalidRequest(f"'{name}' must be {bound}, got {value}.", param=name)


def _boolean(body: Body, name: str) -> None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise _fail(name, "a boolean", value)


def _string(body: Body, name: str) -> None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise _fail(name, "a string", value)


def _model(body: Body) -> None:
    model = body.get("model")
    if model is None:
        raise InvalidRequest("Missing required parameter: 'model'.", param="model")
    if not isinstance(model, str) or not model:
        raise _fail("model", "a non-empty string", model)


def _content_parts(parts: list[Any], param: str) -> None:
    for index, part in enumerate(parts):
        where = f"{param}[{index}]"
        if not isinstance(part, dict):
            raise _fail(where, "an object", part)
        kind = part.get("type")
        if kind not in PART_TYPES:
            raise InvalidRequest(f"Invalid value for '{where}.type': {kind!r}.", param=f"{where}.type")
        if kind == "text" and not isinstance(part.get("text"), str):
            raise _fail(f"{where}.text", "a string", part.get("text"))
        if kind == "image_url":
            image = part.get("image_url")
            if not isinstance(image, dict) or not isinstance(image.get("url"), str):
                raise InvalidRequest(f"'{where}.image_url.url' must be a string.", param=f"{where}.image_url.url")


def _message(message: Any, index: int) -> None:
    param = f"messages[{index}]"
    if not isinstance(message, dict):
        raise _fail(param, "an object", message)
    role = message.get("role")
    if role not in MESSAGE_ROLES:
        if role is None:
            raise InvalidRequest(f"Missing required parameter: '{param}.role'.", param=f"{param}.role")
        raise InvalidRequest(
            f"Invalid value for '{param}.role': {role!r}. Supported: {', '.join(sorted(MESSAGE_ROLES))}.",
            param=f"{param}.role",
        )
    content = message.get("content")
    if content is None:
        if role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
            pass
        elif "content" not in message:
            raise InvalidRequest(f"Missing required parameter: '{param}.content'.", param=f"{param}.content")
        elif role != "assistant":
            raise _fail(f"{param}.content", "a string or an array of content parts", content)
    elif isinstance(content, list):
        _content_parts(content, f"{param}.content")
    elif not isinstance(content, str):
        raise _fail(f"{param}.content", "a string or an array of content parts", content)
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        raise InvalidRequest(f"Missing required parameter: '{param}.tool_call_id'.", param=f"{param}.tool_call_id")
    tool_calls = message.get("tool_calls")
    if tool_calls is not None:
        if not isinstance(tool_calls, list):
            raise _fail(f"{param}.tool_calls", "an array", tool_calls)
        for call_index, call in enumerate(tool_calls):
            where = f"{param}.tool_calls[{call_index}]"
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise InvalidRequest(f"'{where}.function.name' must be a string.", param=f"{where}.function.name")


def _tools(body: Body) -> None:
    tools = body.get("tools")
    if tools is None:
        tools = []
    elif not isinstance(tools, list):
        raise _fail("tools", "an array", tools)
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type", "function") != "function" or not isinstance(function, dict):
            raise InvalidRequest(f"'tools[{index}]' must be a function tool.", param=f"tools[{index}]")
        if not isinstance(function.get("name"), str) or not function["name"]:
            raise InvalidRequest(f"Missing required parameter: 'tools[{index}].function.name'.", param=f"tools[{index}].function.name")
        parameters = function.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise _fail(f"tools[{index}].function.parameters", "an object", parameters)
    choice = body.get("tool_choice")
    if choice is None:
        return
    if isinstance(choice, str):
        if choice not in TOOL_CHOICE_WORDS:
            raise InvalidRequest(f"Invalid value for 'tool_choice': {choice!r}.", param="tool_choice")
        return
    function = choice.get("function") if isinstance(choice, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise InvalidRequest("'tool_choice' must be none, auto, required or a named function.", param="tool_choice")
    names = {tool["function"]["name"] for tool in tools}
    if choice["function"]["name"] not in names:
        raise InvalidRequest(f"'tool_choice' names an unknown function {choice['function']['name']!r}.", param="tool_choice")


def _stop(body: Body) -> None:
    stop = body.get("stop")
    if stop is None or isinstance(stop, str):
        return
    if not isinstance(stop, list) or not all(isinstance(item, str) for item in stop):
        raise _fail("stop", "a string or an array of strings", stop)
    if len(stop) > 4:
        raise InvalidRequest("'stop' takes at most 4 sequences.", param="stop")


def _response_format(body: Body) -> None:
    value = body.get("response_format")
    if value is None:
        return
    if not isinstance(value, dict):
        raise _fail("response_format", "an object", value)
    if value.get("type") not in RESPONSE_FORMATS:
        raise InvalidRequest(f"Invalid value for 'response_format.type': {value.get('type')!r}.", param="response_format.type")
    if value["type"] == "json_schema" and not isinstance(value.get("json_schema"), dict):
        raise InvalidRequest("Missing required parameter: 'response_format.json_schema'.", param="response_format.json_schema")


def validate_chat(body: Body) -> None:
    _model(body)
    messages = body.get("messages")
    if messages is None:
        raise InvalidRequest("Missing required parameter: 'messages'.", param="messages")
    if not isinstance(messages, list):
        raise _fail("messages", "an array", messages)
    if not messages:
        raise InvalidRequest("'messages' must contain at least one message.", param="messages")
    for index, message in enumerate(messages):
        _message(message, index)
    _number(body, "temperature", 0, 2)
    _number(body, "top_p", 0, 1)
    _number(body, "presence_penalty", -2, 2)
    _number(body, "frequency_penalty", -2, 2)
    _integer(body, "n", 1, 128)
    _integer(body, "max_tokens", 1)
    _integer(body, "max_completion_tokens", 1)
    _integer(body, "seed", -(2**63), 2**63 - 1)
    _integer(body, "top_logprobs", 0, 20)
    _boolean(body, "stream")
    _boolean(body, "logprobs")
    _boolean(body, "parallel_tool_calls")
    _string(body, "user")
    _stop(body)
    _tools(body)
    _response_format(body)
    options = body.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            raise _fail("stream_options", "an object", options)
        if not body.get("stream"):
            raise InvalidRequest("'stream_options' is only allowed when 'stream' is true.", param="stream_options")
        if "include_usage" in options and not isinstance(options["include_usage"], bool):
            raise _fail("stream_options.include_usage", "a boolean", options["include_usage"])


def validate_embeddings(body: Body) -> None:
    _model(body)
    value = body.get("input")
    if value is None:
        raise InvalidRequest("Missing required parameter: 'input'.", param="input")
    ok = isinstance(value, str) or (
        isinstance(value, list)
        and value
        and (
            all(isinstance(item, str) for item in value)
            or all(isinstance(item, int) and not isinstance(item, bool) for item in value)
            or all(isinstance(item, list) and all(isinstance(t, int) for t in item) for item in value)
        )
    )
    if not ok:
        raise InvalidRequest(
            "'input' must be a string, an array of strings, or an array of token arrays, and not empty.", param="input"
        )
    encoding = body.get("encoding_format")
    if encoding is not None and encoding not in ("float", "base64"):
        raise InvalidRequest(f"Invalid value for 'encoding_format': {encoding!r}.", param="encoding_format")
    _integer(body, "dimensions", 1, MAX_EMBEDDING_DIMENSIONS)
    _string(body, "user")
