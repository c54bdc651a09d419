"""A/B report for a route that splits traffic: each variant's outcomes from the ledger, and the difference
from the first variant with a 95% confidence interval."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class MeanCI:
    mean: float | None
    low: float | None
    high: float | None
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "ci95": [self.low, self.high], "n": self.n}


def mean_ci(values: list[float]) -> MeanCI:
    n = len(values)
    if n == 0:
        return MeanCI(None, None, None, 0)
    mean = sum(values) / n
    if n == 1:
        return MeanCI(mean, None, None, 1)
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = Z95 * math.sqrt(variance / n)
    return MeanCI(mean, mean - half, mean + half, n)


def difference_ci(a: list[float], b: list[float]) -> MeanCI:
    """Welch's normal-approximation interval for mean(b) - mean(a)."""
    if len(a) < 2 or len(b) < 2:
        return MeanCI(None, None, None, min(len(a), len(b)))
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    va = sum((v - ma) ** 2 for v in a) / (len(a) - 1)
    vb = sum((v - mb) ** 2 for v in b) / (len(b) - 1)
    half = Z95 * math.sqrt(va / len(a) + vb / len(b))
    return MeanCI(mb - ma, mb - ma - half, mb - ma + half, len(a) + len(b))


METRICS = ("feedback", "success", "cost_usd", "latency_s")


def ab_report(rows: list[dict[str, Any]], route: str) -> dict[str, Any]:
    """``rows``: ledger rows (with ``feedback`` joined in) of any requests; only those routed by ``route`` count."""
    by_variant: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    models: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        decision = row.get("route")
        if not isinstance(decision, dict) or decision.get("route") != route:
            continue
        variant = str(decision.get("variant"))
        values = by_variant[variant]
        models[variant][str(decision.get("model"))] += 1
        values["success"].append(1.0 if row["status"] == 200 else 0.0)
        if row.get("feedback") is not None:
            values["feedback"].append(float(row["feedback"]))
        if row.get("cost_usd") is not None:
            values["cost_usd"].append(float(row["cost_usd"]))
        if row.get("latency_ms") is not None:
            values["latency_s"].append(float(row["latency_ms"]) / 1000)
    variants = sorted(by_variant)
    report: dict[str, Any] = {"route": route, "variants": {}, "differences": {}}
    for variant in variants:
        values = by_variant[variant]
        report["variants"][variant] = {
            "requests": len(values["success"]),
            "models": dict(models[variant]),
            **{metric: mean_ci(values[metric]).as_dict() for metric in METRICS},
        }
    if variants:
        control = variants[0]
        for variant in variants[1:]:
            report["differences"][f"{variant} - {control}"] = {
                metric: difference_ci(by_variant[control][metric], by_variant[variant][metric]).as_dict()
                for metric in METRICS
            }
    return report
