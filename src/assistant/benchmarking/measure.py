"""Measuring helpers shared by the benchmark sections: statistics, timed subprocesses, workers.

Example::

    run = timed_process(["assistant", "ask", "why do I ignore messages?"], env=env, until="output")
    print(run.seconds, run.peak_rss_mb)
"""

from __future__ import annotations

import json
import os
import platform
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def summary(values: Sequence[float], digits: int = 3) -> dict[str, float]:
    """p50, p95, mean, min, max and n of a list of measurements."""
    if not len(values):
        return {"n": 0}
    arr = np.asarray(values, dtype=float)
    stats = {"p50": np.percentile(arr, 50), "p95": np.percentile(arr, 95), "mean": arr.mean(), "min": arr.min(), "max": arr.max()}
    return {**{k: round(float(v), digits) for k, v in stats.items()}, "n": int(arr.size)}


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def rss_mb(pid: int | None = None) -> float:
    """Current resident memory of a process (this one by default), in MB."""
    import psutil

    return psutil.Process(pid or os.getpid()).memory_info().rss / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_mb(path: Path) -> float:
    """Bytes on disk under ``path`` (allocated blocks, like ``du``), in MB."""
    total = 0
    for p in Path(path).rglob("*"):
        try:
            if p.is_file() and not p.is_symlink():
                total += p.stat().st_blocks * 512
        except OSError:
            pass
    return total / 2**20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only: never through a proxy


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with _DIRECT.open(url, timeout=timeout) as resp:
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError):
        return False


def wait_until(check: Callable[[], bool], timeout: float, every: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


@dataclass(frozen=True)
class Run:
    """One timed process: seconds to the awaited event, its peak RSS, whether it got there."""

    seconds: float
    peak_rss_mb: float
    ok: bool
    output: str = ""
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = {"seconds": round(self.seconds, 3), "peak_rss_mb": round(self.peak_rss_mb, 1), "ok": self.ok}
        return {**d, "error": self.error[-500:]} if self.error else d


def timed_process(cmd: Sequence[str], *, env: dict[str, str], until: str = "output", ready_url: str | None = None,
                  timeout: float = 120.0, cwd: Path | None = None, exit_grace: float = 3.0) -> Run:
    """Start ``cmd`` and time it until it prints its first output (``until="output"``; it may then
    finish for ``exit_grace`` seconds before it is killed: its teardown is nobody's wait) or until
    ``ready_url`` answers 200 (``until="url"``; it is then stopped). The peak RSS is the kernel's
    own figure for that process (``wait4``), so no sampling can miss a spike."""
    with tempfile.TemporaryFile() as err_file:
        start = time.perf_counter()
        stdout = subprocess.PIPE if until == "output" else subprocess.DEVNULL
        child = Child(subprocess.Popen(list(cmd), env=env, cwd=cwd, stdout=stdout, stderr=err_file, start_new_session=True))
        reached: float | None = None
        out = b""
        deadline = start + timeout
        if until == "output":
            fd = child.proc.stdout.fileno()
            while time.perf_counter() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.5)
                if not ready:
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                out += chunk
                if reached is None and chunk.strip():
                    reached = time.perf_counter()
                    deadline = min(deadline, reached + exit_grace)
            child.proc.stdout.close()
            wait_until(child.exited, max(0.0, deadline - time.perf_counter()))  # output closed: let it finish
        elif wait_until(lambda: child.exited() or http_ok(ready_url), timeout) and not child.exited():
            reached = time.perf_counter()
        killed = not child.exited()
        if killed:
            child.stop(signal.SIGTERM if until != "output" else signal.SIGKILL)
        status, peak = child.reap()
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")
    ok = reached is not None and (status == 0 or killed)
    return Run((reached or time.perf_counter()) - start, peak, ok, out.decode(errors="replace"), "" if ok else err)


class Child:
    """A process we reap ourselves with ``wait4``, which also gives its own peak RSS (``Popen``
    would reap it silently on ``poll()`` and lose that figure)."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.pid = proc.pid
        self.status: int | None = None
        self.peak_rss_mb = float("nan")

    def exited(self) -> bool:
        if self.status is None:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                self.peak_rss_mb = usage.ru_maxrss / 1024
                self.proc.returncode = self.status  # so Popen never waits for it again
        return self.status is not None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if not self.exited():
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass

    def reap(self, grace: float = 20.0) -> tuple[int, float]:
        """Wait for the end (killing it after ``grace`` s); exit status and peak RSS in MB."""
        deadline = time.monotonic() + grace
        while not self.exited():
            if time.monotonic() > deadline:
                self.stop(signal.SIGKILL)
                deadline = time.monotonic() + 5
            time.sleep(0.01)
        return self.status, self.peak_rss_mb


def python_env(**extra: str | None) -> dict[str, str]:
    """The environment for benchmark subprocesses: offline, quiet, bytecode caching on (as in a
    normal shell), no Chroma server unless asked for."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "ASSISTANT_CHROMA_URL")}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                "GRADIO_ANALYTICS_ENABLED": "False", "TOKENIZERS_PARALLELISM": "false"})
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def run_worker(module: str, args: dict[str, Any], *, env: dict[str, str], timeout: float = 900.0) -> dict[str, Any]:
    """Run ``python -m <module> '<json>'`` and return the JSON object it prints last, plus its peak RSS."""
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen([sys.executable, "-m", module, json.dumps(args)], env=env, stdout=subprocess.PIPE,
                                stderr=err_file, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RuntimeError(f"{module} did not finish in {timeout:.0f} s") from None
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")
    lines = [line for line in out.decode(errors="replace").splitlines() if line.strip().startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{module} failed (exit {proc.returncode}): {err.strip()[-800:]}")
    return json.loads(lines[-1])


def worker_main(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Entry point of a worker module: JSON arguments in ``argv[1]``, one JSON line out."""
    args = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    result = fn(args)
    result.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    print(json.dumps(result), flush=True)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import psutil

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), platform.processor())
    versions = {}
    for dist in ("chromadb", "onnxruntime", "sentence-transformers", "torch", "gradio", "gradio-client", "langchain-chroma",
                 "langchain-huggingface", "bm25s", "numpy"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:  # not installed: leave it out
            pass
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(), "packages": versions,
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
