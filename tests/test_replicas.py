"""Replicas on one Chroma server: a real ``chroma run`` and two ``assistant chat`` processes on
loopback, asked through their HTTP API (``POST /api/ask``), as a load balancer would.

- every replica gives the same answers to the same questions;
- a replica killed mid-load: the other keeps answering every question right, and the index is
  neither lost nor corrupted (same units; an ingest finds nothing to do);
- an ingest while the replicas serve (a full rebuild, then a second article): no reply is an
  error, empty or different while they switch, and both then answer from the new article.

``SOAK_SECONDS`` (``make soak``) makes the load phases longer; by default they take seconds.
"""

from __future__ import annotations

import os
import shutil
import threading
import time

import httpx
import pytest

from assistant.embeddings import SentenceTransformerEmbedder, default_model_dir
from assistant.indexing import ingest
from assistant.replicas import ChromaProcess, Replica, env_for, free_port
from assistant.settings import ROOT, Settings
from assistant.store import ChromaStore

pytestmark = [pytest.mark.server, pytest.mark.integration, pytest.mark.slow]

LOAD_SECONDS = float(os.environ.get("SOAK_SECONDS", "6"))
QUESTIONS = ["why do I ignore messages?", "Is pushing people away selfish?", "What small steps can I take to reconnect?",
             "How do I change a flat tire?", "I don't want to be alive anymore"]
SECOND = "depression-and-sleep.md"
SECOND_ARTICLE = """---
title: "Depression and Sleep: Why Rest Feels Out of Reach"
publisher: Test Clinic
contact: "+1 555 0100"
---

# Depression and Sleep: Why Rest Feels Out of Reach

Many people with depression lie awake for hours even when they feel exhausted. Insomnia and depression feed each other: poor sleep deepens low mood, and low mood makes sleep harder.

Some people sleep far more than usual instead. Oversleeping can be a way the body responds to depression, and it rarely leaves a person feeling rested.

A steady wake-up time, daylight in the morning and a wind-down routine before bed can help sleep return.
"""
SLEEP_QUESTION = "Why can't I sleep at night when I'm depressed?"


def ask(url: str, question: str) -> dict:
    r = httpx.post(f"{url}/api/ask", json={"question": question, "history": []}, timeout=120)
    r.raise_for_status()
    return r.json()


def key(reply: dict) -> tuple:
    return reply["category"], reply["answer"], tuple(s["id"] for s in reply["sources"])


class Load:
    """Threads that ask the questions round and round, each at one replica, recording every result."""

    def __init__(self, urls: list[str], per_url: int = 2):
        self.urls = urls
        self.results: list[tuple[str, str, float, dict | Exception]] = []  # url, question, started, reply or error
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(urls[i % len(urls)], i), daemon=True)
                        for i in range(per_url * len(urls))]

    def _run(self, url: str, offset: int) -> None:
        i = offset
        with httpx.Client(timeout=120) as client:
            while not self.stop.is_set():
                question = QUESTIONS[i % len(QUESTIONS)]
                i += 1
                started = time.monotonic()
                try:
                    r = client.post(f"{url}/api/ask", json={"question": question, "history": []})
                    r.raise_for_status()
                    self.results.append((url, question, started, r.json()))
                except Exception as exc:  # a killed replica: the load balancer would send this elsewhere
                    self.results.append((url, question, started, exc))
                    time.sleep(0.05)

    def __enter__(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=180)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, real_bot, real_index_dir):
    """A Chroma server with the article ingested and two replicas; yields (settings, server, replicas)."""
    real_bot.warm()  # writes the ONNX export and the exemplar vectors the replicas read from real_index_dir
    root = tmp_path_factory.mktemp("replicas")
    corpus = root / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    server = ChromaProcess(root / "chroma-data").start(60)
    settings = Settings(chroma_url=server.url, index_dir=real_index_dir, corpus_dir=corpus, guardrails_dir=ROOT / "guardrails")
    ingest(settings, SentenceTransformerEmbedder(default_model_dir(), settings.model_sha256))
    env = env_for(server.url, index_dir=str(real_index_dir), corpus_dir=str(corpus), api_rate_limit="0")
    replicas = [Replica(free_port(), env, root / f"replica-{i}.log") for i in range(2)]
    try:
        for r in replicas:
            r.launch()
        for r in replicas:
            r.wait_ready(300)
        yield settings, server, replicas
    finally:
        for r in replicas:
            r.stop()
        server.stop()


def test_every_replica_gives_the_same_answers(cluster, real_bot):
    _, _, replicas = cluster
    for question in QUESTIONS:
        seen = {key(ask(r.url, question)) for r in replicas}
        assert len(seen) == 1, question
        category, answer, _ = seen.pop()
        assert category == real_bot.ask(question).category, question  # the embedded store's decision too
        assert answer.strip()


def test_a_replica_killed_mid_load_loses_nothing(cluster):
    settings, _, replicas = cluster
    survivor, victim = replicas
    expected = {q: key(ask(survivor.url, q)) for q in QUESTIONS}
    units = ChromaStore.open(settings).count_units()

    with Load([survivor.url, victim.url]) as load:
        time.sleep(LOAD_SECONDS / 2)
        victim.kill()
        killed_at = time.monotonic()
        time.sleep(LOAD_SECONDS / 2)

    answered = [(q, r) for url, q, _, r in load.results if url == survivor.url]
    assert len(answered) >= 4 and all(isinstance(r, dict) for _, r in answered), [r for _, r in answered if not isinstance(r, dict)]
    assert all(key(r) == expected[q] for q, r in answered)
    assert any(started > killed_at for url, _, started, _ in load.results if url == survivor.url)  # kept answering after
    assert any(isinstance(r, Exception) for url, _, started, r in load.results if url == victim.url and started > killed_at)

    # The index is whole: the same units, and an ingest finds nothing to redo.
    assert ChromaStore.open(settings).count_units() == units
    report = ingest(settings, SentenceTransformerEmbedder(default_model_dir(), settings.model_sha256))
    assert report.unchanged and report.units_embedded == 0

    victim.start(300)  # back for the next test, on the same port
    assert all(key(ask(victim.url, q)) == expected[q] for q in QUESTIONS)


def test_ingest_while_serving_switches_without_a_wrong_or_empty_reply(cluster):
    settings, server, replicas = cluster
    urls = [r.url for r in replicas]
    expected = {q: key(ask(urls[0], q)) for q in QUESTIONS}
    embedder = SentenceTransformerEmbedder(default_model_dir(), settings.model_sha256)

    with Load(urls) as load:
        time.sleep(1)
        rebuilt = ingest(settings, embedder, rebuild=True)  # same corpus, new generation
        time.sleep(LOAD_SECONDS / 2)
        second_at = time.monotonic()
        (settings.corpus_dir / SECOND).write_text(SECOND_ARTICLE, encoding="utf-8")
        added = ingest(settings, embedder)
        deadline = time.monotonic() + 60
        switched: set[str] = set()
        while time.monotonic() < deadline and len(switched) < len(urls):
            for url in urls:
                if any(s["source"] == SECOND for s in ask(url, SLEEP_QUESTION)["sources"]):
                    switched.add(url)
            time.sleep(0.5)
        time.sleep(1)

    assert rebuilt.rebuilt and added.added == (SECOND,) and added.units_embedded > 0
    assert switched == set(urls), "a replica never answered from the new article"
    errors = [r for *_, r in load.results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    replies = [(q, started, r) for _, q, started, r in load.results]
    assert len(replies) >= 8
    for question, started, reply in replies:
        assert "error" not in reply and reply["answer"].strip(), (question, reply)
        assert reply["contact"] in reply["answer"] and reply["disclaimer"] in reply["answer"]
        if started < second_at:  # same corpus: the very same reply, through the rebuild's switch
            assert key(reply) == expected[question], question
        else:  # the corpus grew: the same decision, whatever the article chosen
            assert reply["category"] == expected[question][0], question

    # Readers follow the pointer; only the active generation and the one before it are kept.
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=server.port)
    generations = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    assert len([g for g in generations if g.startswith(f"{settings.collection}.g")]) <= 2, generations
