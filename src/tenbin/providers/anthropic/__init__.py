"""Anthropic's Messages API, translated to and from the OpenAI chat-completions wire format.

Options (``providers.NAME.options``):

- ``anthropic_version`` (default ``"2023-06-01"``): the ``anthropic-version`` header.
- ``default_max_tokens`` (default 4096): Anthropic requires ``max_tokens``; used when the client sends none.
- ``drop_sampling_params`` (default false): leave ``temperature`` / ``top_p`` out of the request instead of
  sending them. API versions from 2026-10-21 on, and the newest models, refuse these parameters.

``response_format`` of type ``json_schema`` becomes Anthropic's native ``output_config.format``; type
``json_object`` has no Anthropic counterpart and is refused with a clear error.
"""

from tenbin.providers.anthropic._provider import AnthropicProvider

__all__ = ["AnthropicProvider"]
