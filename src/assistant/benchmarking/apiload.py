"""Many people at once through the HTTP API: simultaneous users of ``POST /api/ask`` on loopback.

The page is started once (``assistant chat`` on a free port, the same process that serves the
chat page), with the rate limit off: every simulated user comes from 127.0.0.1, where a real
deployment would see one address per person. Each user has its own HTTP connection (an
``httpx.AsyncClient``); all users of a level start together and each asks ``per_user``
questions one after another, with no pause between them (a closed loop: the harshest case).
A request is an error if it fails, gets no reply within two minutes, or its reply is not a
200 that carries the answer, the contact and the disclaimer. The load generator is one asyncio
loop in this process, on the same two cores as the page, so the figures include its cost.

Example::

    out = run_api(env, levels=[1, 8, 32, 64], per_user=5, questions=["why do I ignore messages?"])
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from .concurrency import start_page
from .measure import rss_mb, summary

REQUEST_TIMEOUT_S = 120.0  # a reply that never comes is an error, not a hung benchmark
LEVEL_TIMEOUT_S = 600.0  # a whole level is bounded in time too


def _good(status: int, reply: Any) -> bool:
    return status == 200 and isinstance(reply, dict) and all(reply.get(k) for k in ("answer", "contact", "disclaimer"))


async def _level(url: str, users: int, per_user: int, questions: list[str]) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    clients = [httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) for _ in range(users)]
    start = asyncio.Event()

    async def user(i: int) -> None:
        await start.wait()
        for j in range(per_user):
            question = questions[(i * per_user + j) % len(questions)]
            t = time.perf_counter()
            try:
                response = await clients[i].post("/api/ask", json={"question": question, "id": f"{i}-{j}"})
                problem = None if _good(response.status_code, response.json()) else f"{response.status_code}: {response.text[:120]}"
            except Exception as exc:  # every failure counts, whatever raised it
                problem = f"{exc.__class__.__name__}: {exc}"[:200]
            latencies.append((time.perf_counter() - t) * 1000)
            if problem:
                errors.append(problem)

    try:
        for c in clients:  # connect before the clock starts, as a person's open app would have
            await c.get("/healthz")
        tasks = [asyncio.create_task(user(i)) for i in range(users)]
        began = time.perf_counter()
        start.set()
        done, pending = await asyncio.wait(tasks, timeout=LEVEL_TIMEOUT_S)
        for task in pending:
            task.cancel()
        errors += ["level timed out"] * len(pending)
        wall = time.perf_counter() - began
    finally:
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)
    return {
        "users": users, "requests": len(latencies), "latency_ms": summary(latencies), "wall_s": round(wall, 2),
        "throughput_rps": round(len(latencies) / wall, 2), "errors": len(errors), "error_examples": sorted(set(errors))[:3],
    }


def run_api(env: dict[str, str], *, levels: list[int], per_user: int, questions: list[str], alone: int = 20,
            log: Callable[[str], None] = print) -> dict[str, Any]:
    """The API at every level in ``levels``; a lone user (the yardstick) asks ``alone`` questions."""
    env = {**env, "ASSISTANT_API_RATE_LIMIT": "0"}
    page, url, log_file = start_page(env)
    rows: list[dict[str, Any]] = []
    try:
        asyncio.run(_level(url, 1, 3, questions))  # warm the page and the client code paths
        for users in levels:
            row = asyncio.run(_level(url, users, max(per_user, alone) if users == 1 else per_user, questions))
            rows.append(row)
            lat = row["latency_ms"]
            log(f"api, {users:>2} users: p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms, "
                f"{row['throughput_rps']:.1f} req/s, {row['errors']} errors")
        rss = rss_mb(page.pid)
    finally:
        page.stop()
        peak = page.reap()[1]
        log_file.close()
    return {"per_user": per_user, "alone": max(per_user, alone), "levels": rows, "page_rss_mb": round(rss, 1),
            "page_peak_rss_mb": round(peak, 1)}
