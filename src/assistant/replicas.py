"""Replicas on one Chroma server: ``chroma run`` and N ``assistant chat`` processes on loopback.

This is how the assistant scales out. For the HTTP API every replica is stateless (a
conversation's history comes in the body of each question), so a load balancer in front may send
each request anywhere; a page tab keeps its conversation in the replica that served it, so tabs
need affinity (README.md, "Replicas"). Replicas share nothing but the Chroma server; an ``assistant ingest`` against
that server writes a new index generation and the replicas switch to it by themselves
(``store/generations.py``). ``GET /readyz`` on each replica is the load balancer's health check.

``make serve-replicas N=2`` runs ``python -m assistant.replicas --replicas 2``: the server
(data in ``.index/chroma-server``), an ingest into it, then the replicas on ports 7861, 7862...
until Ctrl+C. The tests use the same pieces (``tests/test_replicas.py``).

Example::

    server = ChromaProcess(Path(".index/chroma-server"), port=8000).start()
    apps = [Replica(port, env_for(server.url)).start() for port in (7861, 7862)]
    ...
    for app in apps: app.stop()
    server.stop()
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class _Process:
    """A child process in its own session, with a log file beside it; stopped by its own id."""

    url = ""
    ready_path = "/"

    def __init__(self, cmd: list[str], log: Path, env: dict[str, str] | None = None):
        self.cmd, self.log, self.env = cmd, log, env
        self.proc: subprocess.Popen | None = None

    def launch(self) -> "_Process":
        """Start the process without waiting for it (start several, then ``wait_ready`` each)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=self.env, start_new_session=True)
        return self

    def start(self, timeout: float = 180.0) -> "_Process":
        return self.launch().wait_ready(timeout)

    def wait_ready(self, timeout: float) -> "_Process":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.cmd[0]} exited with {self.proc.returncode}: {self.log.read_text(errors='replace')[-1500:]}")
            if _answers(self.url + self.ready_path):
                return self
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"{' '.join(self.cmd)} was not ready on {self.url} within {timeout} s")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: what a crash or an out-of-memory kill looks like to the others."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, sig: int) -> None:
        if self.alive:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


class ChromaProcess(_Process):
    """``chroma run`` on 127.0.0.1, its data in ``path``."""

    ready_path = "/api/v2/heartbeat"

    def __init__(self, path: Path, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__([str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(self.port)],
                         path.with_suffix(".log"))


class Replica(_Process):
    """``assistant chat`` on 127.0.0.1:``port``; ready when ``/readyz`` answers 200."""

    ready_path = "/readyz"

    def __init__(self, port: int, env: dict[str, str], log: Path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        super().__init__([str(BIN / "assistant"), "chat", "--port", str(port)], log, {**env, "ASSISTANT_HOST": "127.0.0.1"})


def env_for(chroma_url: str, **settings: str) -> dict[str, str]:
    """The environment of a replica: this one, with the server's URL and any ``ASSISTANT_*`` settings given."""
    return {**os.environ, "ASSISTANT_CHROMA_URL": chroma_url, **{f"ASSISTANT_{k.upper()}": v for k, v in settings.items()}}


@click.command()
@click.option("--replicas", "n", type=click.IntRange(1, 16), default=2, show_default=True, help="App processes to start.")
@click.option("--first-port", type=int, default=7861, show_default=True, help="Port of the first replica; the others follow.")
@click.option("--chroma-port", type=int, default=8000, show_default=True, help="Port of the Chroma server.")
@click.option("--data", type=click.Path(path_type=Path), default=Path(".index/chroma-server"), show_default=True,
              help="The Chroma server's data folder.")
def main(n: int, first_port: int, chroma_port: int, data: Path) -> None:
    """Start `chroma run`, ingest the corpus into it, and serve N replicas of the page until Ctrl+C."""
    # The children run in their own sessions (a Ctrl+C meant for us must not kill them half-way),
    # so every way of stopping us goes through the `finally` below: SIGTERM as well as Ctrl+C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    server = ChromaProcess(data.resolve(), chroma_port).start(60)
    apps: list[Replica] = []
    try:
        env = env_for(server.url)
        subprocess.run([str(BIN / "assistant"), "ingest"], env=env, check=True)
        apps = [Replica(first_port + i, env, data.parent / f"replica-{first_port + i}.log") for i in range(n)]
        for app in apps:  # side by side, then wait for each
            app.launch()
        for app in apps:
            app.wait_ready(300)
        click.echo(f"Chroma server: {server.url}")
        for app in apps:
            click.echo(f"Replica: {app.url}/  (API {app.url}/api/ask, health {app.url}/readyz)")
        click.echo("Ctrl+C stops them all.")
        while all(a.alive for a in apps) and server.alive:
            time.sleep(1)
        click.echo("A process stopped; stopping the others.", err=True)
    except KeyboardInterrupt:
        pass
    finally:
        for app in apps:
            app.stop()
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
