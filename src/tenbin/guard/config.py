"""Guard settings: strict pydantic models, everything off by default so a fresh gateway is a plain proxy."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PiiSettings(_Strict):
    action: Literal["mask", "block", "off"] = Field(
        default="off",
        description="mask: replace PII with placeholders and restore it in the response; block: reject with 400.",
    )


class InjectionSettings(_Strict):
    action: Literal["block", "flag", "off"] = Field(
        default="off",
        description="block: reject with 400 prompt_injection_detected; flag: pass and record the verdict.",
    )
    threshold: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Score at or above which a request counts as an injection."
    )


class OutputSettings(_Strict):
    leakage: Literal["block", "flag", "off"] = Field(
        default="off", description="Check whether the response reveals the system prompt or a secret in it."
    )
    pii: Literal["mask", "flag", "off"] = Field(
        default="off", description="PII in the response that the request did not contain: mask it or flag it."
    )


class GuardSettings(_Strict):
    pii: PiiSettings = Field(default=PiiSettings(), description="PII detection on every request message.")
    injection: InjectionSettings = Field(
        default=InjectionSettings(),
        description="Prompt-injection and jailbreak scan of user and tool content.",
    )
    output: OutputSettings = Field(default=OutputSettings(), description="Checks on the model's response.")

    def merged(self, override: dict[str, Any] | None) -> GuardSettings:
        """These settings with a partial per-key override deep-merged in, validated as strictly."""
        if not override:
            return self
        if not isinstance(override, dict):
            raise TypeError(f"guard override must be a mapping, got {type(override).__name__}")
        return GuardSettings.model_validate(_deep_merge(self.model_dump(), override))


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
