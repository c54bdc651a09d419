"""In-process Hugging Face transformers models (the optional ``local`` extra: torch + transformers).

``providers.NAME: {type: local, options: {...}}``; each model entry's ``model`` is a local directory, or a hub id
whose weights are already in the Hugging Face cache: nothing is ever downloaded. See ``options.LocalOptions``.
"""

from tenbin.providers.local.provider import LocalProvider

__all__ = ["LocalProvider"]
