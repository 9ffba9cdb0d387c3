"""Chroma server mode against a real `chroma run` on a free loopback port, with the real model:
the same answers as the embedded store; a server killed mid-conversation gives a kind
"temporarily unavailable" reply (crisis resources still served) and the same app recovers when it
comes back; a server that hangs or is down from the start gives a clear error, not a traceback."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant.assistant import Assistant
from assistant.embeddings import SentenceTransformerEmbedder, default_model_dir
from assistant.errors import IndexError_, StoreUnavailable
from assistant.indexing import ingest
from assistant.settings import ROOT, Settings

pytestmark = [pytest.mark.server, pytest.mark.integration]

CHROMA = Path(sys.executable).with_name("chroma")
QUESTIONS = ["why do I ignore messages?", "Is pushing people away selfish?", "What small steps can I take to reconnect?",
             "What kinds of treatment does the article mention?", "How do I change a flat tire?"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """A `chroma run` process on 127.0.0.1 that a test can kill, freeze and start again on the same port and data."""

    def __init__(self, path: Path, port: int | None = None):
        self.path, self.port = path, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> "ChromaServer":
        log = open(self.path.with_suffix(".log"), "ab")
        self.proc = subprocess.Popen([str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}: {self.path.with_suffix('.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"chroma run did not answer on {self.url} within {timeout} s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def freeze(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def remote_peers(self) -> list[str]:
        """Addresses off the machine the server holds a connection to (its telemetry is the binary's own)."""
        import psutil

        conns = psutil.Process(self.proc.pid).net_connections(kind="inet")
        return [c.raddr.ip for c in conns if c.raddr and not ipaddress.ip_address(c.raddr.ip).is_loopback]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data").start()
    yield srv
    srv.kill()


@pytest.fixture(scope="module")
def server_settings(server, real_index_dir) -> Settings:
    # index_dir only holds the ONNX export and exemplar vectors here; passages live in the server.
    settings = Settings(chroma_url=server.url, index_dir=real_index_dir, corpus_dir=ROOT / "corpus", guardrails_dir=ROOT / "guardrails")
    report = ingest(settings, SentenceTransformerEmbedder(default_model_dir(), settings.model_sha256))
    assert report.units_total > 0
    return settings


@pytest.fixture(scope="module")
def server_bot(server_settings) -> Assistant:
    return Assistant.load(server_settings).warm()


def unavailable_text(bot: Assistant) -> str:
    return " ".join(bot.policy.wording.unavailable.split())


# -- same answers ---------------------------------------------------------------------------------


def test_server_store_answers_like_the_embedded_store(server, server_bot, real_bot):
    for question in QUESTIONS:
        via_server, embedded = server_bot.ask(question), real_bot.ask(question)
        assert via_server.error is None
        assert (via_server.category, [p.id for p in via_server.sources], via_server.answer) == \
               (embedded.category, [p.id for p in embedded.sources], embedded.answer), question
    assert server.remote_peers() == []


def test_second_ingest_through_the_server_embeds_nothing(server_settings):
    report = ingest(server_settings, SentenceTransformerEmbedder(default_model_dir(), server_settings.model_sha256))
    assert report.units_embedded == 0 and report.unchanged


# -- killed, restarted ------------------------------------------------------------------------------


def test_server_killed_mid_conversation_then_restarted(server, server_bot):
    first = server_bot.ask("why do I ignore messages?")
    assert first.category == "answered"
    history = [{"role": "user", "content": "why do I ignore messages?"}, {"role": "assistant", "content": first.answer}]

    server.kill()
    try:
        down = server_bot.ask("Is pushing people away selfish?", history)
        assert down.error and down.error.startswith("StoreUnavailable")
        assert unavailable_text(server_bot) in down.answer
        assert down.contact in down.answer and down.answer.endswith(f"_{down.disclaimer}_")
        assert "Traceback" not in down.answer

        crisis = server_bot.ask("I don't want to be alive anymore", history)  # needs no retrieval
        assert crisis.category == "crisis" and crisis.error is None
        assert crisis.answer.startswith(crisis.crisis) and "988" in crisis.crisis
        assert crisis.contact in crisis.answer and crisis.disclaimer in crisis.answer
    finally:
        server.start()

    back = server_bot.ask("why do I ignore messages?")  # the same app object: no restart needed
    assert back.error is None and back.answer == first.answer


def test_server_that_stops_answering_gives_unavailable_in_bounded_time(server, server_settings):
    bot = Assistant.load(server_settings.model_copy(update={"chroma_timeout_s": 1.0, "chroma_retries": 1})).warm()
    assert bot.ask("why do I ignore messages?").category == "answered"
    replies: list = []
    asker = threading.Thread(target=lambda: replies.append(bot.ask("Is pushing people away selfish?")), daemon=True)
    server.freeze()
    try:
        asker.start()
        asker.join(timeout=60)  # a hang detector, not a speed target: the settings allow about 3 s
        assert not asker.is_alive(), "ask() hung on a server that accepts connections but never answers"
    finally:
        server.thaw()
        asker.join(timeout=60)
    assert replies[0].error.startswith("StoreUnavailable") and unavailable_text(bot) in replies[0].answer
    assert bot.ask("why do I ignore messages?").category == "answered"


# -- down from the start -----------------------------------------------------------------------------


def test_server_down_from_the_start_is_a_clear_error(real_index_dir):
    url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(chroma_url=url, index_dir=real_index_dir, chroma_retries=1)
    with pytest.raises(StoreUnavailable, match="could not be reached") as caught:
        Assistant.load(settings)
    assert url in str(caught.value) and "chroma run" in str(caught.value)


@pytest.mark.parametrize("url", ["chroma-server", "http://127.0.0.1:99999", "http://127.0.0.1:port", "http://:8000"])
def test_chroma_url_that_is_not_a_url_is_a_clear_error(real_index_dir, url):
    with pytest.raises(IndexError_, match="is not a URL like http://127.0.0.1:8000"):
        Assistant.load(Settings(chroma_url=url, index_dir=real_index_dir))


@pytest.mark.parametrize("args", [["ask", "--json", "why do I ignore messages?"], ["ingest"]], ids=["ask", "ingest"])
def test_cli_with_the_server_down_prints_one_line_not_a_traceback(real_index_dir, args):
    url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "ASSISTANT_CHROMA_URL": url, "ASSISTANT_INDEX_DIR": str(real_index_dir), "ASSISTANT_CHROMA_RETRIES": "1"}
    run = subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert f"Error: The Chroma server could not be reached at {url}" in run.stderr
