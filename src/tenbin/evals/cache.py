"""Response cache: an append-only JSONL file keyed on (model, messages, parameters, sample index).

Append-only so a killed run loses at most the line being written (a torn last line is skipped on load).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tenbin.evals.base import Completion, EvalError

__all__ = ["ResponseCache", "cache_key"]


def cache_key(model: str, messages: list[dict[str, Any]], params: dict[str, Any], sample: int) -> str:
    blob = json.dumps(
        {"model": model, "messages": messages, "params": params, "sample": sample},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self.hits = 0
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                with path.open(encoding="utf-8") as fh:
                    for line in fh:
                        try:
                            row = json.loads(line)
                            self.entries[row["key"]] = row["completion"]
                        except (json.JSONDecodeError, KeyError, TypeError):
                            continue  # a line torn by a kill
            self._fh = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise EvalError(f"cannot use cache file {path}: {exc.strerror}") from None

    def get(self, key: str) -> Completion | None:
        found = self.entries.get(key)
        if found is None:
            return None
        self.hits += 1
        return Completion(**{**found, "cached": True})

    def put(self, key: str, completion: Completion) -> None:
        data = asdict(completion) | {"cached": False}
        self.entries[key] = data
        if self.path is not None:
            self._fh.write(json.dumps({"key": key, "completion": data}, ensure_ascii=False) + "\n")
            self._fh.flush()

    def close(self) -> None:
        if self.path is not None:
            self._fh.close()
