"""A small replay on the real shared outcomes (skipped when ../shared/data is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tenbin.router import FitConfig, fit_router, load_outcomes
from tenbin.router.evaluate import replay_router


def test_routellm_pair_train_half_replay_half(shared_data: Path) -> None:
    table = load_outcomes([shared_data / "routing" / "routellm_mmlu_dev.jsonl.gz"])
    perm = np.random.default_rng(0).permutation(table.n_items)[:1200]
    train, test = table.subset(perm[:600]), table.subset(perm[600:])
    router = fit_router(train, FitConfig(folds=2, rank=48))
    report = replay_router(router, test, n_boot=50)
    result = report["datasets"]["routellm/mmlu"]
    m = result["metrics"]
    assert result["pair"]["strong"] == "gpt-4-1106-preview"
    assert m["oracle.quality"]["value"] >= m["best_single.quality"]["value"]
    # Held-out routing must at least not lose to mixing the two models at random.
    assert m["router.apgr"]["value"] > 0.5
    assert m["router.aiq"]["value"] > m["zero_router.aiq"]["value"]
