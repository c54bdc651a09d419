"""The router proof: for each shared outcomes file, train on half the items, replay on the other half.

Every file gets the same code and settings (hyper-parameters are chosen inside `fit` by cross-validation
on the training half only). Prints a markdown table (router vs kNN vs zero router vs best single vs
oracle, with 95% bootstrap intervals) and, with --seeds > 1, how the router-minus-zero-router gap varies
across different random splits.

    .venv/bin/python bench/route_replay.py                 # the table in docs/router.md
    .venv/bin/python bench/route_replay.py --seeds 3 --json replay.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from tenbin.router import FitConfig, fit_router, load_outcomes
from tenbin.router.evaluate import replay_router

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "routing"
FILES = ("routerbench_train.jsonl.gz", "routerdc_train.jsonl.gz", "routellm_mmlu_dev.jsonl.gz")


def run_split(path: Path, seed: int, n_boot: int) -> dict[str, Any]:
    table = load_outcomes([path])
    perm = np.random.default_rng(seed).permutation(table.n_items)
    half = table.n_items // 2
    t0 = time.perf_counter()
    router = fit_router(table.subset(perm[:half]), FitConfig(seed=seed))
    fit_s = time.perf_counter() - t0
    report = replay_router(router, table.subset(perm[half:]), n_boot=n_boot, seed=seed)
    groups = report["datasets"]
    pooled = groups.get("all") or next(iter(groups.values()))
    return {
        "file": path.name,
        "seed": seed,
        "fit_seconds": fit_s,
        "n_train": half,
        "models": len(table.models),
        "router_info": {k: router.info[k] for k in ("chosen", "blend")} | {"strength": router.strength},
        "pooled": pooled,
        "per_dataset": {k: v for k, v in groups.items() if k != "all"},
    }


def cell(m: dict[str, Any], key: str, digits: int = 3) -> str:
    entry = m.get(key)
    if not entry or entry.get("value") is None:
        return "n/a"
    ci = entry.get("ci95") or [None, None]
    band = f" ({ci[0]:.{digits}f}–{ci[1]:.{digits}f})" if None not in ci else " (–, unreached)"
    return f"{entry['value']:.{digits}f}{band}"


def money(m: dict[str, Any], key: str) -> str:
    v = (m.get(key) or {}).get("value")
    return "n/a" if v is None else f"${v * 1000:.2f}/1k"


def table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| file | models | test items | best single q (cost) | oracle q | zero-router AIQ | kNN AIQ | router AIQ "
        "| kNN max q | router max q | router cost to match best | router APGR / kNN APGR | router CPT50 / CPT80 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        res = run["pooled"]
        m = res["metrics"]
        apgr = "n/a (not 2 models)"
        cpts = "n/a"
        if res.get("pair"):
            apgr = f"{cell(m, 'router.apgr')} / {cell(m, 'knn.apgr')}"
            cpts = f"{cell(m, 'router.cpt50', 2)} / {cell(m, 'router.cpt80', 2)}"
        ratio = (m.get("router.cost_to_match_best_ratio") or {}).get("value")
        match = (
            "n/a (no costs)"
            if not res["has_costs"]
            else ("not reached" if ratio is None else f"{ratio:.0%} of best single's cost")
        )
        best = f"{cell(m, 'best_single.quality')} ({money(m, 'best_single.cost')})"
        lines.append(
            f"| {run['file']} | {run['models']} | {res['n_items']} | {best} | {cell(m, 'oracle.quality')} "
            f"| {cell(m, 'zero_router.aiq')} | {cell(m, 'knn.aiq')} | {cell(m, 'router.aiq')} "
            f"| {cell(m, 'knn.quality_max')} | {cell(m, 'router.quality_max')} | {match} | {apgr} | {cpts} |"
        )
    return "\n".join(lines)


def plans(runs: list[dict[str, Any]]) -> str:
    """Cascades (simulated verifier) and a judged top-3 ensemble, where the outcomes have costs."""
    out = [
        "| file | router AIQ | cascade AIQ, verifier 100% (bound) | cascade AIQ, verifier 80% "
        "| ensemble of 3, perfect judge: q (cost) |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        res = run["pooled"]
        if not res["has_costs"]:
            continue
        m = res["metrics"]
        ens = f"{cell(m, 'ensemble3@judge.quality_max')} ({money(m, 'ensemble3@judge.cost_at_quality_max')})"
        out.append(
            f"| {run['file']} | {cell(m, 'router.aiq')} | {cell(m, 'cascade@verifier=1.aiq')} "
            f"| {cell(m, 'cascade@verifier=0.8.aiq')} | {ens} |"
        )
    return "\n".join(out)


def diff(m: dict[str, Any], a: str, b: str) -> str:
    va, vb = (m.get(a) or {}).get("value"), (m.get(b) or {}).get("value")
    return "n/a" if va is None or vb is None else f"{va - vb:+.4f}"


def gaps(runs: list[dict[str, Any]]) -> str:
    out = [
        "| file | seed | router AIQ − zero AIQ | router max q − best single q | router max q − kNN max q |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        m = run["pooled"]["metrics"]
        aiq = diff(m, "router.aiq", "zero_router.aiq")
        q = diff(m, "router.quality_max", "best_single.quality")
        k = diff(m, "router.quality_max", "knn.quality_max")
        out.append(f"| {run['file']} | {run['seed']} | {aiq} | {q} | {k} |")
    return "\n".join(out)


def leave_one_dataset_out(path: Path) -> list[str]:
    """Train on every dataset of a file but one, replay on the one left out (an unseen benchmark)."""
    table = load_outcomes([path])
    names = np.array(table.datasets)
    rows = []
    for held in sorted(set(table.datasets)):
        router = fit_router(table.subset(np.flatnonzero(names != held)), FitConfig())
        res = replay_router(router, table.subset(np.flatnonzero(names == held)), n_boot=0, with_plans=False)
        m = res["datasets"][held]["metrics"]
        # Without a router you would deploy the model that was best on the training datasets.
        deployed = router.models[int(np.argmax(router.prior))]
        q = (m.get(f"single.{deployed}.quality") or {}).get("value")

        def val(key: str, m: dict[str, Any] = m) -> str:
            v = (m.get(key) or {}).get("value")
            return "n/a" if v is None else f"{v:.3f}"

        rows.append(
            f"| {held} | {q:.3f} | {val('best_single.quality')} | {val('knn.quality_max')} "
            f"| {val('router.quality_max')} | {val('zero_router.aiq')} | {val('knn.aiq')} | {val('router.aiq')} |"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=1, help="number of random 50/50 splits (seeds 0..n-1)")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--json", type=Path, help="write every run's full report here")
    ap.add_argument("--lodo", action="store_true", help="also leave one dataset out (unseen benchmarks)")
    args = ap.parse_args()
    missing = [f for f in FILES if not (DATA / f).exists()]
    if missing:
        sys.exit(f"shared data missing under {DATA}: {', '.join(missing)}")
    runs = []
    for seed in range(args.seeds):
        for name in FILES:
            run = run_split(DATA / name, seed, args.bootstrap)
            print(f"seed {seed} {name}: fit {run['fit_seconds']:.1f}s, {run['router_info']}", file=sys.stderr)
            runs.append(run)
    first = [r for r in runs if r["seed"] == 0]
    print(table(first))
    print()
    print(plans(first))
    print()
    print(gaps(runs))
    if args.lodo:
        print()
        print(
            "| held-out dataset | train-best single q | test-best single q | kNN max q | router max q "
            "| zero-router AIQ | kNN AIQ | router AIQ |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for name in FILES:
            if len(set(load_outcomes([DATA / name]).datasets)) > 1:
                print("\n".join(leave_one_dataset_out(DATA / name)))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
