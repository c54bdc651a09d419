"""Scripted fake models for the end-to-end tests: each answers in a different format.

``alpha`` (priced) answers everything right in varied formats; ``beta`` (no price) is right on some items,
wrong or unparsable on others; ``judge`` grades by looking for a marker in the answer.
"""

from __future__ import annotations

from typing import Any

# (keyword in the prompt, alpha's answer, beta's answer)
SCRIPT: list[tuple[str, str, str]] = [
    ("Ken has 5 apples", "5 + 13 = 18.\n#### 18", "I think it is 17.\n#### 17"),
    ("A box holds 12 pens", "There are 12 × 4 = 48 pens. The answer is 48.", "#### 48"),
    ("A bike costs", "1,250 + 50 = 1,300\n\\boxed{1,300}", "I cannot solve this."),
    ("Mia reads 7 pages", "7 × 3 = ２１ pages.", "The answer is 21, since 7 × 3 = 21. Check: 3 days."),
    ("ケンはりんご", "5 + 13 = 18 なので、「答え：１８」", "答え：１７"),
    ("1箱に鉛筆", "12 × 4 = 48\n答えは四十八本です。", "48本"),
    ("自転車は", "合計は1,300ドルです。", "わかりません"),
    ("日本で一番高い山", "(B)", "Ｂ"),
    ("水が沸騰する", "Ａ", "正解はCです"),
    ("哺乳類", "答え：Ｄ", "どれも正しくない"),
    ("symbol for sodium", "The answer is (B).", "(A)"),
    ("Red Planet", "C", "**Answer: C**"),
    ("主要な基板", "答え：２", "２"),
    ("雨の日", "0", "回答：3"),
    ("def add(", "```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```", "    return a + b\n"),
    (
        "def is_even(",
        "Here you go:\n```python\ndef is_even(n):\n    return n % 2 == 0\n```",
        "```python\ndef is_even(n):\n    return n % 2 == 1\n```",
    ),
    ("日本の首都", "首都は東京です。", "大阪です。"),
    ("Where is Tokyo", "Tokyo is in Japan.", "Tokyo."),
    ("断りのメール", "GOOD: 誠に恐縮ですが、今回は辞退させていただきます。", "BAD: むり"),
    ("Explain recursion in one sentence", "GOOD: a function calling itself until a base case.", "BAD: loops"),
]

# Expected results.json scores for the suites above (worked out by hand from SCRIPT).
EXPECTED = {
    "alpha": {
        "gsm8k": 1.0,
        "mgsm_ja": 1.0,
        "jmmlu": 1.0,
        "mmlu": 1.0,
        "jcommonsenseqa": 1.0,
        "humaneval": 1.0,
        "faq": 1.0,
        "rubric": 0.9,
    },
    "beta": {
        "gsm8k": 0.5,
        "mgsm_ja": 1 / 3,
        "jmmlu": 1 / 3,
        "mmlu": 0.5,
        "jcommonsenseqa": 0.5,
        "humaneval": 0.5,
        "faq": 0.0,
        "rubric": 0.3,
    },
}


def last_user(messages: list[dict[str, Any]]) -> str:
    return next(m["content"] for m in reversed(messages) if m["role"] == "user")


def respond(model: str, messages: list[dict[str, Any]]) -> str:
    prompt = last_user(messages)
    if model == "judge":
        # Two verdict formats the parser must read: MT-Bench style and a plain label.
        return "よくできています。\n評価：[[９]]" if "GOOD:" in prompt else "Weak answer. Rating: 3"
    for keyword, alpha, beta in SCRIPT:
        if keyword in prompt:
            return alpha if model == "alpha" else beta
    return "no script for this prompt"
