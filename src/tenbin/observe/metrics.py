"""Request metrics in the Prometheus text format, kept in process (each worker exposes its own).

Counters and histograms are plain dicts updated on the event loop, so recording costs a few dict operations;
rendering happens only when /metrics is scraped.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

# Seconds; chosen to separate gateway overhead (ms) from model time (s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(slots=True)
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(LATENCY_BUCKETS, value)] += 1
        self.total += value


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
