"""Multi-model plans a route can run for one request: a cascade and an ensemble.

Cascade (FrugalGPT / AutoMix style): ask the cheapest model of the plan first and escalate to the next one while
the answer is rejected — by a verifier model when one is configured (it scores the answer 0-10), otherwise by the
router's confidence for that model against the route's target, and always when the answer is empty or cut off.
Ensemble: ask every model of the plan at once and return the majority's answer (short answers are compared after
normalisation: the final number, or the choice letter); with a judge model configured, the judge picks instead.
Every call's tokens and cost add up in one CallInfo, so the ledger shows what the plan really cost, and the
response's `usage` counts the same tokens (every answer, verification and judgement), not only the chosen one's.
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tenbin.engine import CallInfo, Engine
from tenbin.errors import TenbinError
from tenbin.tokens import message_text

VERIFIER_PROMPT_VERSION = "tenbin/verify-v1"
VERIFIER_PROMPT = (
    "You check answers. Read the conversation's last request and the candidate answer, then rate how likely the "
    "answer is correct and complete, from 0 (certainly wrong) to 10 (certainly right). The request may be in "
    "Japanese or English. Reply with the number only.\n\n[Request]\n{question}\n\n[Candidate answer]\n{answer}"
)
JUDGE_PROMPT_VERSION = "tenbin/judge-pick-v1"
JUDGE_PROMPT = (
    "Several assistants answered the same request. Pick the best answer: correct, complete and in the language "
    "of the request. Reply with its number only.\n\n[Request]\n{question}\n\n{answers}"
)
_SCORE = re.compile(r"\d+(?:\.\d+)?")
_CHOICE = re.compile(r"(?:^|[\s(（「:：])([A-Ea-e])(?:[)）」.\s]|$)")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


@dataclass(slots=True)
class PlanTrace:
    """What the plan did, for the ledger and the x-tenbin-route header."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    chosen: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "chosen": self.chosen}


def last_question(body: dict[str, Any]) -> str:
    user = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    return message_text(user[-1].get("content")) if user else ""


def answer_text(response: dict[str, Any]) -> str:
    choices = response.get("choices") or []
    return message_text((choices[0].get("message") or {}).get("content")) if choices else ""


def short_answer(text: str) -> str:
    """What two answers must share to count as the same vote: the final number, else a lone choice letter,
    else the whole normalised text."""
    normal = unicodedata.normalize("NFKC", text).strip()
    numbers = _NUMBER.findall(normal)
    if numbers:
        return numbers[-1].replace(",", "").rstrip("0").rstrip(".") if "." in numbers[-1] else numbers[-1].replace(",", "")
    letters = _CHOICE.findall(normal)
    if letters:
        return letters[-1].upper()
    return " ".join(normal.lower().split())


def _merge(total: CallInfo, part: CallInfo) -> None:
    total.input_tokens = (total.input_tokens or 0) + (part.input_tokens or 0)
    total.output_tokens = (total.output_tokens or 0) + (part.output_tokens or 0)
    total.usage_estimated = total.usage_estimated or part.usage_estimated
    if part.cost_usd is not None:
        total.cost_usd = (total.cost_usd or 0.0) + part.cost_usd
    total.attempts += part.attempts


async def _ask(engine: Engine, body: dict[str, Any], model: str, total: CallInfo) -> dict[str, Any]:
    request = {key: value for key, value in body.items() if key != "stream_options"}
    response, info = await engine.chat({**request, "model": model, "stream": False, "n": 1})
    _merge(total, info)
    return response


async def _score_with(engine: Engine, verifier: str, question: str, answer: str, total: CallInfo) -> float | None:
    prompt = VERIFIER_PROMPT.format(question=question, answer=answer)
    body = {"messages": [{"role": "user", "content": prompt}], "temperature": 0, "max_tokens": 8}
    try:
        reply = answer_text(await _ask(engine, body, verifier, total))
    except TenbinError:
        return None
    match = _SCORE.search(unicodedata.normalize("NFKC", reply))
    return min(10.0, float(match.group())) if match else None


async def run_cascade(
    engine: Engine,
    body: dict[str, Any],
    plan: list[str],
    predicted: dict[str, float],
    target: float,
    verifier: str | None,
    accept_score: float,
    total: CallInfo | None = None,
) -> tuple[dict[str, Any], CallInfo, PlanTrace]:
    """`total` (new if not given) gathers every call's tokens and cost as they finish, so a plan cut short
    (the client left) still shows what it spent."""
    total, trace = total or CallInfo(), PlanTrace()
    question = last_question(body)
    response: dict[str, Any] | None = None
    last_error: TenbinError | None = None
    for position, model in enumerate(plan):
        step: dict[str, Any] = {"model": model}
        trace.steps.append(step)
        try:
            response = await _ask(engine, body, model, total)
        except TenbinError as error:
            step["error"] = error.code or error.error_type
            last_error = error
            continue
        if position == len(plan) - 1:
            step["accepted"] = "last in plan"
            break
        text = answer_text(response)
        finish = (response.get("choices") or [{}])[0].get("finish_reason")
        if not text.strip() or finish == "length":
            step["escalated"] = "empty or cut-off answer"
            continue
        if verifier is not None:
            score = await _score_with(engine, verifier, question, text, total)
            step["verifier_score"] = score
            if score is not None and score >= accept_score:
                step["accepted"] = f"verifier {score:g} >= {accept_score:g}"
                break
            step["escalated"] = "verifier rejected" if score is not None else "verifier gave no score"
            continue
        confidence = predicted.get(model)
        if confidence is None:  # no router and no verifier: nothing says the answer is wrong
            step["accepted"] = "no verifier or router confidence; a complete answer"
            break
        if confidence >= target:
            step["accepted"] = f"confidence {confidence:.3f} >= {target:.3f}"
            break
        step["escalated"] = "confidence below target"
    if response is None:
        assert last_error is not None
        raise last_error
    trace.chosen = str(trace.steps[-1]["model"]) if "error" not in trace.steps[-1] else _last_answered(trace)
    total.deployment = "cascade:" + ">".join(step["model"] for step in trace.steps)
    total.latency_s = time.perf_counter() - total.started
    response["model"] = trace.chosen
    _report_usage(response, total)
    return response, total, trace


def _last_answered(trace: PlanTrace) -> str | None:
    answered = [step["model"] for step in trace.steps if "error" not in step]
    return answered[-1] if answered else None


async def run_ensemble(
    engine: Engine, body: dict[str, Any], plan: list[str], judge: str | None, total: CallInfo | None = None
) -> tuple[dict[str, Any], CallInfo, PlanTrace]:
    total, trace = total or CallInfo(), PlanTrace()
    results = await asyncio.gather(*(_ask(engine, body, model, total) for model in plan), return_exceptions=True)
    answered: list[tuple[str, dict[str, Any]]] = []
    for model, result in zip(plan, results, strict=True):
        if isinstance(result, TenbinError):
            trace.steps.append({"model": model, "error": result.code or result.error_type})
        elif isinstance(result, BaseException):
            raise result
        else:
            answered.append((model, result))
            trace.steps.append({"model": model, "answer": short_answer(answer_text(result))[:80]})
    if not answered:
        first = next(r for r in results if isinstance(r, TenbinError))
        assert isinstance(first, TenbinError)
        raise first
    chosen = await _judge_pick(engine, body, answered, judge, total) if judge else None
    if chosen is None:
        votes = Counter(short_answer(answer_text(response)) for _, response in answered)
        winner, _ = votes.most_common(1)[0]
        top = votes[winner]
        # Ties go to the model the router ranked highest (plan order).
        chosen = next(i for i, (_, r) in enumerate(answered) if votes[short_answer(answer_text(r))] == top)
    model, response = answered[chosen]
    trace.chosen = model
    total.deployment = "ensemble:" + "+".join(plan)
    total.latency_s = time.perf_counter() - total.started
    response["model"] = model
    _report_usage(response, total)
    return response, total, trace


def _report_usage(response: dict[str, Any], total: CallInfo) -> None:
    """The plan's tokens in the response, as billed: a client that adds up `usage` must get what the ledger
    charges. The chosen call's token details (cached, reasoning) described one call of several, so they go."""
    prompt, completion = total.input_tokens or 0, total.output_tokens or 0
    response["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


async def _judge_pick(
    engine: Engine, body: dict[str, Any], answered: list[tuple[str, dict[str, Any]]], judge: str, total: CallInfo
) -> int | None:
    answers = "\n\n".join(f"[Answer {i + 1}]\n{answer_text(r)}" for i, (_, r) in enumerate(answered))
    prompt = JUDGE_PROMPT.format(question=last_question(body), answers=answers)
    try:
        reply = answer_text(await _ask(engine, {"messages": [{"role": "user", "content": prompt}], "temperature": 0,
                                                 "max_tokens": 8}, judge, total))
    except TenbinError:
        return None
    match = _SCORE.search(unicodedata.normalize("NFKC", reply))
    if not match:
        return None
    index = int(float(match.group())) - 1
    return index if 0 <= index < len(answered) else None


def completion_as_chunks(response: dict[str, Any]) -> list[dict[str, Any]]:
    """A finished completion replayed as stream chunks, for plans that must see the answer before sending it."""
    base = {"id": response.get("id", "chatcmpl-tenbin"), "object": "chat.completion.chunk",
            "created": response.get("created", int(time.time())), "model": response.get("model")}
    chunks: list[dict[str, Any]] = []
    for choice in response.get("choices") or []:
        index = choice.get("index", 0)
        message = choice.get("message") or {}
        delta: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
        if message.get("tool_calls"):
            delta["tool_calls"] = [{"index": i, **call} for i, call in enumerate(message["tool_calls"])]
        chunks.append(base | {"choices": [{"index": index, "delta": delta, "finish_reason": None, "logprobs": None}]})
        chunks.append(base | {"choices": [{"index": index, "delta": {}, "finish_reason": choice.get("finish_reason"),
                                           "logprobs": None}]})
    if response.get("usage"):
        chunks.append(base | {"choices": [], "usage": response["usage"]})
    return chunks
