"""Scorers for custom suites: exact, numeric, regex, choice, contains, code, judge.

Each scorer validates a row's target at load time (so a bad file fails before any model is called, with
the line number) and scores an answer later.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from tenbin.evals.base import Answer, EvalError, Item, ScoreContext, Scored
from tenbin.evals.extract import extract_choice, extract_code, extract_number
from tenbin.evals.normalize import normalize_text, numbers_equal, parse_number
from tenbin.evals.sandbox import SandboxLimits, run_python

__all__ = ["SCORERS", "check_target"]

ScoreFn = Callable[[Item, Answer, ScoreContext], Awaitable[Scored]]


def _canon(text: str) -> str:
    return re.sub(r"\s+", " ", normalize_text(text)).strip().strip(".。!！").casefold()


def _targets(target: Any) -> list[str]:
    return [str(t) for t in target] if isinstance(target, list) else [str(target)]


async def exact(item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
    got = _canon(answer.text)
    return Scored(float(any(got == _canon(t) for t in _targets(item.target))), extracted=got)


async def numeric(item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
    got = extract_number(answer.text)
    ok = any(numbers_equal(got.value, t) for t in _targets(item.target))
    return Scored(float(ok), extracted=got.value, parsed=got.value is not None)


async def regex(item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
    match = re.search(item.target, normalize_text(answer.text))
    return Scored(float(match is not None), extracted=match.group(0) if match else None)


async def choice(item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
    got = extract_choice(answer.text, item.meta["labels"], item.meta.get("choices"))
    return Scored(
        float(got.value == normalize_text(str(item.target))),
        extracted=got.value,
        parsed=got.value is not None,
    )


async def contains(item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
    text = _canon(answer.text)
    return Scored(float(all(_canon(t) in text for t in _targets(item.target))))


async def code(item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
    program = extract_code(answer.text) + "\n\n" + item.target + "\n"
    result = await run_python(program, SandboxLimits(timeout_s=ctx.sandbox_timeout_s))
    return Scored(float(result.passed), extracted=result.status, detail={"output": result.output[-500:]})


async def judge(item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
    from tenbin.evals.suites.rubric import judge_rubric

    return await judge_rubric(item, answer, ctx)


SCORERS: dict[str, ScoreFn] = {
    "exact": exact,
    "numeric": numeric,
    "regex": regex,
    "choice": choice,
    "contains": contains,
    "code": code,
    "judge": judge,
}


def check_target(scorer: str, row: dict[str, Any], where: str) -> dict[str, Any]:
    """Validate ``row['target']`` for ``scorer``; returns the item meta the scorer needs."""
    target = row.get("target")
    if target is None:
        raise EvalError(f"{where}: missing 'target'")
    is_text = isinstance(target, str | int | float) and not isinstance(target, bool)
    if scorer in ("exact", "contains") and not (is_text or (isinstance(target, list) and target)):
        raise EvalError(f"{where}: {scorer} target must be a string or a non-empty list of strings")
    if scorer == "numeric" and not all(parse_number(t) is not None for t in _targets(target)):
        raise EvalError(f"{where}: numeric target {target!r} is not a number")
    if scorer in ("regex", "code", "judge") and not (isinstance(target, str) and target.strip()):
        raise EvalError(f"{where}: {scorer} target must be a non-empty string")
    if scorer == "regex":
        try:
            re.compile(target)
        except re.error as exc:
            raise EvalError(f"{where}: invalid regular expression {target!r}: {exc}") from None
    if scorer == "choice":
        choices = row.get("choices")
        if choices is not None and not (
            isinstance(choices, list) and all(isinstance(c, str) for c in choices)
        ):
            raise EvalError(f"{where}: 'choices' must be a list of strings")
        labels = row.get("labels") or [chr(ord("A") + i) for i in range(len(choices or "ABCD"))]
        if normalize_text(str(target)) not in labels:
            raise EvalError(f"{where}: choice target {target!r} is not one of {labels}")
        return {"labels": labels, "choices": choices}
    return {}
