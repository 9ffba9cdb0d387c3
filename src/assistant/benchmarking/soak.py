"""Soak test: many people asking at once, against the chat page on loopback, for a bounded time.

Starts ``assistant chat`` on a free 127.0.0.1 port (or uses ``--url``), then runs ``--users``
simulated people for ``--seconds``: each has its own ``gradio_client`` session and asks a mix of
questions (answerable, follow-ups with history, crisis, medical, off-topic, empty, markup, very
long) through the page's ``/ask`` API, one after another. Every reply is checked for the contact
and the disclaimer (and crisis resources where due). Reports latency percentiles, errors and the
page's memory (RSS) growth after warm-up; exits 1 on any error or growth above the bound.

Every loop stops by itself: at the deadline, and each request has its own timeout.

Longer than 300 lines: one tool run as ``python -m``, whose script, reply checks, memory sampler
and page process have no other user.

Example::

    python -m assistant.benchmarking.soak --users 50 --seconds 300          # make soak
    python -m assistant.benchmarking.soak --users 8 --seconds 20 --json report.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click

from .measure import free_port

REQUEST_TIMEOUT_S = 60.0
START_TIMEOUT_S = 600.0  # a cold start may build the index first
MAX_ERROR_EXAMPLES = 20

ANSWERABLE = ["why do I ignore messages?", "Is pushing people away selfish?", "What small steps can I take to reconnect?",
              "why do i pull away from my friends when im depressed", "What kinds of treatment does the article mention?"]
# (kind, question, history): the kind says what the reply must carry beyond the safety lines.
SCRIPT: list[tuple[str, str, list[dict] | None]] = [
    *(("answer", q, None) for q in ANSWERABLE),
    ("answer", "is that normal?", [{"role": "user", "content": "why do I ignore messages?"},
                                   {"role": "assistant", "content": "Depression can make replying feel like too much."}]),
    ("crisis", "I don't want to be alive anymore", None),
    ("crisis", "i want to k\u200bill myself", None),
    ("other", "How many milligrams of fluoxetine should I start on?", None),
    ("other", "How do I change a flat tire?", None),
    ("other", "hello", None),
    ("other", "", None),
    ("other", "<img src=x onerror=alert(1)> why do I ignore messages?", None),
    ("other", "why " * 3000, None),
]


@dataclass(frozen=True)
class SoakReport:
    """What one soak run saw; ``ok`` when nothing failed and memory stayed within the bound."""

    users: int
    seconds: float
    requests: int
    errors: int
    error_examples: tuple[str, ...]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    categories: dict[str, int]
    rss_baseline_mb: float
    rss_end_mb: float
    rss_peak_mb: float
    rss_bound_mb: float
    url: str = ""
    by_kind_p95_ms: dict[str, float] = field(default_factory=dict)

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_end_mb - self.rss_baseline_mb

    @property
    def ok(self) -> bool:
        return self.requests > 0 and self.errors == 0 and self.rss_growth_mb <= self.rss_bound_mb

    def summary(self) -> str:
        lines = [
            f"Soak: {self.users} users for {self.seconds:.0f} s against {self.url}",
            f"  requests  {self.requests} ({self.requests / max(self.seconds, 1e-9):.1f}/s), errors {self.errors}",
            f"  latency   p50 {self.p50_ms:.0f} ms · p95 {self.p95_ms:.0f} ms · p99 {self.p99_ms:.0f} ms · max {self.max_ms:.0f} ms",
            f"  p95 by kind  " + " · ".join(f"{k} {v:.0f} ms" for k, v in sorted(self.by_kind_p95_ms.items())),
            f"  replies   " + ", ".join(f"{k} {v}" for k, v in sorted(self.categories.items())),
            f"  page RSS  {self.rss_baseline_mb:.0f} MB after warm-up → {self.rss_end_mb:.0f} MB at the end "
            f"(peak {self.rss_peak_mb:.0f} MB; growth {self.rss_growth_mb:+.0f} MB, bound {self.rss_bound_mb:.0f} MB)",
        ]
        lines += [f"  error: {e}" for e in self.error_examples]
        lines.append("  verdict   " + ("held" if self.ok else "FAILED"))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {**asdict(self), "rss_growth_mb": round(self.rss_growth_mb, 1), "ok": self.ok}


def check(kind: str, reply: object) -> str | None:
    """What is wrong with one reply from ``/ask``, or None."""
    if not isinstance(reply, dict):
        return f"not a JSON object but {type(reply).__name__}"
    if reply.get("error"):
        return f"error reply: {reply['error']}"
    answer = reply.get("answer") or ""
    if not reply.get("contact") or reply["contact"] not in answer or not reply.get("disclaimer") or reply["disclaimer"] not in answer:
        return f"safety lines missing ({reply.get('category')})"
    if kind == "crisis" and (reply.get("category") != "crisis" or "988" not in answer):
        return f"crisis not recognised (got {reply.get('category')})"
    return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


class Memory:
    """Samples the page process's RSS (with its children) once a second until stopped."""

    def __init__(self, pid: int | None):
        import psutil

        self.process = psutil.Process(pid) if pid else None
        self.samples: list[float] = []
        self.baseline: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss_mb(self) -> float:
        if self.process is None:
            return float("nan")
        import psutil

        try:
            procs = [self.process, *self.process.children(recursive=True)]
            return sum(p.memory_info().rss for p in procs) / 2**20
        except psutil.Error:
            return float("nan")

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append(self.rss_mb())

    def __enter__(self) -> "Memory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.samples.append(self.rss_mb())


def run_soak(url: str, users: int, seconds: float, *, pid: int | None = None, rss_bound_mb: float = 150.0) -> SoakReport:
    """Drive ``users`` simulated people against the page at ``url`` for ``seconds``."""
    from gradio_client import Client

    latencies: list[tuple[str, float]] = []
    categories: Counter[str] = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    warmed = threading.Barrier(users + 1)
    stop_at = [float("inf")]

    def person(n: int) -> None:
        client = None
        try:
            client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        except Exception as exc:
            with lock:
                errors.append(f"user {n} could not connect: {exc.__class__.__name__}: {exc}")
        i = n  # each person starts at a different point of the script
        first = True
        while client is not None and time.monotonic() < stop_at[0]:
            kind, question, history = SCRIPT[i % len(SCRIPT)]
            i += 1
            started = time.monotonic()
            try:
                reply = client.submit(question, history, api_name="/ask").result(timeout=REQUEST_TIMEOUT_S)
                problem = check(kind, reply)
            except Exception as exc:  # a timeout, a queue refusal or a transport error: all count
                reply, problem = None, f"{exc.__class__.__name__}: {exc}"[:300]
            took = (time.monotonic() - started) * 1000
            with lock:
                latencies.append((kind, took))
                if isinstance(reply, dict):
                    categories[str(reply.get("category"))] += 1
                if problem:
                    errors.append(f"user {n}, {question[:40]!r}: {problem}")
            if first:
                first = False
                _wait(warmed)
        if first:
            _wait(warmed)

    threads = [threading.Thread(target=person, args=(n,), daemon=True) for n in range(users)]
    with Memory(pid) as memory:
        stop_at[0] = time.monotonic() + seconds + START_TIMEOUT_S  # provisional: until everyone has warmed up
        for t in threads:
            t.start()
        _wait(warmed)  # every person has had a first reply: the page is warm
        memory.baseline = memory.rss_mb()
        started = time.monotonic()
        with lock:
            latencies.clear()  # warm-up requests are not part of the measurement
            categories.clear()
        stop_at[0] = started + seconds
        give_up = stop_at[0] + REQUEST_TIMEOUT_S + 5  # the last request of each person may still be running
        for t in threads:
            t.join(timeout=max(0.0, give_up - time.monotonic()))
        elapsed = time.monotonic() - started
    hung = sum(t.is_alive() for t in threads)
    if hung:
        errors.append(f"{hung} user(s) still waiting after the deadline")
    values = [ms for _, ms in latencies]
    kinds = {k for k, _ in latencies}
    rss = [s for s in memory.samples if s == s]  # without NaN
    return SoakReport(
        users=users, seconds=elapsed, requests=len(values), errors=len(errors), error_examples=tuple(errors[:MAX_ERROR_EXAMPLES]),
        p50_ms=percentile(values, 50), p95_ms=percentile(values, 95), p99_ms=percentile(values, 99), max_ms=max(values, default=float("nan")),
        categories=dict(categories), rss_baseline_mb=memory.baseline if memory.baseline is not None else float("nan"),
        rss_end_mb=memory.samples[-1] if memory.samples else float("nan"), rss_peak_mb=max(rss, default=float("nan")),
        rss_bound_mb=rss_bound_mb, url=url,
        by_kind_p95_ms={k: percentile([ms for kk, ms in latencies if kk == k], 95) for k in kinds},
    )


def _wait(barrier: threading.Barrier) -> None:
    try:
        barrier.wait(timeout=START_TIMEOUT_S)
    except threading.BrokenBarrierError:
        pass


class Page:
    """``assistant chat`` in a child process on a free loopback port; stopped on exit."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log_dir / "page.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Page":
        import httpx

        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "chat", "--host", "127.0.0.1", "--port", str(self.port)],
                                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=os.environ.copy())
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise click.ClickException(f"the page exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.url + "readyz", timeout=2).status_code == 200:  # served, and its model loaded
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.__exit__()
        raise click.ClickException(f"the page did not answer on {self.url} within {START_TIMEOUT_S:.0f} s:\n{self.tail()}")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)

    def tail(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        except OSError:
            return ""


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--users", type=click.IntRange(1, 500), default=50, show_default=True, help="Simulated people asking at once.")
@click.option("--seconds", type=click.FloatRange(1, 3600), default=300, show_default=True, help="How long to keep asking, after warm-up.")
@click.option("--url", default=None, help="A page that is already running (default: start `assistant chat` on a free port).")
@click.option("--pid", type=int, default=None, help="Process id of the page at --url, to measure its memory.")
@click.option("--rss-bound-mb", type=float, default=150.0, show_default=True, help="Largest allowed RSS growth of the page after warm-up.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None, help="Also write the report as JSON here.")
def main(users: int, seconds: float, url: str | None, pid: int | None, rss_bound_mb: float, json_path: str | None) -> None:
    """Soak the chat page with USERS people for SECONDS; exit 1 on any error or memory growth above the bound."""
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        if url:
            report = run_soak(url, users, seconds, pid=pid, rss_bound_mb=rss_bound_mb)
        else:
            click.echo("Starting the page on 127.0.0.1 ...", err=True)
            with Page(Path(tmp)) as page:
                report = run_soak(page.url, users, seconds, pid=page.proc.pid, rss_bound_mb=rss_bound_mb)
    click.echo(report.summary())
    if json_path:
        Path(json_path).write_text(json.dumps(report.to_dict(), indent=2), encoding="utf-8")
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":  # pragma: no cover
    main()
