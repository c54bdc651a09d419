"""Synthetic outcomes where the right model depends on the kind of prompt (known by construction)."""

from __future__ import annotations

import json
import random
from pathlib import Path

MODELS = {"big": 0.010, "coder": 0.002, "mini": 0.0002}  # model -> cost per call (USD)
TOPICS = {
    # kind: (prompt templates, P(success) per model)
    "math": (
        ["Compute {a} * {b} + {c}.", "Solve for x: {a}x + {b} = {c}", "What is {a} squared minus {b}?"],
        {"big": 0.9, "coder": 0.3, "mini": 0.2},
    ),
    "code": (
        [
            "def f{a}(x):\n    return x + {b}  # fix the bug",
            "Write a Python function that returns {a} ** {b}",
            "import os\nprint(os.listdir('{a}'))  # what does this print?",
        ],
        {"big": 0.5, "coder": 0.95, "mini": 0.2},
    ),
    "chat": (
        [
            "Say hello to {a} politely.",
            "東京の天気について{a}文字で教えてください。",
            "Translate 'thanks {a}' into French.",
        ],
        {"big": 0.95, "coder": 0.9, "mini": 0.95},
    ),
}


def synth_rows(n_items: int, seed: int = 0, dataset: str = "synth", with_costs: bool = True) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    kinds = list(TOPICS)
    for i in range(n_items):
        kind = kinds[i % len(kinds)]
        templates, p_ok = TOPICS[kind]
        prompt = rng.choice(templates).format(
            a=rng.randint(2, 999), b=rng.randint(2, 99), c=rng.randint(2, 999)
        )
        for model, cost in MODELS.items():
            rows.append(
                {
                    "dataset": dataset,
                    "item_id": f"{kind}-{seed}-{i}",
                    "prompt": prompt,
                    "model": model,
                    "score": float(rng.random() < p_ok[model]),
                    "cost_usd": cost * (1 + len(prompt) / 200) if with_costs else None,
                }
            )
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path
