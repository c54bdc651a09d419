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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from tenbin.guard.features import N_FEATURES, N_HASH, WindowFeatures, window_features  # noqa: E402
from tenbin.guard.injection import InjectionModel, NgramStage, split_windows  # noqa: E402
from tenbin.guard.trainer import SparseRows, train_logistic  # noqa: E402

GUARD_DATA = Path(__file__).resolve().parent / "guard_data"
DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "src" / "tenbin" / "guard" / "data"
SEED = 20240601
# Stage 1's concepts. 1e-3 was set in the first rounds, on a few thousand rows; with round 17's 19,327 rows lower
# reads the human-written shared sources better (each left out, pooled: 83.3 / 84.3 / 84.7 % at 1e-3 / 3e-4 / 1e-4;
# the full bench, with the labelled sets in this order, 84.0 % at 3e-4)
# and costs other authors' rounds little until 1e-4 (rounds 11-14 each left out: 89.2 / 89.0 / 87.7 %).
L2_CONCEPT = 3e-4
# Stage 2's n-grams. Lower lets them learn more of other authors' everyday traffic and lose more on the shared
# human-written sources (round 14, each left out: shared pooled 82.1 / 82.8 / 83.1 % at 1e-4 / 3e-4 / 1e-3,
# stage 1 alone 83.6 %; rounds 9 and 10 left out 89.3 / 89.0 / 87.4 %, stage 1 alone 86.0 %; and on the
# never-seen sets of other authors 1e-4 is 1.5-2.5 points above 3e-4, with fewer everyday requests flagged).
# Round 16 (all labelled sets, LABELLED_WEIGHT 2; rounds 11-14 each left out, en / ja pooled): 87.8 / 88.3 % at
# 1e-4, 89.2 / 88.9 at 5e-5, 90.2 / 89.2 at 2.5e-5, 91.2 / 89.9 at 1e-5, but the shared sources left out fall
# 83.2 -> 81.2 % at 1e-5 and below 1e-4 the n-grams outvote stage 1 on payload splitting in code-like text
# (`x = '…'; y = '…'. Concatenate x + y`, 0.55 -> 0.43 at 3e-5), so 1e-4 stays until stage 2 cannot do that.
# Round 17 (stage 1 at 3e-4, rounds 15 and 17 in): 5e-5 gives 89.9 / 89.6 % against 89.1 / 88.9 %, shared 83.5 against
# 84.3 %. Holding negative n-gram weights 10x tighter than positive ones does not help (round-16 corpus, 1e-5:
# shared 80.9 %), so the loss does not come from n-grams pulling attacks down (what it comes from is not measured).
L2_NGRAM = 1e-4
# A word enters the English vocabulary of stage 2's gate when this many English training rows use it.
VOCABULARY_MIN_COUNT = 3
# Other authors' labelled sets (LABELLED_SETS) weigh this many times a source of their size: each is one company's
# mixed traffic, the closest to what the gateway sees. Rounds 11-14 each left out, trained with round 16's first four
# training sets (en / ja pooled): 86.4 / 86.4 % at 1, 86.9 / 87.0 % at 2, 86.7 / 86.8 % at 3.
LABELLED_WEIGHT = 2.0
# Indirect injections planted in benign text (planted_injections): this many attack / clean pairs. Round 17: 1,200
# pairs, with every benign row of ours and other authors' as a host, lifted rounds 11-14 left out by 0.5 points but
# flagged 4.3 % of mitre_frr's benign security questions left out (2.4 %) and lowered the shared sources 0.4.
PLANTED_PAIRS = 400
# Benign chat the trainer never sees and the bench never reports: only used to place the threshold.
MAX_CALIBRATION_FPR = 0.01

# Evaluation-only sources: whole sources (not random rows) so the numbers say how the model does on text
# whose style it never saw.
HELD_OUT = {
    "own/heldout_ja_attack": ("heldout_ja_attack.txt", 1, "ja"),
    "own/heldout_ja_benign": ("heldout_ja_benign.txt", 0, "ja"),
    "own/heldout_en_benign_hard": ("heldout_en_benign_hard.txt", 0, "en"),
    # Round 14, two more authors: human-style jailbreaks in eight tactics (role-play, fiction, persuasion,
    # hypotheticals, professional pretexts, format coercion, multi-part set-ups, euphemism) and benign prompts
    # using the same tactics. Written as training data; trained on, they raised the calibrated thresholds and
    # cost 1.3 points on the shared sources left out, so they measure instead.
    **{
        f"own/heldout_{lang}_jailbreak_{kind}": (f"heldout_{lang}_jailbreak_{kind}.txt", label, lang)
        for lang in ("en", "ja")
        for kind, label in (("tactics", 1), ("lookalike", 0))
    },
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
    # Round 14, by two more authors: attacks on assistants with memory, tools and downstream readers (planted
    # preferences, poisoned tool descriptions, payloads for a later agent, account-takeover pretexts, ranking
    # manipulation, polite hijacks, data hidden in artefacts, PAIR-style persuasion) and 25 benign twins of each.
    "r14_attack": 1,
    "r14_benign": 0,
    # Round 14, by two more authors: everyday requests in the shapes still flagged (system prompts pasted for
    # review, text that gives staff orders, training role-play, protective questions, IT admin, announcements) and
    # attacks wearing those shapes (an electricity utility, a hotel chain, a broadcaster, a school…).
    "r15_everyday": 0,
    "r15_disguised": 1,
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
# Other authors' labelled sets (JSONL, labelled row by row), each one company's staff and attacks on them: since
# round 12 the everyday-traffic sets of rounds 9 and 10 (a software company, an e-commerce company); since round 16
# those of rounds 11-14 too (a manufacturer; a hospital group, a city office and a bank; an airline, an insurer;
# a pharmaceutical company, a contractor, a newspaper), each measured as never-seen first, and ten training sets
# written as such in round 16 by ten more authors (300 rows each, ten more pairs of companies). Since round 17, round
# 15's (an online-education platform; a food maker and a tourism association), measured clean in round 16, and four
# more training sets (round 17: a port agency and a children's charity; a chip fab's facilities team and a podcast
# network; a fire department's office and a sake brewery; a taxi company and a robot maker's support desk). Since
# round 18, six more training sets (a solar installer and a law school's admissions; a cruise line and a clinical
# research organisation; a game publisher's player support and a bakery chain; a city hall's tax section and an anime
# studio; a house builder and a pharmacy chain; a 3PL warehouse and a golf course): rounds 13-17 left out, 85.0 ->
# 86.3 %. Six more written at the same time (round18_train_*_{d,e,f}) lowered rounds 14 and 15 left out by 1.1-1.5
# points and round 16's sets by 0.5-0.8 when added too, so they measure instead (bench: NEVER_SEEN_FILES). Round 19's
# six on the same brief (round19_train_*_{a,b,c}) left rounds 13-18 left out where they were (85.6 -> 85.5 %) and
# lowered the shared sources left out (84.3 -> 83.3 %); its four sets of an agent's traffic (round19_train_agent_*:
# tool results, the staff's orders to act) lowered rounds 13-18 left out to 83.6 % (84.6 % at weight 1). Both
# measure instead too. Round 21 put all forty opened sets of other authors in at once (rounds 16-20's clean sets and
# day logs, round 16's training day logs, round 18's d-f, round 19's a-c and agent sets; 11,740 rows): round 21's
# clean sets ranked better (area 94.5 -> 96.1) but the shared sources left out fell (area 91.1 -> 89.3, balanced
# 84.2 -> 82.8 %), with the labelled sets' total weight held or not, so they measure still (docs/guard.md, round 21).
# Each round left out gains from the others; bench/guard_bench.py measures that (ROUND_SETS).
LABELLED_SETS = {
    f"own/round{n}_eval_{lang}": f"round{n}_eval_{lang}.jsonl"
    for n in (9, 10, 11, 12, 13, 14, 15)
    for lang in ("en", "ja")
} | {
    f"own/round{n}_train_{lang}_{author}": f"round{n}_train_{lang}_{author}.jsonl"
    for n, authors in ((16, "abcde"), (17, "ab"), (18, "abc"))
    for lang in ("en", "ja")
    for author in authors
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


def planting_host(row: Row) -> bool:
    """Benign rows that host planted injections: benchmark prompts, the API spec's prose, benign documents."""
    return row.source.startswith(("bench/", "spec/")) or row.source.endswith(("_benign_docs", "_benign_longdocs"))


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
        [r for r in rows if r.label == 0 and planting_host(r)],
        [r for r in rows if r.label == 1],
        count=PLANTED_PAIRS,
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


def sample_weights(rows: list[Row]) -> np.ndarray:
    """Each source weighs sqrt(its size), so big sources lead without drowning small ones, and other authors'
    labelled sets LABELLED_WEIGHT times that; classes balanced."""
    sizes = Counter(r.source for r in rows)
    factor = {source: LABELLED_WEIGHT if source in LABELLED_SETS else 1.0 for source in sizes}
    raw = np.array([factor[r.source] * sizes[r.source] ** 0.5 / sizes[r.source] for r in rows])
    labels = np.array([r.label for r in rows])
    for label in (0, 1):
        mask = labels == label
        raw[mask] *= 0.5 / raw[mask].sum()
    return raw


@dataclass(frozen=True)
class WindowTable:
    """The features of every window of some rows, computed once (the slow part) and then fitted and scored
    as often as a leave-out bench needs."""

    windows: list[Row]
    owner: np.ndarray  # the row each window comes from
    concepts: SparseRows  # concept block, in the trainer's index space (from N_HASH)
    ngrams: SparseRows  # n-gram block
    gates: list[WindowFeatures]  # words, kana, framing (their n-gram arrays dropped)

    @classmethod
    def build(cls, rows: list[Row]) -> WindowTable:
        windows, owner, concepts, ngrams, gates = [], [], [], [], []
        for index, row in enumerate(rows):
            for text in split_windows(row.text):
                features = window_features(text)
                windows.append(Row(text, row.label, row.source, row.lang, row.parts))
                owner.append(index)
                concepts.append((features.concepts + N_HASH, np.ones(len(features.concepts), np.float32)))
                ngrams.append((features.ngram_indices, features.ngram_values))
                gates.append(replace(features, ngram_indices=_NONE_INT, ngram_values=_NONE_FLOAT))
        return cls(
            windows,
            np.array(owner, dtype=np.int64),
            SparseRows.from_features(concepts),
            SparseRows.from_features(ngrams),
            gates,
        )

    def take(self, keep: np.ndarray) -> WindowTable:
        """The given windows (their owners unchanged)."""
        return WindowTable(
            [self.windows[i] for i in keep],
            self.owner[keep],
            self.concepts.take(keep),
            self.ngrams.take(keep),
            [self.gates[i] for i in keep],
        )

    def gated(self, stage: NgramStage) -> np.ndarray:
        return np.array([stage.applies(gate) for gate in self.gates], dtype=bool)

    def logits(self, model: InjectionModel) -> np.ndarray:
        """Each window's logit under `model`, as model.window_logit would give it."""
        full = np.zeros(N_FEATURES, dtype=np.float64)
        full[N_HASH:] = model.weights
        logits = self.concepts.logits(full, model.bias)
        if model.ngrams is not None:
            gated = self.gated(model.ngrams)
            ngram = self.ngrams.logits(model.ngrams.weights.astype(np.float64), model.ngrams.bias)
            logits = logits + np.where(gated, ngram, 0.0)
        return logits

    def row_scores(self, model: InjectionModel, n_rows: int) -> np.ndarray:
        """Each row's score (see max_by_row)."""
        return max_by_row(self.owner, self.logits(model), n_rows)


_NONE_INT = np.empty(0, dtype=np.int64)
_NONE_FLOAT = np.empty(0, dtype=np.float32)


def max_by_row(owner: np.ndarray, logits: np.ndarray, n_rows: int) -> np.ndarray:
    """Per-row score: the sigmoid of the largest window logit (the scanner's maximum over windows)."""
    best = np.full(n_rows, -np.inf)
    np.maximum.at(best, owner, logits)
    return 1.0 / (1.0 + np.exp(-np.clip(best, -30, 30)))


def english_vocabulary(table: WindowTable) -> frozenset[str]:
    """Words seen at least VOCABULARY_MIN_COUNT times in English training rows (counted once per row)."""
    counts: Counter[str] = Counter()
    seen: set[tuple[int, str]] = set()
    for window, gate, row in zip(table.windows, table.gates, table.owner, strict=True):
        if window.lang == "en":
            seen.update((int(row), word) for word in gate.words)
    counts.update(word for _, word in seen)
    return frozenset(word for word, count in counts.items() if count >= VOCABULARY_MIN_COUNT)


def fit_model(
    table: WindowTable, calibration: WindowTable | None = None, n_calibration_rows: int = 0, ngrams: bool = True
) -> InjectionModel:
    """Stage 1 (concepts), then stage 2 (n-grams on stage 1's fixed logit, on the windows it applies to).
    With `calibration` (benign chat), each stage's threshold is placed so that at most MAX_CALIBRATION_FPR of
    each language's rows is flagged, never below 0.5, and folded into its bias; without, both stay at 0.5."""
    labels = np.array([w.label for w in table.windows])
    weights, bias = train_logistic(table.concepts, labels, sample_weights(table.windows), l2_concept=L2_CONCEPT)
    concept = InjectionModel(weights=weights[N_HASH:], bias=bias, meta={})
    concept_shift = 0.0
    if calibration is not None:
        concept_shift = _lowest_passing_shift(
            lambda delta: replace(concept, bias=bias - delta), calibration, n_calibration_rows
        )
    concept = replace(concept, bias=bias - concept_shift, meta={"concept_threshold": _sigmoid(concept_shift)})
    if not ngrams:
        return concept
    stage = NgramStage(np.zeros(N_HASH, np.float32), 0.0, english_vocabulary(table))
    keep = np.flatnonzero(table.gated(stage))
    ngram_weights, ngram_bias = train_logistic(
        table.ngrams.take(keep),
        labels[keep],
        sample_weights([table.windows[i] for i in keep]),
        l2_ngram=L2_NGRAM,
        offset=table.concepts.logits(weights.astype(np.float64), bias)[keep],
    )
    # Stage 2 adds to stage 1's logit after stage 1's threshold is folded in; its own threshold is placed
    # with stage 1's in place (the windows it leaves alone keep theirs). The weights are stored as float16:
    # rounded now, so calibration sees the weights the scanner will.
    stored = ngram_weights[:N_HASH].astype(np.float16).astype(np.float32)
    stage = replace(stage, weights=stored, bias=ngram_bias + concept_shift)
    ngram_shift = 0.0
    if calibration is not None:
        ngram_shift = _lowest_passing_shift(
            lambda delta: replace(concept, ngrams=replace(stage, bias=stage.bias - delta)),
            calibration,
            n_calibration_rows,
        )
    meta = {**concept.meta, "ngram_threshold": _sigmoid(ngram_shift)}
    return replace(concept, meta=meta, ngrams=replace(stage, bias=stage.bias - ngram_shift))


def _sigmoid(logit: float) -> float:
    return round(1.0 / (1.0 + float(np.exp(-logit))), 4)


def _flagged_share(model: InjectionModel, calibration: WindowTable, n_rows: int) -> float:
    """The largest share of any language's calibration rows flagged by `model`."""
    scores = calibration.row_scores(model, n_rows)
    langs = np.array([""] * n_rows, dtype=object)
    for window, row in zip(calibration.windows, calibration.owner, strict=True):
        langs[row] = window.lang
    return max(float(np.mean(scores[langs == lang] >= 0.5)) for lang in set(langs.tolist()))


def _lowest_passing_shift(
    shifted: Callable[[float], InjectionModel], calibration: WindowTable, n_rows: int
) -> float:
    """The smallest logit shift >= 0 (a threshold >= 0.5) at which calibration passes, by bisection, plus a
    margin: the scanner sums in float32, and a row right at the boundary must stay below it."""
    if _flagged_share(shifted(0.0), calibration, n_rows) <= MAX_CALIBRATION_FPR:
        return 0.0
    low, high = 0.0, 30.0
    for _ in range(40):
        middle = (low + high) / 2
        if _flagged_share(shifted(middle), calibration, n_rows) <= MAX_CALIBRATION_FPR:
            high = middle
        else:
            low = middle
    return high + 1e-4


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
    calibration = calibration_rows(args.shared)
    model = fit_model(WindowTable.build(train), WindowTable.build(calibration), len(calibration))
    assert model.ngrams is not None
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out / "injection.npz",
        weights=model.weights.astype(np.float32),
        bias=np.float32(model.bias),
        ngram_weights=model.ngrams.weights.astype(np.float16),
        ngram_bias=np.float32(model.ngrams.bias),
        vocabulary=np.array(sorted(model.ngrams.vocabulary)),
    )
    meta = {
        "kind": "two-stage logistic regression: bilingual concept features (concepts.py) + pairs + structure, "
        "then hashed n-grams on English and Japanese windows outside role-play",
        "raw_threshold": model.meta["concept_threshold"],
        "ngram_raw_threshold": model.meta["ngram_threshold"],
        "english_vocabulary": len(model.ngrams.vocabulary),
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
