"""Result value objects of a guard check. None of them ever holds an original PII value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tenbin.guard.vault import Vault

VerdictKind = Literal["injection", "pii", "leakage"]
BlockCode = Literal["prompt_injection_detected", "pii_detected", "output_leakage_detected"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """One check's outcome: `detail` names types and counts, never values."""

    kind: VerdictKind
    score: float
    flagged: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "score": self.score, "flagged": self.flagged, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class GuardBlocked:
    """Why a request is refused; the gateway renders it as a 400 in the OpenAI error shape."""

    code: BlockCode
    message: str


@dataclass(slots=True)
class GuardResult:
    body: dict[str, Any]
    vault: Vault | None = None
    verdicts: list[Verdict] = field(default_factory=list)
    blocked: GuardBlocked | None = None
