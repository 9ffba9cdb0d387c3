"""More than one article, end to end: the tests write a second short article (front matter and
all) into a copy of the corpus, and check ingest, retrieval, citations and the page. Nothing is
mixed across articles: a list's lead-in, a sentence's neighbours and a quoted block each stay in
their own article. The fast pipeline (``HashEmbedder``) keeps this quick; the shipped corpus is
not touched.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import gradio as gr
import pytest

from assistant import Assistant, web
from assistant.chunking import chunk_document
from assistant.compose import render
from assistant.corpus import read_corpus
from assistant.embeddings import HashEmbedder
from assistant.indexing import ingest

from .conftest import fake_guardrails, make_settings

ROOT = Path(__file__).resolve().parents[1]
FIRST = "why-depression-makes-you-push-people-away.md"
# Its list opens with a bare "Try this:" (a short lead-in borrows the sentence before it), in a
# section with the same number as the first article's last one: in the index, the line before
# "Try this:" is the other article's last sentence. {headings} makes the section numbers meet.
SECOND = "zz-depression-and-sleep.md"
SECOND_ARTICLE = """---
title: "Depression and Sleep: Why Rest Feels Out of Reach"
publisher: Test Clinic
---

{headings}

Try this:

- Keep one wake-up time every morning, even after a night of insomnia.
- Step into daylight soon after waking so the body clock can reset.

Insomnia and depression feed each other, because poor sleep deepens low mood and low mood makes sleep harder.
Oversleeping is common in depression too, and it rarely leaves a person rested.
"""
SLEEP_QUESTION = "does insomnia make depression worse and how can a wake-up time help sleep?"
FIRST_QUESTION = "why do I ignore messages from people I care about?"


@pytest.fixture(scope="module")
def two_articles(tmp_path_factory):
    root = tmp_path_factory.mktemp("two-articles")
    corpus = root / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    first, _ = read_corpus(ROOT / "corpus")
    sections = max(u.section for u in chunk_document(first[0]))
    headings = "\n\n".join(["# Depression and Sleep: Why Rest Feels Out of Reach"] + [f"## Part {k}" for k in range(2, sections)])
    (corpus / SECOND).write_text(SECOND_ARTICLE.format(headings=headings), encoding="utf-8")
    settings = make_settings(root / "index", corpus_dir=corpus, guardrails_dir=fake_guardrails(root / "guardrails"))
    report = ingest(settings, HashEmbedder())
    return report, Assistant.load(settings, embedder=HashEmbedder())


def test_ingest_reads_both_articles(two_articles):
    report, bot = two_articles
    assert set(report.added) == {FIRST, SECOND}
    sources = {u.source for u in bot.retriever.units}
    assert sources == {FIRST, SECOND}
    assert (ROOT / "corpus" / SECOND).exists() is False  # the shipped corpus stays the one article


def test_retrieval_finds_each_article_for_its_own_question(two_articles):
    _, bot = two_articles
    assert bot.retriever.retrieve(SLEEP_QUESTION, ()).passages[0].source == SECOND
    assert bot.retriever.retrieve(FIRST_QUESTION, ()).passages[0].source == FIRST
    sleep, first = bot.ask(SLEEP_QUESTION), bot.ask(FIRST_QUESTION)
    assert sleep.category == "answered" and SECOND in {p.source for p in sleep.sources}
    assert first.category == "answered" and {p.source for p in first.sources} == {FIRST}


def test_nothing_is_mixed_across_articles(two_articles):
    _, bot = two_articles
    units = bot.retriever.units
    texts = {source: {u.text for u in units if u.source == source} for source in (FIRST, SECOND)}
    j = next(i for i, u in enumerate(units) if u.source == SECOND and u.text == "Try this:")
    assert (units[j - 1].source, units[j - 1].section) == (FIRST, units[j].section)  # the case in question
    # A list's lead-in (with a short one's sentence before it) comes from the list's own article.
    for (source, _), lead in bot.retriever.lead_ins.items():
        other = FIRST if source == SECOND else SECOND
        assert not any(t in lead for t in texts[other] if len(t) > 20), (source, lead)
    # A sentence's neighbours and an item's lead-in, as stored, are its own article's.
    for u in units:
        other = FIRST if u.source == SECOND else SECOND
        assert not any(t in f"{u.context} {u.lead_in}" for t in texts[other] if len(t) > 20), u
    # Quoted blocks: consecutive sentences of two articles are never joined into one line.
    last_of_first = max((u for u in units if u.source == FIRST and u.kind == "sentence"), key=lambda u: u.position)
    first_of_second = min((u for u in units if u.source == SECOND and u.kind == "sentence"), key=lambda u: u.position)
    passages = [p for p in bot.retriever.retrieve(SLEEP_QUESTION, ()).passages][:1]
    chosen = [_passage(bot, last_of_first), _passage(bot, first_of_second)] + passages
    segments = render(chosen)
    assert {last_of_first.source, first_of_second.source} <= {q.passage.source for seg in segments for q in seg.quotes}
    assert all(len({q.passage.source for q in seg.quotes}) == 1 for seg in segments)  # one article per line


def _passage(bot, unit):
    from assistant.types import Passage

    return Passage(unit.id, unit.source, unit.text, 0.5, unit.section, unit.position, unit.kind, unit.lead_in)


def test_citations_and_the_page_name_the_second_article(two_articles):
    _, bot = two_articles
    page = web.ChatPage(bot)

    async def collect():
        return [step async for step in page.respond(SLEEP_QUESTION, [], gr.EventData(None, {}))]

    *_, (_, chat, conversation) = asyncio.run(collect())
    reply = conversation[-1].reply
    assert any(p.source == SECOND for p in reply.sources)
    shown = chat[-1]["content"]
    assert "citation" in shown and "sleep" in shown.lower()  # the second article is cited by name on the page
    assert reply.contact in reply.answer and reply.disclaimer in reply.answer
