"""The sandbox: limits hold, tests pass and fail as they should, HumanEval's own samples behave."""

from __future__ import annotations

import json

from tenbin.evals.base import Answer, Item, ScoreContext
from tenbin.evals.sandbox import SandboxLimits, run_python, sandbox_report
from tenbin.evals.suites.humaneval import HumanEval, build_program


async def test_pass_fail_and_timeout():
    assert (await run_python("print('ok')")).passed
    failed = await run_python("assert 1 == 2")
    assert failed.status == "failed" and "AssertionError" in failed.output
    slow = await run_python("import time\ntime.sleep(30)", SandboxLimits(timeout_s=1))
    assert slow.status == "timeout"


async def test_cpu_memory_and_file_size_limits():
    spin = await run_python("while True: pass", SandboxLimits(timeout_s=20, cpu_s=1))
    assert spin.status == "failed" and spin.returncode != 0  # killed by SIGXCPU long before the wall clock
    memory = await run_python("x = ' ' * (2 << 30)", SandboxLimits(memory_bytes=256 << 20))
    assert "MemoryError" in memory.output
    big = await run_python("open('big', 'wb').write(b'0' * (4 << 20))", SandboxLimits(max_file_bytes=1 << 20))
    assert big.status == "failed" and "File too large" in big.output


async def test_no_processes_no_writes_outside_no_network(tmp_path):
    spawn = await run_python("import subprocess\nsubprocess.run(['true'])")
    assert spawn.status == "failed" and "sandbox" in spawn.output
    target = tmp_path / "escaped.txt"
    escape = await run_python(f"open({str(target)!r}, 'w').write('x')")
    assert escape.status == "failed" and not target.exists()
    inside = await run_python("open('ok.txt', 'w').write('x')\nprint(open('ok.txt').read())")
    assert inside.passed and inside.output.strip() == "x"
    if sandbox_report()["network_isolated"]:
        net = await run_python("import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=2)")
        assert "unreachable" in net.output.lower()


async def test_humaneval_example_samples(shared_data):
    """openai/human-eval's example problem with its six sample completions (one malicious, one hanging)."""
    folder = shared_data / "benchmarks" / "humaneval"
    suite = HumanEval()
    problem = suite.make_item(json.loads((folder / "example_problem.jsonl").read_text()))
    completions = [
        json.loads(line)["completion"] for line in (folder / "example_samples.jsonl").read_text().splitlines()
    ]
    ctx = ScoreContext(sandbox_timeout_s=3)
    results = [(await suite.score(problem, Answer([c]), ctx)).score for c in completions]
    # rm -rf is refused; sleep(10) times out; input() hits EOF; the last three return 1
    # (the two-space body is still valid Python after the stub's docstring-only prompt).
    assert results == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]


async def test_canonical_solutions_pass(shared_data):
    suite = HumanEval()
    items = suite.load(shared_data / "benchmarks" / "humaneval" / "HumanEval.jsonl")[:5]
    assert len(suite.load(shared_data / "benchmarks" / "humaneval" / "HumanEval.jsonl.gz")) == 164
    canonical = {
        json.loads(line)["task_id"]: json.loads(line)["canonical_solution"]
        for line in (shared_data / "benchmarks" / "humaneval" / "HumanEval.jsonl")
        .read_text()
        .splitlines()[:5]
    }
    for item in items:
        assert (await run_python(build_program(item, canonical[item.id]))).passed, item.id
        assert not (await run_python(build_program(item, "    return None\n"))).passed, item.id


def test_program_keeps_the_prompt_imports():
    item = Item(
        "t",
        [],
        "f",
        {
            "prompt": 'from typing import List\n\ndef f(x: List[int]) -> int:\n    """doc"""\n',
            "test": "def check(c):\n    assert c([1]) == 1\n",
            "entry_point": "f",
        },
    )
    program = build_program(item, "```python\ndef f(x):\n    return x[0]\n```")
    assert program.startswith("from typing import List") and program.rstrip().endswith("check(f)")
