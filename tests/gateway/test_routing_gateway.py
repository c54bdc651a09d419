"""Routes through the running gateway: tenbin/auto picks per request with a trained router, the decision is in
the x-tenbin-route header and the ledger, feedback is stored, A/B variants are reported, and the router can
be refit from the ledger."""

from __future__ import annotations

import json
import random
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

from tenbin.store.db import Database
from tenbin.store.ledger import recent
from tests.gateway.conftest import MASTER_KEY, TENBIN, gateway_env, running_gateway

TOPICS = ["weather", "family", "trains", "cooking", "music", "travel", "school", "shopping", "sports", "books"]
MATH = ["prime", "integral", "lemma", "manifold", "eigenvalue", "topology", "induction", "group", "ring", "field"]


def translate_prompt(rng: random.Random) -> str:
    return "Translate into Japanese: " + " ".join(rng.choices(TOPICS, k=6)) + "."


def proof_prompt(rng: random.Random) -> str:
    return "Prove rigorously that every " + " ".join(rng.choices(MATH, k=6)) + " satisfies the lemma."


def write_outcomes(path: Path) -> None:
    """Cheap is as good as strong on translation and useless on proofs; strong costs 100 times more."""
    rng = random.Random(7)
    with path.open("w") as out:
        for index in range(240):
            proof = index % 2 == 1
            prompt = proof_prompt(rng) if proof else translate_prompt(rng)
            for model, score, cost in (("cheap", 0.0 if proof else 1.0, 0.0001), ("strong", 1.0, 0.01)):
                row = {"dataset": "synthetic", "item_id": f"i{index}", "prompt": prompt, "model": model,
                       "score": score, "cost_usd": cost}
                out.write(json.dumps(row) + "\n")


CONFIG = """
providers:
  c: {{type: mock, options: {{reply: cheap-answer}}}}
  s: {{type: mock, options: {{reply: strong-answer}}}}
models:
  - {{name: cheap, provider: c, model: m, price: {{input_per_mtok: 0.1, output_per_mtok: 0.1}}}}
  - {{name: strong, provider: s, model: m, price: {{input_per_mtok: 10, output_per_mtok: 30}}}}
router: {{artifact: {router}}}
routes:
  - {{name: tenbin/auto, policy: quality_target, target: 0.9}}
  - {{name: frugal, policy: cascade, target: 0.9}}
  - name: pinned
    split:
      - {{name: only, model: strong}}
  - name: ab
    split:
      - {{name: control, weight: 1, model: cheap}}
      - {{name: routed, weight: 1, policy: quality_target, target: 0.9}}
ledger: {{store_bodies: true, flush_interval_s: 0.1}}
"""


@dataclass
class Routed:
    base_url: str
    home: Path
    config: Path
    env: dict[str, str]

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.base_url}/v1", api_key=MASTER_KEY, max_retries=0)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*TENBIN, *args], env=self.env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Routed]:
    home = tmp_path_factory.mktemp("routed")
    env = gateway_env(home)
    outcomes, router = home / "outcomes.jsonl", home / "router.npz"
    write_outcomes(outcomes)
    fitted = subprocess.run([*TENBIN, "route", "fit", str(outcomes), "-o", str(router)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert fitted.returncode == 0, fitted.stderr
    config = home / "tenbin.yaml"
    config.write_text(CONFIG.format(router=router))
    with running_gateway(home, config, env) as base_url:
        yield Routed(base_url, home, config, env)


def ask(routed: Routed, model: str, prompt: str) -> tuple[str, dict[str, str], str]:
    raw = routed.client().chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": prompt}]
    )
    headers = dict(raw.headers)
    return raw.parse().choices[0].message.content or "", headers, headers["x-request-id"]


def route_header(headers: dict[str, str]) -> dict[str, str]:
    return dict(part.split("=", 1) for part in headers["x-tenbin-route"].split("; "))


def test_auto_route_sends_each_prompt_to_the_model_it_needs(routed: Routed) -> None:
    rng = random.Random(99)  # prompts the router never saw
    for _ in range(5):
        content, headers, _ = ask(routed, "tenbin/auto", translate_prompt(rng))
        assert content == "cheap-answer" and route_header(headers)["model"] == "cheap"
        content, headers, _ = ask(routed, "tenbin/auto", proof_prompt(rng))
        assert content == "strong-answer" and route_header(headers)["model"] == "strong"
    decision = route_header(headers)
    assert decision["policy"] == "quality_target" and float(decision["predicted_quality"]) > 0.5
    assert float(decision["expected_cost_usd"]) > 0


def test_cascade_escalates_only_where_the_cheap_model_is_not_trusted(routed: Routed) -> None:
    rng = random.Random(123)
    content, headers, _ = ask(routed, "frugal", translate_prompt(rng))
    assert content == "cheap-answer" and route_header(headers)["model"] == "cheap"  # plan of one: trusted
    content, headers, _ = ask(routed, "frugal", proof_prompt(rng))
    decision = route_header(headers)
    assert content == "strong-answer" and decision["plan"] == "cheap>strong" and decision["answered_by"] == "strong"


def test_routes_are_listed_as_models(routed: Routed) -> None:
    names = {model.id for model in routed.client().models.list()}
    assert {"cheap", "strong", "tenbin/auto", "ab"} <= names


def test_decision_lands_in_the_ledger(routed: Routed) -> None:
    _, _, request_id = ask(routed, "tenbin/auto", proof_prompt(random.Random(5)))
    database = Database(f"sqlite:///{routed.home / 'tenbin.db'}")
    deadline = time.monotonic() + 5
    row = None
    while row is None and time.monotonic() < deadline:
        row = next((r for r in recent(database, 200) if r["request_id"] == request_id), None)
        time.sleep(0.1)
    assert row is not None
    assert row["model"] == "tenbin/auto" and row["deployment"] == "s/m"
    assert row["route"]["model"] == "strong" and row["route"]["policy"] == "quality_target"


def post_feedback(routed: Routed, body: dict[str, object]) -> int:
    request = urllib.request.Request(
        f"{routed.base_url}/v1/feedback", data=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_feedback_validation(routed: Routed) -> None:
    assert post_feedback(routed, {"request_id": "req_x", "score": 1.5}) == 400
    assert post_feedback(routed, {"score": 1}) == 400
    assert post_feedback(routed, {"request_id": "req_x", "score": "good"}) == 400


def test_ab_split_feedback_report_and_refit_from_ledger(routed: Routed) -> None:
    rng = random.Random(11)
    for index in range(60):
        prompt = proof_prompt(rng) if index % 2 else translate_prompt(rng)
        content, _headers, request_id = ask(routed, "ab", prompt)
        good = content == "strong-answer" or "Translate" in prompt
        assert post_feedback(routed, {"request_id": request_id, "score": 1.0 if good else 0.0}) == 200
    time.sleep(0.5)
    report_path = routed.home / "ab.json"
    result = routed.cli("route", "ab", "ab", "--config", str(routed.config), "-o", str(report_path))
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text())
    control, treated = report["variants"]["control"], report["variants"]["routed"]
    assert control["requests"] + treated["requests"] == 60
    assert set(control["models"]) == {"cheap"}
    # Routing proofs to the strong model earns better feedback than always-cheap, and the interval says so.
    difference = report["differences"]["routed - control"]["feedback"]
    assert difference["mean"] > 0 and difference["ci95"][0] > 0

    refit = routed.home / "refit.npz"
    result = routed.cli("route", "fit", "--from-ledger", "--config", str(routed.config), "-o", str(refit))
    assert result.returncode == 0, result.stderr
    assert refit.exists() and "outcomes from traffic" in result.stdout + result.stderr


def test_a_fixed_variant_never_serves_a_model_the_key_may_not_use(routed: Routed) -> None:
    created = routed.cli("keys", "create", "--name", "cheap-only", "--models", "cheap")
    key = created.stdout.split()[0]
    client = openai.OpenAI(base_url=f"{routed.base_url}/v1", api_key=key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="pinned", messages=[{"role": "user", "content": proof_prompt(random.Random(3))}]
    )
    assert raw.parse().choices[0].message.content == "cheap-answer"
    assert route_header(dict(raw.headers))["model"] == "cheap"
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="strong", messages=[{"role": "user", "content": "x"}])
