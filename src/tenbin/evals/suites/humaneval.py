"""HumanEval (openai/human-eval): JSONL(.gz) {task_id, prompt, canonical_solution, test, entry_point}.

The model gets the function signature and docstring and returns code; the program (prompt + code + tests +
``check(entry_point)``) runs in the sandbox. With n samples per item the item score is c/n (pass@1) and the
suite also reports the unbiased pass@k for every k in 1, 5, 10, … up to n.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from tenbin.evals.base import Answer, EvalError, Item, ScoreContext, Scored, Suite, user_messages
from tenbin.evals.extract import extract_code
from tenbin.evals.sandbox import SandboxLimits, run_python
from tenbin.evals.stats import pass_at_k

PROMPT = (
    "Complete the following Python function. Reply with the complete function (including the signature) in a "
    "single ```python code block.\n\n```python\n{prompt}```"
)


def build_program(item: Item, response: str) -> str:
    """Prompt + completion + tests. A reply that restates the function replaces the stub; a bare body extends it."""
    code = extract_code(response)
    entry = item.meta["entry_point"]
    prompt = item.meta["prompt"]
    if re.search(rf"^\s*def\s+{re.escape(entry)}\s*\(", code, re.MULTILINE):
        body = prompt + "\n    pass\n\n" + code  # the stub stays valid; the model's definition wins
    else:
        body = prompt + code
    return f"{body}\n\n{item.meta['test']}\n\ncheck({entry})\n"


class HumanEval(Suite):
    name = "humaneval"
    data_candidates = (
        "HumanEval.jsonl",
        "HumanEval.jsonl.gz",
        "humaneval/HumanEval.jsonl",
        "humaneval/HumanEval.jsonl.gz",
    )
    max_tokens: ClassVar[int] = 1024

    def make_item(self, row: dict[str, Any]) -> Item:
        meta = {k: row[k] for k in ("prompt", "test", "entry_point")}
        return Item(
            id=row["task_id"],
            messages=user_messages(PROMPT.format(prompt=row["prompt"])),
            target=row["entry_point"],
            meta=meta,
        )

    def load(self, path: Path) -> list[Item]:
        opener = gzip.open if path.suffix == ".gz" else open
        items = []
        with opener(path, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    items.append(self.make_item(json.loads(line)))
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise EvalError(f"{path}:{lineno}: not a HumanEval problem: {exc}") from None
        return items

    def load_hub(self) -> list[Item]:
        from tenbin.evals.hub import load_hub_rows

        return [self.make_item(row) for row in load_hub_rows("openai/openai_humaneval", None, "test")]

    async def score(self, item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
        result = await run_python(
            build_program(item, answer.text), SandboxLimits(timeout_s=ctx.sandbox_timeout_s)
        )
        return Scored(
            score=float(result.passed),
            extracted=result.status,
            parsed=True,
            detail={"status": result.status, "output": result.output[-500:]},
        )

    def extra_metrics(self, rows: Sequence[dict[str, Any]]) -> dict[str, float]:
        counts = [
            (len(r.get("sample_scores") or [r["score"]]), sum(r.get("sample_scores") or [r["score"]]))
            for r in rows
        ]
        if not counts:
            return {}
        n = min(c[0] for c in counts)
        ks = [k for k in (1, 5, 10, 20, 50, 100) if k <= n]
        return {
            f"pass@{k}": sum(pass_at_k(total, int(c), k) for total, c in counts) / len(counts) for k in ks
        }
