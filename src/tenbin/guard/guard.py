"""The Guard: one policy object the gateway calls on the way in and on the way out.

A Guard is cheap to build (per request or per key is fine): it holds only its settings, and the
injection model is loaded once per process and shared read-only. All per-request state lives in the
Vault returned with the result, so concurrent requests never share anything mutable.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from tenbin.guard.config import GuardSettings
from tenbin.guard.injection import InjectionModel, shared_model
from tenbin.guard.messages import iter_all_texts, iter_content_texts, request_messages, rewrite_message
from tenbin.guard.output import new_output_pii, output_verdicts
from tenbin.guard.pii import Entity, detect_pii
from tenbin.guard.stream import StreamRestorer
from tenbin.guard.vault import Vault, mask_entities
from tenbin.guard.verdict import GuardBlocked, GuardResult, Verdict

# Roles whose text can carry an injection: the user, and tool output fetched from elsewhere.
SCANNED_ROLES = frozenset({"user", "tool", "function"})


class Guard:
    def __init__(self, settings: GuardSettings | None = None, model: InjectionModel | None = None) -> None:
        self.settings = settings or GuardSettings()
        self._model = model

    @property
    def model(self) -> InjectionModel:
        return self._model if self._model is not None else shared_model()

    def inspect_request(self, body: dict[str, Any]) -> GuardResult:
        """Scan and (per policy) mask a chat-completions request. The input is never mutated."""
        messages = request_messages(body)
        result = GuardResult(body=copy.deepcopy(body))
        if self.settings.injection.action != "off":
            verdict = self._injection_verdict(messages)
            result.verdicts.append(verdict)
            if verdict.flagged and self.settings.injection.action == "block":
                result.blocked = GuardBlocked(
                    "prompt_injection_detected", "The request was blocked: " + verdict.detail
                )
        if self.settings.pii.action != "off":
            self._apply_pii(result)
        return result

    def _injection_verdict(self, messages: list[dict[str, Any]]) -> Verdict:
        best, where = 0.0, "no scanned content"
        for index, message in enumerate(messages):
            if message.get("role") not in SCANNED_ROLES:
                continue
            for text in iter_content_texts(message):
                score = self.model.score(text)
                if score >= best:
                    best, where = score, f"messages[{index}] ({message.get('role')})"
        threshold = self.settings.injection.threshold
        flagged = best >= threshold
        label = "prompt injection detected" if flagged else "no prompt injection"
        return Verdict(
            "injection",
            round(best, 4),
            flagged,
            f"{label}: score {best:.2f} in {where}, threshold {threshold}",
        )

    def _apply_pii(self, result: GuardResult) -> None:
        messages = request_messages(result.body)
        found: list[Entity] = [e for m in messages for text in iter_all_texts(m) for e in detect_pii(text)]
        if not found:
            result.verdicts.append(Verdict("pii", 0.0, False, "no PII found"))
            return
        kinds = ", ".join(f"{kind}×{count}" for kind, count in sorted(Counter(e.type for e in found).items()))
        if self.settings.pii.action == "block":
            result.verdicts.append(Verdict("pii", 1.0, True, f"PII found: {kinds}"))
            if result.blocked is None:
                result.blocked = GuardBlocked(
                    "pii_detected", f"The request was blocked because it contains PII ({kinds})."
                )
            return
        vault = Vault()
        for message in messages:
            for text in iter_all_texts(message):
                vault.reserve_existing(text)
        for message in messages:
            rewrite_message(message, lambda text: mask_entities(text, detect_pii(text), vault))
        result.vault = vault if vault else None
        result.verdicts.append(Verdict("pii", 1.0, True, f"masked {len(vault)} distinct values: {kinds}"))

    def restore_response(self, response: dict[str, Any], vault: Vault | None) -> dict[str, Any]:
        """A copy of a non-streaming chat.completion with placeholders put back."""
        restored = copy.deepcopy(response)
        if vault is None or not vault:
            return restored
        choices = restored.get("choices") if isinstance(restored, dict) else None
        for choice in choices if isinstance(choices, list) else []:
            if not isinstance(choice, dict):
                continue
            if isinstance(choice.get("text"), str):
                choice["text"] = vault.restore(choice["text"])
            for key in ("message", "delta"):
                if isinstance(choice.get(key), dict):
                    rewrite_message(
                        choice[key], vault.restore, lambda args: vault.restore(args, escape_json=True)
                    )
        return restored

    def stream_restorer(self, vault: Vault | None) -> StreamRestorer:
        return StreamRestorer(vault)

    def check_output(self, text: str, request_body: dict[str, Any]) -> list[Verdict]:
        """System-prompt leakage and new PII in a response text (per the output settings)."""
        output = self.settings.output
        return output_verdicts(text, request_body, output.leakage, output.pii)

    def mask_output(self, text: str, request_body: dict[str, Any]) -> str:
        """Mask PII the response introduced (values the client did not send), for output.pii == "mask"."""
        vault = Vault()
        vault.reserve_existing(text)
        return mask_entities(text, new_output_pii(text, request_body), vault)
