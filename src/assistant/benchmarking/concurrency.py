"""Many people at once: simultaneous ``gradio_client`` users of the running page on loopback.

The page is started once (``assistant chat`` on a free port, its own settings for the queue).
Every user has its own ``Client``, made before any clock starts (it fetches the API description)
and kept across levels: the 32-user level uses the first 32 of the 64. For each level all start together and each asks ``per_user`` questions one after
another through the page's ``/ask`` API. A request is an error if it raises, gets no reply within
two minutes, or its reply lacks the answer, the contact or the disclaimer. The clients run in this process on the same two
cores as the page, so the figures include the cost of the load generator itself.

The control: the same levels against a Gradio app whose ``/ask`` returns a fixed reply at once
(``python -m assistant.benchmarking.concurrency PORT``). What it costs is the framework and
the client; what the page costs beyond it is ours.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .measure import Child, free_port, http_ok, rss_mb, summary, wait_until

REQUEST_TIMEOUT_S = 120.0  # a reply that never comes is an error, not a hung benchmark


def start_page(env: dict[str, str], timeout: float = 180.0, control: bool = False) -> tuple[Child, str, Any]:
    """``assistant chat`` (or the control app) on a free loopback port, once it answers."""
    port = free_port()
    log_file = tempfile.TemporaryFile()
    cmd = ([sys.executable, "-m", __name__, str(port)] if control
           else [str(Path(sys.executable).with_name("assistant")), "chat", "--port", str(port)])
    proc = subprocess.Popen(cmd, env=env, stdout=log_file, stderr=log_file, start_new_session=True)
    child = Child(proc)
    url = f"http://127.0.0.1:{port}/"
    ready = url if control else url + "readyz"  # the page is served before its model is loaded
    if not wait_until(lambda: child.exited() or http_ok(ready), timeout) or child.exited():
        child.stop()
        child.reap()
        log_file.seek(0)
        raise RuntimeError(f"the page did not start: {log_file.read().decode(errors='replace')[-800:]}")
    return child, url, log_file


def _good(reply: Any) -> bool:
    return isinstance(reply, dict) and bool(reply.get("answer")) and bool(reply.get("contact")) and bool(reply.get("disclaimer"))


def make_clients(url: str, n: int) -> list[Any]:
    """``n`` independent ``gradio_client`` users. Each fetches the page's API description, which
    costs the page about a second of work, so a run makes them once and every level takes the
    first ones it needs."""
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    with ThreadPoolExecutor(min(n, 16)) as pool:
        return list(pool.map(lambda _: Client(url, verbose=False, analytics_enabled=False, download_files=False), range(n)))


def close_clients(clients: list[Any]) -> None:
    """Close them side by side: a used ``Client`` takes about a second to close (64 took a minute one by one)."""
    from concurrent.futures import ThreadPoolExecutor

    def close(c: Any) -> None:
        try:
            c.close()
        except Exception:  # closing is best effort
            pass

    with ThreadPoolExecutor(max(1, min(len(clients), 32))) as pool:
        list(pool.map(close, clients))


def run_level(users: int, per_user: int, questions: list[str], clients: list[Any]) -> dict[str, Any]:
    """``users`` simultaneous users (the first of ``clients``, see ``make_clients``) asking ``per_user`` questions each."""
    clients = clients[:users]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(users + 1)

    def user(i: int) -> None:
        start.wait()
        for j in range(per_user):
            question = questions[(i * per_user + j) % len(questions)]
            t = time.perf_counter()
            try:
                reply = clients[i].submit(question, None, api_name="/ask").result(timeout=REQUEST_TIMEOUT_S)
                problem = None if _good(reply) else f"incomplete reply: {str(reply)[:120]}"
            except Exception as exc:  # every failure counts, whatever raised it
                problem = f"{exc.__class__.__name__}: {exc}"[:200]
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)
                if problem:
                    errors.append(problem)

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return {
        "users": users, "requests": len(latencies), "latency_ms": summary(latencies), "wall_s": round(wall, 2),
        "throughput_rps": round(len(latencies) / wall, 2), "errors": len(errors), "error_examples": sorted(set(errors))[:3],
    }


def run_concurrency(env: dict[str, str], *, levels: list[int], per_user: int, questions: list[str],
                    control_levels: tuple[int, ...] = (), alone: int = 20, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The page at every level in ``levels``; the no-op control at ``control_levels`` (none: skipped).
    A lone user, the yardstick of the others, asks ``alone`` questions for a steady median."""
    out: dict[str, Any] = {"per_user": per_user, "alone": max(per_user, alone)}
    for name, todo in (("page", levels), ("control", list(control_levels))):
        if not todo:
            continue
        page, url, log_file = start_page(env, control=name == "control")
        clients: list[Any] = []
        try:
            clients = make_clients(url, max(todo))
            run_level(1, 3, questions, clients)  # warm the page and the client code paths
            rows = []
            for users in todo:
                row = run_level(users, max(per_user, alone) if users == 1 else per_user, questions, clients)
                rows.append(row)
                lat = row["latency_ms"]
                log(f"concurrency, {name}, {users:>2} users: p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms, "
                    f"{row['throughput_rps']:.1f} req/s, {row['errors']} errors")
            rss = rss_mb(page.pid)
        finally:
            close_clients(clients)
            page.stop()
            peak = page.reap()[1]
            log_file.close()
        if name == "page":
            out.update(levels=rows, page_rss_mb=round(rss, 1), page_peak_rss_mb=round(peak, 1))
        else:
            out["control_levels"] = rows
    return out


def control_app(port: int) -> None:
    """A Gradio app with the page's queue settings whose ``/ask`` does no work at all."""
    import gradio as gr

    from ..settings import Settings

    settings = Settings()
    reply = {"answer": "A fixed reply of about the usual length. " * 12, "contact": "contact", "disclaimer": "disclaimer"}

    def ask(message: str, history: list[dict] | None = None) -> dict:
        return reply

    with gr.Blocks(analytics_enabled=False) as demo:
        gr.Markdown("control")
        gr.api(ask, api_name="ask")
    demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue)
    demo.launch(server_name="127.0.0.1", server_port=port, show_error=True)


if __name__ == "__main__":
    control_app(int(sys.argv[1]))
