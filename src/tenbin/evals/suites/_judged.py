"""Shared machinery for suites graded by a judge model."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, ClassVar

from tenbin.evals.base import EvalError, ScoreContext, Scored, Suite
from tenbin.evals.judge import JudgePrompt, parse_verdict


def prompt_meta(prompt: JudgePrompt) -> dict[str, Any]:
    """Judge prompts travel inside each item so ``rescore`` needs nothing but DIR."""
    return asdict(prompt)


async def judge_once(
    ctx: ScoreContext, prompt: dict[str, Any], fields: dict[str, str], scale: tuple[float, float]
) -> tuple[float | None, str, str]:
    """(rating or None, judge text, prompt version)."""
    if ctx.judge is None:
        raise EvalError("this suite is graded by a judge model: pass --judge-model NAME")
    judge_prompt = JudgePrompt(**prompt)
    text = await ctx.judge(judge_prompt.render(**fields))
    return parse_verdict(text, *scale), text, judge_prompt.version


class JudgedSuite(Suite):
    needs_judge: ClassVar[bool] = True
    max_tokens: ClassVar[int] = 2048

    @staticmethod
    def verdict(
        ratings: list[float | None], scale_max: float, judgments: list[str], version: list[str]
    ) -> Scored:
        """Mean rating scaled to 0..1; a missing verdict counts 0 and marks the item unparsable."""
        got = [r for r in ratings if r is not None]
        return Scored(
            score=sum(got) / (scale_max * len(ratings)) if ratings else 0.0,
            extracted=ratings[0] if len(ratings) == 1 else ratings,
            parsed=len(got) == len(ratings),
            metrics={"rating": sum(got) / len(got)} if got else {},
            detail={"judgments": judgments, "judge_prompt": version},
        )
