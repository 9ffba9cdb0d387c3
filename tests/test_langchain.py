"""LangChain-native use with ``langchain-core`` only: ``guarded_chain()`` gives what
``Assistant.ask()`` gives through ``invoke``, ``batch``, ``stream`` and ``ainvoke`` on 30 eval
cases of every category (crisis, medical, follow-ups with history included), and
``ArticleRetriever`` returns the hybrid retrieval's passages as ``Document``s."""

from __future__ import annotations

import asyncio
import json

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable

from assistant.integrations.langchain import ArticleRetriever, guarded_chain, text_pieces

from .conftest import ROOT

# How many cases of each eval file: 30 in all, every category, the first ones of each file.
PER_FILE = {"crisis": 6, "medical": 6, "answerable": 5, "conversations": 4, "off_topic": 3, "small_talk": 2,
            "injection": 2, "invalid": 1, "lookalikes": 1}


def eval_cases() -> list[dict]:
    cases = []
    for name, n in PER_FILE.items():
        rows = [json.loads(line) for line in (ROOT / "evals" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
        cases += [r for r in rows if isinstance(r.get("question"), str)][:n]
    assert len(cases) == 30
    return cases


CASES = eval_cases()


def chain_input(case: dict) -> dict:
    return {"question": case["question"], "history": case.get("history", [])}


def same(reply, expected) -> tuple:
    return (reply.category, reply.body) == (expected.category, expected.body), (reply.category, expected.category)


@pytest.fixture(scope="module")
def expected(fake_bot) -> list:
    return [fake_bot.ask(c["question"], c.get("history")) for c in CASES]


def test_the_cases_cover_crisis_medical_and_follow_ups(expected):
    categories = {r.category for r in expected}
    assert {"crisis", "medical_advice", "answered", "out_of_scope"} <= categories
    assert any(c.get("history") for c in CASES)


def test_invoke_gives_what_ask_gives(fake_bot, expected):
    chain = guarded_chain(fake_bot)
    assert isinstance(chain, Runnable)
    for case, want in zip(CASES, expected):
        reply = chain.invoke(chain_input(case))
        assert (reply.category, reply.body, reply.answer) == (want.category, want.body, want.answer), case["id"]


def test_batch_gives_what_ask_gives_in_order(fake_bot, expected):
    replies = guarded_chain(fake_bot).batch([chain_input(c) for c in CASES], config={"max_concurrency": 4})
    assert [(r.category, r.body) for r in replies] == [(w.category, w.body) for w in expected]


def test_ainvoke_gives_what_ask_gives(fake_bot, expected):
    chain = guarded_chain(fake_bot)

    async def all_cases():
        return await asyncio.gather(*(chain.ainvoke(chain_input(c)) for c in CASES))

    replies = asyncio.run(all_cases())
    assert [(r.category, r.body) for r in replies] == [(w.category, w.body) for w in expected]


def test_stream_yields_the_whole_answer_ending_with_the_safety_lines(fake_bot, expected):
    chain = guarded_chain(fake_bot)
    for case, want in zip(CASES, expected):
        pieces = list(chain.stream(chain_input(case)))
        assert len(pieces) > 1 and all(isinstance(p, str) for p in pieces)
        text = "".join(pieces)
        assert text == want.answer, case["id"]
        assert text.endswith(f"{want.contact}\n\n_{want.disclaimer}_")
        if want.category == "crisis":
            assert text.startswith(want.crisis) and "988" in "".join(pieces[:40])


def test_astream_yields_the_same_pieces(fake_bot):
    chain = guarded_chain(fake_bot)
    case = next(c for c in CASES if c["expect"] == "crisis")

    async def collect():
        return [p async for p in chain.astream(chain_input(case))]

    assert asyncio.run(collect()) == list(chain.stream(chain_input(case)))


def test_history_as_langchain_messages_or_pairs_reads_like_dicts(fake_bot):
    case = next(c for c in CASES if c.get("history"))
    dicts = case["history"]
    messages = [HumanMessage(t["content"]) if t["role"] == "user" else AIMessage(t["content"]) for t in dicts]
    pairs = [(t["role"], t["content"]) for t in dicts]
    chain = guarded_chain(fake_bot)
    want = fake_bot.ask(case["question"], dicts)
    for history in (messages, pairs):
        reply = chain.invoke({"question": case["question"], "history": history})
        assert (reply.category, reply.risk, reply.body) == (want.category, want.risk, want.body)


@pytest.mark.parametrize("bad", [None, 42, {"history": "x"}, {"question": ["a"]}, ""])
def test_bad_input_is_a_reply_with_the_safety_lines_not_an_exception(fake_bot, bad):
    reply = guarded_chain(fake_bot).invoke(bad)
    assert reply.contact in reply.answer and reply.answer.endswith(f"_{reply.disclaimer}_")


def test_text_pieces_join_back_exactly():
    for text in ("", "one", "  two  words\n\n_end_  ", "a\nb"):
        assert "".join(text_pieces(text)) == text


def test_retriever_returns_the_hybrid_passages_as_documents(fake_bot):
    retriever = ArticleRetriever(assistant=fake_bot)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("why do I ignore messages?")
    passages = fake_bot.retriever.retrieve("why do I ignore messages?").passages
    assert docs and all(isinstance(d, Document) for d in docs)
    assert [d.metadata["id"] for d in docs] == [p.id for p in passages]
    assert [d.page_content for d in docs] == [p.text for p in passages]
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    title = docs[0].metadata["title"]
    assert title and title != docs[0].metadata["source"]  # the article's front-matter title
    assert len(ArticleRetriever(assistant=fake_bot, k=2).invoke("why do I ignore messages?")) == 2


@pytest.mark.integration
def test_real_model_chain_matches_ask(real_bot):
    picks = [c for c in CASES if c["expect"] in ("crisis", "medical_advice", "answered")][::3][:6]
    chain = guarded_chain(real_bot)
    for case in picks:
        want = real_bot.ask(case["question"], case.get("history"))
        for reply in (chain.invoke(chain_input(case)), asyncio.run(chain.ainvoke(chain_input(case)))):
            assert (reply.category, reply.body) == (want.category, want.body), case["id"]
        assert "".join(chain.stream(chain_input(case))) == want.answer
    docs = ArticleRetriever(assistant=real_bot, k=3).invoke("why do I ignore messages?")
    assert len(docs) == 3 and docs[0].metadata["score"] > 0
