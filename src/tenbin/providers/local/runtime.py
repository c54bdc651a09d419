"""A loaded model and tokenizer with the one worker thread that runs everything touching them.

One thread per model: generations queue up one at a time (a CPU model gains nothing from running two at once),
and the tokenizer, which is not safe to share between threads, is only ever used there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import try_to_load_from_cache
from jinja2 import TemplateError
from transformers import AutoModelForCausalLM, AutoTokenizer

from tenbin.errors import InvalidRequest, TenbinError, UpstreamError, UpstreamUnavailable
from tenbin.providers.local.generation import Completion, SpecialIds, generate_completion
from tenbin.providers.local.options import LocalOptions
from tenbin.providers.local.request import ChatRequest

_SAMPLING_TURN = threading.Lock()
_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}

#: Called from the worker thread with (choice index, text) for each new piece of text, then (index, Completion).
OnEvent = Callable[[int, "str | Completion"], None]


@dataclass(slots=True)
class ChatRun:
    prompt_tokens: int
    completions: list[Completion] = field(default_factory=list)


class LocalModel:
    def __init__(self, name: str, tokenizer: Any, model: Any, threads: int | None = None) -> None:
        self.name = name
        self.tokenizer = tokenizer
        self.model = model
        self.context = getattr(model.config, "max_position_embeddings", None)
        self.special = _special_ids(tokenizer, model)
        self.closing = threading.Event()
        # torch's thread count is per-thread state in some builds: set it where the work runs.
        setup = None if threads is None else partial(torch.set_num_threads, threads)
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tenbin-local", initializer=setup)

    @classmethod
    def load(cls, name: str, options: LocalOptions) -> LocalModel:
        """Read tokenizer and weights from disk or the Hugging Face cache; never download."""
        source = _source(name)
        dtype: Any = "auto" if options.dtype == "auto" else _DTYPES[options.dtype]
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
            model: Any = AutoModelForCausalLM.from_pretrained(source, local_files_only=True, dtype=dtype)
            model.to(options.device)
        except Exception as error:
            raise UpstreamUnavailable(
                f"local model {name!r} could not be loaded: {type(error).__name__}: {error}"
            ) from None
        model.eval()
        return cls(name, tokenizer, model, options.threads)

    def run_chat(self, request: ChatRequest, on_event: OnEvent, cancelled: threading.Event) -> ChatRun:
        """Template the conversation and generate ``n`` completions one after another (worker thread)."""
        try:
            prompt_ids = self._prompt_ids(request.messages)
            room = self._room_after(prompt_ids)
            run = ChatRun(prompt_tokens=len(prompt_ids))
            sampling = request.sampling
            # Sampling draws on torch's one global generator: models sampling side by side would disturb
            # each other's seeded sequences, so sampled runs take turns across all local models.
            with _SAMPLING_TURN if sampling.temperature > 0 else nullcontext():
                if sampling.seed is not None:
                    torch.manual_seed(sampling.seed)
                for index in range(sampling.n):
                    completion = generate_completion(
                        self.model,
                        self._decode,
                        prompt_ids,
                        sampling,
                        min(sampling.max_new_tokens, room),
                        self.special,
                        partial(on_event, index),
                        lambda: cancelled.is_set() or self.closing.is_set(),
                    )
                    run.completions.append(completion)
                    on_event(index, completion)
            return run
        except TenbinError:
            raise
        except Exception as error:
            raise UpstreamError(f"local model {self.name!r} failed: {type(error).__name__}: {error}") from error

    def embed(self, items: Sequence[str | list[int]]) -> tuple[list[list[float]], int]:
        """Mean of the last hidden states over each input's tokens, scaled to unit length (worker thread)."""
        vectors, total = [], 0
        try:
            with torch.inference_mode():
                for index, item in enumerate(items):
                    ids = item if isinstance(item, list) else list(self.tokenizer(item)["input_ids"])
                    self._check_embedding_ids(ids, index)
                    inputs = torch.tensor([ids], dtype=torch.long, device=self.model.device)
                    hidden = self.model.base_model(input_ids=inputs).last_hidden_state[0].float().mean(dim=0)
                    vectors.append(torch.nn.functional.normalize(hidden, dim=0).tolist())
                    total += len(ids)
        except TenbinError:
            raise
        except Exception as error:
            raise UpstreamError(f"local model {self.name!r} failed: {type(error).__name__}: {error}") from error
        return vectors, total

    def close(self) -> None:
        """Drop queued work and end a running generation at its next token."""
        self.closing.set()
        self.worker.shutdown(wait=False, cancel_futures=True)

    def _prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        if not getattr(self.tokenizer, "chat_template", None):
            raise InvalidRequest(
                f"local model {self.name!r} has no chat template, so it cannot take chat messages "
                "(use an instruction-tuned model, or add a chat_template to its tokenizer_config.json)",
                param="model",
            )
        try:
            # Control tokens typed by the client stay text: a user cannot forge an assistant turn.
            encoded = self.tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=True, return_dict=True, sanitize_control_tokens=True
            )
        except TemplateError as error:
            raise InvalidRequest(
                f"the chat template of local model {self.name!r} rejected the messages: {error}", param="messages"
            ) from None
        return list(encoded["input_ids"])

    def _room_after(self, prompt_ids: list[int]) -> int:
        """How many tokens may still be generated after the prompt within the model's context."""
        if self.context is None:
            return 2**31
        if len(prompt_ids) >= self.context:
            raise InvalidRequest(
                f"the prompt is {len(prompt_ids)} tokens but local model {self.name!r} reads at most "
                f"{self.context} tokens",
                param="messages",
                code="context_length_exceeded",
            )
        return int(self.context) - len(prompt_ids)

    def _check_embedding_ids(self, ids: list[int], index: int) -> None:
        if not ids:
            raise InvalidRequest(f"input[{index}] is empty", param="input")
        if self.context is not None and len(ids) > self.context:
            raise InvalidRequest(
                f"input[{index}] is {len(ids)} tokens but local model {self.name!r} reads at most {self.context}",
                param="input",
                code="context_length_exceeded",
            )
        vocabulary = self.model.get_input_embeddings().num_embeddings
        if any(not 0 <= token < vocabulary for token in ids):
            raise InvalidRequest(f"input[{index}] holds token ids outside 0..{vocabulary - 1}", param="input")

    def _decode(self, ids: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(ids), skip_special_tokens=True))


def _source(name: str) -> str:
    """A model directory, or a hub id whose files are already cached; anything else is a clear error."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise UpstreamUnavailable(
                f"local model {name!r} could not be loaded: the directory holds no config.json "
                "(expected a transformers model saved with save_pretrained)"
            )
        return str(path)
    if name.startswith(("/", ".", "~")) or "\\" in name:
        raise UpstreamUnavailable(f"local model {name!r} could not be loaded: no such directory")
    if not isinstance(try_to_load_from_cache(name, "config.json"), str):
        raise UpstreamUnavailable(
            f"local model {name!r} could not be loaded: it is not a directory and not in the Hugging Face cache "
            f"(tenbin never downloads; fetch it first, e.g. `hf download {name}`)"
        )
    return name


def _special_ids(tokenizer: Any, model: Any) -> SpecialIds:
    config = model.generation_config
    end = config.eos_token_id if config.eos_token_id is not None else tokenizer.eos_token_id
    ends = frozenset(end if isinstance(end, list) else [end] if end is not None else [])
    pad = config.pad_token_id if config.pad_token_id is not None else tokenizer.pad_token_id
    if pad is None and ends:
        pad = min(ends)  # batch of one: padding is never used, but generate wants a value
    return SpecialIds(end=ends, pad=pad, bos=config.bos_token_id)
