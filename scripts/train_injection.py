"""Build the shipped prompt-injection model: src/tenbin/guard/data/injection.{npz,json}.

    .venv/bin/python scripts/train_injection.py [--shared ../shared/data] [--out src/tenbin/guard/data]

Training data: ../shared/data/guardrails (English attacks and benign sets), our hand-written files in
scripts/guard_data/, benign prompts from the shared benchmarks (English and Japanese), and synthetic
indirect injections (an attack sentence planted in a benign document, next to the same document
without it). Held-out evaluation sources are never used here; see HELD_OUT below and bench/guard_bench.py.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from tenbin.guard.features import N_HASH, featurize  # noqa: E402
from tenbin.guard.injection import InjectionModel, split_windows  # noqa: E402
from tenbin.guard.trainer import SparseRows, train_logistic  # noqa: E402

GUARD_DATA = Path(__file__).resolve().parent / "guard_data"
DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "src" / "tenbin" / "guard" / "data"
SEED = 20240601
L2_CONCEPT = 1e-3
# Benign chat the trainer never sees and the bench never reports: only used to place the threshold.
MAX_CALIBRATION_FPR = 0.01

# Evaluation-only sources: whole sources (not random rows) so the numbers say how the model does on text
# whose style it never saw.
HELD_OUT = {
    "own/heldout_ja_attack": ("heldout_ja_attack.txt", 1, "ja"),
    "own/heldout_ja_benign": ("heldout_ja_benign.txt", 0, "ja"),
    "own/heldout_en_benign_hard": ("heldout_en_benign_hard.txt", 0, "en"),
}
OWN_TRAIN = {
    "own/ja_attack": ("ja_attack.txt", 1, "ja"),
    "own/ja_benign": ("ja_benign.txt", 0, "ja"),
    "own/en_attack": ("en_attack.txt", 1, "en"),
    "own/en_benign_hard": ("en_benign_hard.txt", 0, "en"),
    "own/en_jailbreak": ("en_attack_jailbreak.txt", 1, "en"),
    "own/ja_jailbreak": ("ja_attack_jailbreak.txt", 1, "ja"),
    "own/en_benign_roleplay": ("en_benign_roleplay.txt", 0, "en"),
    "own/ja_benign_roleplay": ("ja_benign_roleplay.txt", 0, "ja"),
    "own/en_benign_framed": ("en_benign_framed.txt", 0, "en"),
    "own/ja_benign_framed": ("ja_benign_framed.txt", 0, "ja"),
}
# Round 4: attack families missing from the shared dev file, and their benign twins, one file per family and
# language (guard_data/{lang}_{family}.txt), so the bench can leave each family out in both languages at once.
NEW_FAMILIES = {
    "indirect_tool": 1,
    "indirect_web": 1,
    "indirect_mail": 1,
    "extraction": 1,
    "carrier": 1,
    "obfuscation": 1,
    "fake_turn": 1,
    "virtualisation": 1,
    "authority": 1,
    "emotional": 1,
    "benign_twins": 0,
    "benign_docs": 0,
    # Round 5: more benign long documents (policies, FAQs, manuals, minutes, blog posts quoting injections)
    # and lines addressed to the AI that turn each of them into its injected twin (see doc_twins).
    "benign_longdocs": 0,
    "doc_injections": 1,
    # Round 7: agents told to act (buy, transfer, post, delete, send data out) without the classic override
    # words; goal and role hijacks phrased without "ignore"; harmful requests behind a pretext; and their
    # benign mirror images (crime fiction without detail, user-requested agent actions, legitimate task changes).
    "agent_abuse": 1,
    "goal_hijack": 1,
    "harmful_pretext": 1,
    "benign_r7": 0,
    # Round 9, by two more authors: orders to an automated reader hidden in tickets, CVs, READMEs, subtitles and
    # tool output; pretexts that insist on a working answer; secrets asked for in pieces; agent abuse with
    # concealment — and documents that give people orders, security write-ups, vague dark fiction, behaviour
    # changes the user asks for, angry customers.
    "r9_attack": 1,
    "r9_benign": 0,
    # Benign technical requests with the words attacks also use (tokens, webhooks, DELETE, rm, "ignore the disk
    # alert until …", @Override) in API docs, CLI snippets, runbooks, configs, logs and helpdesk answers.
    "benign_tech": 0,
    # Round 12, by two more authors: everyday workplace requests in the shapes that were flagged (role-play, text
    # pasted to summarise or translate, fraud and safety questions, questions about AI and prompts) and attacks
    # wearing the same shapes (a logistics company and a game studio; a university office and a law firm).
    "r12_attack": 1,
    "r12_benign": 0,
}
OWN_TRAIN.update(
    {
        f"own/{lang}_{family}": (f"{lang}_{family}.txt", label, lang)
        for family, label in NEW_FAMILIES.items()
        for lang in ("en", "ja")
    }
)
# Round 12: Japanese attacks that do not sound like attacks (keigo goal hijacks, payloads encoded or disguised in
# Japanese, agent orders inside business documents) and their polite benign twins, by one more author.
OWN_TRAIN.update(
    {
        "own/ja_keigo_attack": ("ja_keigo_attack.txt", 1, "ja"),
        "own/ja_keigo_benign": ("ja_keigo_benign.txt", 0, "ja"),
    }
)
# Round 12: the everyday-traffic sets of rounds 9 and 10 (a software company's and an e-commerce company's staff,
# four authors; each measured once as never-seen, then used for development) are training data now, labelled
# row by row. bench/guard_bench.py leaves each round out to measure it.
LABELLED_SETS = {
    f"own/round{n}_eval_{lang}": f"round{n}_eval_{lang}.jsonl" for n in (9, 10) for lang in ("en", "ja")
}


@dataclass(frozen=True)
class Row:
    text: str
    label: int
    source: str
    lang: str
    # Sources a synthetic row was built from, so leaving a source out also drops what was made of it.
    parts: tuple[str, ...] = ()

    def comes_from(self, sources: frozenset[str]) -> bool:
        return self.source in sources or any(part in sources for part in self.parts)


def read_lines(name: str) -> list[str]:
    path = GUARD_DATA / name
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines if line.strip()]


def own_rows(table: dict[str, tuple[str, int, str]]) -> list[Row]:
    return [
        Row(text, label, source, lang)
        for source, (name, label, lang) in table.items()
        for text in read_lines(name)
    ]


def labelled_rows(table: dict[str, str]) -> list[Row]:
    return [
        Row(str(record["text"]), int(record["label"]), source, str(record["lang"]))
        for source, name in table.items()
        for record in _jsonl(GUARD_DATA / name)
    ]


def guardrail_rows(shared: Path) -> list[Row]:
    path = shared / "guardrails" / "injection_dev.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        items = [json.loads(line) for line in handle if line.strip()]
    return [Row(item["text"], int(item["label"]), item["source"], item.get("lang", "en")) for item in items]


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _sample(texts: Iterable[str], count: int, rng: random.Random) -> list[str]:
    unique = sorted({t.strip() for t in texts if isinstance(t, str) and t.strip()})
    return rng.sample(unique, min(count, len(unique)))


def benign_benchmark_rows(shared: Path, rng: random.Random) -> tuple[list[Row], list[Row]]:
    """(training rows, held-out rows) of benign prompts from the benchmark sets."""
    bench = shared / "benchmarks"
    train: list[Row] = []
    held: list[Row] = []

    def add(target: list[Row], source: str, lang: str, texts: list[str]) -> None:
        target.extend(Row(t, 0, source, lang) for t in texts)

    add(
        train,
        "bench/gsm8k",
        "en",
        _sample((r["question"] for r in _jsonl(bench / "gsm8k/train.jsonl")), 300, rng),
    )
    add(
        train,
        "bench/humaneval",
        "en",
        _sample((r["prompt"] for r in _jsonl(bench / "humaneval/HumanEval.jsonl")), 164, rng),
    )
    add(
        train,
        "bench/mt_bench_en",
        "en",
        _sample((t for r in _jsonl(bench / "mt_bench_en/question.jsonl") for t in r["turns"]), 200, rng),
    )
    add(
        train,
        "bench/elyza",
        "ja",
        _sample((r["input_text"] for r in _jsonl(bench / "elyza_tasks_100/dataset.jsonl")), 100, rng),
    )
    add(
        train,
        "bench/japanese_mt_bench",
        "ja",
        _sample(
            (t for r in _jsonl(bench / "japanese_mt_bench/question.jsonl") for t in r["turns"]), 200, rng
        ),
    )
    add(
        train,
        "bench/jcommonsenseqa",
        "ja",
        _sample((r["question"] for r in _jsonl(bench / "jglue/jcommonsenseqa/train-v1.3.json")), 300, rng),
    )
    add(train, "bench/jsquad", "ja", _sample(_jsquad_texts(bench / "jglue/jsquad/valid-v1.3.json"), 300, rng))

    add(
        train,
        "bench/answers_en",
        "en",
        _sample(_answers(bench / "mt_bench_en/reference_answer/gpt-4.jsonl"), 150, rng),
    )
    add(
        train,
        "bench/answers_ja",
        "ja",
        _sample(_answers(bench / "japanese_mt_bench/reference_answer/gpt-4.jsonl"), 150, rng),
    )
    add(
        train,
        "spec/openapi",
        "en",
        _sample(_openapi_descriptions(shared / "specs/openai-openapi.yaml"), 300, rng),
    )

    add(held, "heldout/mmlu", "en", _sample(_mmlu_questions(bench / "mmlu/dev"), 300, rng))
    add(
        held,
        "heldout/ja_vicuna_qa",
        "ja",
        _sample((t for r in _jsonl(bench / "ja_vicuna_qa/question.jsonl") for t in r["turns"]), 200, rng),
    )
    add(
        held,
        "heldout/rakuda",
        "ja",
        _sample(
            (t for r in _jsonl(bench / "rakuda/rakuda_v2_questions.jsonl") for t in r["turns"]), 200, rng
        ),
    )
    add(
        held,
        "heldout/jnli",
        "ja",
        _sample((r["sentence1"] for r in _jsonl(bench / "jglue/jnli/valid-v1.3.json")), 300, rng),
    )
    return train, held


def _jsquad_texts(path: Path) -> Iterator[str]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    for article in data:
        for paragraph in article["paragraphs"]:
            yield paragraph["context"].split("[SEP]")[-1].strip()
            for qa in paragraph["qas"][:1]:
                yield qa["question"]


def _answers(path: Path) -> Iterator[str]:
    for record in _jsonl(path):
        for choice in record["choices"]:
            yield from choice["turns"]


def _openapi_descriptions(path: Path) -> Iterator[str]:
    """Block-scalar description fields of the OpenAI API spec: benign technical prose that is full of
    "system", "instructions" and "ignore"."""
    if not path.is_file():
        return
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if not re.fullmatch(r"\s*description: [|>][-+]?", line):
            continue
        indent = len(line) - len(line.lstrip()) + 2
        body: list[str] = []
        for follow in lines[index + 1 :]:
            if follow.strip() and len(follow) - len(follow.lstrip()) < indent:
                break
            body.append(follow.strip())
        block = " ".join(part for part in body if part)
        if len(block) >= 200:
            yield block


def _mmlu_questions(folder: Path) -> Iterator[str]:
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                yield record["question"]


def _fill_slot(slots: dict[str, list[str]], rng: random.Random, match: re.Match[str]) -> str:
    return rng.choice(slots[match.group(1)])


def composed_rows(rng: random.Random, per_group: int = 300) -> list[Row]:
    """Rows built from the hand-written phrase slots in guard_data/compose.json."""
    spec = json.loads((GUARD_DATA / "compose.json").read_text(encoding="utf-8"))
    groups = {"ja_attack": (1, "ja"), "ja_benign": (0, "ja"), "en_benign": (0, "en")}
    rows: list[Row] = []
    for group, (label, lang) in groups.items():
        patterns, slots = spec[group]["patterns"], spec[group]["slots"]
        seen: set[str] = set()
        for _ in range(per_group * 3):
            pattern = rng.choice(patterns)
            text = re.sub(r"\{(\w+)\}", partial(_fill_slot, slots, rng), pattern)
            if text not in seen:
                seen.add(text)
                rows.append(Row(text, label, f"compose/{group}", lang))
            if len(seen) >= per_group:
                break
    return rows


def planted_injections(benign: list[Row], attacks: list[Row], count: int, rng: random.Random) -> list[Row]:
    """Indirect injections: an attack planted inside a benign document, paired with the clean document."""
    documents = [r for r in benign if 150 <= len(r.text) <= 1500]
    payloads = [r for r in attacks if 15 <= len(r.text) <= 250]
    if not documents or not payloads:
        return []
    rows: list[Row] = []
    for _ in range(count):
        doc = rng.choice(documents)
        attack = rng.choice(payloads)
        cut = rng.randint(0, len(doc.text))
        text = f"{doc.text[:cut]}\n{attack.text}\n{doc.text[cut:]}"
        rows.append(
            Row(text, 1, f"synthetic/planted_{attack.lang}", attack.lang, (doc.source, attack.source))
        )
        rows.append(Row(doc.text, 0, f"synthetic/clean_{doc.lang}", doc.lang, (doc.source,)))
    return rows


def doc_twins(documents: list[Row], injections: list[Row], rng: random.Random) -> list[Row]:
    """Each benign long document with one line addressed to the AI put between two of its lines: the same
    topic and words on both sides, so only the line that gives the AI an order tells them apart. A twin
    carries its injection line's source (it is scored with that family) and remembers its document."""
    rows: list[Row] = []
    for lang in ("en", "ja"):
        lines = [r for r in injections if r.lang == lang]
        for index, doc in enumerate(r for r in documents if r.lang == lang):
            if not lines:
                break
            attack = lines[index % len(lines)]
            parts = doc.text.split("\n")
            cut = rng.randint(1, len(parts)) if len(parts) > 1 else 1
            text = "\n".join([*parts[:cut], attack.text, *parts[cut:]])
            rows.append(Row(text, 1, attack.source, lang, (doc.source,)))
    return rows


def build_corpus(shared: Path, exclude_sources: frozenset[str] = frozenset()) -> tuple[list[Row], list[Row]]:
    """(training rows, held-out rows). Sources in `exclude_sources` are left out of training entirely."""
    rng = random.Random(SEED)
    base = guardrail_rows(shared) + own_rows(OWN_TRAIN) + labelled_rows(LABELLED_SETS) + composed_rows(rng)
    bench_train, held = benign_benchmark_rows(shared, rng)
    rows = base + bench_train
    rows += doc_twins(
        [r for r in rows if r.source.endswith("_benign_longdocs")],
        [r for r in rows if r.source.endswith("_doc_injections")],
        rng,
    )
    planted = planted_injections(
        [
            r
            for r in rows
            if r.label == 0
            and (
                r.source.startswith(("bench/", "spec/"))
                or r.source.endswith(("_benign_docs", "_benign_longdocs"))
            )
        ],
        [r for r in rows if r.label == 1],
        count=400,
        rng=rng,
    )
    train = [r for r in rows + planted if not r.comes_from(exclude_sources)]
    return train, held + own_rows(HELD_OUT)


def calibration_rows(shared: Path) -> list[Row]:
    """Benign chat-style questions (MMLU test, JMMLU) used only to choose the shipped threshold."""
    rng = random.Random(SEED + 1)
    bench = shared / "benchmarks"
    english = _sample(_mmlu_questions(bench / "mmlu/test"), 400, rng)
    japanese = _sample(_jmmlu_questions(bench / "jmmlu"), 400, rng)
    return [Row(t, 0, "calib/mmlu_test", "en") for t in english] + [
        Row(t, 0, "calib/jmmlu", "ja") for t in japanese
    ]


def _jmmlu_questions(folder: Path) -> Iterator[str]:
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for record in csv.reader(handle):
                if record:
                    yield record[0]


def expand_windows(rows: list[Row]) -> list[Row]:
    """Train on the same windows the scanner scores."""
    return [Row(window, r.label, r.source, r.lang, r.parts) for r in rows for window in split_windows(r.text)]


def sample_weights(rows: list[Row]) -> np.ndarray:
    """Each source weighs sqrt(its size), so big sources lead without drowning small ones; classes balanced."""
    sizes = Counter(r.source for r in rows)
    raw = np.array([sizes[r.source] ** 0.5 / sizes[r.source] for r in rows])
    labels = np.array([r.label for r in rows])
    for label in (0, 1):
        mask = labels == label
        raw[mask] *= 0.5 / raw[mask].sum()
    return raw


def concept_rows(texts: list[str]) -> SparseRows:
    return SparseRows.from_features([featurize(text, ngrams=False) for text in texts])


def fit_windows(sparse: SparseRows, windows: list[Row]) -> tuple[np.ndarray, float]:
    """Concept weights (the n-gram block left out: it did not help held-out sources) and bias."""
    labels = np.array([r.label for r in windows])
    weights, bias = train_logistic(sparse, labels, sample_weights(windows), l2_concept=L2_CONCEPT)
    return weights[N_HASH:], bias


def fit(rows: list[Row]) -> tuple[np.ndarray, float]:
    windows = expand_windows(rows)
    return fit_windows(concept_rows([r.text for r in windows]), windows)


def calibrated_bias(weights: np.ndarray, bias: float, calibration: list[Row]) -> tuple[float, float]:
    """(bias with the threshold folded in, raw threshold): the raw score at which at most
    MAX_CALIBRATION_FPR of each language's calibration chat is flagged, and never below 0.5."""
    model = InjectionModel(weights=weights, bias=bias, meta={})
    threshold = 0.5
    for lang in sorted({r.lang for r in calibration}):
        scores = np.array([model.score(r.text) for r in calibration if r.lang == lang])
        threshold = max(threshold, float(np.quantile(scores, 1 - MAX_CALIBRATION_FPR)) + 1e-6)
    return bias - float(np.log(threshold / (1 - threshold))), threshold


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write injection.npz/json")
    args = parser.parse_args()
    if not (args.shared / "guardrails" / "injection_dev.jsonl.gz").is_file():
        parser.error(f"no guardrails data under {args.shared}")
    started = time.perf_counter()
    train, _ = build_corpus(args.shared)
    weights, raw_bias = fit(train)
    bias, threshold = calibrated_bias(weights, raw_bias, calibration_rows(args.shared))
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "injection.npz", weights=weights.astype(np.float32), bias=np.float32(bias))
    meta = {
        "kind": "bilingual concept features (concepts.py) + pairs + structure, logistic regression",
        "raw_threshold": round(threshold, 4),
        "calibration": f"<= {MAX_CALIBRATION_FPR:.0%} flagged on calib/mmlu_test and calib/jmmlu",
        "trained_rows": len(train),
        "sources": dict(sorted(Counter(r.source for r in train).items())),
        "built_by": "scripts/train_injection.py",
    }
    (args.out / "injection.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"trained on {len(train)} rows in {time.perf_counter() - started:.1f}s -> {args.out}")


if __name__ == "__main__":
    main()
