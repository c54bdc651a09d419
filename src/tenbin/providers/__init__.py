"""Upstream providers: one module per API, each only translating to and from the OpenAI wire format."""

from tenbin.providers.base import BaseProvider, Body, Provider
from tenbin.providers.registry import build_provider, provider_class, provider_kinds

__all__ = ["BaseProvider", "Body", "Provider", "build_provider", "provider_class", "provider_kinds"]
