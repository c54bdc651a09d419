"""Optional loading from the Hugging Face hub (``pip install datasets``); never used by tests."""

from __future__ import annotations

from typing import Any

from tenbin.evals.base import EvalError


def load_hub_rows(dataset: str, config: str | None, split: str) -> list[dict[str, Any]]:
    try:
        import datasets  # type: ignore[import-not-found]
    except ImportError:
        raise EvalError(
            f"no local data given and the optional 'datasets' package is not installed to fetch {dataset}; "
            "pass --data PATH (a local copy in the original format) or pip install datasets"
        ) from None
    try:
        return [dict(row) for row in datasets.load_dataset(dataset, config, split=split)]
    except Exception as exc:  # the hub raises many unrelated types (network, auth, missing config)
        raise EvalError(
            f"could not load {dataset} ({config}/{split}) from the Hugging Face hub: {exc}"
        ) from None
