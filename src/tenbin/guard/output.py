"""Output checks: does the response leak the system prompt (or a secret in it), or carry new PII?"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any

from tenbin.guard.messages import iter_all_texts, iter_content_texts, request_messages
from tenbin.guard.pii import Entity, detect_pii
from tenbin.guard.verdict import Verdict

SHINGLE_CHARS = 24
LEAK_THRESHOLD = 0.3
_SECRET_TYPES = frozenset({"API_KEY", "SECRET", "PRIVATE_KEY"})
# "the password is banana", "合言葉は「やまびこ」": values a system prompt asks the model to keep.
_GUARDED_WORD = re.compile(
    r"(?:password|passcode|pass phrase|passphrase|secret(?: word| code| key)?|code word|access code|"
    r"パスワード|合言葉|暗証番号|秘密の(?:言葉|コード|キー))"
    r"\s*(?:is|was|:|=|は|：)\s*[\"'「『`]?([^\s\"'」』`、。,.]{3,64})",
    re.IGNORECASE,
)


def _normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _shingles(text: str) -> set[str]:
    return {text[i : i + SHINGLE_CHARS] for i in range(0, max(1, len(text) - SHINGLE_CHARS + 1))}


def system_prompts(request_body: Any) -> list[str]:
    return [
        text
        for message in request_messages(request_body)
        if message.get("role") in ("system", "developer")
        for text in iter_content_texts(message)
        if text.strip()
    ]


def guarded_values(system_text: str) -> set[str]:
    """Secrets a system prompt holds: API keys and the like, and values named as passwords."""
    values = {e.text for e in detect_pii(system_text) if e.type in _SECRET_TYPES}
    values.update(match.group(1) for match in _GUARDED_WORD.finditer(system_text))
    return values


def leakage_score(output: str, system_texts: list[str]) -> tuple[float, str]:
    """(score in [0, 1], reason) — share of the system prompt reproduced, or 1.0 when a secret appears."""
    out_norm = _normalize(output)
    best, reason = 0.0, "no overlap with the system prompt"
    for system in system_texts:
        for value in guarded_values(system):
            if _normalize(value) in out_norm:
                return 1.0, "response contains a secret from the system prompt"
        sys_norm = _normalize(system)
        if len(sys_norm) < SHINGLE_CHARS:
            share = 1.0 if sys_norm and sys_norm in out_norm else 0.0
        else:
            reference = _shingles(sys_norm)
            share = len(reference & _shingles(out_norm)) / len(reference)
        if share > best:
            best, reason = share, f"response reproduces {100 * share:.0f}% of the system prompt"
    return best, reason


def new_output_pii(output: str, request_body: Any) -> list[Entity]:
    """PII in the response whose value the request did not already contain (the client's own data is fine)."""
    request_text = "\n".join(
        text for message in request_messages(request_body) for text in iter_all_texts(message)
    )
    return [e for e in detect_pii(output) if e.text not in request_text]


def describe_types(entities: list[Entity]) -> str:
    counts = Counter(e.type for e in entities)
    return ", ".join(f"{kind}×{count}" for kind, count in sorted(counts.items()))


def output_verdicts(output: str, request_body: Any, leakage: str, pii: str) -> list[Verdict]:
    verdicts: list[Verdict] = []
    if leakage != "off":
        score, reason = leakage_score(output, system_prompts(request_body))
        verdicts.append(Verdict("leakage", round(score, 4), score >= LEAK_THRESHOLD, reason))
    if pii != "off":
        found = new_output_pii(output, request_body)
        detail = (
            f"response carries PII not in the request: {describe_types(found)}" if found else "no new PII"
        )
        verdicts.append(Verdict("pii", 1.0 if found else 0.0, bool(found), detail))
    return verdicts
