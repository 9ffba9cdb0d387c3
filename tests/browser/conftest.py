"""The chat page in a real browser: the page is served on a free loopback port with the real
``Assistant`` (real model, the project's ``.index``, built if missing), and Debian's Chromium is
driven through Playwright. Every page records the requests it makes; a page that reaches
anything but 127.0.0.1/localhost fails its test. Screenshots, accessibility trees and the
Enter-to-answer timing go to ``test-artifacts/``.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")  # the test module skips when it is missing
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TIMINGS: dict[str, object] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    url: str
    bot: object


@pytest.fixture(scope="module")
def served() -> Served:
    """The page with the real assistant, on a free loopback port, for one test module."""
    from assistant import web
    from assistant.assistant import Assistant
    from assistant.settings import Settings

    settings = Settings(host="127.0.0.1", port=free_port(), chroma_url=None)
    bot = Assistant.load(settings).warm()
    demo = web.build(bot)
    url = web.launch(demo, settings, block=False)
    yield Served(url, bot)
    demo.close()


@pytest.fixture(scope="module")
def browser():
    # Module scope: Playwright's sync API keeps an event loop on this thread while it is open,
    # which would break asyncio.run() in the test modules that come after.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@dataclass
class Chat:
    """A loaded chat page, driven the way a person would use it."""

    page: object
    disclaimer: str
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    load_ms: float = 0.0

    @property
    def box(self):
        return self.page.get_by_label("Your question")

    @property
    def replies(self):
        return self.page.locator('#chat [data-testid="bot"]')

    @property
    def questions(self):
        return self.page.locator('#chat [data-testid="user"]')

    def send(self, text: str) -> None:
        self.box.fill(text)
        self.box.press("Enter")

    def wait_for_reply(self, n: int):
        """The n-th reply, once it is complete (the disclaimer closes every reply)."""
        from playwright.sync_api import expect

        reply = self.replies.nth(n - 1)
        expect(self.replies).to_have_count(n, timeout=15_000)
        expect(reply).to_contain_text(self.disclaimer, timeout=15_000)
        return reply

    def ask(self, text: str):
        n = self.replies.count() + 1
        self.send(text)
        return self.wait_for_reply(n)

    def off_loopback(self) -> list[str]:
        return [u for u in self.requests if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname not in LOOPBACK]


@pytest.fixture
def open_chat(browser, served):
    """``open_chat(width=1280, height=900)``: a fresh page (a fresh session) at that size."""
    contexts = []
    chats: list[Chat] = []

    def open_(width: int = 1280, height: int = 900) -> Chat:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        chat = Chat(page, served.bot.policy.disclaimer)
        page.on("request", lambda r: chat.requests.append(r.url))
        page.on("websocket", lambda ws: chat.requests.append(ws.url))
        page.on("dialog", lambda d: (chat.dialogs.append(d.message), d.dismiss()))
        started = time.perf_counter()
        page.goto(served.url, wait_until="domcontentloaded")  # the page keeps a stream open: never wait for idle
        chat.box.wait_for(state="visible", timeout=15_000)
        chat.load_ms = (time.perf_counter() - started) * 1000
        chats.append(chat)
        return chat

    yield open_
    for context in contexts:
        context.close()
    leaks = [u for chat in chats for u in chat.off_loopback()]
    assert not leaks, f"the page made requests outside 127.0.0.1: {leaks}"


@pytest.fixture(scope="session")
def timings() -> dict[str, object]:
    """Measurements a test wants printed in the session summary."""
    return TIMINGS


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.write_sep("-", "chat page timing")
        for key, value in TIMINGS.items():
            terminalreporter.write_line(f"{key}: {value}")
