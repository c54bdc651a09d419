"""ELYZA-tasks-100: JSONL {input_text, output_text, eval_aspect}, graded 1-5 with the pinned prompt_eval.txt."""

from __future__ import annotations

from pathlib import Path

from tenbin.evals.base import Answer, EvalError, Item, ScoreContext, Scored, read_jsonl, user_messages
from tenbin.evals.judge import load_pinned_text_prompt
from tenbin.evals.suites._judged import JudgedSuite, judge_once, prompt_meta


class ElyzaTasks100(JudgedSuite):
    name = "elyza_tasks_100"
    language = "ja"
    data_candidates = ("dataset.jsonl", "elyza_tasks_100/dataset.jsonl")

    def load(self, path: Path) -> list[Item]:
        prompt = prompt_meta(
            load_pinned_text_prompt(path.parent / "prompt_eval.txt", "elyza-tasks-100/prompt_eval")
        )
        items = []
        for lineno, row in read_jsonl(path):
            try:
                meta = {"output_text": row["output_text"], "eval_aspect": row["eval_aspect"], "judge": prompt}
                items.append(
                    Item(
                        id=str(lineno - 1),
                        messages=user_messages(row["input_text"]),
                        target=None,
                        meta=meta | {"input_text": row["input_text"]},
                    )
                )
            except KeyError as exc:
                raise EvalError(f"{path}:{lineno}: missing field {exc}") from None
        return items

    async def score(self, item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
        fields = {k: item.meta[k] for k in ("input_text", "output_text", "eval_aspect")} | {
            "pred": answer.text
        }
        rating, text, version = await judge_once(ctx, item.meta["judge"], fields, (1, 5))
        return self.verdict([rating], 5, [text], [version])
