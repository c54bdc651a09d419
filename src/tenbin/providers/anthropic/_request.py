"""OpenAI chat-completions request body → Anthropic Messages request body."""

from __future__ import annotations

from typing import Any

from tenbin.errors import InvalidRequest
from tenbin.providers.anthropic._content import translate_messages
from tenbin.providers.anthropic._options import AnthropicOptions

Body = dict[str, Any]

# Accepted but not sent, as hints with no Anthropic counterpart that do not change what a correct answer
# is: seed, store, metadata, service_tier, prompt_cache_key, prompt_cache_retention, verbosity.
# stream_options needs nothing: streams always end with the upstream's usage.
_EFFORTS = {"low", "medium", "high", "xhigh"}
_TOOL_CHOICES = {"auto": {"type": "auto"}, "required": {"type": "any"}, "none": {"type": "none"}}


def build_request(body: Body, model: str, options: AnthropicOptions) -> Body:
    _refuse_inexpressible(body)
    system, turns = translate_messages(_messages(body))
    request: Body = {"model": model, "max_tokens": _max_tokens(body, options), "messages": turns}
    if system:
        request["system"] = system
    request.update(_sampling(body, options))
    stops = _stop_sequences(body.get("stop"))
    if stops:
        request["stop_sequences"] = stops
    user = body.get("safety_identifier") or body.get("user")
    if isinstance(user, str) and user:
        request["metadata"] = {"user_id": user}
    tools = _tools(body.get("tools"))
    if tools:
        request["tools"] = tools
        choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
        if choice is not None:
            request["tool_choice"] = choice
    output_config = _output_config(body)
    if output_config:
        request["output_config"] = output_config
    return request


def _messages(body: Body) -> list[Any]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages must be a non-empty list", param="messages")
    return messages


def _refuse_inexpressible(body: Body) -> None:
    """OpenAI features Anthropic cannot express: refused by name rather than silently dropped."""
    checks = {
        "n": (body.get("n") or 1) != 1,
        "logprobs": bool(body.get("logprobs")),
        "top_logprobs": bool(body.get("top_logprobs")),
        "logit_bias": bool(body.get("logit_bias")),
        "frequency_penalty": bool(body.get("frequency_penalty")),
        "presence_penalty": bool(body.get("presence_penalty")),
        "audio": body.get("audio") is not None,
        "modalities": body.get("modalities") not in (None, ["text"]),
        "prediction": body.get("prediction") is not None,
        "web_search_options": body.get("web_search_options") is not None,
        "functions": body.get("functions") is not None,
        "function_call": body.get("function_call") is not None,
    }
    for param, refused in checks.items():
        if refused:
            raise InvalidRequest(
                f"{param}={body.get(param)!r} is not supported by Anthropic models", param=param
            )


def _max_tokens(body: Body, options: AnthropicOptions) -> int:
    for param in ("max_completion_tokens", "max_tokens"):
        value = body.get(param)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidRequest(f"{param} must be a positive integer", param=param)
        return value
    return options.default_max_tokens


def _sampling(body: Body, options: AnthropicOptions) -> Body:
    sampling: Body = {}
    for param in ("temperature", "top_p"):
        value = body.get(param)
        if value is None or options.drop_sampling_params:
            continue
        if not options.accepts_sampling_params:
            raise InvalidRequest(
                f"{param} is not accepted by Anthropic API version {options.anthropic_version}; remove it, "
                "or set options.drop_sampling_params on this provider",
                param=param,
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise InvalidRequest(
                f"{param} must be between 0 and 1 for Anthropic models, got {value!r}", param=param
            )
        sampling[param] = value
    return sampling


def _stop_sequences(stop: Any) -> list[str]:
    if stop is None:
        return []
    stops = [stop] if isinstance(stop, str) else stop
    if not isinstance(stops, list) or not all(isinstance(item, str) for item in stops):
        raise InvalidRequest("stop must be a string or a list of strings", param="stop")
    return [item for item in stops if item]


def _tools(tools: Any) -> list[Body]:
    if not tools:
        return []
    if not isinstance(tools, list):
        raise InvalidRequest("tools must be a list", param="tools")
    translated = []
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if not isinstance(function, dict):
            raise InvalidRequest(
                f"tools[{index}]: only function tools can be sent to Anthropic", param=f"tools[{index}].type"
            )
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidRequest(
                f"tools[{index}].function.name is required", param=f"tools[{index}].function.name"
            )
        entry: Body = {
            "name": name,
            "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
        }
        if function.get("description"):
            entry["description"] = function["description"]
        if function.get("strict"):
            entry["strict"] = True
        translated.append(entry)
    return translated


def _tool_choice(choice: Any, parallel: Any) -> Body | None:
    if choice is None:
        translated: Body | None = None
    elif isinstance(choice, str) and choice in _TOOL_CHOICES:
        translated = dict(_TOOL_CHOICES[choice])
    elif isinstance(choice, dict) and choice.get("type") == "function":
        name = _field(choice.get("function"), "name")
        if not isinstance(name, str) or not name:
            raise InvalidRequest("tool_choice.function.name is required", param="tool_choice.function.name")
        translated = {"type": "tool", "name": name}
    else:
        raise InvalidRequest(
            f"tool_choice {choice!r} cannot be sent to Anthropic (auto, required, none or a named function can)",
            param="tool_choice",
        )
    if parallel is False and (translated is None or translated["type"] != "none"):
        translated = {**(translated or {"type": "auto"}), "disable_parallel_tool_use": True}
    return translated


def _output_config(body: Body) -> Body:
    config: Body = {}
    response_format = body.get("response_format")
    if not isinstance(response_format, dict):
        response_format = {"type": response_format}
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = _field(response_format.get("json_schema"), "schema")
        if not isinstance(schema, dict):
            raise InvalidRequest(
                "response_format.json_schema.schema must be an object", param="response_format"
            )
        config["format"] = {"type": "json_schema", "schema": schema}
    elif kind == "json_object":
        raise InvalidRequest(
            "response_format json_object has no Anthropic counterpart; send type json_schema with a schema instead",
            param="response_format",
        )
    elif kind not in (None, "text"):
        raise InvalidRequest(f"response_format type {kind!r} is not supported", param="response_format")
    effort = body.get("reasoning_effort")
    if effort is not None:
        if effort not in _EFFORTS:
            raise InvalidRequest(
                f"reasoning_effort {effort!r} cannot be sent to Anthropic (low, medium, high, xhigh can)",
                param="reasoning_effort",
            )
        config["effort"] = effort
    return config


def _field(container: Any, key: str) -> Any:
    return container.get(key) if isinstance(container, dict) else None
