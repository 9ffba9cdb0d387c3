"""Cold start: a new process, timed from its start to the moment a person could use it.

- ``ask``: ``assistant ask QUESTION`` until the answer is printed;
- ``chat``: ``assistant chat --port N`` until the page answers ``GET /`` with 200 (the page is
  served before the model and the index are loaded);
- ``chat_ready``: the same until ``GET /readyz`` answers 200 (model, index and warm-up done);
- ``naive``: the LangChain tutorial script (``benchmarking.naive``) until its answer is printed;
- ``reingest``: ``assistant ingest`` on an unchanged corpus until its summary is printed.

Each command runs once untimed (it writes bytecode and caches, and brings files into the page
cache: we measure a cold process, not a cold disk), then ``runs`` times, interleaved so that a
change of machine load touches every command alike. Peak RSS comes from ``wait4``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .measure import Run, free_port, median, timed_process


def commands(question: str) -> dict[str, Callable[[dict[str, str]], Run]]:
    exe = str(Path(sys.executable).with_name("assistant"))

    def chat(env: dict[str, str], path: str = "") -> Run:
        port = free_port()
        return timed_process([exe, "chat", "--port", str(port)], env=env, until="url", ready_url=f"http://127.0.0.1:{port}/{path}",
                             timeout=180)

    return {
        "ask": lambda env: timed_process([exe, "ask", question], env=env),
        "naive": lambda env: timed_process([sys.executable, "-m", "assistant.benchmarking.naive", question], env=env,
                                           timeout=300),
        "chat": chat,
        "chat_ready": lambda env: chat(env, "readyz"),
        "reingest": lambda env: timed_process([exe, "ingest"], env=env),
    }


def run_cold(env: dict[str, str], *, runs: int, question: str, log: Callable[[str], None] = print,
             warm_up: tuple[str, ...] = ("ask", "naive", "chat", "reingest"),
             only: tuple[str, ...] | None = None) -> dict[str, Any]:
    """``runs`` timed starts of each command (of those in ``only``, if given), after one untimed
    start of those in ``warm_up`` (``ask`` should always be among them: it writes the bytecode
    the others share)."""
    todo = {name: fn for name, fn in commands(question).items() if only is None or name in only}
    for name in (n for n in warm_up if n in todo):
        first = todo[name](env)
        if not first.ok:
            log(f"cold start: `{name}` failed: {first.error.strip()[-400:]}")
    results: dict[str, list[Run]] = {name: [] for name in todo}
    for i in range(runs):
        for name, fn in todo.items():
            results[name].append(fn(env))
        log(f"cold start round {i + 1}/{runs}: " + ", ".join(f"{n} {r[-1].seconds:.2f} s" for n, r in results.items()))
    out: dict[str, Any] = {}
    for name, rs in results.items():
        good = [r for r in rs if r.ok]
        out[name] = {
            "median_s": round(median([r.seconds for r in good]), 3) if good else None,
            "peak_rss_mb": round(median([r.peak_rss_mb for r in good]), 1) if good else None,
            "runs": [r.to_dict() for r in rs],
            "failed": len(rs) - len(good),
        }
    return out
