"""One completion from a loaded model, run in the model's worker thread, text handed out as it is decoded.

``generate`` calls every stopping criterion once per new token, after appending it: the watcher below uses that
hook to decode the token, report new text, and stop on a stop string, an end token or a cancelled request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import GenerationConfig, StoppingCriteria, StoppingCriteriaList

from tenbin.providers.local.decode import IncrementalDecoder, StopMatcher
from tenbin.providers.local.request import Sampling


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    finish_reason: str
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class SpecialIds:
    """The model's own end, padding and start tokens (the end set may hold several, e.g. <eot> and <eos>)."""

    end: frozenset[int]
    pad: int | None
    bos: int | None


class _TokenWatcher(StoppingCriteria):  # type: ignore[misc]
    def __init__(
        self,
        prompt_length: int,
        decode: Callable[[Sequence[int]], str],
        stops: Sequence[str],
        end_ids: frozenset[int],
        on_text: Callable[[str], None],
        should_stop: Callable[[], bool],
    ) -> None:
        self.prompt_length = prompt_length
        self.decoder = IncrementalDecoder(decode)
        self.matcher = StopMatcher(stops)
        self.end_ids = end_ids
        self.on_text = on_text
        self.should_stop = should_stop
        self.generated: list[int] = []
        self.pieces: list[str] = []
        self.ended = False

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        for token in input_ids[0, self.prompt_length + len(self.generated) :].tolist():
            self.generated.append(token)
            if token in self.end_ids:
                self.ended = True
                break
            self._emit(self.matcher.push(self.decoder.push(token)))
            if self.matcher.stopped:
                break
        done = self.ended or self.matcher.stopped or self.should_stop()
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)

    def finish(self) -> None:
        """Hand out what the decoder and the stop matcher still hold once generation is over."""
        self._emit(self.matcher.push(self.decoder.flush()))
        self._emit(self.matcher.flush())

    def _emit(self, text: str) -> None:
        if text:
            self.pieces.append(text)
            self.on_text(text)


def generate_completion(
    model: Any,
    decode: Callable[[Sequence[int]], str],
    prompt_ids: list[int],
    sampling: Sampling,
    max_new_tokens: int,
    special: SpecialIds,
    on_text: Callable[[str], None],
    should_stop: Callable[[], bool],
) -> Completion:
    """Generate one completion; ``on_text`` gets each new piece of text, stop strings already cut out.

    ``should_stop`` is asked after every token: the caller gave up, or the model is being unloaded.
    """
    if should_stop():
        return Completion("", "stop", 0)
    watcher = _TokenWatcher(len(prompt_ids), decode, sampling.stop, special.end, on_text, should_stop)
    inputs = torch.tensor([prompt_ids], dtype=torch.long, device=model.device)
    model.generate(
        inputs,
        attention_mask=torch.ones_like(inputs),
        generation_config=_generation_config(sampling, max_new_tokens, special),
        stopping_criteria=StoppingCriteriaList([watcher]),
    )
    watcher.finish()
    hit_limit = not (watcher.ended or watcher.matcher.stopped) and len(watcher.generated) >= max_new_tokens
    return Completion("".join(watcher.pieces), "length" if hit_limit else "stop", len(watcher.generated))


def _generation_config(sampling: Sampling, max_new_tokens: int, special: SpecialIds) -> GenerationConfig:
    """A fresh config so the request alone decides sampling, not the checkpoint's generation_config.json."""
    settings: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "eos_token_id": sorted(special.end) or None,
        "pad_token_id": special.pad,
        "bos_token_id": special.bos,
    }
    if sampling.temperature > 0:
        settings |= {"do_sample": True, "temperature": sampling.temperature, "top_p": sampling.top_p, "top_k": 0}
    else:
        settings |= {"do_sample": False}
    return GenerationConfig(**settings)
