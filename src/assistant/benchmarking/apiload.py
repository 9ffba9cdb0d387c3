"""Many people at once through the HTTP API: simultaneous users of ``POST /api/ask`` on loopback.

Each level starts the page anew (``assistant chat`` on a free port: the process that serves the
chat page serves the API), with the rate limit off: every simulated user comes from 127.0.0.1,
where a real deployment would see one address per person. Each user has its own HTTP connection (an
``httpx.AsyncClient``); all users of a level start together and each asks ``per_user``
questions one after another, with no pause between them (a closed loop: the harshest case).
A request is an error if it fails, gets no reply within two minutes, or its reply is not a
200 that carries the answer, the contact and the disclaimer. The load generator is one asyncio
loop in this process, on the same two cores as the page, so the figures include its cost.

Two more measurements put the figures in context. The control: the same levels against a bare
FastAPI app on the same server (uvicorn) whose ``/api/ask`` returns a fixed reply at once
(``python -m assistant.benchmarking.apiload PORT``): what it costs is the framework, the
connection and the load generator; what the page costs beyond it is ``ask()``. And "reading":
users who arrive over the first 3 s and pause 1 to 3 s (seeded) after each reply before the next
question, as a person reads it, instead of all asking at once and again at once.

Example::

    out = run_api(env, levels=[1, 8, 32, 64], per_user=5, questions=["why do I ignore messages?"])
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from .concurrency import start_page
from .measure import Child, free_port, http_ok, rss_mb, summary, wait_until

REQUEST_TIMEOUT_S = 120.0  # a reply that never comes is an error, not a hung benchmark
LEVEL_TIMEOUT_S = 600.0  # a whole level is bounded in time too
READING_S = (1.0, 3.0)  # the pause of a "reading" user after each reply
WARM_UP = "hello"


def _good(status: int, reply: Any) -> bool:
    return status == 200 and isinstance(reply, dict) and all(reply.get(k) for k in ("answer", "contact", "disclaimer"))


async def _level(url: str, users: int, per_user: int, questions: list[str], reading: bool = False) -> dict[str, Any]:
    import httpx

    pauses = random.Random(users)

    latencies: list[float] = []
    errors: list[str] = []
    clients = [httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) for _ in range(users)]
    start = asyncio.Event()

    async def user(i: int) -> None:
        await start.wait()
        if reading:  # people arrive over the first few seconds, not in the same millisecond
            await asyncio.sleep(pauses.uniform(0.0, READING_S[1]))
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
            if reading and j < per_user - 1:
                await asyncio.sleep(pauses.uniform(*READING_S))

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


def start_control(timeout: float = 120.0) -> tuple[Child, str, Any]:
    """The no-op control app on a free loopback port, once it answers."""
    port = free_port()
    log_file = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", __name__, str(port)], stdout=log_file, stderr=log_file, start_new_session=True)
    child = Child(proc)
    url = f"http://127.0.0.1:{port}/"
    if not wait_until(lambda: child.exited() or http_ok(url + "healthz"), timeout) or child.exited():
        child.stop()
        child.reap()
        log_file.seek(0)
        raise RuntimeError(f"the control app did not start: {log_file.read().decode(errors='replace')[-800:]}")
    return child, url, log_file


def run_api(env: dict[str, str], *, levels: list[int], per_user: int, questions: list[str], alone: int = 20,
            control_levels: tuple[int, ...] = (), reading_levels: tuple[int, ...] = (),
            log: Callable[[str], None] = print) -> dict[str, Any]:
    """The API at every level in ``levels`` (a lone user, the yardstick, asks ``alone`` questions);
    users who pause to read at ``reading_levels``; the no-op control at ``control_levels``.

    Every level gets a freshly started server: the embedder keeps the vectors of recent messages,
    and a level must not find the questions of the one before it already embedded."""
    env = {**env, "ASSISTANT_API_RATE_LIMIT": "0"}
    out: dict[str, Any] = {"per_user": per_user, "alone": max(per_user, alone), "reading_s": list(READING_S)}
    runs = ([("levels", u, False) for u in levels] + [("reading_levels", u, True) for u in reading_levels]
            + [("control_levels", u, False) for u in control_levels])
    rss: list[float] = []
    for key, users, reading in runs:
        control = key == "control_levels"
        server, url, log_file = start_control() if control else start_page(env)
        try:
            asyncio.run(_level(url, 1, 2, [WARM_UP]))  # the first request's code paths, on a message no level asks
            n = max(per_user, alone) if users == 1 and not reading else per_user
            row = asyncio.run(_level(url, users, n, questions, reading=reading))
            if not control:
                rss.append(rss_mb(server.pid))
        finally:
            server.stop()
            server.reap()
            log_file.close()
        out.setdefault(key, []).append(row)
        lat = row["latency_ms"]
        label = f"api{', control' if control else ''}{', reading' if reading else ''}"
        log(f"{label}, {users:>2} users: p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms, "
            f"{row['throughput_rps']:.1f} req/s, {row['errors']} errors")
    if rss:
        out["page_rss_mb"] = round(max(rss), 1)
    return out


def control_app(port: int) -> None:
    """A FastAPI app on uvicorn whose ``/api/ask`` does no work at all."""
    import uvicorn
    from fastapi import FastAPI

    reply = {"answer": "A fixed reply of about the usual length. " * 12, "contact": "contact", "disclaimer": "disclaimer"}
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/api/ask")
    async def ask(body: dict[str, Any]) -> dict[str, Any]:  # the body is read and parsed, as a real route does
        return reply

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    control_app(int(sys.argv[1]))
