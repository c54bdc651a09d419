"""OpenAI chat messages → Anthropic ``system`` blocks and alternating user / assistant turns."""

from __future__ import annotations

import re
from typing import Any

import orjson

from tenbin.errors import InvalidRequest

Block = dict[str, Any]

_DATA_URL = re.compile(r"^data:(?P<type>[^;,]+)(?P<params>(;[^;,]*)*),(?P<data>.*)$", re.DOTALL)
_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def translate_messages(messages: list[Any]) -> tuple[list[Block], list[Block]]:
    """(system text blocks, turns); same-role neighbours merge because Anthropic needs alternation."""
    system: list[Block] = []
    turns: list[Block] = []
    for index, message in enumerate(messages):
        path = f"messages[{index}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{path} must be an object", param=path)
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(_text_blocks(message.get("content"), f"{path}.content"))
            continue
        if role == "user":
            blocks = _user_blocks(message.get("content"), f"{path}.content")
        elif role == "assistant":
            blocks = _assistant_blocks(message, path)
        elif role == "tool":
            blocks = [_tool_result(message, path)]
        else:
            raise InvalidRequest(
                f"{path}.role {role!r} cannot be sent to Anthropic (use system, developer, user, assistant or tool)",
                param=f"{path}.role",
            )
        if not blocks:
            continue
        speaker = "assistant" if role == "assistant" else "user"
        if turns and turns[-1]["role"] == speaker:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": speaker, "content": blocks})
    if not turns:
        raise InvalidRequest(
            "messages must contain at least one non-empty user or assistant message for Anthropic",
            param="messages",
        )
    return system, [_compact(turn) for turn in turns]


def _compact(turn: Block) -> Block:
    # A lone plain text block is sent as a plain string, the API's own shorthand.
    content = turn["content"]
    if len(content) == 1 and content[0].keys() == {"type", "text"} and content[0]["type"] == "text":
        return {"role": turn["role"], "content": content[0]["text"]}
    return turn


def _text_blocks(content: Any, path: str) -> list[Block]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        raise InvalidRequest(f"{path} must be a string or a list of content parts", param=path)
    blocks = []
    for index, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in ("text", "refusal"):
            raise InvalidRequest(
                f"{path}[{index}]: only text parts are allowed here, got {kind!r}", param=f"{path}[{index}]"
            )
        text = part.get(kind)
        if not isinstance(text, str):
            raise InvalidRequest(f"{path}[{index}].{kind} must be a string", param=f"{path}[{index}].{kind}")
        if text:
            blocks.append({"type": "text", "text": text})
    return blocks


def _user_blocks(content: Any, path: str) -> list[Block]:
    if not isinstance(content, list):
        return _text_blocks(content, path)
    blocks = []
    for index, part in enumerate(content):
        part_path = f"{path}[{index}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            blocks.extend(_text_blocks([part], path))
        elif kind == "image_url":
            blocks.append(_image_block(part.get("image_url"), f"{part_path}.image_url"))
        elif kind == "file":
            blocks.append(_document_block(part.get("file"), f"{part_path}.file"))
        else:
            raise InvalidRequest(
                f"{part_path}: content part type {kind!r} cannot be sent to Anthropic (text, image_url and PDF files can)",
                param=f"{part_path}.type",
            )
    return blocks


def _image_block(image: Any, path: str) -> Block:
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str) or not url:
        raise InvalidRequest(f"{path}.url must be a non-empty string", param=f"{path}.url")
    if url.startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    media_type, data = _base64_data_url(url, f"{path}.url")
    media_type = "image/jpeg" if media_type == "image/jpg" else media_type
    if media_type not in _IMAGE_TYPES:
        raise InvalidRequest(
            f"{path}.url: image type {media_type!r} is not accepted by Anthropic (jpeg, png, gif, webp are)",
            param=f"{path}.url",
        )
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def _document_block(file: Any, path: str) -> Block:
    data_url = file.get("file_data") if isinstance(file, dict) else None
    if not isinstance(data_url, str):
        raise InvalidRequest(
            f"{path}: Anthropic needs the file inline as file_data (a data URL); file_id cannot be resolved",
            param=f"{path}.file_data",
        )
    media_type, data = _base64_data_url(data_url, f"{path}.file_data")
    if media_type != "application/pdf":
        raise InvalidRequest(
            f"{path}.file_data: only PDF files can be sent to Anthropic, got {media_type!r}",
            param=f"{path}.file_data",
        )
    return {"type": "document", "source": {"type": "base64", "media_type": media_type, "data": data}}


def _base64_data_url(url: str, path: str) -> tuple[str, str]:
    match = _DATA_URL.match(url)
    if match is None or ";base64" not in match["params"]:
        raise InvalidRequest(
            f"{path} must be an http(s) URL or a base64 data URL (data:<type>;base64,...)", param=path
        )
    return match["type"].strip().lower(), match["data"]


def _assistant_blocks(message: Block, path: str) -> list[Block]:
    blocks = _text_blocks(message.get("content"), f"{path}.content")
    tool_calls = message.get("tool_calls") or []
    if not isinstance(tool_calls, list):
        raise InvalidRequest(f"{path}.tool_calls must be a list", param=f"{path}.tool_calls")
    for index, call in enumerate(tool_calls):
        call_path = f"{path}.tool_calls[{index}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not call.get("id"):
            raise InvalidRequest(f"{call_path} needs an id and a function with a name", param=call_path)
        blocks.append(
            {
                "type": "tool_use",
                "id": str(call["id"]),
                "name": function["name"],
                "input": _arguments(function.get("arguments"), f"{call_path}.function.arguments"),
            }
        )
    return blocks


def _arguments(arguments: Any, path: str) -> dict[str, Any]:
    if arguments in (None, ""):
        return {}
    if isinstance(arguments, dict):
        return arguments
    try:
        parsed = orjson.loads(arguments) if isinstance(arguments, str | bytes) else None
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise InvalidRequest(f"{path} must be a JSON object encoded as a string", param=path)
    return parsed


def _tool_result(message: Block, path: str) -> Block:
    tool_call_id = message.get("tool_call_id")
    if not isinstance(tool_call_id, str) or not tool_call_id:
        raise InvalidRequest(f"{path}.tool_call_id is required for role tool", param=f"{path}.tool_call_id")
    content = message.get("content")
    result: Block = {"type": "tool_result", "tool_use_id": tool_call_id}
    if isinstance(content, str):
        result["content"] = content
    else:
        result["content"] = _text_blocks(content, f"{path}.content")
    return result
