"""Provider kinds are found through the ``tenbin.providers`` entry-point group.

Built-in providers register there exactly as a third-party plugin would (see pyproject.toml).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from tenbin.config import ProviderConfig
from tenbin.errors import ConfigError
from tenbin.providers.base import BaseProvider, Provider

ENTRY_POINT_GROUP = "tenbin.providers"


@cache
def provider_kinds() -> dict[str, str]:
    """Kind name -> 'module:Class' target, without importing any of them."""
    return {point.name: point.value for point in entry_points(group=ENTRY_POINT_GROUP)}


def provider_class(kind: str) -> type[BaseProvider]:
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name == kind:
            try:
                loaded = point.load()
            except ImportError as error:
                raise ConfigError(
                    f"provider type {kind!r} needs an optional dependency that is not installed: {error}"
                ) from None
            return loaded  # type: ignore[no-any-return]
    known = ", ".join(sorted(provider_kinds())) or "none"
    raise ConfigError(f"unknown provider type {kind!r} (known: {known})")


def build_provider(name: str, config: ProviderConfig) -> Provider:
    try:
        provider = provider_class(config.type)(config)
    except ConfigError as error:
        raise ConfigError(f"providers.{name}: {error.message}") from None
    if not isinstance(provider, Provider):
        raise ConfigError(f"providers.{name}: type {config.type!r} does not implement chat and stream")
    return provider
