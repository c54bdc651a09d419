"""Guard benchmark: injection detection quality and latency, PII latency, beside a keyword baseline.

    .venv/bin/python bench/guard_bench.py [--shared ../shared/data] [--quick] [--stage1]

Injection quality is reported on data the scored model never trained on:
  * leave-one-source-out: for each family of ../shared/data/guardrails (and each of our own files), a model
    is retrained without it (and without synthetic rows made from it) exactly as the shipped one is built —
    both stages, both thresholds placed on the calibration chat (about 40 s each, 45 minutes in all; with
    --stage1, stage 1 alone, about 5 minutes) — and scored on it;
  * round-4/5 families (indirect injections in tool results / web pages / e-mails, extraction, carriers,
    obfuscation, fake turns, virtualisation, authority, emotional manipulation, benign twins, benign long
    documents; round 5: more benign long documents and lines to the AI planted in them): each left out in
    English and Japanese at once, reported per language;
  * leave-one-language-out: Japanese attacks scored by models that never saw a Japanese attack (or any
    Japanese), English attacks scored by a model that saw only Japanese attacks;
  * other authors' labelled sets (rounds 9-15, the training sets of rounds 16-18): each round left out in turn;
  * held-out sources: the shipped model on benign benchmark prompts (MMLU, ja_vicuna_qa, Rakuda, JNLI, MGSM in
    11 languages) and our Japanese set that scripts/train_injection.py never uses;
  * never-seen sets written by other authors (scripts/guard_data/*_eval*.jsonl): fresh en/ja families, attacks
    and benign prompts in 24 more languages, injections an agent meets on the job (agentic_eval_{en,ja}), the
    company sets (round16_eval_* to round21_eval_*) and day logs (round16_daylog_* to round21_daylog_eval_*);
  * the same older sets with a benign prefix in front of every row ("For example, ", 「例えば、」 …): an attacker can
    add one, so it should not hide an attack (round 21).
In-sample numbers are printed last, separately.
The baseline is a keyword detector ("ignore previous instructions", "system prompt", 無視 ...) run on the
same rows. Latency: p50/p95 per 1,000 characters (PII) and per 512-token window (injection).
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from train_injection import (  # noqa: E402
    DEFAULT_SHARED,
    GUARD_DATA,
    LABELLED_SETS,
    NEW_FAMILIES,
    Row,
    WindowTable,
    build_corpus,
    calibration_rows,
    fit_model,
    max_by_row,
    sample_weights,
)

from tenbin.guard.features import N_FEATURES, N_HASH  # noqa: E402
from tenbin.guard.injection import InjectionModel, split_windows  # noqa: E402
from tenbin.guard.languages import WORLD_LANGUAGES  # noqa: E402
from tenbin.guard.pii import detect_pii  # noqa: E402
from tenbin.guard.sequence import N_BUCKETS  # noqa: E402
from tenbin.guard.trainer import SparseRows  # noqa: E402
from tenbin.jsonl import iter_jsonl  # noqa: E402

SHARED_FAMILIES: dict[str, frozenset[str]] = {
    "tensor_trust": frozenset({"tensor_trust/hijacking", "tensor_trust/extraction"}),
    "jailbreakbench": frozenset({"jailbreakbench/JBC", "jailbreakbench/PAIR"}),
    "wildguard": frozenset({"wildguard"}),
    "mitre_frr": frozenset({"mitre_frr"}),
}
# Our own files leave together with the composed rows built from the same author's phrases.
OWN_FAMILIES: dict[str, frozenset[str]] = {
    "own/ja_attack (+composed)": frozenset({"own/ja_attack", "compose/ja_attack"}),
    "own/ja_jailbreak": frozenset({"own/ja_jailbreak"}),
    "own/en_attack": frozenset({"own/en_attack"}),
    "own/en_jailbreak": frozenset({"own/en_jailbreak"}),
    "own/en_benign_hard (+composed)": frozenset({"own/en_benign_hard", "compose/en_benign"}),
    "own/en_benign_roleplay": frozenset({"own/en_benign_roleplay"}),
    "own/ja_benign (+composed)": frozenset({"own/ja_benign", "compose/ja_benign"}),
    "own/ja_benign_roleplay": frozenset({"own/ja_benign_roleplay"}),
    "own/en_benign_framed": frozenset({"own/en_benign_framed"}),
    "own/ja_benign_framed": frozenset({"own/ja_benign_framed"}),
}

# Round-4 families missing from the shared dev file: each left out in English and Japanese at once, so the
# row says how the model does on a family it never saw in either language.
# Round 5 added these two; the round-4 pooled number is also printed without them, to compare rounds.
ROUND5_FAMILIES = frozenset({"benign_longdocs", "doc_injections"})
ROUND7_FAMILIES = frozenset({"agent_abuse", "goal_hijack", "harmful_pretext", "benign_r7"})
UNSEEN_FAMILIES: dict[str, frozenset[str]] = {
    f"new/{family}": frozenset({f"own/en_{family}", f"own/ja_{family}"}) for family in NEW_FAMILIES
}
ROUND9_FAMILIES = frozenset({"r9_attack", "r9_benign", "benign_tech"})
ROUND12_FAMILIES = frozenset({"r12_attack", "r12_benign"})
ROUND14_FAMILIES = frozenset({"r14_attack", "r14_benign", "r15_everyday", "r15_disguised"})
# Other authors' labelled sets, trained on (see LABELLED_SETS in scripts/train_injection.py): each round's
# everyday-traffic set left out in English and Japanese at once (rounds 9-15, one company's staff per language and
# round), and the authors of each round's training sets (rounds 16-18) left out together.
# Derived from LABELLED_SETS' names (own/round{n}_eval_{lang}, own/round{n}_train_{lang}_{author}), so a round added
# to training is left out here too.
_LABELLED_ROUND = re.compile(r"own/round(\d+)_(eval|train)_")
ROUND_SETS: dict[str, frozenset[str]] = {
    f"round-{n} {'everyday' if kind == 'eval' else 'training'} sets": frozenset(
        s for s in LABELLED_SETS if s.startswith(f"own/round{n}_{kind}_")
    )
    for n, kind in sorted(
        {(int(m[1]), m[2]) for m in map(_LABELLED_ROUND.match, LABELLED_SETS) if m is not None}
    )
}
ROUND4_FAMILIES = [
    n
    for n in UNSEEN_FAMILIES
    if n.removeprefix("new/")
    not in ROUND5_FAMILIES | ROUND7_FAMILIES | ROUND9_FAMILIES | ROUND12_FAMILIES | ROUND14_FAMILIES
]
ROUND7_NAMES = [n for n in UNSEEN_FAMILIES if n.removeprefix("new/") in ROUND7_FAMILIES]
ROUND9_NAMES = [n for n in UNSEEN_FAMILIES if n.removeprefix("new/") in ROUND9_FAMILIES]
ROUND12_NAMES = [n for n in UNSEEN_FAMILIES if n.removeprefix("new/") in ROUND12_FAMILIES]
ROUND14_NAMES = [n for n in UNSEEN_FAMILIES if n.removeprefix("new/") in ROUND14_FAMILIES]

_KEYWORDS = re.compile(
    r"ignore (all |any |the )?(previous|prior|above)|disregard|system prompt|jailbreak|developer mode|"
    r"do anything now|\bdan\b|no restrictions|reveal|password|access granted|"
    r"無視|システムプロンプト|制限|解除|パスワード|秘密",
    re.IGNORECASE,
)

Group = tuple[list[Row], list[float], list[float]]


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


def print_table(title: str, groups: dict[str, Group]) -> None:
    print(f"\n### {title}\n")
    print("| set | rows | TPR | FPR | baseline TPR | baseline FPR |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (rows, model_scores, base_scores) in groups.items():
        tpr, fpr = rates(rows, model_scores)
        btpr, bfpr = rates(rows, base_scores)
        print(f"| {name} | {len(rows)} | {fmt(tpr)} | {fmt(fpr)} | {fmt(btpr)} | {fmt(bfpr)} |")


def balanced(groups: dict[str, Group], names: Sequence[str]) -> str:
    """Balanced accuracy over the union of the named sets (mean of TPR and 1 - FPR)."""
    rows = [r for n in names for r in groups[n][0]]
    scores = [s for n in names for s in groups[n][1]]
    base = [s for n in names for s in groups[n][2]]
    tpr, fpr = rates(rows, scores)
    btpr, bfpr = rates(rows, base)
    if tpr is None or fpr is None or btpr is None or bfpr is None:
        return "n/a"
    return f"{100 * (tpr + 1 - fpr) / 2:.1f}% (baseline {100 * (btpr + 1 - bfpr) / 2:.1f}%)"


class Retrainer:
    """Featurises every window of the corpus and of the calibration chat once, then retrains on any subset of
    rows as scripts/train_injection.py builds the shipped model: both stages (or, with ngrams=False, stage 1
    alone), each threshold placed on the calibration chat."""

    def __init__(self, rows: list[Row], calibration: list[Row], ngrams: bool = True) -> None:
        self.rows = rows
        self.table = WindowTable.build(rows)
        self.calibration = WindowTable.build(calibration)
        self.n_calibration = len(calibration)
        self.ngrams = ngrams
        self._index = {id(row): i for i, row in enumerate(rows)}

    def model_without(self, left_out: Callable[[Row], bool], ngrams: bool | None = None) -> InjectionModel:
        keep = np.flatnonzero([not left_out(self.rows[i]) for i in self.table.owner])
        two_stage = self.ngrams if ngrams is None else ngrams
        return fit_model(self.table.take(keep), self.calibration, self.n_calibration, ngrams=two_stage)

    def group(self, model: InjectionModel, test: list[Row]) -> Group:
        """Scores of `test` under `model`: from the table for training rows, by the scanner for the others."""
        table_scores = self.table.row_scores(model, len(self.rows))
        scores = [
            float(table_scores[self._index[id(r)]]) if id(r) in self._index else model.score(r.text) for r in test
        ]
        return (test, scores, [keyword_score(r.text) for r in test])


def sequence_experiment(
    retrainer: Retrainer, held: list[Row], calibration: list[Row], seeds: int, joint: bool, buckets: int
) -> None:
    """Round 6 (not shipped): the linear model, a 1-D CNN over concept-token sequences, and the average of
    their window logits (or, with `joint`, a CNN trained together with a linear term over the concept
    features), in the leave-one-out tables and on benign chat, for several CNN seeds."""
    import torch

    from tenbin.guard.sequence import tokenize
    from tenbin.guard.sequence_train import cnn_logits, train_cnn

    torch.set_num_threads(1)
    table = retrainer.table
    tokens = [tokenize(w.text, buckets=buckets) for w in table.windows]
    labels = np.array([w.label for w in table.windows])
    folds = {**SHARED_FAMILIES, **UNSEEN_FAMILIES, "(none: full model)": frozenset()}
    variants = ("linear", "joint") if joint else ("linear", "cnn", "average")
    # results[variant][seed] -> {fold name: Group}
    results: dict[str, list[dict[str, Group]]] = {v: [{} for _ in range(seeds)] for v in variants}
    for name, sources in folds.items():
        keep = np.flatnonzero([not retrainer.rows[i].comes_from(sources) for i in table.owner])
        kept_windows = [table.windows[i] for i in keep]
        concept = fit_model(table.take(keep), ngrams=False)
        bias = concept.bias
        full = np.zeros(N_FEATURES)
        full[N_HASH:] = concept.weights
        if sources:
            test_rows = [i for i, r in enumerate(retrainer.rows) if r.source in sources]
            test = [retrainer.rows[i] for i in test_rows]
            position = {row: slot for slot, row in enumerate(test_rows)}
            test_windows = np.flatnonzero([i in position for i in table.owner])
            owner = np.array([position[i] for i in table.owner[test_windows]], dtype=np.int64)
            test_tokens = [tokens[i] for i in test_windows]
            test_sparse = table.concepts.take(test_windows)
        else:
            test = held + calibration
            test_texts = [(slot, w) for slot, r in enumerate(test) for w in split_windows(r.text)]
            owner = np.array([slot for slot, _ in test_texts], dtype=np.int64)
            test_tokens = [tokenize(w, buckets=buckets) for _, w in test_texts]
            test_sparse = WindowTable.build(test).concepts
        linear = test_sparse.logits(full, bias)
        for seed in range(seeds):
            model, dense_weights = train_cnn(
                [tokens[i] for i in keep],
                labels[keep],
                sample_weights(kept_windows),
                seed=seed,
                dense=_dense(table.concepts.take(keep)) if joint else None,
            )
            cnn = cnn_logits(model, test_tokens)
            if dense_weights is not None:
                joint_weights = np.zeros(N_FEATURES)
                joint_weights[N_HASH:] = dense_weights
                outputs = (linear, test_sparse.logits(joint_weights, 0.0) + cnn)
            else:
                outputs = (linear, cnn, (linear + cnn) / 2)
            base = [keyword_score(r.text) for r in test]
            for variant, logits in zip(variants, outputs, strict=True):
                results[variant][seed][name] = (test, list(max_by_row(owner, logits, len(test))), base)
        print(f"  sequence experiment: {name}", file=sys.stderr)
    round4 = ROUND4_FAMILIES
    print("\n### Round 6: sequence CNN over concept tokens (mean ± sd over seeds; raw 0.5)\n")
    print(
        "| variant | shared LOSO BA | r4 pooled BA | r4+r5 pooled BA | docs FPR en/ja | new docs FPR en/ja "
        "| MMLU dev FPR | calib MMLU test / JMMLU FPR |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for variant in variants:
        cells: list[list[float]] = [[] for _ in range(10)]
        for groups in results[variant]:
            split = by_language(groups)
            values = [
                _ba(groups, list(SHARED_FAMILIES)),
                _ba(groups, round4),
                _ba(groups, list(UNSEEN_FAMILIES)),
                _fpr(split["new/benign_docs / en"]),
                _fpr(split["new/benign_docs / ja"]),
                _fpr(split["new/benign_longdocs / en"]),
                _fpr(split["new/benign_longdocs / ja"]),
            ]
            rows, scores, _ = groups["(none: full model)"]
            for source in ("heldout/mmlu", "calib/mmlu_test", "calib/jmmlu"):
                picked = [s for r, s in zip(rows, scores, strict=True) if r.source == source]
                values.append(100 * float(np.mean(np.array(picked) >= 0.5)))
            for cell, value in zip(cells, values, strict=True):
                cell.append(value)
        text = [f"{np.mean(c):.1f} ± {np.std(c):.1f}" for c in cells]
        print(
            f"| {variant} | {text[0]} | {text[1]} | {text[2]} | {text[3]} / {text[4]} | {text[5]} / {text[6]} "
            f"| {text[7]} | {text[8]} / {text[9]} |"
        )
    for variant in variants:
        print(
            f"- {variant}, shared LOSO BA per seed: "
            + ", ".join(f"{_ba(g, list(SHARED_FAMILIES)):.1f}" for g in results[variant])
        )


def _dense(sparse: SparseRows) -> np.ndarray:
    """The concept block of sparse rows as a dense matrix (rows x concept features)."""
    matrix = np.zeros((sparse.n_rows, N_FEATURES - N_HASH), dtype=np.float32)
    matrix[sparse.row_of, sparse.indices - N_HASH] = sparse.values
    return matrix


def _ba(groups: dict[str, Group], names: Sequence[str]) -> float:
    rows = [r for n in names for r in groups[n][0]]
    scores = [s for n in names for s in groups[n][1]]
    tpr, fpr = rates(rows, scores)
    return 100 * ((tpr or 0.0) + 1 - (fpr or 0.0)) / 2


def _fpr(group: Group) -> float:
    _, fpr = rates(group[0], group[1])
    return 100 * (fpr or 0.0)


def leave_one_source_out(retrainer: Retrainer, families: dict[str, frozenset[str]]) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for name, sources in families.items():
        model = retrainer.model_without(lambda r, s=sources: r.comes_from(s))
        groups[name] = retrainer.group(model, [r for r in retrainer.rows if r.source in sources])
        print(f"  left out {name}", file=sys.stderr)
    return groups


def by_language(groups: dict[str, Group]) -> dict[str, Group]:
    """Each group split into its English and Japanese rows (same scores)."""
    split: dict[str, Group] = {}
    for name, (rows, scores, base) in groups.items():
        for lang in ("en", "ja"):
            keep = [i for i, r in enumerate(rows) if r.lang == lang]
            if keep:
                split[f"{name} / {lang}"] = (
                    [rows[i] for i in keep],
                    [scores[i] for i in keep],
                    [base[i] for i in keep],
                )
    return split


def _japanese_made(row: Row) -> bool:
    return row.lang == "ja" or any(part.startswith(("own/ja", "compose/ja")) for part in row.parts)


def leave_one_language_out(retrainer: Retrainer, held: list[Row]) -> dict[str, Group]:
    """Japanese attacks (ours, training and held-out files) scored by models that never saw one, and the
    English attacks scored by a model that saw only Japanese attacks."""
    japanese = [
        r for r in retrainer.rows + held if r.lang == "ja" and r.source.startswith(("own/", "compose/"))
    ]
    english_attacks = [
        r
        for r in retrainer.rows
        if r.label == 1 and r.lang == "en" and "/" in r.source and not r.source.startswith("synthetic/")
    ]
    no_ja_attack = retrainer.model_without(lambda r: r.label == 1 and _japanese_made(r))
    no_ja = retrainer.model_without(_japanese_made)
    no_en_attack = retrainer.model_without(lambda r: r.label == 1 and not _japanese_made(r))
    return {
        "Japanese (our sets), no Japanese attack in training": retrainer.group(no_ja_attack, japanese),
        "Japanese (our sets), no Japanese text in training": retrainer.group(no_ja, japanese),
        "English attacks, only Japanese attacks in training": retrainer.group(no_en_attack, english_attacks),
    }


def mgsm_rows(shared: Path) -> list[Row]:
    """MGSM's grade-school maths questions in 11 languages (bn de en es fr ja ru sw te th zh): benign chat in
    languages beyond English and Japanese, never trained on (scripts/train_injection.py does not read them)."""
    rows: list[Row] = []
    for path in sorted((shared / "benchmarks" / "mgsm").glob("mgsm_*.tsv")):
        lang = path.stem.removeprefix("mgsm_")
        with path.open(encoding="utf-8", newline="") as handle:
            rows += [Row(record[0], 0, f"heldout/mgsm_{lang}", lang) for record in csv.reader(handle, delimiter="\t") if record]
    return rows


def held_out(held: list[Row], calibration: list[Row]) -> dict[str, Group]:
    model = InjectionModel.load()
    groups: dict[str, Group] = {}
    for source in sorted({r.source for r in held + calibration}):
        rows = [r for r in held + calibration if r.source == source]
        groups[source] = (rows, [model.score(r.text) for r in rows], [keyword_score(r.text) for r in rows])
    return groups


# Written by separate authors who never saw the detector, its lexicon or its training files, and never
# trained on. Rows whose id hashes even form the "dev" half (the only half anyone looked at while changing the
# detector); the odd "test" half is the number to quote.
NEVER_SEEN_FILES = (
    "fresh_eval_en.jsonl",
    "fresh_eval_ja.jsonl",
    "multilingual_eval.jsonl",
    "multilingual_eval2.jsonl",
    "multilingual_eval3.jsonl",
    # Round 8: indirect injections an agent reads on the job (RAG pages, e-mail, tickets, code, tool output)
    # and hard benign documents, by two more authors.
    "agentic_eval_en.jsonl",
    "agentic_eval_ja.jsonl",
    # Round 9: two more multilingual sets, written before the concept words of their languages (tl ms fi da nb
    # ur ta; Swahili and Telugu have none).
    "multilingual_eval4.jsonl",
    "multilingual_eval5.jsonl",
    # (The same brief's sets of rounds 9-15 are training data now; see ROUND_SETS.) Round 16's: an online travel
    # agency's staff (en) and a private railway company's and a dental-clinic chain's (ja), four invented attack
    # families each, by two more authors; written in round 16, opened once after the round-17 model was final.
    "round16_eval_en.jsonl",
    "round16_eval_ja.jsonl",
    # Round 16: one working day of a company's AI traffic, in arrival order (mostly short and mundane, ~14 %
    # attacks), by four more authors on a different brief (no families asked for); written as training data, scored
    # once by the round-16 model before anyone decided to use them, and kept out of training since.
    *(f"round16_daylog_{lang}_{author}.jsonl" for lang in ("en", "ja") for author in "ab"),
    # Two more day logs on that brief (an accounting firm; a supermarket chain), written in round 16 and opened once
    # after the round-17 model was final.
    "round16_daylog_eval_en.jsonl",
    "round16_daylog_eval_ja.jsonl",
    # Round 17's, by four more authors, opened once after the round-18 model was final: the family brief for a mobile
    # network operator (en) and a regional gas utility and a cram-school chain (ja); the day-log brief for a
    # construction-equipment rental company (en) and a wedding-venue group (ja).
    "round17_eval_en.jsonl",
    "round17_eval_ja.jsonl",
    "round17_daylog_eval_en.jsonl",
    "round17_daylog_eval_ja.jsonl",
    # Round 18's, by four more authors, opened once after the round-19 model was final: the family brief for a
    # pet insurer (en) and a convenience-store franchise HQ and a regional bus company (ja); the day-log brief for a
    # hospice and home-care provider (en) and an auto-parts plant (ja).
    "round18_eval_en.jsonl",
    "round18_eval_ja.jsonl",
    "round18_daylog_eval_en.jsonl",
    "round18_daylog_eval_ja.jsonl",
    # Round 19's, by four more authors, opened once after the round-19 model was final (a second clean measurement
    # of it): a consumer-electronics retailer (en) and a municipal waterworks bureau and a ramen chain (ja); day logs
    # of an architecture and interior-design studio (en) and a prefectural agricultural cooperative (ja).
    "round19_eval_en.jsonl",
    "round19_eval_ja.jsonl",
    "round19_daylog_eval_en.jsonl",
    "round19_daylog_eval_ja.jsonl",
    # Round 20's, by four more authors, opened once after the round-20 model was final: a fitness-club chain (en) and
    # a consumer co-operative and a contract software developer (ja); day logs of an electricity distribution
    # network's customer and field operations (en) and a civil-engineering consultancy (ja).
    "round20_eval_en.jsonl",
    "round20_eval_ja.jsonl",
    "round20_daylog_eval_en.jsonl",
    "round20_daylog_eval_ja.jsonl",
    # Round 21's, by four more authors, opened once in round 21 to judge a training-data change that was not shipped
    # (so a clean measurement of the round-20 model): an accountancy-software vendor's customer teams (en) and a
    # cable-TV and internet provider and a traditional confectioner (ja); day logs of a commercial insurance broker
    # (en) and a supermarket chain's distribution centre (ja).
    "round21_eval_en.jsonl",
    "round21_eval_ja.jsonl",
    "round21_daylog_eval_en.jsonl",
    "round21_daylog_eval_ja.jsonl",
    # Training sets kept out of LABELLED_SETS, so they measure instead: round 18's d-f (trained on with the other
    # six of round 18, they lowered rounds 14 and 15 left out), round 19's a-c on the same brief (trained on, they
    # left the other rounds where they were and lowered the shared sources) and round 19's agent sets (an agent's tool
    # results and the staff's orders to act; trained on, they lowered the other rounds left out). Derived from
    # LABELLED_SETS, so a set moved into training leaves this list by itself.
    *sorted(
        path.name
        for path in GUARD_DATA.glob("round*_train_*.jsonl")
        if path.name not in set(LABELLED_SETS.values())
    ),
)
# Rounds whose company sets (round{n}_eval_*) or day logs (round{n}_daylog_*) are never-seen sets, for the summary.
_CLEAN_ROUNDS = sorted({int(m[1]) for m in map(re.compile(r"round(\d+)_(?:eval|daylog)_").match, NEVER_SEEN_FILES) if m})
# Languages that have concept words in tenbin.guard.languages (besides English and Japanese); the rest of the
# multilingual set is in languages the lexicon does not know at all.
LEXICON_LANGUAGES = frozenset({"en", "ja", *WORLD_LANGUAGES})
# Languages whose concept words came in round 8, after multilingual_eval3.jsonl had been written for them.
ROUND8_LANGUAGES = frozenset({"hu", "ro", "he", "fa", "bn"})
# Round 9's, written after multilingual_eval4/5.jsonl by authors who did not see them.
ROUND9_LANGUAGES = frozenset({"tl", "ms", "fi", "da", "nb", "ur", "ta"})
# Round 12's, Swahili and Telugu, by two more authors who did not see multilingual_eval5.jsonl.
ROUND12_LANGUAGES = frozenset({"sw", "te"})


def never_seen_rows() -> list[tuple[Row, str, str]]:
    """(row, family, half) for every row of the never-seen files present."""
    found: list[tuple[Row, str, str]] = []
    for name in NEVER_SEEN_FILES:
        path = GUARD_DATA / name
        if not path.is_file():
            continue
        for _, record in iter_jsonl(path):
            half = "dev" if zlib.crc32(str(record["id"]).encode()) % 2 == 0 else "test"
            row = Row(str(record["text"]), int(record["label"]), f"never-seen/{name}", str(record["lang"]))
            found.append((row, str(record["family"]), half))
    return found


def never_seen(model: InjectionModel) -> None:
    found = never_seen_rows()
    if not found:
        return
    scores = [model.score(row.text) for row, _, _ in found]
    base = [keyword_score(row.text) for row, _, _ in found]

    def group(keep: Callable[[Row, str, str], bool]) -> Group:
        picked = [i for i, item in enumerate(found) if keep(*item)]
        return ([found[i][0] for i in picked], [scores[i] for i in picked], [base[i] for i in picked])

    by_set: dict[str, Group] = {}
    for half in ("test", "dev"):
        for lang in sorted({row.lang for row, _, _ in found}):
            by_set[f"{half} / {lang}"] = group(
                lambda r, f, h, lang=lang, half=half: r.lang == lang and h == half
            )
    print_table("Injection, never-seen sets (other authors; shipped model, calibrated threshold)", by_set)
    for half in ("test", "dev"):
        summary = {
            "fresh en+ja (round 7)": lambda r: r.source.startswith("never-seen/fresh"),
            "the 20 round-7 languages": lambda r: (
                r.source.startswith("never-seen/multilingual")
                and r.lang in LEXICON_LANGUAGES - ROUND8_LANGUAGES - ROUND9_LANGUAGES - ROUND12_LANGUAGES
            ),
            "hu ro he fa bn (round 8)": lambda r: r.lang in ROUND8_LANGUAGES,
            "tl ms fi da nb ur ta (round 9)": lambda r: r.lang in ROUND9_LANGUAGES,
            "sw te (round 12)": lambda r: r.lang in ROUND12_LANGUAGES,
            "languages without concept words": lambda r: r.lang not in LEXICON_LANGUAGES,
            "agentic en+ja (round 8)": lambda r: r.source.startswith("never-seen/agentic"),
            **{
                name: lambda r, prefix=prefix: r.source.startswith(prefix)
                for n in _CLEAN_ROUNDS
                for name, prefix in (
                    (f"round-{n} en+ja", f"never-seen/round{n}_eval"),
                    (f"day logs en+ja (round {n})", f"never-seen/round{n}_daylog"),
                )
            },
            "training brief, kept out (rounds 18-19)": lambda r: "_train_" in r.source and "_agent_" not in r.source,
            "agent traffic en+ja (round 19), kept out": lambda r: "_train_agent_" in r.source,
        }
        groups = {
            name: group(lambda r, f, h, keep=keep, half=half: h == half and keep(r)) for name, keep in summary.items()
        }
        cells = "; ".join(f"{name}: {balanced(groups, [name])}" for name in summary)
        print(f"- {half}: balanced accuracy, {cells}")
    families = {
        f"{family} ({'attack' if label else 'benign'})": group(
            lambda r, f, h, family=family, label=label: f == family and r.label == label
        )
        for family, label in sorted({(f, r.label) for r, f, _ in found})
    }
    print_table("Never-seen sets by family (both halves, all languages)", families)


# Words a writer puts in front of anything. An attacker can put them in front of an attack, so none of them should
# make one pass: round 21 found that 「例えば、」 did (DISCUSSION's discourse markers).
BENIGN_PREFIXES: dict[str, tuple[str, ...]] = {
    "en": ("IMPORTANT: ", "Please note: ", "For example, ", "For instance, "),
    "ja": ("重要：", "お知らせ：", "例えば、", "たとえば、"),
}
PREFIX_SETS = ("fresh_eval", "agentic_eval", "round16_eval", "round17_eval")


def prefix_robustness(model: InjectionModel) -> None:
    """Attacks and everyday rows of older never-seen sets, scored as written and with each prefix in front."""
    found = [row for row, _, _ in never_seen_rows() if any(name in row.source for name in PREFIX_SETS)]
    if not found:
        return
    print("\n### Injection, a benign prefix in front of every row (older never-seen sets, both halves)\n")
    print("| language | prefix | attacks caught | everyday flagged |")
    print("|---|---|---:|---:|")
    for lang, prefixes in BENIGN_PREFIXES.items():
        rows = [row for row in found if row.lang == lang]
        attacks = [r.text for r in rows if r.label == 1]
        everyday = [r.text for r in rows if r.label == 0]
        for prefix in ("", *prefixes):
            caught = sum(model.score(prefix + text) >= 0.5 for text in attacks)
            flagged = sum(model.score(prefix + text) >= 0.5 for text in everyday)
            shown = repr(prefix) if prefix else "(none)"
            print(f"| {lang} | {shown} | {caught} of {len(attacks)} | {flagged} of {len(everyday)} |")


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


def latency(full: list[Row], held: list[Row]) -> None:
    rng = random.Random(7)
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
    parser.add_argument("--quick", action="store_true", help="skip the leave-one-out retraining")
    parser.add_argument(
        "--stage1",
        action="store_true",
        help="retrain stage 1 alone (the concept model) in the leave-out tables, to see what stage 2 adds",
    )
    parser.add_argument(
        "--sequence-seeds",
        type=int,
        default=0,
        metavar="N",
        help="only run the round-6 sequence-CNN experiment with N seeds (needs torch; about 4 min per seed)",
    )
    parser.add_argument(
        "--sequence-buckets",
        type=int,
        default=N_BUCKETS,
        help="with --sequence-seeds: hashed ids for words outside the lexicon (1 = concepts and markers only)",
    )
    parser.add_argument(
        "--sequence-joint",
        action="store_true",
        help="with --sequence-seeds: train the CNN jointly with a linear term over the concept features",
    )
    args = parser.parse_args()
    if not (args.shared / "guardrails" / "injection_dev.jsonl.gz").is_file():
        parser.error(f"no guardrails data under {args.shared}")
    np.seterr(over="ignore")
    train, held = build_corpus(args.shared)
    calibration = calibration_rows(args.shared)
    if args.sequence_seeds > 0:
        sequence_experiment(
            Retrainer(train, calibration, ngrams=False),
            held,
            calibration_rows(args.shared),
            args.sequence_seeds,
            args.sequence_joint,
            args.sequence_buckets,
        )
        return
    if not args.quick:
        retrainer = Retrainer(train, calibration, ngrams=not args.stage1)
        loso = leave_one_source_out(retrainer, SHARED_FAMILIES | OWN_FAMILIES)
        print_table(
            "Injection, leave-one-source-out (model retrained without the source it is scored on)", loso
        )
        print("\nBalanced accuracy, four shared families pooled:", balanced(loso, list(SHARED_FAMILIES)))
        unseen = leave_one_source_out(retrainer, UNSEEN_FAMILIES)
        print_table(
            "Injection, round-4/5/7 families left out one at a time (English and Japanese together)",
            by_language(unseen),
        )
        round4 = ROUND4_FAMILIES
        print("\nBalanced accuracy, round-4 families pooled:", balanced(unseen, round4))
        later = ROUND7_NAMES + ROUND9_NAMES + ROUND12_NAMES + ROUND14_NAMES
        round45 = [n for n in UNSEEN_FAMILIES if n not in later]
        print("Balanced accuracy, round-4 and round-5 families pooled:", balanced(unseen, round45))
        print("Balanced accuracy, round-7 families pooled:", balanced(unseen, ROUND7_NAMES))
        print("Balanced accuracy, round-9 families pooled:", balanced(unseen, ROUND9_NAMES))
        print("Balanced accuracy, round-12 families pooled:", balanced(unseen, ROUND12_NAMES))
        print("Balanced accuracy, round-14 families pooled:", balanced(unseen, ROUND14_NAMES))
        print("Balanced accuracy, all own families pooled:", balanced(unseen, list(UNSEEN_FAMILIES)))
        rounds = leave_one_source_out(retrainer, ROUND_SETS)
        print_table("Injection, other authors' labelled sets left out one round at a time", by_language(rounds))
        for name in ROUND_SETS:
            print(f"- balanced accuracy, {name} left out: {balanced(rounds, [name])}")
        lolo = leave_one_language_out(retrainer, held)
        print_table("Injection, leave-one-language-out", lolo)
        for name in lolo:
            print(f"- balanced accuracy, {name}: {balanced(lolo, [name])}")
    groups = held_out(held + mgsm_rows(args.shared), calibration_rows(args.shared))
    print_table(
        "Injection, shipped model on sources it never trained on (calib/* placed the threshold)", groups
    )
    print(
        "\nBalanced accuracy, our Japanese held-out set:",
        balanced(groups, ["own/heldout_ja_attack", "own/heldout_ja_benign"]),
    )
    model = InjectionModel.load()
    in_sample = {
        name: (
            rows,
            [model.score(r.text) for r in rows],
            [keyword_score(r.text) for r in rows],
        )
        for name, sources in SHARED_FAMILIES.items()
        for rows in [[r for r in train if r.source in sources]]
    }
    print_table(
        "Injection, shipped model in-sample (rows it trained on; not a generalisation claim)", in_sample
    )
    never_seen(model)
    prefix_robustness(model)
    latency(train, held)


if __name__ == "__main__":
    main()
