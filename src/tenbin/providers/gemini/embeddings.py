"""OpenAI embeddings request ↔ Gemini ``batchEmbedContents``."""

from __future__ import annotations

import base64
import struct
from typing import Any

from tenbin.errors import InvalidRequest, UpstreamError
from tenbin.providers.base import Body


def embedding_texts(body: Body) -> list[str]:
    inputs = body.get("input")
    texts = [inputs] if isinstance(inputs, str) else inputs
    if not isinstance(texts, list) or not texts:
        raise InvalidRequest("`input` must be a string or a non-empty list of strings", param="input")
    if not all(isinstance(text, str) for text in texts):
        raise InvalidRequest("Gemini embeds text only: `input` must be strings, not token ids", param="input")
    return texts


def batch_request(body: Body, model_name: str) -> Body:
    dimensions = body.get("dimensions")
    if dimensions is not None and (isinstance(dimensions, bool) or not isinstance(dimensions, int)):
        raise InvalidRequest("`dimensions` must be an integer", param="dimensions")
    if body.get("encoding_format") not in (None, "float", "base64"):
        raise InvalidRequest("`encoding_format` must be float or base64", param="encoding_format")
    requests = []
    for text in embedding_texts(body):
        request: Body = {"model": model_name, "content": {"parts": [{"text": text}]}}
        if dimensions is not None:
            request["outputDimensionality"] = dimensions
        requests.append(request)
    return {"requests": requests}


def embedding_response(response: Any, body: Body, model: str) -> Body:
    embeddings = response.get("embeddings") if isinstance(response, dict) else None
    if not isinstance(embeddings, list):
        raise UpstreamError("gemini upstream sent an embedding response without `embeddings`")
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, embedding in enumerate(embeddings):
        values = embedding.get("values") if isinstance(embedding, dict) else None
        if not isinstance(values, list):
            raise UpstreamError(f"gemini upstream sent embedding {index} without values")
        data.append({"object": "embedding", "index": index, "embedding": _encode(values) if as_base64 else values})
    result: Body = {"object": "list", "data": data, "model": model}
    # Gemini reports tokens for embeddings only sometimes; without them the core estimates and says so.
    meta = response.get("usageMetadata")
    if isinstance(meta, dict) and meta.get("promptTokenCount") is not None:
        tokens = int(meta["promptTokenCount"])
        result["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
    return result


def _encode(values: list[float]) -> str:
    """OpenAI's base64 format: little-endian float32."""
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
