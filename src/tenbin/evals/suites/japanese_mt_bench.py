"""Japanese MT-Bench (Stability-AI/FastChat): 80 two-turn questions, graded 1-10 by a judge model.

Turn 1 uses the benchmark's pinned Japanese judge prompts (with the GPT-4 reference answer for math,
reasoning and coding, as upstream does); turn 2 uses our pinned multi-turn prompt.
"""

from __future__ import annotations

from pathlib import Path

from tenbin.evals.base import (
    Answer,
    Completion,
    EvalError,
    Generate,
    Item,
    ScoreContext,
    Scored,
    read_jsonl,
    user_messages,
)
from tenbin.evals.judge import MULTI_TURN_JA, load_pinned_jsonl_prompt
from tenbin.evals.suites._judged import JudgedSuite, judge_once, prompt_meta

NEEDS_REFERENCE = ("math", "reasoning", "coding")


class JapaneseMTBench(JudgedSuite):
    name = "japanese_mt_bench"
    language = "ja"
    data_candidates = ("question_full.jsonl", "japanese_mt_bench/question_full.jsonl")

    def load(self, path: Path) -> list[Item]:
        folder = path.parent
        general = prompt_meta(
            load_pinned_jsonl_prompt(folder / "judge_ja_prompts.jsonl", "single-v1", "ja-mt-bench")
        )
        math = prompt_meta(
            load_pinned_jsonl_prompt(folder / "judge_ja_prompts.jsonl", "single-math-v1", "ja-mt-bench")
        )
        refs: dict[str, list[str]] = {}
        ref_file = folder / "reference_answer" / "gpt-4.jsonl"
        if ref_file.exists():
            refs = {str(r["question_id"]): r["choices"][0]["turns"] for _, r in read_jsonl(ref_file)}
        items = []
        for lineno, row in read_jsonl(path):
            try:
                qid, turns, category = str(row["question_id"]), list(row["turns"]), row["category"]
            except KeyError as exc:
                raise EvalError(f"{path}:{lineno}: missing field {exc}") from None
            needs_ref = category in NEEDS_REFERENCE
            if needs_ref and qid not in refs:
                raise EvalError(
                    f"{path}:{lineno}: category {category} needs a reference answer in {ref_file}"
                )
            meta = {
                "turns": turns,
                "category": category,
                "references": refs.get(qid, ["", ""]),
                "judge_turn1": math if needs_ref else general,
                "judge_turn2": prompt_meta(MULTI_TURN_JA),
            }
            items.append(Item(id=qid, messages=user_messages(turns[0]), target=None, meta=meta))
        return items

    async def respond(self, item: Item, generate: Generate) -> tuple[Answer, list[Completion]]:
        messages = list(item.messages)
        completions: list[Completion] = []
        for i, question in enumerate(item.meta["turns"]):
            if i:
                messages += [
                    {"role": "assistant", "content": completions[-1].text},
                    {"role": "user", "content": question},
                ]
            completions.append(await generate(messages))
        return Answer([c.text for c in completions]), completions

    async def score(self, item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
        q, refs = item.meta["turns"], item.meta["references"] + ["", ""]
        first = await judge_once(
            ctx,
            item.meta["judge_turn1"],
            {"question": q[0], "answer": answer.turns[0], "ref_answer_1": refs[0]},
            (1, 10),
        )
        results = [first]
        if len(q) > 1 and len(answer.turns) > 1:
            fields = {
                "question_1": q[0],
                "answer_1": answer.turns[0],
                "question_2": q[1],
                "answer_2": answer.turns[1],
                "ref_answer_2": refs[1] or "(なし)",
            }
            results.append(await judge_once(ctx, item.meta["judge_turn2"], fields, (1, 10)))
        return self.verdict([r[0] for r in results], 10, [r[1] for r in results], [r[2] for r in results])
