"""The ``local`` provider: OpenAI requests answered by in-process transformers models, loaded lazily.

The event loop never waits on torch: loading runs in a helper thread, everything else in the model's own worker
thread, and streamed text crosses back to the loop through an asyncio queue.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch
import transformers
from transformers import PreTrainedTokenizerBase

from tenbin.config import ProviderConfig
from tenbin.errors import ConfigError, InvalidRequest, UpstreamUnavailable
from tenbin.providers.base import BaseProvider, Body
from tenbin.providers.local.generation import Completion
from tenbin.providers.local.options import parse_options
from tenbin.providers.local.request import embedding_inputs, parse_chat_request
from tenbin.providers.local.runtime import ChatRun, LocalModel

T = TypeVar("T")
_DONE = object()  # queue sentinel: the worker has finished the job


class LocalProvider(BaseProvider):
    supports_embeddings: ClassVar[bool] = True

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.options = parse_options(dict(config.options))
        _check_transformers()
        _check_device(self.options.device)
        if self.options.threads is not None:
            torch.set_num_threads(self.options.threads)
        self._models: dict[str, LocalModel] = {}
        self._load_lock = threading.Lock()

    async def chat(self, body: Body, model: str) -> Body:
        request = parse_chat_request(body, self.options.max_new_tokens)
        local = await self._model(model)
        cancelled = threading.Event()
        try:
            run = await _outcome(local, self._submit(local, local.run_chat, request, _ignore, cancelled))
        finally:
            cancelled.set()  # a caller that gave up stops the generation at its next token
        return _completion_body(run, model)

    async def stream(self, body: Body, model: str) -> AsyncIterator[Body]:
        request = parse_chat_request(body, self.options.max_new_tokens)
        local = await self._model(model)
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[Any] = asyncio.Queue()

        def on_event(index: int, event: str | Completion) -> None:  # runs in the worker thread
            with suppress(RuntimeError):  # the loop is gone: nobody is listening any more
                loop.call_soon_threadsafe(events.put_nowait, (index, event))

        cancelled = threading.Event()
        job = self._submit(local, local.run_chat, request, on_event, cancelled)
        job.add_done_callback(lambda _: events.put_nowait(_DONE))
        base = {"id": _completion_id(), "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
        opened: set[int] = set()
        try:
            while (item := await events.get()) is not _DONE:
                index, event = item
                if index not in opened:
                    opened.add(index)
                    yield base | {"choices": [_delta(index, {"role": "assistant", "content": ""})]}
                if isinstance(event, str):
                    yield base | {"choices": [_delta(index, {"content": event})]}
                else:
                    yield base | {"choices": [_delta(index, {}, event.finish_reason)]}
            run = await _outcome(local, job)
        finally:
            cancelled.set()
        yield base | {"choices": [], "usage": _usage(run)}

    async def embed(self, body: Body, model: str) -> Body:
        items = embedding_inputs(body)
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            raise InvalidRequest(f"encoding_format must be float or base64, not {encoding!r}", param="encoding_format")
        local = await self._model(model)
        vectors, tokens = await _outcome(local, self._submit(local, local.embed, items))
        dimensions = body.get("dimensions")
        if dimensions is not None and vectors and dimensions != len(vectors[0]):
            raise InvalidRequest(
                f"local model {model!r} makes {len(vectors[0])}-dimensional embeddings, not {dimensions}",
                param="dimensions",
            )
        return {
            "object": "list",
            "data": [
                {"object": "embedding", "index": index, "embedding": _encode(vector, encoding)}
                for index, vector in enumerate(vectors)
            ],
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    async def aclose(self) -> None:
        models, self._models = self._models, {}
        for local in models.values():
            local.close()

    async def _model(self, name: str) -> LocalModel:
        local = self._models.get(name)
        return local if local is not None else await asyncio.to_thread(self._load, name)

    def _load(self, name: str) -> LocalModel:
        with self._load_lock:  # two first requests for one model load it once
            if name not in self._models:
                self._models[name] = LocalModel.load(name, self.options)
            return self._models[name]

    def _submit(self, local: LocalModel, job: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        try:
            return asyncio.wrap_future(local.worker.submit(job, *args))
        except RuntimeError:  # the worker was shut down by aclose
            raise UpstreamUnavailable(f"local model {local.name!r} was unloaded before it answered") from None


async def _outcome(local: LocalModel, job: asyncio.Future[T]) -> T:
    """The job's result; a job the worker dropped because the model was unloaded is an upstream failure."""
    try:
        return await job
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # our caller was cancelled, not the job
        raise UpstreamUnavailable(f"local model {local.name!r} was unloaded before it answered") from None


def _check_transformers() -> None:
    # Without control-token sanitising a user could forge turns, so an older transformers is refused.
    if "sanitize_control_tokens" not in inspect.signature(PreTrainedTokenizerBase.apply_chat_template).parameters:
        raise ConfigError(
            f"the local provider needs a newer transformers than {transformers.__version__} "
            "(one whose apply_chat_template has sanitize_control_tokens; 5.24 is tested)"
        )


def _check_device(device: str) -> None:
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError) as error:
        raise ConfigError(f"options.device: {device!r} is not a torch device ({error})") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"options.device: {device!r} asked for, but this torch build or machine has no CUDA")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"options.device: {device!r} asked for, but MPS is not available here")


def _ignore(index: int, event: str | Completion) -> None:
    return None


def _completion_id() -> str:
    return f"chatcmpl-local{uuid.uuid4().hex}"


def _completion_body(run: ChatRun, model: str) -> Body:
    return {
        "id": _completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": index,
                "message": {"role": "assistant", "content": completion.text, "refusal": None},
                "finish_reason": completion.finish_reason,
                "logprobs": None,
            }
            for index, completion in enumerate(run.completions)
        ],
        "usage": _usage(run),
    }


def _usage(run: ChatRun) -> Body:
    completion_tokens = sum(completion.completion_tokens for completion in run.completions)
    return {
        "prompt_tokens": run.prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": run.prompt_tokens + completion_tokens,
    }


def _delta(index: int, delta: Body, finish: str | None = None) -> Body:
    return {"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}


def _encode(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "base64":  # what the openai SDK sends by default: little-endian float32
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
    return vector
