"""An order-aware view of a text over the concept vocabulary, and a tiny 1-D CNN scored in numpy.

Experimental (round 6, not shipped; see docs/guard.md): a bag of concepts cannot tell a quoted instruction
from a given one, so the text becomes a token sequence in which lexicon words are their concept ids (the
same id for English and Japanese, which keeps the cross-lingual transfer), other words fall into a few
hundred hashed buckets, and quotes, sentence ends, newlines and colons are markers. A CNN over that sequence
(trained with torch by sequence_train.py) sees order; inference here needs numpy only.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tenbin.guard.concepts import CONCEPTS, PATTERNS
from tenbin.guard.normalize_text import normalize

MAX_TOKENS = 512
N_BUCKETS = 384
MARKERS: tuple[str, ...] = ("PAD", "QUOTE", "SENT_END", "NEWLINE", "COLON", "BLOB", "DECODED", "NUMBER")
_MARKER_ID = {name: i for i, name in enumerate(MARKERS)}
CONCEPT_BASE = len(MARKERS)
BUCKET_BASE = CONCEPT_BASE + len(CONCEPTS)
VOCAB_SIZE = BUCKET_BASE + N_BUCKETS

# Latin words, digit runs, one run per Japanese script (kanji / hiragana / katakana), and the marker symbols.
_PIECE = re.compile(
    r"[a-z']+|[0-9]+|[\u4e00-\u9fff々]+|[\u3041-\u309f]+|[\u30a0-\u30ffー]+|"
    r"[「」『』“”\"]|[。！？!?]|[.．](?=\s|$)|\n|[:：]|〔blob〕"
)
_MARK_OF = {
    **dict.fromkeys('「」『』“”"', "QUOTE"),
    **dict.fromkeys("。！？!?.．", "SENT_END"),
    "\n": "NEWLINE",
    ":": "COLON",
    "：": "COLON",
    "〔blob〕": "BLOB",
}
# Hiragana runs are mostly particles and endings: only the first few characters carry the grammar.
_HIRAGANA = re.compile(r"[\u3041-\u309f]+")


def tokenize(text: str, max_tokens: int = MAX_TOKENS, buckets: int = N_BUCKETS) -> np.ndarray:
    """Token ids of `text` (int32, at most max_tokens, at least one); words outside the lexicon fall into
    `buckets` hashed ids (1: every such word is the same token, only concepts, markers and distance left)."""
    if not 1 <= buckets <= N_BUCKETS:
        raise ValueError(f"buckets must be between 1 and {N_BUCKETS}, got {buckets}")
    norm = normalize(text)
    ids: list[int] = []
    for part_index, part in enumerate((norm.text, *norm.decoded)):
        if part_index:
            ids.append(_MARKER_ID["DECODED"])
        ids.extend(_tokens(part, buckets))
        if len(ids) >= max_tokens:
            break
    return np.array(ids[:max_tokens] or [_MARKER_ID["PAD"]], dtype=np.int32)


def _tokens(text: str, buckets: int) -> list[int]:
    events: list[tuple[int, int]] = []
    covered = np.zeros(len(text) + 1, dtype=bool)
    for index, name in enumerate(CONCEPTS):
        for match in PATTERNS[name].finditer(text):
            events.append((match.start(), CONCEPT_BASE + index))
            covered[match.start() : max(match.end(), match.start() + 1)] = True
    for match in _PIECE.finditer(text):
        piece = match.group(0)
        if piece in _MARK_OF:
            events.append((match.start(), _MARKER_ID[_MARK_OF[piece]]))
        elif not covered[match.start()]:
            events.append((match.start(), _piece_id(piece, buckets)))
    events.sort()
    return [token for _, token in events]


def _piece_id(piece: str, buckets: int) -> int:
    if piece.isdigit():
        return _MARKER_ID["NUMBER"]
    if _HIRAGANA.fullmatch(piece):
        piece = piece[:3]
    return BUCKET_BASE + zlib.crc32(piece.encode("utf-8")) % buckets


@dataclass(frozen=True)
class SequenceCNN:
    """Embedding -> parallel convolutions (one per width) -> ReLU -> global max-pool -> linear logit."""

    embedding: np.ndarray  # (VOCAB_SIZE, dim)
    convs: tuple[
        tuple[np.ndarray, np.ndarray], ...
    ]  # per width: kernel (width * dim, filters), bias (filters,)
    out_weight: np.ndarray  # (sum of filters,)
    out_bias: float

    @classmethod
    def load(cls, path: Path) -> SequenceCNN:
        if not path.is_file():
            raise FileNotFoundError(f"sequence model not found at {path}")
        with np.load(path, allow_pickle=False) as archive:
            widths = [int(w) for w in archive["widths"]]
            convs = tuple((archive[f"conv{w}_w"], archive[f"conv{w}_b"]) for w in widths)
            return cls(archive["embedding"], convs, archive["out_w"], float(archive["out_b"]))

    def save(self, path: Path) -> None:
        dim = self.embedding.shape[1]
        arrays: dict[str, Any] = {
            "embedding": self.embedding,
            "out_w": self.out_weight,
            "out_b": np.float32(self.out_bias),
            "widths": np.array([kernel.shape[0] // dim for kernel, _ in self.convs]),
        }
        for kernel, bias in self.convs:
            arrays[f"conv{kernel.shape[0] // dim}_w"] = kernel
            arrays[f"conv{kernel.shape[0] // dim}_b"] = bias
        np.savez_compressed(path, **arrays)

    def pooled(self, tokens: np.ndarray) -> np.ndarray:
        dim = self.embedding.shape[1]
        emb = self.embedding[tokens]
        features = []
        for kernel, bias in self.convs:
            width = kernel.shape[0] // dim
            if len(emb) < width:
                emb = np.vstack([emb, np.repeat(self.embedding[:1], width - len(emb), axis=0)])
            # Sliding windows of `width` embeddings, flattened, times the kernel: a convolution as one matmul.
            windows = np.lib.stride_tricks.sliding_window_view(emb, (width, dim)).reshape(-1, width * dim)
            features.append(np.maximum(windows @ kernel + bias, 0.0).max(axis=0))
        return np.concatenate(features)

    def logit(self, tokens: np.ndarray) -> float:
        return float(self.pooled(tokens) @ self.out_weight + self.out_bias)

    def logit_text(self, text: str) -> float:
        return self.logit(tokenize(text))
