"""The provider's own options, checked once at start-up so a typo fails loudly instead of silently."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tenbin.errors import ConfigError

DEFAULT_VERSION = "2023-06-01"
# From this API version on, Anthropic rejects temperature / top_p / top_k outright.
SAMPLING_REMOVED_IN = "2026-10-21"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class AnthropicOptions:
    anthropic_version: str = DEFAULT_VERSION
    default_max_tokens: int = 4096
    drop_sampling_params: bool = False

    @property
    def accepts_sampling_params(self) -> bool:
        # API versions are ISO dates, so string order is date order.
        return self.anthropic_version < SAMPLING_REMOVED_IN


def parse_options(raw: dict[str, Any]) -> AnthropicOptions:
    known = {"anthropic_version", "default_max_tokens", "drop_sampling_params"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"options.{unknown[0]}: unknown option (known: {', '.join(sorted(known))})")
    version = raw.get("anthropic_version", DEFAULT_VERSION)
    if not isinstance(version, str) or not _DATE.match(version):
        raise ConfigError(f"options.anthropic_version: expected a date like 2023-06-01, got {version!r}")
    max_tokens = raw.get("default_max_tokens", 4096)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise ConfigError(f"options.default_max_tokens: expected a positive integer, got {max_tokens!r}")
    drop = raw.get("drop_sampling_params", False)
    if not isinstance(drop, bool):
        raise ConfigError(f"options.drop_sampling_params: expected true or false, got {drop!r}")
    return AnthropicOptions(version, max_tokens, drop)
