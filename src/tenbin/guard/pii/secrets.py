"""Recognisers for e-mail addresses, API keys, tokens and private keys."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tenbin.guard.pii.entity import Entity

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9])"
)

_KEY_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?<![A-Za-z0-9])sk-(?:proj-|ant-(?:api\d\d-)?|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    re.compile(r"(?<![A-Za-z0-9])(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}"),
    re.compile(r"(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{30,}"),
    re.compile(r"(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{30,}"),
    re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}(?![0-9A-Za-z])"),
    re.compile(r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"),
    re.compile(r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{30,}"),
    re.compile(r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
)

_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
    re.DOTALL,
)

# "password: hunter2", "APIキー＝abc123…": the value after a label, when it looks like a secret
# (has a digit or a symbol), so "the password is incorrect" stays as it is.
_LABELLED_SECRET = re.compile(
    r"(?:password|passwd|passcode|pwd|secret|api[_ \-]?key|access[_ \-]?key|access[_ \-]?token|auth[_ \-]?token|"
    r"bearer|パスワ[ー-]ド|暗証番号|秘密鍵|APIキ[ー-]|アクセスキ[ー-]|ト[ー-]クン)"
    r"\s*(?:[:=]|is|は|を)?\s*[\"'`]?([^\s\"'`、。,]{6,128})",
    re.IGNORECASE,
)
_SECRETISH = re.compile(r"[0-9]|[^A-Za-z0-9\u3040-\u30ff\u4e00-\u9fff]")


def find_emails(norm: str) -> Iterator[Entity]:
    for match in _EMAIL.finditer(norm):
        yield Entity("EMAIL", match.start(), match.end(), match.group())


def find_secrets(norm: str) -> Iterator[Entity]:
    for match in _PRIVATE_KEY.finditer(norm):
        yield Entity("PRIVATE_KEY", match.start(), match.end(), match.group())
    for pattern in _KEY_PATTERNS:
        for match in pattern.finditer(norm):
            yield Entity("API_KEY", match.start(), match.end(), match.group())
    for match in _LABELLED_SECRET.finditer(norm):
        value = match.group(1).rstrip(".!?;:)]}>")
        if _SECRETISH.search(value) and not value.startswith("<"):
            yield Entity("SECRET", match.start(1), match.start(1) + len(value), value)
