"""Guardrails: Japanese and English PII masking with exact restore, prompt-injection detection, output checks.

from tenbin.guard import GuardSettings, Guard
guard = Guard(GuardSettings(pii={"action": "mask"}, injection={"action": "block"}))
result = guard.inspect_request(body)        # result.body, .vault, .verdicts, .blocked
guard.restore_response(response, result.vault)
"""

from tenbin.guard.config import GuardSettings, InjectionSettings, OutputSettings, PiiSettings
from tenbin.guard.guard import Guard
from tenbin.guard.injection import ModelNotFoundError, injection_score
from tenbin.guard.messages import GuardInputError
from tenbin.guard.pii import PII_TYPES, Entity, detect_pii
from tenbin.guard.stream import StreamRestorer
from tenbin.guard.vault import PLACEHOLDER_RE, Vault, mask_text
from tenbin.guard.verdict import GuardBlocked, GuardResult, Verdict

__all__ = [
    "PII_TYPES",
    "PLACEHOLDER_RE",
    "Entity",
    "Guard",
    "GuardBlocked",
    "GuardInputError",
    "GuardResult",
    "GuardSettings",
    "InjectionSettings",
    "ModelNotFoundError",
    "OutputSettings",
    "PiiSettings",
    "StreamRestorer",
    "Vault",
    "Verdict",
    "detect_pii",
    "injection_score",
    "mask_text",
]
