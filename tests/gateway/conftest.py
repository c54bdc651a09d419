"""A real `tenbin serve` process on a free port, in front of a fake OpenAI-compatible upstream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.fakes.openai_upstream import FakeOpenAI
from tests.fakes.server import serve_in_thread

MASTER_KEY = "tb-master-test-key"
TENBIN = [sys.executable, "-m", "tenbin"]


@dataclass
class RunningGateway:
    base_url: str
    home: Path
    config: Path
    fake: FakeOpenAI
    team_key: str
    limited_key: str
    revoked_key: str
    env: dict[str, str]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*TENBIN, *args], env=self.env, capture_output=True, text=True, timeout=60)


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited early: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gateway did not become healthy")


def config_text(upstream: str, dead_port: int) -> str:
    return f"""
providers:
  upstream1:
    type: openai
    base_url: {upstream}/v1
    api_key: ${{UPSTREAM_KEY}}
  slowpoke:
    type: openai
    base_url: {upstream}/v1
    timeout_s: 1
  dead:
    type: openai
    base_url: http://127.0.0.1:{dead_port}/v1
    connect_timeout_s: 1
  mock: {{type: mock}}
  dribble: {{type: mock, options: {{chunk_delay_s: 0.2}}}}
models:
  - name: fast
    provider: upstream1
    model: echo
    price: {{input_per_mtok: 0.15, output_per_mtok: 0.60}}
  - name: other
    provider: upstream1
    model: echo
  - name: no-usage
    provider: upstream1
    model: no-usage
    price: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}
  - name: tool
    provider: upstream1
    model: tool
  - name: broken
    provider: upstream1
    model: fail-500
  - name: busy
    provider: upstream1
    model: fail-429
  - name: rejects
    provider: upstream1
    model: fail-400
  - name: slow
    provider: slowpoke
    model: slow
  - name: slow-own-timeout
    provider: upstream1
    model: slow
    timeout_s: 1
  - name: unreachable
    provider: dead
    model: echo
  - name: breaks
    provider: upstream1
    model: break
  - name: resilient
    provider: upstream1
    model: fail-500
  - name: resilient
    provider: upstream1
    model: echo
  - name: embed
    provider: upstream1
    model: text-embedding-fake
    kind: embedding
    price: {{input_per_mtok: 0.02}}
  - name: mock
    provider: mock
    model: mock
  - name: bad-bytes
    provider: upstream1
    model: bad-bytes
  - name: tool-echo
    provider: upstream1
    model: tool-echo
  - name: dribble
    provider: dribble
    model: mock
server:
  max_body_bytes: 100000
ledger:
  flush_interval_s: 0.1
"""


@contextmanager
def running_gateway(home: Path, config: Path, env: dict[str, str], *serve_args: str) -> Iterator[str]:
    """`tenbin serve` as a real process on a free port; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [*TENBIN, "serve", "--config", str(config), "--port", str(port), *serve_args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, so that a stuck one goes down with its workers
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, process)
        yield base_url
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """A clean shutdown (SIGTERM), or SIGKILL to the whole process group when that takes too long."""
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def gateway_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "TENBIN_HOME": str(home), "TENBIN_MASTER_KEY": MASTER_KEY, "UPSTREAM_KEY": "sk-upstream"}
    env.pop("OPENAI_API_KEY", None)
    return env


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    fake = FakeOpenAI()
    home = tmp_path_factory.mktemp("tenbin-home")
    with serve_in_thread(fake.app) as upstream:
        config = home / "tenbin.yaml"
        config.write_text(config_text(upstream, free_port()))
        env = gateway_env(home)

        def create(*args: str) -> str:
            done = subprocess.run([*TENBIN, "keys", "create", *args], env=env, capture_output=True, text=True, check=True)
            return done.stdout.strip().splitlines()[0]

        team_key = create("--name", "team")
        limited_key = create("--name", "limited", "--models", "fast", "--rpm", "2")
        revoked_key = create("--name", "gone")
        subprocess.run([*TENBIN, "keys", "revoke", "gone"], env=env, check=True, capture_output=True)
        with running_gateway(home, config, env) as base_url:
            yield RunningGateway(base_url, home, config, fake, team_key, limited_key, revoked_key, env)
