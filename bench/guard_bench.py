"""Guard benchmark: injection detection quality and latency, PII latency, beside a keyword baseline.

    .venv/bin/python bench/guard_bench.py [--shared ../shared/data] [--quick]

Injection quality is reported two ways, both on data the scored model never trained on:
  * leave-one-family-out: for each family of ../shared/data/guardrails (and our own training files), a model
    is retrained without that family and scored on it;
  * held-out sources: the shipped model on benign benchmark prompts and our Japanese set that
    scripts/train_injection.py never uses.
The baseline is a keyword detector ("ignore previous instructions", "system prompt", 無視 ...) run on the
same rows. Latency: p50/p95 per 1,000 characters (PII) and per 512-token window (injection).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from train_injection import DEFAULT_SHARED, Row, build_corpus, fit  # noqa: E402

from tenbin.guard.injection import InjectionModel  # noqa: E402
from tenbin.guard.pii import detect_pii  # noqa: E402

FAMILIES: dict[str, frozenset[str]] = {
    "tensor_trust": frozenset({"tensor_trust/hijacking", "tensor_trust/extraction"}),
    "jailbreakbench": frozenset({"jailbreakbench/JBC", "jailbreakbench/PAIR"}),
    "wildguard": frozenset({"wildguard"}),
    "mitre_frr": frozenset({"mitre_frr"}),
    # Our own hand-written files leave together with the composed rows built from the same author's phrases.
    "own/ja_attack": frozenset({"own/ja_attack", "compose/ja_attack"}),
    "own/en_attack": frozenset({"own/en_attack"}),
    "own/en_benign_hard": frozenset({"own/en_benign_hard", "compose/en_benign"}),
    "own/ja_benign": frozenset({"own/ja_benign", "compose/ja_benign"}),
}

_KEYWORDS = re.compile(
    r"ignore (all |any |the )?(previous|prior|above)|disregard|system prompt|jailbreak|developer mode|"
    r"do anything now|\bdan\b|no restrictions|reveal|password|access granted|"
    r"無視|システムプロンプト|制限|解除|パスワード|秘密",
    re.IGNORECASE,
)


def keyword_score(text: str) -> float:
    return 1.0 if _KEYWORDS.search(text) else 0.0


def rates(
    rows: Sequence[Row], scores: Sequence[float], threshold: float = 0.5
) -> tuple[float | None, float | None]:
    """(true positive rate, false positive rate); None where the rows hold no example of that class."""
    pos = [s >= threshold for r, s in zip(rows, scores, strict=True) if r.label == 1]
    neg = [s >= threshold for r, s in zip(rows, scores, strict=True) if r.label == 0]
    return (sum(pos) / len(pos) if pos else None, sum(neg) / len(neg) if neg else None)


def fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{100 * value:5.1f}"


def print_table(title: str, groups: dict[str, tuple[list[Row], list[float], list[float]]]) -> None:
    print(f"\n### {title}\n")
    print("| set | rows | TPR | FPR | baseline TPR | baseline FPR |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (rows, model_scores, base_scores) in groups.items():
        tpr, fpr = rates(rows, model_scores)
        btpr, bfpr = rates(rows, base_scores)
        print(f"| {name} | {len(rows)} | {fmt(tpr)} | {fmt(fpr)} | {fmt(btpr)} | {fmt(bfpr)} |")


def balanced(groups: dict[str, tuple[list[Row], list[float], list[float]]], names: Sequence[str]) -> str:
    """Balanced accuracy over the union of the named sets (mean of TPR and 1 - FPR)."""
    rows = [r for n in names for r in groups[n][0]]
    scores = [s for n in names for s in groups[n][1]]
    base = [s for n in names for s in groups[n][2]]
    tpr, fpr = rates(rows, scores)
    btpr, bfpr = rates(rows, base)
    if tpr is None or fpr is None or btpr is None or bfpr is None:
        return "n/a"
    return f"{100 * (tpr + 1 - fpr) / 2:.1f}% (baseline {100 * (btpr + 1 - bfpr) / 2:.1f}%)"


def leave_one_family_out(
    shared: Path, families: dict[str, frozenset[str]]
) -> dict[str, tuple[list[Row], list[float], list[float]]]:
    groups: dict[str, tuple[list[Row], list[float], list[float]]] = {}
    full, _ = build_corpus(shared)
    for name, sources in families.items():
        train, _ = build_corpus(shared, exclude_sources=sources)
        weights, bias = fit(train)
        model = InjectionModel(weights=weights, bias=bias, meta={})
        test = [r for r in full if r.source == name or (r.source in sources and "/" not in name)]
        groups[name] = (test, [model.score(r.text) for r in test], [keyword_score(r.text) for r in test])
        print(f"  left out {name}: trained on {len(train)} rows", file=sys.stderr)
    return groups


def held_out(shared: Path) -> dict[str, tuple[list[Row], list[float], list[float]]]:
    model = InjectionModel.load()
    _, held = build_corpus(shared)
    groups: dict[str, tuple[list[Row], list[float], list[float]]] = {}
    for source in sorted({r.source for r in held}):
        rows = [r for r in held if r.source == source]
        groups[source] = (rows, [model.score(r.text) for r in rows], [keyword_score(r.text) for r in rows])
    return groups


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered):.3f} ms, p95 {p95:.3f} ms"


def time_per_call(func: Callable[[str], object], texts: Sequence[str], repeat: int = 3) -> list[float]:
    samples = []
    for _ in range(repeat):
        for text in texts:
            started = time.perf_counter()
            func(text)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def latency(shared: Path) -> None:
    rng = random.Random(7)
    full, held = build_corpus(shared)
    en = " ".join(r.text for r in full if r.lang == "en")
    ja = "".join(r.text for r in full + held if r.lang == "ja")
    model = InjectionModel.load()
    print("\n### Latency (this machine, one core)\n")
    for lang, corpus, chars_per_512_tokens in (("en", en, 2000), ("ja", ja, 800)):
        pii_texts = [corpus[s : s + 1000] for s in (rng.randrange(0, len(corpus) - 1000) for _ in range(200))]
        inj_texts = [
            corpus[s : s + chars_per_512_tokens]
            for s in (rng.randrange(0, len(corpus) - 2000) for _ in range(200))
        ]
        print(
            f"- PII detect_pii, {lang}, per 1,000 chars: {percentiles(time_per_call(detect_pii, pii_texts))}"
        )
        print(
            f"- injection score, {lang}, per 512-token chunk (~{chars_per_512_tokens} chars): "
            f"{percentiles(time_per_call(model.score, inj_texts))}"
        )
        print(
            f"- baseline keyword detector, {lang}, same chunks: {percentiles(time_per_call(keyword_score, inj_texts))}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--quick", action="store_true", help="skip the leave-one-family-out retraining")
    args = parser.parse_args()
    if not (args.shared / "guardrails" / "injection_dev.jsonl.gz").is_file():
        parser.error(f"no guardrails data under {args.shared}")
    np.seterr(over="ignore")
    if not args.quick:
        lofo = leave_one_family_out(args.shared, FAMILIES)
        print_table(
            "Injection, leave-one-family-out (model retrained without the family it is scored on)", lofo
        )
        print(
            "\nBalanced accuracy, shared data families:",
            balanced(lofo, ["tensor_trust", "jailbreakbench", "wildguard", "mitre_frr"]),
        )
    held = held_out(args.shared)
    print_table("Injection, shipped model on held-out sources (never trained on)", held)
    print(
        "\nBalanced accuracy, Japanese held-out:",
        balanced(held, ["own/heldout_ja_attack", "own/heldout_ja_benign"]),
    )
    print(
        "Balanced accuracy, Japanese held-out + benign chat:",
        balanced(
            held,
            [
                "own/heldout_ja_attack",
                "own/heldout_ja_benign",
                "heldout/ja_vicuna_qa",
                "heldout/rakuda",
                "heldout/jnli",
            ],
        ),
    )
    latency(args.shared)


if __name__ == "__main__":
    main()
