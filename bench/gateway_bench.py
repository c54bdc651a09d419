"""Gateway benchmark: nginx directly, tenbin (virtual key, ledger on) and LiteLLM's proxy, in one run.

    .venv/bin/python bench/gateway_bench.py                 # everything, ~10 s per measurement
    .venv/bin/python bench/gateway_bench.py --targets direct,tenbin --duration 5

A fixed-response nginx (bench/nginx/) is the upstream of both gateways. wrk drives POST load at concurrency
1 and 64 against each target; tenbin's RSS (all its processes) is read before and after a soak of 100,000
requests; 500 concurrent streams go through tenbin and, as the baseline, straight to nginx. Everything
listens on 127.0.0.1 only, every load step is bounded in time, and every process started here is stopped
at the end. Prerequisites and the meaning of each number: bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import importlib.util
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

BENCH = Path(__file__).resolve().parent
NGINX_TEMPLATE = BENCH / "nginx" / "nginx.conf.template"
LITELLM_TEMPLATE = BENCH / "litellm" / "config.yaml.template"
ECHO_MODULE_PATHS = (
    Path("/usr/lib/nginx/modules/ngx_http_echo_module.so"),
    Path("/usr/share/nginx/modules/ngx_http_echo_module.so"),
)
INSTALL_HINT = "apt-get update && apt-get install -y nginx libnginx-mod-http-echo wrk"
MODEL = "bench"
CHAT_BODY = json.dumps(
    {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Say hello in one short sentence."}],
        "max_tokens": 32,
    }
)
STREAM_BODY = json.dumps({**json.loads(CHAT_BODY), "stream": True})
LITELLM_MASTER_KEY = "sk-bench-litellm-master"
ALL_TARGETS = ("direct", "tenbin", "litellm", "soak", "stream")
RSS_FLAT_GROWTH = 0.10

# wrk runs this in every thread; `done` prints one machine-readable line that the script parses.
WRK_SCRIPT = r"""
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("BENCH_KEY") or ""
if key ~= "" then wrk.headers["Authorization"] = "Bearer " .. key end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


class BenchError(Exception):
    """A problem the user can fix; printed as one clear message, never a traceback."""


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class LoadResult:
    target: str
    connections: int
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_s: float | None = None  # CPU time the target's processes used during the run

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def cpu_us_per_request(self) -> float | None:
        return self.cpu_s / self.requests * 1e6 if self.cpu_s is not None and self.requests else None


@dataclass
class StreamResult:
    target: str
    streams: int
    concurrent: bool
    completed: int = 0
    stalled: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    ttft_s: list[float] = field(default_factory=list)
    max_gap_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0  # CPU time the target's processes used during the run


@dataclass(frozen=True)
class SoakResult:
    workers: int
    idle_kib: int
    before_kib: int
    after_kib: int
    load: LoadResult

    @property
    def growth(self) -> float:
        return (self.after_kib - self.before_kib) / self.before_kib if self.before_kib else 0.0


@dataclass
class Report:
    loads: list[LoadResult] = field(default_factory=list)
    streams: list[StreamResult] = field(default_factory=list)
    soak: SoakResult | None = None
    after_stream_kib: int | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(url: str, timeout_s: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return 200 <= response.status < 300
    except (OSError, urllib.error.URLError):
        return False


class Service:
    """A process started in its own session, so that it and all its workers stop together."""

    def __init__(self, name: str, command: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            list(command), env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, url: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited during start-up; its log:\n{self.log_tail()}")
            if http_ok(url):
                return
            time.sleep(0.2)
        raise BenchError(f"{self.name} was not ready within {timeout_s:.0f} s; its log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:]) or "(empty)"

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log_file.close()


class Services:
    """Every service this run started; all are stopped on exit, on Ctrl-C and on SIGTERM."""

    def __init__(self) -> None:
        self.running: list[Service] = []

    def start(self, name: str, command: Sequence[str], env: dict[str, str], log: Path) -> Service:
        service = Service(name, command, env, log)
        self.running.append(service)
        return service

    def stop(self, service: Service) -> None:
        service.stop()
        if service in self.running:
            self.running.remove(service)

    def stop_all(self) -> None:
        while self.running:
            self.stop(self.running[-1])


def process_tree(root: int) -> set[int]:
    """A process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in members]
        members.update(children)
        frontier.extend(children)
    return members


def tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants (shared pages count once per process)."""
    total = 0
    for pid in process_tree(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def tree_cpu_s(root: int) -> float:
    """User + system CPU seconds used so far by a process and its live descendants."""
    ticks = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- prerequisites


@dataclass(frozen=True)
class Tools:
    nginx: str
    wrk: str
    echo_module: Path


def find_tools() -> Tools:
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    wrk = shutil.which("wrk")
    echo_module = next((path for path in ECHO_MODULE_PATHS if path.exists()), None)
    missing = [
        name
        for name, found in (("nginx", nginx), ("wrk", wrk), ("libnginx-mod-http-echo", echo_module))
        if not found
    ]
    if missing or nginx is None or wrk is None or echo_module is None:
        raise BenchError(f"missing: {', '.join(missing)}. Install them (as root) with:\n  {INSTALL_HINT}")
    if importlib.util.find_spec("tenbin") is None:
        raise BenchError(
            "tenbin is not importable: run with the repo's venv, e.g. .venv/bin/python bench/gateway_bench.py"
        )
    for template in (NGINX_TEMPLATE, LITELLM_TEMPLATE):
        if not template.exists():
            raise BenchError(f"template missing: {template}")
    return Tools(nginx, wrk, echo_module)


def fill(template: Path, values: dict[str, str]) -> str:
    text = template.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    return text


# ---------------------------------------------------------------- load with wrk


@dataclass(frozen=True)
class Wrk:
    binary: str
    script: Path
    threads: int

    def run(
        self,
        target: str,
        url: str,
        key: str | None,
        connections: int,
        duration_s: float,
    ) -> LoadResult:
        threads = max(1, min(self.threads, connections))
        env = {**os.environ, "BENCH_BODY": CHAT_BODY, "BENCH_KEY": key or ""}
        command = [
            self.binary,
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{max(1, math.ceil(duration_s))}s",
            "--timeout",
            "10s",
            "-s",
            str(self.script),
            url,
        ]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration_s + 60)
        except subprocess.TimeoutExpired:
            raise BenchError(f"wrk against {target} did not finish within {duration_s + 60:.0f} s") from None
        line = next((row for row in done.stdout.splitlines() if row.startswith("BENCH_JSON ")), None)
        if done.returncode != 0 or line is None:
            raise BenchError(
                f"wrk against {target} failed ({done.returncode}): {done.stderr.strip() or done.stdout[-500:]}"
            )
        data = json.loads(line.removeprefix("BENCH_JSON "))
        return LoadResult(
            target=target,
            connections=connections,
            requests=int(data["requests"]),
            duration_s=data["duration_us"] / 1e6,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            errors=int(data["errors"]),
        )


def measure(
    wrk: Wrk, target: str, url: str, key: str | None, pid: int, args: argparse.Namespace, warmup_s: float
) -> list[LoadResult]:
    """A warm-up (not reported), then concurrency 1 and the configured high concurrency."""
    wrk.run(target, url, key, 8, warmup_s)
    results = []
    for connections in (1, args.connections):
        cpu_before = tree_cpu_s(pid)
        result = wrk.run(target, url, key, connections, args.duration)
        result = dataclasses.replace(result, cpu_s=tree_cpu_s(pid) - cpu_before)
        print(
            f"  {target:<22} c={connections:<3} {result.rps:9.0f} req/s  p50 {result.p50_ms:7.2f} ms  "
            f"p99 {result.p99_ms:7.2f} ms  {result.cpu_us_per_request or 0:6.0f} CPU us/req  "
            f"errors {result.errors}",
            flush=True,
        )
        results.append(result)
    return results


# ---------------------------------------------------------------- streaming client


@dataclass(frozen=True)
class StreamOutcome:
    finished: bool
    ttft_s: float | None
    max_gap_s: float
    failure: str | None = None


def _classify(data: bytes) -> tuple[bool, bool]:
    """(carries generated text, is an error event) for one SSE data payload."""
    try:
        chunk = json.loads(data)
    except ValueError:
        return False, True
    if not isinstance(chunk, dict) or "error" in chunk:
        return False, True
    choices = chunk.get("choices") or [{}]
    return bool((choices[0].get("delta") or {}).get("content")), False


async def _one_stream(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], deadline_s: float
) -> StreamOutcome:
    started = time.perf_counter()
    ttft: float | None = None
    last: float | None = None
    max_gap = 0.0
    try:
        async with session.post(
            url, data=STREAM_BODY, headers=headers, timeout=aiohttp.ClientTimeout(total=deadline_s)
        ) as response:
            if response.status != 200:
                await response.read()
                return StreamOutcome(False, None, 0.0, f"HTTP {response.status}")
            async for raw in response.content:
                line = raw.strip()
                if not line.startswith(b"data:"):
                    continue
                now = time.perf_counter()
                if last is not None:
                    max_gap = max(max_gap, now - last)
                last = now
                data = line[5:].strip()
                if data == b"[DONE]":
                    return StreamOutcome(True, ttft, max_gap)
                has_text, is_error = _classify(data)
                if is_error:
                    return StreamOutcome(False, ttft, max_gap, "error event")
                if has_text and ttft is None:
                    ttft = now - started
    except TimeoutError:
        return StreamOutcome(False, ttft, max_gap, "timed out")
    except aiohttp.ClientError as error:
        return StreamOutcome(False, ttft, max_gap, type(error).__name__)
    return StreamOutcome(False, ttft, max_gap, "ended without [DONE]")


async def _stream_all(
    url: str, key: str | None, count: int, concurrent: bool, deadline_s: float
) -> list[StreamOutcome]:
    """``count`` streams, all opened at once or one after another; each gets a fresh connection."""
    headers = {"content-type": "application/json", "accept": "text/event-stream"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        if concurrent:
            tasks = [_one_stream(session, url, headers, deadline_s) for _ in range(count)]
            return await asyncio.wait_for(asyncio.gather(*tasks), timeout=deadline_s + 30)
        return [await _one_stream(session, url, headers, deadline_s) for _ in range(count)]


def run_streams(
    target: str, url: str, key: str | None, pid: int, args: argparse.Namespace, concurrent: bool = True
) -> StreamResult:
    count = args.streams if concurrent else args.ttft_samples
    deadline_s = args.stream_deadline
    started, cpu_before = time.perf_counter(), tree_cpu_s(pid)
    try:
        outcomes = asyncio.run(_stream_all(url, key, count, concurrent, deadline_s))
    except TimeoutError:
        raise BenchError(
            f"{count} streams against {target} did not settle within {deadline_s + 30:.0f} s"
        ) from None
    result = StreamResult(
        target, count, concurrent, wall_s=time.perf_counter() - started, cpu_s=tree_cpu_s(pid) - cpu_before
    )
    for outcome in outcomes:
        if outcome.failure is not None:
            result.failures[outcome.failure] = result.failures.get(outcome.failure, 0) + 1
        else:
            result.completed += 1
        if outcome.max_gap_s > args.stall_s or not outcome.finished:
            result.stalled += 1
        if outcome.ttft_s is not None:
            result.ttft_s.append(outcome.ttft_s)
        result.max_gap_s = max(result.max_gap_s, outcome.max_gap_s)
    ttft = percentile(result.ttft_s, 50)
    print(
        f"  {target:<22} {count} {'at once' if concurrent else 'one by one'}: {result.completed} completed, "
        f"{result.stalled} stalled, TTFT p50 {ttft * 1000:.1f} ms, longest gap {result.max_gap_s * 1000:.0f} ms",
        flush=True,
    )
    return result


def percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return math.nan
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


# ---------------------------------------------------------------- the targets


@dataclass(frozen=True)
class Upstream:
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/chat/completions"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def start_nginx(services: Services, tools: Tools, work: Path, token_gap_ms: float) -> Upstream:
    prefix = work / "nginx"
    prefix.mkdir()
    port = free_port()
    config = prefix / "nginx.conf"
    config.write_text(
        fill(
            NGINX_TEMPLATE,
            {
                "PREFIX": str(prefix),
                "PORT": str(port),
                "ECHO_MODULE": str(tools.echo_module),
                "TOKEN_GAP_S": f"{token_gap_ms / 1000:.3f}",  # echo_sleep takes at most 3 decimals,
            },
        )
    )
    service = services.start(
        "nginx", [tools.nginx, "-p", str(prefix), "-c", str(config)], dict(os.environ), work / "nginx.log"
    )
    service.wait_ready(f"http://127.0.0.1:{port}/health", 15)
    return Upstream(port, service.pid)


def tenbin_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY")}
    env.pop("TENBIN_MASTER_KEY", None)  # the benchmark authenticates with a virtual key
    env["TENBIN_HOME"] = str(home)
    return env


def prepare_tenbin(work: Path, upstream: Upstream) -> tuple[Path, str, dict[str, str]]:
    """A config with one openai provider pointing at nginx, and a fresh virtual key."""
    home = work / "tenbin-home"
    home.mkdir()
    config = work / "tenbin.yaml"
    config.write_text(
        "providers:\n"
        f"  nginx: {{type: openai, base_url: '{upstream.base_url}', api_key: sk-bench-upstream}}\n"
        "models:\n"
        f"  - {{name: {MODEL}, provider: nginx, model: bench-model, price: {{input_per_mtok: 0.15, output_per_mtok: 0.6}}}}\n"
        "ledger: {enabled: true}\n"
    )
    env = tenbin_env(home)
    done = subprocess.run(
        [sys.executable, "-m", "tenbin", "keys", "create", "--name", "bench", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    key = done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout.strip() else ""
    if not key:
        raise BenchError(f"`tenbin keys create` failed: {done.stderr.strip() or done.stdout.strip()}")
    return config, key, env


def start_tenbin(
    services: Services, work: Path, config: Path, env: dict[str, str], workers: int
) -> tuple[Service, str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "tenbin",
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    service = services.start(f"tenbin (workers {workers})", command, env, work / f"tenbin-{workers}.log")
    service.wait_ready(f"http://127.0.0.1:{port}/health", 60)
    return service, f"http://127.0.0.1:{port}/v1/chat/completions"


def ensure_litellm(venv: Path, install: bool) -> Path | None:
    binary = venv / "bin" / "litellm"
    if binary.exists():
        return binary
    if not install:
        print(f"  LiteLLM skipped: {binary} does not exist (and --no-install was given).", flush=True)
        return None
    print(f"  creating {venv} and installing 'litellm[proxy]' (a few minutes, once) ...", flush=True)
    steps = (
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "pip"), "install", "-q", "litellm[proxy]"],
    )
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as error:
            print(f"  LiteLLM skipped: {' '.join(step)} failed: {error}", flush=True)
            return None
        if done.returncode != 0:
            print(f"  LiteLLM skipped: {' '.join(step)} failed:\n{done.stderr.strip()[-800:]}", flush=True)
            return None
    return binary if binary.exists() else None


def start_litellm(
    services: Services, binary: Path, work: Path, upstream: Upstream, workers: int
) -> tuple[Service, str]:
    config = work / "litellm.yaml"
    config.write_text(
        fill(LITELLM_TEMPLATE, {"UPSTREAM": upstream.base_url, "MASTER_KEY": LITELLM_MASTER_KEY})
    )
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("_API_KEY") and key != "DATABASE_URL"
    }
    # Offline: use the cost map bundled with the package instead of fetching it, and keep the logs quiet.
    env.update({"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "LITELLM_TELEMETRY": "False"})
    command = [
        str(binary),
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        str(workers),
    ]
    service = services.start("litellm", command, env, work / "litellm.log")
    service.wait_ready(f"http://127.0.0.1:{port}/health/liveliness", 300)
    return service, f"http://127.0.0.1:{port}/v1/chat/completions"


def soak(
    wrk: Wrk, service: Service, url: str, key: str, workers: int, idle_kib: int, args: argparse.Namespace
) -> SoakResult:
    """RSS before and after at least ``--soak-requests`` requests, sent as wrk runs of at most 10 s each."""
    before = tree_rss_kib(service.pid)
    print(
        f"  soak: {args.soak_requests:,} requests at c={args.connections} (at most {args.soak_max_s:g} s) ...",
        flush=True,
    )
    chunks: list[LoadResult] = []
    started = time.monotonic()
    done, rate = 0, 1000.0
    while done < args.soak_requests and time.monotonic() - started < args.soak_max_s:
        left_s = args.soak_max_s - (time.monotonic() - started)
        chunk_s = math.ceil(min(10.0, left_s, max(1.0, (args.soak_requests - done) / rate)))
        chunk = wrk.run(f"tenbin w{workers} soak", url, key, args.connections, chunk_s)
        chunks.append(chunk)
        done += chunk.requests
        rate = max(chunk.rps, 1.0)
    time.sleep(1.0)  # let the ledger flush its last batch before reading memory
    after = tree_rss_kib(service.pid)
    load = LoadResult(
        target=f"tenbin w{workers} soak",
        connections=args.connections,
        requests=done,
        duration_s=sum(c.duration_s for c in chunks),
        p50_ms=statistics.median(c.p50_ms for c in chunks),
        p99_ms=max(c.p99_ms for c in chunks),
        errors=sum(c.errors for c in chunks),
    )
    result = SoakResult(workers, idle_kib, before, after, load)
    if done < args.soak_requests:
        print(f"  soak stopped at its time limit after {done:,} requests", flush=True)
    print(
        f"  RSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB after {done:,} requests "
        f"({result.growth:+.1%}), {load.rps:.0f} req/s, errors {load.errors}",
        flush=True,
    )
    return result


# ---------------------------------------------------------------- the run


def run(args: argparse.Namespace, report: Report) -> None:
    tools = find_tools()
    targets = set(args.targets)
    with contextlib.ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="tenbin-bench-"))
        if not args.keep_temp:
            stack.callback(shutil.rmtree, work, True)
        services = Services()
        stack.callback(services.stop_all)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _raise_interrupt)
        script = work / "post.lua"
        script.write_text(WRK_SCRIPT)
        wrk = Wrk(tools.wrk, script, args.wrk_threads)
        load = os.getloadavg()[0]
        print(f"work dir {work}; {os.cpu_count()} CPUs; load average {load:.2f}", flush=True)
        report.notes.append(f"{os.cpu_count()} CPUs; 1-minute load average {load:.2f} before the run")

        upstream = start_nginx(services, tools, work, args.token_gap_ms)
        if "direct" in targets:
            report.loads += measure(wrk, "nginx direct", upstream.url, None, upstream.pid, args, args.warmup)
        if "stream" in targets:
            for concurrent in (False, True):
                report.streams.append(
                    run_streams("nginx direct", upstream.url, None, upstream.pid, args, concurrent)
                )

        if targets & {"tenbin", "soak", "stream"}:
            run_tenbin(services, wrk, work, upstream, targets, args, report)
        if "litellm" in targets:
            binary = ensure_litellm(Path(args.litellm_venv), not args.no_install)
            if binary is None:
                report.notes.append("LiteLLM was skipped (not installed); its targets are n/a.")
            else:
                print("  starting LiteLLM (slow start-up) ...", flush=True)
                try:
                    service, url = start_litellm(services, binary, work, upstream, args.litellm_workers)
                except BenchError as error:
                    print(f"  LiteLLM skipped: {error}", flush=True)
                    report.notes.append("LiteLLM did not start (see above); its targets are n/a.")
                    return
                report.loads += measure(
                    wrk,
                    f"litellm w{args.litellm_workers}",
                    url,
                    LITELLM_MASTER_KEY,
                    service.pid,
                    args,
                    args.litellm_warmup,
                )
                services.stop(service)
        report.notes.append(f"1-minute load average {os.getloadavg()[0]:.2f} at the end of the run")
        if args.keep_temp:
            print(f"logs and configs kept in {work}", flush=True)


def run_tenbin(
    services: Services,
    wrk: Wrk,
    work: Path,
    upstream: Upstream,
    targets: set[str],
    args: argparse.Namespace,
    report: Report,
) -> None:
    config, key, env = prepare_tenbin(work, upstream)
    counts = list(args.workers) if "tenbin" in targets else []
    if targets & {"soak", "stream"} and args.soak_workers not in counts:
        counts.append(args.soak_workers)
    for workers in counts:
        service, url = start_tenbin(services, work, config, env, workers)
        idle = tree_rss_kib(service.pid)
        if "tenbin" in targets and workers in args.workers:
            report.loads += measure(wrk, f"tenbin w{workers}", url, key, service.pid, args, args.warmup)
        if workers == args.soak_workers:
            if "soak" in targets:
                if "tenbin" not in targets:
                    wrk.run("tenbin warm-up", url, key, args.connections, max(args.warmup, 5))
                report.soak = soak(wrk, service, url, key, workers, idle, args)
            if "stream" in targets:
                for concurrent in (False, True):
                    report.streams.append(
                        run_streams(f"tenbin w{workers}", url, key, service.pid, args, concurrent)
                    )
                report.after_stream_kib = tree_rss_kib(service.pid)
        services.stop(service)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# ---------------------------------------------------------------- the report


def verdict(ok: bool | None) -> str:
    return "n/a " if ok is None else ("PASS" if ok else "FAIL")


def render(report: Report, args: argparse.Namespace) -> str:
    lines = ["", "## Load (wrk, POST /v1/chat/completions, non-streaming)", ""]
    lines += [
        "| target | concurrency | requests/s | p50 ms | p99 ms | CPU µs / request | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report.loads:
        lines.append(
            f"| {r.target} | {r.connections} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
            f"{r.cpu_us_per_request or 0:,.0f} | {r.errors} |"
        )
    direct = _find(report.loads, "nginx direct", 1)
    litellm = next(
        (r for r in report.loads if r.target.startswith("litellm") and r.connections == args.connections),
        None,
    )
    tenbins = sorted({r.target for r in report.loads if r.target.startswith("tenbin")})
    added = []
    for target in [
        *tenbins,
        *(r.target for r in report.loads if r.target.startswith("litellm") and r.connections == 1),
    ]:
        one = _find(report.loads, target, 1)
        if one and direct:
            added.append(f"- {target}: {one.p50_ms - direct.p50_ms:+.2f} ms")
    if added:
        lines += ["", "## Added latency at concurrency 1 (p50 minus nginx direct p50)", "", *added]
    if report.soak:
        s = report.soak
        lines += ["", f"## Memory: tenbin w{s.workers}, RSS of all its processes", ""]
        lines.append(f"- idle after start: {s.idle_kib / 1024:.1f} MiB")
        lines.append(f"- after warm-up and the load runs: {s.before_kib / 1024:.1f} MiB")
        lines.append(
            f"- after {s.load.requests:,} more requests: {s.after_kib / 1024:.1f} MiB ({s.growth:+.1%}); "
            f"{s.load.rps:,.0f} req/s, {s.load.errors} errors"
        )
        if report.after_stream_kib is not None:
            lines.append(f"- after the streaming run: {report.after_stream_kib / 1024:.1f} MiB")
    if report.streams:
        lines += ["", f"## Streams ({args.token_gap_ms:g} ms between the upstream's chunks)", ""]
        lines += [
            "| via | streams | completed | stalled | failures | TTFT p50 ms | TTFT p99 ms | longest gap ms "
            "| wall s | CPU ms / stream |",
            "|---|---|---:|---:|---|---:|---:|---:|---:|---:|",
        ]
        for st in report.streams:
            failures = ", ".join(f"{k}: {v}" for k, v in st.failures.items()) or "-"
            lines.append(
                f"| {st.target} | {_stream_kind(st)} | {st.completed} | {st.stalled} | {failures} | "
                f"{percentile(st.ttft_s, 50) * 1000:.1f} | {percentile(st.ttft_s, 99) * 1000:.1f} | "
                f"{st.max_gap_s * 1000:.0f} | {st.wall_s:.1f} | {_cpu_per_stream(st)} |"
            )
    lines += ["", "## Targets", ""]
    lines += _target_lines(report, args, direct, litellm, tenbins)
    lines += [f"- note: {note}" for note in report.notes]
    return "\n".join(lines)


def _target_lines(
    report: Report,
    args: argparse.Namespace,
    direct: LoadResult | None,
    litellm: LoadResult | None,
    tenbins: list[str],
) -> list[str]:
    c = args.connections
    lines = []
    for target in tenbins:
        high, one = _find(report.loads, target, c), _find(report.loads, target, 1)
        if high:
            lines.append(f"- {verdict(high.rps >= 1500)} {target}: c={c} requests/s {high.rps:,.0f} >= 1,500")
            if high.cpu_us_per_request:
                lines.append(
                    f"- info {target}: {high.cpu_us_per_request:,.0f} CPU µs per request at c={c}, i.e. about "
                    f"{1e6 / high.cpu_us_per_request:,.0f} requests/s per core it has to itself"
                )
            ratio = high.rps / litellm.rps if litellm and litellm.rps else None
            if litellm and litellm.cpu_us_per_request and high.cpu_us_per_request:
                lines.append(
                    f"- info {target}: LiteLLM spends {litellm.cpu_us_per_request / high.cpu_us_per_request:.0f}x "
                    f"the CPU per request at c={c}"
                )
            shown = f"{ratio:.1f}x" if ratio is not None else "n/a"
            lines.append(
                f"- {verdict(None if ratio is None else ratio >= 20)} {target}: c={c} requests/s >= 20x LiteLLM's ({shown})"
            )
        if one and direct:
            added = one.p50_ms - direct.p50_ms
            lines.append(f"- {verdict(added <= 1.0)} {target}: c=1 added p50 {added:+.2f} ms <= 1 ms")
    if report.soak:
        s = report.soak
        lines.append(
            f"- {verdict(s.growth < RSS_FLAT_GROWTH)} tenbin w{s.workers}: RSS flat, i.e. < {RSS_FLAT_GROWTH:.0%} growth over "
            f"{s.load.requests:,} requests after warm-up ({s.growth:+.1%})"
        )
    for st in report.streams:
        if not st.target.startswith("tenbin"):
            continue
        if st.concurrent:
            ok = st.completed == st.streams and st.stalled == 0
            lines.append(
                f"- {verdict(ok)} {st.target}: {st.streams} concurrent streams all complete, none stalled "
                f"(gap > {args.stall_s:g} s or unfinished): {st.completed} complete, {st.stalled} stalled"
            )
        base = next(
            (b for b in report.streams if b.target == "nginx direct" and b.concurrent == st.concurrent), None
        )
        if base and base.ttft_s and st.ttft_s:
            added = (percentile(st.ttft_s, 50) - percentile(base.ttft_s, 50)) * 1000
            lines.append(
                f"- info {st.target}: TTFT p50 added over nginx direct, {_stream_kind(st)}: {added:+.1f} ms"
            )
    return lines


def _cpu_per_stream(result: StreamResult) -> str:
    # One by one, the gateway's idle background work and the 10 ms clock tick would dominate.
    return f"{result.cpu_s / result.streams * 1000:.2f}" if result.concurrent else "-"


def _stream_kind(result: StreamResult) -> str:
    return f"{result.streams} at once" if result.concurrent else f"{result.streams} one by one"


def _find(loads: list[LoadResult], target: str, connections: int) -> LoadResult | None:
    return next((r for r in loads if r.target == target and r.connections == connections), None)


# ---------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark tenbin against nginx directly and LiteLLM's proxy (see bench/README.md).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--targets", default=",".join(ALL_TARGETS), help=f"comma-separated, from: {', '.join(ALL_TARGETS)}"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unreported load before each target")
    parser.add_argument("--connections", type=int, default=64, help="the high concurrency (the low one is 1)")
    parser.add_argument("--workers", default="1,2", help="tenbin worker counts to measure, comma-separated")
    parser.add_argument(
        "--soak-workers", type=int, default=2, help="tenbin workers for the RSS soak and the streams"
    )
    parser.add_argument(
        "--soak-requests", type=int, default=100_000, help="requests between the two RSS readings"
    )
    parser.add_argument("--soak-max-s", type=float, default=300.0, help="time limit of the soak")
    parser.add_argument("--streams", type=int, default=500, help="concurrent streaming requests")
    parser.add_argument(
        "--ttft-samples", type=int, default=20, help="streams sent one by one for an unqueued TTFT"
    )
    parser.add_argument("--token-gap-ms", type=float, default=25.0, help="pause between nginx's SSE chunks")
    parser.add_argument("--stall-s", type=float, default=1.0, help="a longer gap between chunks is a stall")
    parser.add_argument(
        "--stream-deadline", type=float, default=60.0, help="seconds a stream may take at most"
    )
    parser.add_argument(
        "--litellm-venv", default="/tmp/litellm-venv", help="LiteLLM's own venv (created if absent)"
    )
    parser.add_argument(
        "--litellm-warmup",
        type=float,
        default=10.0,
        help="LiteLLM's warm-up: it imports lazily on first requests",
    )
    parser.add_argument("--litellm-workers", type=int, default=2, help="LiteLLM's --num_workers")
    parser.add_argument("--no-install", action="store_true", help="skip LiteLLM instead of installing it")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (the machine has few cores)")
    parser.add_argument("--keep-temp", action="store_true", help="keep configs and logs of the run")
    args = parser.parse_args(argv)
    args.targets = _names(args.targets, ALL_TARGETS, parser)
    try:
        args.workers = [int(item) for item in args.workers.split(",") if item.strip()]
    except ValueError:
        parser.error(f"--workers: expected comma-separated integers, got {args.workers!r}")
    checks = {
        "--duration": args.duration > 0,
        "--warmup": args.warmup > 0,
        "--litellm-warmup": args.litellm_warmup > 0,
        "--connections": 2 <= args.connections <= 10_000,
        "--workers": bool(args.workers) and all(1 <= w <= 64 for w in args.workers),
        "--soak-workers": 1 <= args.soak_workers <= 64,
        "--soak-requests": args.soak_requests > 0,
        "--soak-max-s": args.soak_max_s >= 1,
        "--streams": 1 <= args.streams <= 10_000,
        "--ttft-samples": 1 <= args.ttft_samples <= 1000,
        "--token-gap-ms": 1 <= args.token_gap_ms <= 1000,
        "--stall-s": args.stall_s > 0,
        "--stream-deadline": args.stream_deadline > 0,
        "--litellm-workers": args.litellm_workers >= 1,
        "--wrk-threads": args.wrk_threads >= 1,
    }
    for name, ok in checks.items():
        if not ok:
            parser.error(f"{name}: value out of range (see --help)")
    return args


def _names(text: str, allowed: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    names = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        parser.error(
            f"--targets: unknown {', '.join(unknown) or '(empty)'}; choose from {', '.join(allowed)}"
        )
    return names


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = Report()
    status = 0
    try:
        run(args, report)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        status = 2
    except KeyboardInterrupt:
        print("interrupted; every process started by this run was stopped", file=sys.stderr)
        status = 130
    if report.loads or report.streams or report.soak:
        print(render(report, args))
    return status


if __name__ == "__main__":
    sys.exit(main())
