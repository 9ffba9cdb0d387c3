"""The page is served before the assistant is loaded: a question asked in between waits for the
load and gets the real reply; /readyz says "not ready" until then; a failed load is the load's
own error. A fake loader (a gate the test opens) stands in for the model and the index."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.api import api_routes
from assistant.deferred import DeferredAssistant
from assistant.errors import IndexError_
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_questions_wait_for_the_load_and_readiness_follows_it(fake_bot, tmp_path):
    gate = threading.Event()

    def load(settings):
        gate.wait(30)
        return fake_bot

    settings = Settings(guardrails_dir=ROOT / "guardrails", index_dir=tmp_path, chroma_url=None)
    bot = DeferredAssistant(settings, loader=load)
    assert bot.policy.disclaimer and not bot.ready  # the page can be built from the policy alone
    client = TestClient(FastAPI(routes=api_routes(bot, settings)))
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503

    replies = []
    asker = threading.Thread(target=lambda: replies.append(bot.ask("why do I ignore messages?")))
    asker.start()
    loader = threading.Thread(target=bot.load)
    loader.start()
    asker.join(0.3)
    assert asker.is_alive() and not replies  # waiting for the load, not answered by anything else
    gate.set()
    loader.join(30)
    asker.join(30)
    assert bot.ready
    assert replies[0].answer == fake_bot.ask("why do I ignore messages?").answer
    assert client.get("/readyz").json()["checks"]["model"] is True


def test_a_failed_load_is_its_own_error_for_waiting_questions(tmp_path):
    def load(settings):
        raise IndexError_("No index; run `assistant ingest` to build it.")

    bot = DeferredAssistant(Settings(guardrails_dir=ROOT / "guardrails", index_dir=tmp_path, chroma_url=None), loader=load)
    with pytest.raises(IndexError_):
        bot.load()
    with pytest.raises(IndexError_, match="assistant ingest"):
        bot.ask("why do I ignore messages?")
