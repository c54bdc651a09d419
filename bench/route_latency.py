"""Decision latency of Router.decide (features included) for prompts of 100..8,000 characters.

Prints p50/p99 per prompt length beside two baselines measured in the same run: hashing the prompt with
SHA-256 (the least any per-request work costs) and feature extraction alone.

    .venv/bin/python bench/route_latency.py                       # trains on the largest shared file
    .venv/bin/python bench/route_latency.py --router my.router    # or times a router you have
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from tenbin.router import FitConfig, Router, fit_router, load_outcomes

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "routing"
LENGTHS = (100, 500, 1000, 2000, 4000, 8000)


def make_prompt(rng: random.Random, pool: list[str], length: int) -> str:
    """Real prompts glued together (mixed with Japanese) and cut to the wanted length."""
    parts: list[str] = []
    while sum(map(len, parts)) < length:
        parts.append(rng.choice(pool))
        parts.append("次の質問に日本語で答えてください。")
    return "\n".join(parts)[:length]


def timed(fn: Callable[[str], object], prompts: list[str], cpu: bool = False) -> tuple[float, float]:
    """p50/p99 in µs of wall time, or of this thread's CPU time (which excludes being preempted)."""
    clock = time.thread_time if cpu else time.perf_counter
    samples = []
    for p in prompts:
        t0 = clock()
        fn(p)
        samples.append(clock() - t0)
    us = np.array(samples) * 1e6
    return float(np.percentile(us, 50)), float(np.percentile(us, 99))


def load_router(path: str | None) -> tuple[Router, list[str]]:
    if path:
        router = Router.load(path)
        return router, ["What is the capital of France?", "def f(x): return x * 2", "東京はどこですか"]
    source = DATA / "routerdc_train.jsonl.gz"
    if not source.exists():
        sys.exit(f"no --router given and {source} is absent")
    table = load_outcomes([source])
    print(f"training on {source.name}: {table.n_items} items, {len(table.models)} models ...", flush=True)
    return fit_router(table, FitConfig()), table.prompts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--router", help="a ROUTER file; default: fit one on the shared routerdc file")
    ap.add_argument("--calls", type=int, default=2000, help="calls per prompt length")
    args = ap.parse_args()
    router, pool = load_router(args.router)
    rng = random.Random(0)
    print(
        f"router: {len(router.models)} models, blend {router.blend}, "
        f"trained on {router.info.get('n_items')} items"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f} (the machine is shared; p99 includes preemption)")
    print(
        f"{'chars':>6} | {'sha256 p50/p99 µs':>18} | {'features p50/p99 µs':>20} "
        f"| {'decide, BLAS default':>22} | {'decide, BLAS 1 thread':>22} | {'same, thread CPU time':>22}"
    )
    worst = worst_cpu = 0.0
    for length in LENGTHS:
        prompts = [make_prompt(rng, pool, length) for _ in range(args.calls)]
        for p in prompts[:50]:
            router.decide(p)  # warm caches
        base = timed(lambda p: hashlib.sha256(p.encode("utf-8")).digest(), prompts)
        feats = timed(router.features.transform_one, prompts)
        multi = timed(router.decide, prompts)
        with threadpool_limits(limits=1, user_api="blas"):
            single = timed(router.decide, prompts)
            cpu = timed(router.decide, prompts, cpu=True)
        worst = max(worst, single[1])
        worst_cpu = max(worst_cpu, cpu[1])
        print(
            f"{length:>6} | {base[0]:8.1f} / {base[1]:7.1f} | {feats[0]:9.1f} / {feats[1]:8.1f} "
            f"| {multi[0]:9.1f} / {multi[1]:9.1f} | {single[0]:9.1f} / {single[1]:9.1f} "
            f"| {cpu[0]:9.1f} / {cpu[1]:9.1f}"
        )
    verdict = "under" if worst < 1000 else "OVER"
    print(
        f"worst decide p99 with one BLAS thread: {worst:.0f} µs wall ({verdict} the 1 ms target), {worst_cpu:.0f} µs CPU"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
