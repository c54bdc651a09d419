"""Request metrics in the Prometheus text format, kept in process.

Counters and histograms are plain dicts updated on the event loop, so recording costs a few dict operations;
rendering happens only when /metrics is scraped. With several workers, each one also publishes a snapshot of
its metrics about once a second and a scrape adds the others' latest snapshots to its own live numbers
(tenbin.observe.shared): the other workers' share of the totals may then lag by up to about a second.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

# Seconds; chosen to separate gateway overhead (ms) from model time (s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SNAPSHOT_FORMAT = 1


@dataclass(slots=True)
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(LATENCY_BUCKETS, value)] += 1
        self.total += value

    def add(self, other: Histogram) -> None:
        self.counts = [mine + theirs for mine, theirs in zip(self.counts, other.counts, strict=True)]
        self.total += other.total

    @classmethod
    def from_snapshot(cls, counts: Any, total: Any) -> Histogram:
        if not isinstance(counts, list) or len(counts) != len(LATENCY_BUCKETS) + 1:
            raise ValueError("histogram buckets do not match LATENCY_BUCKETS")
        return cls([int(count) for count in counts], float(total))


def _labels(**labels: str) -> str:
    escaped = (f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in labels.items())
    return "{" + ",".join(escaped) + "}"


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.tokens: dict[tuple[str, str], int] = defaultdict(int)
        self.cost: dict[str, float] = defaultdict(float)
        self.latency: dict[str, Histogram] = defaultdict(Histogram)
        self.ttft: dict[str, Histogram] = defaultdict(Histogram)
        self.guard: dict[tuple[str, str], int] = defaultdict(int)

    def record(
        self,
        endpoint: str,
        model: str | None,
        status: int,
        latency_s: float | None,
        ttft_s: float | None,
        input_tokens: int | None,
        output_tokens: int | None,
        cost_usd: float | None,
    ) -> None:
        name = model or "-"
        self.requests[(endpoint, name, str(status))] += 1
        if latency_s is not None:
            self.latency[name].observe(latency_s)
        if ttft_s is not None:
            self.ttft[name].observe(ttft_s)
        if input_tokens:
            self.tokens[(name, "input")] += input_tokens
        if output_tokens:
            self.tokens[(name, "output")] += output_tokens
        if cost_usd:
            self.cost[name] += cost_usd

    def record_guard(self, kind: str, outcome: str) -> None:
        self.guard[(kind, outcome)] += 1

    def snapshot(self) -> dict[str, Any]:
        """Everything recorded so far as JSON-ready lists (label tuples cannot be JSON keys)."""
        return {
            "format": SNAPSHOT_FORMAT,
            "requests": [[*labels, count] for labels, count in self.requests.items()],
            "tokens": [[*labels, count] for labels, count in self.tokens.items()],
            "cost": [[model, usd] for model, usd in self.cost.items()],
            "guard": [[*labels, count] for labels, count in self.guard.items()],
            "latency": [[model, h.counts, h.total] for model, h in self.latency.items()],
            "ttft": [[model, h.counts, h.total] for model, h in self.ttft.items()],
        }

    @classmethod
    def from_snapshot(cls, data: Any) -> Metrics:
        """The metrics a snapshot holds; ValueError, TypeError or KeyError when it is not a valid snapshot."""
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise ValueError("not a metrics snapshot")
        metrics = cls()
        _load_counters(metrics.requests, data["requests"], 3, int)
        _load_counters(metrics.tokens, data["tokens"], 2, int)
        _load_counters(metrics.cost, data["cost"], 1, float)
        _load_counters(metrics.guard, data["guard"], 2, int)
        _load_histograms(metrics.latency, data["latency"])
        _load_histograms(metrics.ttft, data["ttft"])
        return metrics

    def add(self, other: Metrics) -> None:
        """Sum another worker's metrics into these."""
        _add_counts(self.requests, other.requests)
        _add_counts(self.tokens, other.tokens)
        _add_counts(self.cost, other.cost)
        _add_counts(self.guard, other.guard)
        for model, histogram in other.latency.items():
            self.latency[model].add(histogram)
        for model, histogram in other.ttft.items():
            self.ttft[model].add(histogram)

    def render(self) -> str:
        lines = [
            "# HELP tenbin_requests_total Requests by endpoint, model asked and HTTP status.",
            "# TYPE tenbin_requests_total counter",
        ]
        for (endpoint, model, status), count in sorted(self.requests.items()):
            lines.append(f"tenbin_requests_total{_labels(endpoint=endpoint, model=model, status=status)} {count}")
        lines += ["# HELP tenbin_tokens_total Tokens by model and direction.", "# TYPE tenbin_tokens_total counter"]
        for (model, direction), count in sorted(self.tokens.items()):
            lines.append(f"tenbin_tokens_total{_labels(model=model, direction=direction)} {count}")
        lines += ["# HELP tenbin_cost_usd_total Spend by model, from the price table.", "# TYPE tenbin_cost_usd_total counter"]
        for model, usd in sorted(self.cost.items()):
            lines.append(f"tenbin_cost_usd_total{_labels(model=model)} {usd:.10g}")
        lines += ["# HELP tenbin_guard_verdicts_total Guard verdicts by kind and outcome.",
                  "# TYPE tenbin_guard_verdicts_total counter"]
        for (kind, outcome), count in sorted(self.guard.items()):
            lines.append(f"tenbin_guard_verdicts_total{_labels(kind=kind, outcome=outcome)} {count}")
        lines += self._histogram("tenbin_request_duration_seconds", "Request latency by model.", self.latency)
        lines += self._histogram("tenbin_time_to_first_token_seconds", "Time to first token by model.", self.ttft)
        return "\n".join(lines) + "\n"

    @staticmethod
    def _histogram(metric: str, help_text: str, series: dict[str, Histogram]) -> list[str]:
        lines = [f"# HELP {metric} {help_text}", f"# TYPE {metric} histogram"]
        for model, histogram in sorted(series.items()):
            running = 0
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), histogram.counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                lines.append(f"{metric}_bucket{_labels(model=model, le=le)} {running}")
            lines.append(f"{metric}_sum{_labels(model=model)} {histogram.total:.6f}")
            lines.append(f"{metric}_count{_labels(model=model)} {running}")
        return lines


def _add_counts(mine: dict[Any, Any], theirs: dict[Any, Any]) -> None:
    for key, value in theirs.items():
        mine[key] += value


def _label_key(row: Any, arity: int) -> Any:
    """The dict key of a snapshot row [*labels, value]: its label strings as a tuple, or the one label alone."""
    if not (isinstance(row, list) and len(row) == arity + 1 and all(isinstance(label, str) for label in row[:arity])):
        raise ValueError(f"bad metrics row {row!r}")
    return tuple(row[:arity]) if arity > 1 else row[0]


def _load_counters(counter: dict[Any, Any], rows: Any, arity: int, number: type[int] | type[float]) -> None:
    for row in rows:
        counter[_label_key(row, arity)] += number(row[arity])


def _load_histograms(series: dict[str, Histogram], rows: Any) -> None:
    for row in rows:
        if not isinstance(row, list) or len(row) != 3 or not isinstance(row[0], str):
            raise ValueError(f"bad histogram row {row!r}")
        model, counts, total = row
        series[model].add(Histogram.from_snapshot(counts, total))
