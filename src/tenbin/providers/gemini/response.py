"""Gemini ``GenerateContentResponse`` → OpenAI ``chat.completion`` and ``chat.completion.chunk``."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from tenbin.errors import InvalidRequest, UpstreamError
from tenbin.providers.base import Body

_FILTERED = frozenset({
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE",
    "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR",
})


def finish_reason(reason: str | None, called_tools: bool) -> str:
    if called_tools:
        return "tool_calls"
    if reason == "MAX_TOKENS":
        return "length"
    if reason in _FILTERED:
        return "content_filter"
    # STOP, and reasons OpenAI has no word for (OTHER, MALFORMED_FUNCTION_CALL, ...), end normally.
    return "stop"


def usage_from(meta: Any) -> Body | None:
    """OpenAI usage from usageMetadata; thinking tokens are billed as output, so they count as completion."""
    if not isinstance(meta, dict) or meta.get("promptTokenCount") is None:
        return None
    prompt = int(meta.get("promptTokenCount") or 0) + int(meta.get("toolUsePromptTokenCount") or 0)
    thoughts = int(meta.get("thoughtsTokenCount") or 0)
    completion = int(meta.get("candidatesTokenCount") or 0) + thoughts
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": int(meta.get("totalTokenCount") or prompt + completion),
        "prompt_tokens_details": {"cached_tokens": int(meta.get("cachedContentTokenCount") or 0)},
        "completion_tokens_details": {"reasoning_tokens": thoughts},
    }


def completion_id(response: Body) -> str:
    response_id = response.get("responseId")
    return f"chatcmpl-{response_id}" if isinstance(response_id, str) and response_id else f"chatcmpl-{uuid.uuid4().hex}"


def raise_if_blocked(response: Body) -> None:
    """A blocked prompt comes back without candidates; OpenAI-style APIs answer that with a 400."""
    feedback = response.get("promptFeedback")
    if not isinstance(feedback, dict):
        return
    reason = feedback.get("blockReason")
    if reason:
        detail = feedback.get("blockReasonMessage") or ""
        raise InvalidRequest(
            f"gemini refused the prompt (blockReason {reason}){': ' + detail if detail else ''}",
            param="messages",
            code="content_filter",
        )


def split_parts(content: Any) -> tuple[str, list[Body]]:
    """The visible text and the tool calls of one candidate's content; thought summaries stay out."""
    parts = content.get("parts") if isinstance(content, dict) else None
    texts: list[str] = []
    calls: list[Body] = []
    for part in parts or ():
        if not isinstance(part, dict) or part.get("thought"):
            continue
        if isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif isinstance(part.get("functionCall"), dict):
            calls.append(_tool_call(part["functionCall"], part.get("thoughtSignature")))
    return "".join(texts), calls


def _tool_call(call: Body, signature: Any) -> Body:
    call_id = call.get("id") if isinstance(call.get("id"), str) and call.get("id") else f"call_{uuid.uuid4().hex[:24]}"
    tool_call: Body = {
        "id": call_id,
        "type": "function",
        "function": {"name": str(call.get("name") or ""), "arguments": orjson.dumps(call.get("args") or {}).decode()},
    }
    if isinstance(signature, str) and signature:
        # Where Google's own OpenAI layer puts it; clients echo it back with the assistant message.
        tool_call["extra_content"] = {"google": {"thought_signature": signature}}
    return tool_call


def logprobs_from(result: Any) -> Body | None:
    if not isinstance(result, dict):
        return None
    chosen = result.get("chosenCandidates") or []
    tops = result.get("topCandidates") or []
    content = []
    for position, token in enumerate(chosen):
        alternatives = tops[position].get("candidates", []) if position < len(tops) else []
        content.append({**_logprob(token), "top_logprobs": [_logprob(alt) for alt in alternatives]})
    return {"content": content, "refusal": None}


def _logprob(token: Body) -> Body:
    text = str(token.get("token") or "")
    return {"token": text, "logprob": float(token.get("logProbability") or 0.0), "bytes": list(text.encode())}


def candidate_index(candidate: Body, position: int) -> int:
    # proto3 JSON leaves out zero values, so index 0 usually arrives as no index at all.
    index = candidate.get("index", position)
    return index if isinstance(index, int) else position


def chat_completion(response: Any, model: str) -> Body:
    if not isinstance(response, dict):
        raise UpstreamError("gemini upstream sent a response that is not a JSON object")
    candidates = response.get("candidates") or []
    if not candidates:
        raise_if_blocked(response)
        raise UpstreamError("gemini upstream returned no candidates")
    choices = []
    for position, candidate in enumerate(candidates):
        if not isinstance(candidate, dict):
            raise UpstreamError("gemini upstream sent a candidate that is not a JSON object")
        text, calls = split_parts(candidate.get("content"))
        message: Body = {"role": "assistant", "content": text or None, "refusal": None}
        if calls:
            message["tool_calls"] = calls
        choices.append({
            "index": candidate_index(candidate, position),
            "message": message,
            "finish_reason": finish_reason(candidate.get("finishReason"), bool(calls)),
            "logprobs": logprobs_from(candidate.get("logprobsResult")),
        })
    completion: Body = {
        "id": completion_id(response),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": response.get("modelVersion") or model,
        "choices": choices,
    }
    usage = usage_from(response.get("usageMetadata"))
    if usage is not None:
        completion["usage"] = usage
    return completion
