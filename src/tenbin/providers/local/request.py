"""OpenAI request bodies → what a local model can take: plain-text chat turns and sampling settings.

Anything a bare transformers model cannot honour (tools, images, logprobs, JSON mode, penalties) is refused with
an InvalidRequest naming the parameter, rather than silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenbin.errors import InvalidRequest
from tenbin.providers.base import Body

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_TEXT_PARTS = ("text", "refusal")


@dataclass(frozen=True, slots=True)
class Sampling:
    max_new_tokens: int
    temperature: float  # 0 means greedy decoding
    top_p: float
    seed: int | None
    stop: tuple[str, ...]
    n: int


@dataclass(frozen=True, slots=True)
class ChatRequest:
    messages: list[dict[str, str]]
    sampling: Sampling


def parse_chat_request(body: Body, default_max_new_tokens: int) -> ChatRequest:
    _refuse_unsupported(body)
    return ChatRequest(_chat_messages(body.get("messages") or []), _sampling(body, default_max_new_tokens))


def _unsupported(param: str, what: str) -> InvalidRequest:
    return InvalidRequest(f"local transformers models do not support {what} (`{param}`)", param=param)


def _refuse_unsupported(body: Body) -> None:
    if body.get("tools"):
        raise _unsupported("tools", "tools / function calling")
    if body.get("tool_choice") not in (None, "none"):
        raise _unsupported("tool_choice", "tools / function calling")
    for legacy in ("functions", "function_call"):
        if body.get(legacy):
            raise _unsupported(legacy, "function calling")
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type", "text") != "text":
        raise _unsupported("response_format", f"constrained output ({response_format.get('type')})")
    if body.get("logprobs"):
        raise _unsupported("logprobs", "log probabilities")
    if body.get("top_logprobs"):
        raise _unsupported("top_logprobs", "log probabilities")
    if body.get("logit_bias"):
        raise _unsupported("logit_bias", "logit bias")
    for penalty in ("presence_penalty", "frequency_penalty"):
        if body.get(penalty):
            raise _unsupported(penalty, "OpenAI-style penalties")
    if body.get("audio") or "audio" in (body.get("modalities") or []):
        raise _unsupported("audio" if body.get("audio") else "modalities", "audio output")
    if body.get("prediction"):
        raise _unsupported("prediction", "predicted outputs")


def _chat_messages(messages: list[Any]) -> list[dict[str, str]]:
    turns = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        role = message.get("role")
        if role not in _ROLES:
            raise InvalidRequest(
                f"{where}: role {role!r} is not supported by local models (tools are not supported; "
                "use system, developer, user or assistant)",
                param=f"{where}.role",
            )
        if message.get("tool_calls") or message.get("function_call"):
            raise _unsupported(f"{where}.tool_calls", "tool calls in the conversation")
        turns.append({"role": _ROLES[role], "content": _text_content(message.get("content"), where)})
    if not turns:
        raise InvalidRequest("messages must hold at least one message", param="messages")
    return turns


def _text_content(content: Any, where: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    texts = []
    for index, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in _TEXT_PARTS:
            raise InvalidRequest(
                f"{where}.content[{index}]: local transformers models take text only; "
                f"{kind!r} content parts are not supported",
                param=f"{where}.content[{index}]",
            )
        texts.append(str(part.get(kind) or ""))
    return "".join(texts)


def _sampling(body: Body, default_max_new_tokens: int) -> Sampling:
    limit_param = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    limit = body.get(limit_param)
    if limit is not None and int(limit) < 1:
        raise InvalidRequest(f"{limit_param} must be at least 1", param=limit_param)
    n = int(body.get("n") or 1)
    if not 1 <= n <= 128:
        raise InvalidRequest("n must be between 1 and 128", param="n")
    stop = body.get("stop")
    seed = body.get("seed")
    return Sampling(
        max_new_tokens=int(limit) if limit is not None else default_max_new_tokens,
        temperature=float(body.get("temperature") or 0.0),
        top_p=float(body["top_p"]) if body.get("top_p") is not None else 1.0,
        seed=int(seed) if seed is not None else None,
        stop=tuple(s for s in ([stop] if isinstance(stop, str) else stop or []) if s),
        n=n,
    )


def embedding_inputs(body: Body) -> list[str | list[int]]:
    """The `input` of an embeddings request as a list of texts or token-id lists."""
    raw = body.get("input")
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw and all(isinstance(item, int) for item in raw):
        return [list(raw)]
    if isinstance(raw, list) and raw:
        items: list[str | list[int]] = []
        for index, item in enumerate(raw):
            if isinstance(item, str) or (isinstance(item, list) and all(isinstance(t, int) for t in item)):
                items.append(item)
            else:
                raise InvalidRequest(f"input[{index}] must be a string or a list of token ids", param="input")
        return items
    raise InvalidRequest("input must be a non-empty string, list of strings or list of token ids", param="input")
