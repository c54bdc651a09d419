"""The HTTP face of tenbin: an ASGI app speaking the OpenAI wire format."""

from tenbin.gateway.app import Gateway

__all__ = ["Gateway"]
