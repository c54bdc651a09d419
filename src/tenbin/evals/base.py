"""The shapes every suite shares: an item, a model's answer, a score, and the Suite base class."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from tenbin.jsonl import JsonlError, iter_jsonl

__all__ = [
    "Answer",
    "Completion",
    "EvalError",
    "Generate",
    "Item",
    "JudgeFn",
    "ScoreContext",
    "Scored",
    "Suite",
    "find_data_file",
    "user_messages",
]

Message = dict[str, Any]


class EvalError(ValueError):
    """A problem with the user's input (bad file, unknown suite, missing data): shown without a traceback."""


@dataclass
class Item:
    """One benchmark question. ``meta`` holds whatever the scorer needs (choices, tests, rubric …)."""

    id: str
    messages: list[Message]
    target: Any
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Completion:
    """One model call, as measured by a backend."""

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    ttft_s: float | None = None
    latency_s: float | None = None
    cost_usd: float | None = None
    usage_estimated: bool = False
    cached: bool = False


@dataclass
class Answer:
    """A model's answer to one item: one completion per turn (multi-turn suites have several)."""

    turns: list[str]

    @property
    def text(self) -> str:
        return self.turns[-1] if self.turns else ""


@dataclass
class Scored:
    """A score in 0..1; ``parsed`` is False when no answer could be extracted."""

    score: float
    extracted: Any = None
    parsed: bool = True
    metrics: dict[str, float] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)


class Generate(Protocol):
    async def __call__(self, messages: list[Message]) -> Completion: ...


JudgeFn = Callable[[list[Message]], Awaitable[str]]


@dataclass
class ScoreContext:
    """What scoring may use besides the answer: a judge (None when no judge model is set)."""

    judge: JudgeFn | None = None
    judge_model: str | None = None
    sandbox_timeout_s: float = 10.0


class Suite:
    """A benchmark: loads items from a local file in its original format and scores answers.

    Subclasses set ``name`` and implement ``load`` and ``score``; multi-turn suites override ``respond``.
    """

    name: str = ""
    data_candidates: ClassVar[Sequence[str]] = ()
    max_tokens: ClassVar[int] = 1024
    needs_judge: ClassVar[bool] = False
    language: ClassVar[str] = "en"

    def load(self, path: Path) -> list[Item]:
        raise NotImplementedError

    def load_hub(self) -> list[Item]:
        raise EvalError(f"suite {self.name!r} cannot load from the Hugging Face hub; pass --data PATH")

    async def respond(self, item: Item, generate: Generate) -> tuple[Answer, list[Completion]]:
        completion = await generate(item.messages)
        return Answer([completion.text]), [completion]

    async def score(self, item: Item, answer: Answer, ctx: ScoreContext) -> Scored:
        raise NotImplementedError

    def extra_metrics(self, rows: Sequence[dict[str, Any]]) -> dict[str, float]:
        """Suite-level metrics beyond the mean score (default: means of per-item metrics)."""
        keys = sorted({k for row in rows for k in (row.get("metrics") or {})})
        return (
            {k: sum((row.get("metrics") or {}).get(k, 0.0) for row in rows) / len(rows) for k in keys}
            if rows
            else {}
        )


def user_messages(text: str, system: str | None = None) -> list[Message]:
    messages: list[Message] = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": text})
    return messages


def find_data_file(path: Path, candidates: Sequence[str], suite: str) -> Path:
    """``path`` itself when it is a file, else the first of ``candidates`` under it."""
    if path.is_file():
        return path
    if path.is_dir():
        for rel in candidates:
            if (path / rel).exists():
                return path / rel
        raise EvalError(f"suite {suite!r}: none of {', '.join(candidates)} found under {path}")
    raise EvalError(f"suite {suite!r}: data path {path} does not exist")


def read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; bad lines are errors naming file and line."""
    try:
        return list(iter_jsonl(path))
    except JsonlError as exc:
        raise EvalError(str(exc)) from None
