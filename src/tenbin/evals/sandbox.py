"""Run untrusted generated Python in a subprocess with resource limits.

Limits: CPU seconds, address space, process count, file size, no core files; a fresh temporary directory as
cwd; a wall-clock timeout that kills the whole process group; no network when the kernel lets us create a
network namespace (``unshare(CLONE_NEWNET)``, as root or through a user namespace). When running as root the
child drops to ``nobody`` so the process-count limit applies (root ignores RLIMIT_NPROC).

The kernel exempts root's own uid from RLIMIT_NPROC, so when ``nobody`` cannot reach the interpreter (a
Python under /root, as on our CI) the process limit cannot bind; ``GUARD`` then also disables process
creation and file deletion at the Python level. This is defence in depth for benchmark code, not a security
boundary against a determined attacker: use a container or VM for that.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import resource
import signal
import sys
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = [
    "SandboxLimits",
    "SandboxResult",
    "network_isolation_available",
    "run_python",
    "sandbox_mode",
    "sandbox_report",
]

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_NOBODY = 65534


# Prepended to every program: benchmark solutions never need to spawn processes or delete files.
GUARD = """\
import os as _os, shutil as _shutil, subprocess as _subprocess
def _denied(*_a, **_k):
    raise PermissionError("disabled in the tenbin sandbox")
for _name in ("fork", "forkpty", "system", "popen", "execv", "execve", "execvp", "execvpe", "execl",
              "execlp", "spawnv", "spawnvp", "posix_spawn", "posix_spawnp", "kill", "killpg",
              "remove", "unlink", "rmdir", "removedirs", "rename", "renames", "replace", "chmod", "chown"):
    if hasattr(_os, _name):
        setattr(_os, _name, _denied)
_subprocess.Popen = _denied
_shutil.rmtree = _shutil.move = _denied
import builtins as _builtins, io as _io
_real_open, _home = _builtins.open, _os.getcwd()
def _open(file, mode="r", *args, **kwargs):
    if isinstance(file, (str, bytes, _os.PathLike)) and any(c in mode for c in "wax+"):
        if not _os.path.realpath(_os.fsdecode(file)).startswith(_home + _os.sep):
            raise PermissionError("writing outside the sandbox directory is disabled")
    return _real_open(file, mode, *args, **kwargs)
_builtins.open = _io.open = _open
del _name
"""


@dataclass(frozen=True)
class SandboxLimits:
    timeout_s: float = 10.0
    cpu_s: int = 10
    memory_bytes: int = 1 << 30
    max_processes: int = 64
    max_file_bytes: int = 16 << 20


@dataclass(frozen=True)
class SandboxResult:
    status: str  # "passed", "failed", "timeout"
    returncode: int | None
    output: str
    network_isolated: bool

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def _unshare(flags: int) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.unshare(flags) == 0)


def _isolate(drop_root: bool) -> bool:
    """New network namespace; without dropping root also a user namespace, which sheds the capabilities
    that would let root ignore RLIMIT_NPROC."""
    if drop_root and _unshare(_CLONE_NEWNET):
        return True
    return _unshare(_CLONE_NEWUSER | _CLONE_NEWNET)


def _probe(check: Callable[[], bool]) -> bool:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os._exit(0 if check() else 1)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _nobody_can_run_python() -> bool:
    os.setgroups([])
    os.setgid(_NOBODY)
    os.setuid(_NOBODY)
    return os.access(sys.executable, os.X_OK) and os.access(os.path.realpath(sys.executable), os.R_OK)


@cache
def sandbox_mode() -> tuple[bool, bool]:
    """(drop_root, network_isolated), probed once in throwaway children."""
    if not sys.platform.startswith("linux"):
        return (False, False)
    drop_root = os.geteuid() == 0 and _probe(_nobody_can_run_python)
    return (drop_root, _probe(lambda: _isolate(drop_root)))


def network_isolation_available() -> bool:
    return sandbox_mode()[1]


def sandbox_report() -> dict[str, object]:
    """What the sandbox could enforce on this machine (written into results.json)."""
    drop_root, isolate = sandbox_mode()
    return {
        "network_isolated": isolate,
        "unprivileged_user": drop_root or os.geteuid() != 0,
        "rlimits": [
            "cpu",
            "address_space",
            "file_size",
            "core",
            "nproc" if drop_root or os.geteuid() else "nproc(root-exempt)",
        ],
        "python_guard": True,
    }


def _processes_of(uid: int) -> int:
    """RLIMIT_NPROC counts every process of the real user, so the budget is added on top of these."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            for line in status.read_text().splitlines():
                if line.startswith("Uid:"):
                    count += int(line.split()[1]) == uid
                    break
    return count


def _child_setup(limits: SandboxLimits, drop_root: bool, isolate: bool, nproc: int) -> None:
    os.setsid()
    if isolate:
        _isolate(drop_root)
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_file_bytes, limits.max_file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if drop_root:
        os.setgroups([])
        os.setgid(_NOBODY)
        os.setuid(_NOBODY)
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


async def run_python(program: str, limits: SandboxLimits | None = None) -> SandboxResult:
    """Run ``program`` with ``python -I`` in a fresh temporary directory; passed = exit code 0 in time.

    At most one program per CPU runs at a time, so CPU-bound tests do not time each other out."""
    loop = asyncio.get_running_loop()
    slots = _SLOTS.setdefault(loop, asyncio.Semaphore(os.cpu_count() or 1))
    async with slots:
        return await _run_python(program, limits or SandboxLimits())


async def _run_python(program: str, limits: SandboxLimits) -> SandboxResult:
    drop_root, isolate = sandbox_mode()
    nproc = limits.max_processes + (0 if drop_root else _processes_of(os.getuid()))
    with tempfile.TemporaryDirectory(prefix="tenbin-sandbox-") as tmp:
        if drop_root:
            os.chmod(tmp, 0o777)
        script = os.path.join(tmp, "program.py")
        with open(script, "w", encoding="utf-8") as fh:
            fh.write(GUARD + program)
        os.chmod(script, 0o644)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-B",
            script,
            cwd=tmp,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={"PATH": "/usr/bin:/bin", "HOME": tmp, "TMPDIR": tmp, "LANG": "C.UTF-8"},
            preexec_fn=lambda: _child_setup(limits, drop_root, isolate, nproc),
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout=limits.timeout_s)
        except TimeoutError:
            _kill_group(proc.pid)
            await proc.wait()
            return SandboxResult("timeout", None, "", isolate)
        finally:
            _kill_group(proc.pid)  # strays the program forked
    text = out.decode("utf-8", "replace")[-2000:]
    return SandboxResult("passed" if proc.returncode == 0 else "failed", proc.returncode, text, isolate)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
