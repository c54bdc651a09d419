"""OpenAI chat-completions request → Gemini ``GenerateContentRequest`` (REST wire format, camelCase)."""

from __future__ import annotations

from typing import Any

from tenbin.errors import InvalidRequest
from tenbin.providers.base import Body
from tenbin.providers.gemini.messages import convert_messages

# OpenAI parameters Gemini has no way to express; silently dropping them would change the answer.
_UNSUPPORTED = {
    "audio": "audio output is not available through this provider",
    "prediction": "predicted outputs have no Gemini equivalent",
    "web_search_options": "web search has no chat-completions equivalent in Gemini; use a Gemini tool upstream",
    "functions": "the legacy `functions` parameter is not supported; send `tools` instead",
    "function_call": "the legacy `function_call` parameter is not supported; send `tool_choice` instead",
}

# Token budgets behind reasoning_effort, as Google's own OpenAI compatibility layer documents them.
# "minimal" has no budget of its own there, so it gets the smallest non-zero one.
_THINKING_BUDGET = {"none": 0, "minimal": 1024, "low": 1024, "medium": 8192, "high": 24576}


def build_request(body: Body) -> Body:
    """The whole upstream request body for generateContent / streamGenerateContent."""
    _reject_unsupported(body)
    system, contents = convert_messages(body.get("messages"))
    request: Body = {"contents": contents}
    if system:
        request["systemInstruction"] = {"parts": system}
    declarations = _function_declarations(body.get("tools"))
    tool_config, declarations = _tool_config(body.get("tool_choice"), declarations)
    if declarations:
        request["tools"] = [{"functionDeclarations": declarations}]
    if tool_config:
        request["toolConfig"] = {"functionCallingConfig": tool_config}
    config = generation_config(body)
    if config:
        request["generationConfig"] = config
    return request


def _reject_unsupported(body: Body) -> None:
    for param, reason in _UNSUPPORTED.items():
        if body.get(param) is not None:
            raise InvalidRequest(f"`{param}` is not supported for Gemini models: {reason}", param=param)
    if body.get("logit_bias"):
        raise InvalidRequest("`logit_bias` is not supported for Gemini models", param="logit_bias")
    if body.get("parallel_tool_calls") is False:
        raise InvalidRequest(
            "`parallel_tool_calls: false` is not supported for Gemini models: Gemini cannot be told to call "
            "at most one tool at a time",
            param="parallel_tool_calls",
        )
    modalities = body.get("modalities")
    if modalities not in (None, ["text"]):
        raise InvalidRequest("Gemini models served here only produce text; use `modalities: [\"text\"]`",
                             param="modalities")


def generation_config(body: Body) -> Body:
    config: Body = {}
    _copy_number(body, "temperature", config, "temperature")
    _copy_number(body, "top_p", config, "topP")
    _copy_number(body, "presence_penalty", config, "presencePenalty")
    _copy_number(body, "frequency_penalty", config, "frequencyPenalty")
    limit_param = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    _copy_number(body, limit_param, config, "maxOutputTokens", integer=True)
    _copy_number(body, "n", config, "candidateCount", integer=True)
    _copy_number(body, "seed", config, "seed", integer=True)
    stop = body.get("stop")
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else stop
        if not isinstance(stops, list) or not all(isinstance(item, str) for item in stops):
            raise InvalidRequest("`stop` must be a string or a list of strings", param="stop")
        if stops:
            config["stopSequences"] = stops
    if body.get("logprobs"):
        config["responseLogprobs"] = True
        _copy_number(body, "top_logprobs", config, "logprobs", integer=True)
    config.update(_response_format(body.get("response_format")))
    effort = body.get("reasoning_effort")
    if effort is not None:
        if not isinstance(effort, str) or effort not in _THINKING_BUDGET:
            known = ", ".join(_THINKING_BUDGET)
            raise InvalidRequest(f"`reasoning_effort` must be one of {known}", param="reasoning_effort")
        config["thinkingConfig"] = {"thinkingBudget": _THINKING_BUDGET[effort]}
    return config


def _copy_number(body: Body, key: str, target: Body, wire_key: str, *, integer: bool = False) -> None:
    value = body.get(key)
    if value is None:
        return
    wanted: tuple[type, ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, wanted):
        raise InvalidRequest(f"`{key}` must be {'an integer' if integer else 'a number'}", param=key)
    target[wire_key] = value


def _response_format(response_format: Any) -> Body:
    if response_format is None:
        return {}
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "text":
        return {}
    if kind == "json_object":
        return {"responseMimeType": "application/json"}
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict):
            raise InvalidRequest("`response_format.json_schema` must be an object",
                                 param="response_format.json_schema")
        config: Body = {"responseMimeType": "application/json"}
        if spec.get("schema") is not None:
            # responseJsonSchema takes plain JSON Schema, so the client's schema passes through untouched.
            config["responseJsonSchema"] = spec["schema"]
        return config
    raise InvalidRequest("`response_format.type` must be text, json_object or json_schema",
                         param="response_format.type")


def _function_declarations(tools: Any) -> list[Body]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise InvalidRequest("`tools` must be a list", param="tools")
    declarations = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type") != "function":
            raise InvalidRequest(
                f"tools[{index}]: only tools of type `function` can be sent to Gemini models",
                param=f"tools[{index}].type",
            )
        function = tool.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise InvalidRequest(f"tools[{index}].function.name is required", param=f"tools[{index}].function.name")
        declaration: Body = {"name": function["name"]}
        if function.get("description"):
            declaration["description"] = function["description"]
        if function.get("parameters") is not None:
            # parametersJsonSchema accepts full JSON Schema, unlike the OpenAPI subset of `parameters`.
            declaration["parametersJsonSchema"] = function["parameters"]
        declarations.append(declaration)
    return declarations


def _tool_config(choice: Any, declarations: list[Body]) -> tuple[Body | None, list[Body]]:
    """functionCallingConfig for tool_choice, and the declarations left after an allowed_tools filter."""
    if choice is None:
        return None, declarations
    if not declarations:
        if choice == "none":
            return None, declarations
        raise InvalidRequest("`tool_choice` needs `tools`", param="tool_choice")
    if choice in ("none", "auto", "required"):
        return {"mode": {"none": "NONE", "auto": "AUTO", "required": "ANY"}[choice]}, declarations
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind == "function":
        name = _tool_name(choice.get("function"), "tool_choice.function.name")
        if name not in {declaration["name"] for declaration in declarations}:
            raise InvalidRequest(f"`tool_choice` names {name!r}, which is not among `tools`",
                                 param="tool_choice.function.name")
        return {"mode": "ANY", "allowedFunctionNames": [name]}, declarations
    if kind == "allowed_tools":
        allowed = choice.get("allowed_tools") or {}
        tools = allowed.get("tools") if isinstance(allowed, dict) else None
        if not isinstance(tools, list):
            raise InvalidRequest("`tool_choice.allowed_tools.tools` must be a list",
                                 param="tool_choice.allowed_tools.tools")
        names = [
            _tool_name(tool.get("function") if isinstance(tool, dict) else None,
                       f"tool_choice.allowed_tools.tools[{index}].function.name")
            for index, tool in enumerate(tools)
        ]
        if allowed.get("mode") == "required":
            return {"mode": "ANY", "allowedFunctionNames": names}, declarations
        # Gemini only restricts names in ANY mode, so "auto among these" declares just these.
        return {"mode": "AUTO"}, [d for d in declarations if d["name"] in names]
    raise InvalidRequest(
        "`tool_choice` must be none, auto, required, a function, or allowed_tools", param="tool_choice"
    )


def _tool_name(function: Any, param: str) -> str:
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise InvalidRequest(f"`{param}` is required", param=param)
    return str(function["name"])
