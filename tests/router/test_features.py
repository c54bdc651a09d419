"""Feature extraction: deterministic, works for Japanese and empty prompts, fixed width."""

from __future__ import annotations

import numpy as np

from tenbin.router.features import FeatureSpace, hashed_counts


def test_same_prompt_same_features_and_unit_norm() -> None:
    space = FeatureSpace(bits=10).fit(["hello world", "東京の天気", "def f(x): return x"])
    a = space.transform_one("東京の天気は晴れです")
    b = space.transform_one("東京の天気は晴れです")
    assert a.shape == (space.dim,)
    assert np.array_equal(a, b)
    assert abs(float(np.linalg.norm(a[: 1 << 10])) - 1.0) < 1e-5


def test_japanese_prompts_are_told_apart() -> None:
    space = FeatureSpace(bits=12).fit(["東京の天気", "大阪の食べ物", "hello"])
    a, b = space.transform_one("東京の天気を教えて"), space.transform_one("大阪の食べ物を教えて")
    c = space.transform_one("東京の天気を教えてください")
    n = 1 << 12
    assert float(a[:n] @ c[:n]) > float(a[:n] @ b[:n])


def test_empty_and_one_character_prompts() -> None:
    space = FeatureSpace(bits=8).fit(["", "a"])
    assert np.isfinite(space.transform_one("")).all()
    assert np.isfinite(space.transform_one("x")).all()


def test_counts_cover_each_requested_ngram() -> None:
    counts = hashed_counts("abcd", bits=16, ngrams=(1, 2))
    assert np.abs(counts).sum() == 4 + 3  # four unigrams, three bigrams (no collisions at 2**16)
