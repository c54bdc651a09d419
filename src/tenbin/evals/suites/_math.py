"""Shared scoring for grade-school math (GSM8K, MGSM): 0-shot chain of thought, three extractions."""

from __future__ import annotations

from typing import ClassVar

from tenbin.evals.base import Answer, Item, ScoreContext, Scored, Suite, user_messages
from tenbin.evals.extract import extract_last_number, extract_number, extract_strict_number
from tenbin.evals.normalize import numbers_equal

PROMPTS = {
    "en": (
        "Solve the following math problem step by step. At the end, write the final answer as a number "
        'on its own line in the form "#### <number>".\n\n{question}'
    ),
    "ja": (
        "次の算数の問題を、順を追って考えて解いてください。最後に、最終的な答えの数値だけを"
        "「#### 数値」の形式で1行に書いてください。\n\n{question}"
    ),
}


class MathSuite(Suite):
    """``score`` is the best-effort extraction; ``strict`` and ``last_number`` are reported beside it."""

    max_tokens: ClassVar[int] = 1024

    def make_item(self, item_id: str, question: str, target: str) -> Item:
        prompt = PROMPTS.get(self.language, PROMPTS["en"]).format(question=question.strip())
        return Item(id=item_id, messages=user_messages(prompt), target=target.strip(), meta={})

    async def score(self, item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
        best = extract_number(answer.text)
        strict = extract_strict_number(answer.text).value
        last = extract_last_number(answer.text).value
        return Scored(
            score=float(numbers_equal(best.value, item.target)),
            extracted=best.value,
            parsed=best.value is not None,
            metrics={
                "strict": float(numbers_equal(strict, item.target)),
                "last_number": float(numbers_equal(last, item.target)),
                "strict_unparsable": float(strict is None),
            },
            detail={"method": best.method},
        )
