"""Suite registry: names on the command line -> Suite objects.

``mgsm`` expands to every MGSM language; ``PATH.jsonl[@scorer]`` is a custom suite.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from tenbin.evals.base import EvalError, Suite
from tenbin.evals.suites.custom import CustomSuite
from tenbin.evals.suites.elyza_tasks_100 import ElyzaTasks100
from tenbin.evals.suites.gsm8k import GSM8K
from tenbin.evals.suites.humaneval import HumanEval
from tenbin.evals.suites.japanese_mt_bench import JapaneseMTBench
from tenbin.evals.suites.jcommonsenseqa import JCommonsenseQA
from tenbin.evals.suites.jmmlu import JMMLU
from tenbin.evals.suites.mgsm import LANGUAGES, MGSM
from tenbin.evals.suites.mmlu import MMLU
from tenbin.evals.suites.rubric import Rubric

__all__ = ["BUILTIN", "resolve_suite", "resolve_suites"]

BUILTIN: dict[str, Callable[[], Suite]] = {
    "gsm8k": GSM8K,
    **{f"mgsm_{lang}": partial(MGSM, lang) for lang in LANGUAGES},
    "mmlu": MMLU,
    "jmmlu": JMMLU,
    "jcommonsenseqa": JCommonsenseQA,
    "humaneval": HumanEval,
    "japanese_mt_bench": JapaneseMTBench,
    "elyza_tasks_100": ElyzaTasks100,
    "rubric": Rubric,
}


def resolve_suite(spec: str) -> Suite:
    spec = spec.strip()
    path_part, _, scorer = spec.partition("@")
    if path_part.endswith(".jsonl"):
        return CustomSuite(Path(path_part), scorer or "exact")
    if spec in BUILTIN:
        return BUILTIN[spec]()
    raise EvalError(
        f"unknown suite {spec!r}; built-in: {', '.join(BUILTIN)}, 'mgsm' (all languages), "
        "or a custom PATH.jsonl[@scorer]"
    )


def resolve_suites(specs: list[str]) -> list[Suite]:
    expanded: list[str] = []
    for spec in specs:
        expanded += [f"mgsm_{lang}" for lang in LANGUAGES] if spec.strip() == "mgsm" else [spec]
    suites = [resolve_suite(s) for s in expanded if s.strip()]
    names = [s.name for s in suites]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise EvalError(f"suite names must be unique; repeated: {', '.join(duplicates)}")
    if not suites:
        raise EvalError("no suites given")
    return suites
