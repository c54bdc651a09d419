"""The Gemini provider: OpenAI chat completions and embeddings translated to Google's Gemini API and back."""

from tenbin.providers.gemini.provider import GeminiProvider

__all__ = ["GeminiProvider"]
