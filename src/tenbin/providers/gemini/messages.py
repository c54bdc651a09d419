"""OpenAI chat messages → Gemini ``systemInstruction`` parts and ``contents``."""

from __future__ import annotations

import binascii
import mimetypes
import re
from base64 import b64decode
from typing import Any
from urllib.parse import urlsplit

import orjson

from tenbin.errors import InvalidRequest
from tenbin.providers.base import Body

# Gemini 3 rejects replayed function calls without a thought signature; Google documents this value for
# histories the model did not produce (another provider's, or a client that dropped the signature).
SKIP_SIGNATURE = "skip_thought_signature_validator"

_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?);base64,(?P<data>.*)", re.DOTALL)
_AUDIO_MIME = {"wav": "audio/wav", "mp3": "audio/mp3"}


def convert_messages(messages: Any) -> tuple[list[Body], list[Body]]:
    """(system parts, contents); tool results find their function name through the earlier call id."""
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("`messages` must be a non-empty list", param="messages")
    system: list[Body] = []
    contents: list[Body] = []
    call_names: dict[str, str] = {}
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{where} must be an object", param=where)
        role = message.get("role")
        if role in ("system", "developer"):
            # Gemini has one system instruction, so every system or developer message joins it, in order.
            system.extend(_text_parts(message.get("content"), where))
        elif role == "user":
            contents.append({"role": "user", "parts": _user_parts(message.get("content"), where)})
        elif role == "assistant":
            parts = _assistant_parts(message, where, call_names)
            if parts:
                contents.append({"role": "model", "parts": parts})
        elif role in ("tool", "function"):
            _append_tool_result(contents, _function_response(message, where, call_names))
        else:
            raise InvalidRequest(f"{where}.role {role!r} is not a chat role", param=f"{where}.role")
    if not contents:
        raise InvalidRequest("`messages` needs at least one user message besides system prompts", param="messages")
    return system, contents


def _append_tool_result(contents: list[Body], part: Body) -> None:
    # Parallel calls are answered by one user turn that holds every functionResponse.
    last = contents[-1] if contents else None
    if last is not None and last["role"] == "user" and all("functionResponse" in p for p in last["parts"]):
        last["parts"].append(part)
    else:
        contents.append({"role": "user", "parts": [part]})


def _text_parts(content: Any, where: str) -> list[Body]:
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content must be a string or a list of parts", param=f"{where}.content")
    parts = []
    for index, part in enumerate(content):
        if not isinstance(part, dict) or part.get("type") not in ("text", "refusal"):
            raise InvalidRequest(
                f"{where}.content[{index}]: only text parts are allowed in this message",
                param=f"{where}.content[{index}].type",
            )
        text = part.get("text") if part["type"] == "text" else part.get("refusal")
        if not isinstance(text, str):
            raise InvalidRequest(f"{where}.content[{index}] has no text", param=f"{where}.content[{index}]")
        parts.append({"text": text})
    return parts


def _user_parts(content: Any, where: str) -> list[Body]:
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list) or not content:
        raise InvalidRequest(f"{where}.content must be a string or a non-empty list of parts",
                             param=f"{where}.content")
    return [_user_part(part, f"{where}.content[{index}]") for index, part in enumerate(content)]


def _user_part(part: Any, where: str) -> Body:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text":
        if not isinstance(part.get("text"), str):
            raise InvalidRequest(f"{where}.text must be a string", param=f"{where}.text")
        return {"text": part["text"]}
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        if not isinstance(url, str):
            raise InvalidRequest(f"{where}.image_url.url is required", param=f"{where}.image_url.url")
        return _media_part(url, f"{where}.image_url.url")
    if kind == "input_audio":
        audio = part.get("input_audio")
        audio_format = audio.get("format") if isinstance(audio, dict) else None
        mime = _AUDIO_MIME.get(audio_format) if isinstance(audio_format, str) else None
        if audio is None or mime is None:
            raise InvalidRequest(f"{where}.input_audio.format must be wav or mp3", param=f"{where}.input_audio.format")
        return {"inlineData": {"mimeType": mime, "data": _base64(audio.get("data"), f"{where}.input_audio.data")}}
    if kind == "file":
        return _file_part(part.get("file"), where)
    raise InvalidRequest(
        f"{where}: content parts of type {kind!r} cannot be sent to Gemini models "
        "(text, image_url, input_audio and file can)",
        param=f"{where}.type",
    )


def _media_part(url: str, param: str) -> Body:
    """Data URLs travel inline; http(s) and gs:// URLs are passed by reference for Gemini to fetch."""
    if url.startswith("data:"):
        match = _DATA_URL.fullmatch(url)
        if match is None or not match.group("mime"):
            raise InvalidRequest(f"{param}: a data URL must look like data:<mime type>;base64,<data>", param=param)
        return {"inlineData": {"mimeType": match.group("mime"), "data": _base64(match.group("data"), param)}}
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https", "gs"):
        raise InvalidRequest(f"{param}: Gemini takes data:, http(s):// or gs:// URLs, not {scheme or 'this'}",
                             param=param)
    file_data: Body = {"fileUri": url}
    mime, _ = mimetypes.guess_type(urlsplit(url).path)
    if mime:
        file_data = {"mimeType": mime, **file_data}
    return {"fileData": file_data}


def _file_part(file: Any, where: str) -> Body:
    if not isinstance(file, dict):
        raise InvalidRequest(f"{where}.file must be an object", param=f"{where}.file")
    if file.get("file_id") is not None:
        raise InvalidRequest(f"{where}.file.file_id: OpenAI file ids mean nothing to Gemini; send file_data",
                             param=f"{where}.file.file_id")
    data = file.get("file_data")
    if not isinstance(data, str):
        raise InvalidRequest(f"{where}.file.file_data is required", param=f"{where}.file.file_data")
    if data.startswith("data:"):
        return _media_part(data, f"{where}.file.file_data")
    mime, _ = mimetypes.guess_type(str(file.get("filename") or ""))
    if mime is None:
        raise InvalidRequest(
            f"{where}.file: send file_data as a data URL, or a filename that tells its type",
            param=f"{where}.file.file_data",
        )
    return {"inlineData": {"mimeType": mime, "data": _base64(data, f"{where}.file.file_data")}}


def _base64(data: Any, param: str) -> str:
    if not isinstance(data, str) or not data:
        raise InvalidRequest(f"{param} must be base64 data", param=param)
    try:
        b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"{param} is not valid base64", param=param) from None
    return data


def _assistant_parts(message: Body, where: str, call_names: dict[str, str]) -> list[Body]:
    content = message.get("content")
    parts = [] if content is None or content == "" else _text_parts(content, where)
    tool_calls = message.get("tool_calls") or []
    if not isinstance(tool_calls, list):
        raise InvalidRequest(f"{where}.tool_calls must be a list", param=f"{where}.tool_calls")
    for index, call in enumerate(tool_calls):
        part = _function_call(call, f"{where}.tool_calls[{index}]", call_names)
        signature = _thought_signature(call)
        if signature is None and index == 0:
            signature = SKIP_SIGNATURE
        if signature is not None:
            part["thoughtSignature"] = signature
        parts.append(part)
    return parts


def _function_call(call: Any, where: str, call_names: dict[str, str]) -> Body:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise InvalidRequest(f"{where}.function.name is required", param=f"{where}.function.name")
    try:
        args = orjson.loads(function.get("arguments") or "{}")
    except (orjson.JSONDecodeError, TypeError):
        raise InvalidRequest(f"{where}.function.arguments is not valid JSON",
                             param=f"{where}.function.arguments") from None
    if not isinstance(args, dict):
        raise InvalidRequest(f"{where}.function.arguments must be a JSON object for Gemini",
                             param=f"{where}.function.arguments")
    if isinstance(call.get("id"), str):
        call_names[call["id"]] = function["name"]
    return {"functionCall": {"name": function["name"], "args": args}}


def _thought_signature(call: Any) -> str | None:
    """The signature we handed out with the call, in the place Google's OpenAI layer uses for it."""
    extra = call.get("extra_content") if isinstance(call, dict) else None
    google = extra.get("google") if isinstance(extra, dict) else None
    signature = google.get("thought_signature") if isinstance(google, dict) else None
    return signature if isinstance(signature, str) and signature else None


def _function_response(message: Body, where: str, call_names: dict[str, str]) -> Body:
    if message["role"] == "function":
        name = message.get("name")
        if not isinstance(name, str):
            raise InvalidRequest(f"{where}.name is required for a function message", param=f"{where}.name")
    else:
        call_id = message.get("tool_call_id")
        if not isinstance(call_id, str) or call_id not in call_names:
            raise InvalidRequest(
                f"{where}.tool_call_id {call_id!r} matches no tool call of an earlier assistant message",
                param=f"{where}.tool_call_id",
            )
        name = call_names[call_id]
    text = "".join(part["text"] for part in _text_parts(message.get("content") or "", where))
    return {"functionResponse": {"name": name, "response": _tool_output(text)}}


def _tool_output(text: str) -> Body:
    """Gemini wants an object: a JSON object result goes as is, anything else under "output"."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"output": text}
    return value if isinstance(value, dict) else {"output": value}
