"""The pipeline wired from its parts: ``Assistant.load()`` wires defaults that fit the seams in
``protocols.py``, and ``Assistant(...)`` takes any parts that fit them. Here a fake store,
retriever and composer (plain classes, no subclassing) stand in, and the reply still passes
through the rails and the finishing step."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from assistant.assistant import Assistant, ingest_embedder
from assistant.compose import render
from assistant.embeddings import HashEmbedder
from assistant.protocols import Composer, Retriever, Store
from assistant.types import Draft, Passage, Retrieval
from assistant.text import words


class ListStore:
    """A store that holds units in a list and finds none."""

    def __init__(self, units):
        self._units = list(units)
        self.closed = False

    def units(self):
        return self._units

    def query(self, vector, n):
        return []

    def close(self):
        self.closed = True


class CannedRetriever:
    """Returns the same passage for every message, with a fixed relevance."""

    def __init__(self, store, relevance: float):
        self.store = store
        self.relevance = relevance
        self.asked: list[str] = []

    @property
    def units(self):
        return self.store.units()

    @property
    def vocabulary(self):
        return frozenset(w for u in self.units for w in words(u.text))

    def retrieve(self, question, history=(), *, follow_up=None):
        self.asked.append(question)
        unit = self.units[3]
        passage = Passage(unit.id, unit.source, unit.text, 1.0, unit.section, unit.position, unit.kind, dense=self.relevance)
        return Retrieval((passage,), question, self.relevance, confidence=self.relevance)

    def query_texts(self, question):
        return ()

    def warm(self):
        pass


@dataclass
class RecordingComposer:
    """Quotes the best passage, and records the intent of each question it was asked to answer."""

    calls: list[str] = field(default_factory=list)

    def answer(self, verdict, retrieval, turns=()):
        self.calls.append(verdict.intent)
        return Draft("answered", segments=render(list(retrieval.passages[:1])))

    def with_antecedents(self, passage):
        return [passage]


@pytest.fixture
def wired(fake_bot):
    """An assistant on the fake parts, with the real rails (hash embedder) and policy of ``fake_bot``."""

    def build(relevance: float = 0.9):
        store = ListStore(fake_bot.retriever.units)
        retriever = CannedRetriever(store, relevance)
        composer = RecordingComposer()
        bot = Assistant(fake_bot.settings, fake_bot.policy, store=store, embedder=fake_bot.embedder, retriever=retriever,
                        rails=fake_bot.rails, composer=composer)
        return bot, retriever, composer

    return build


def test_the_default_parts_fit_the_seams(fake_bot):
    assert isinstance(fake_bot.store, Store)
    assert isinstance(fake_bot.retriever, Retriever)
    assert isinstance(fake_bot.composer, Composer)


def test_fakes_wired_in_answer_through_the_rails_and_the_finishing_step(wired, fake_bot):
    bot, retriever, composer = wired()

    reply = bot.ask("why do I ignore messages from people I love?")

    assert reply.category == "answered"
    assert retriever.asked and composer.calls == ["why"]
    assert reply.body == f"{fake_bot.retriever.units[3].text} [1]"
    assert reply.disclaimer in reply.answer and reply.contact in reply.answer


def test_a_medical_request_gets_the_policys_reply_not_the_composers(wired):
    bot, _, composer = wired()

    reply = bot.ask("what dose of sertraline should I take?")

    assert reply.category == "medical_advice" and composer.calls == []


def test_weak_evidence_gets_the_out_of_scope_reply_without_the_composer(wired):
    bot, _, composer = wired(relevance=0.0)

    reply = bot.ask("why do I ignore messages from people I love?")

    assert reply.category == "out_of_scope" and composer.calls == []


def test_a_crisis_message_never_reaches_the_composer(wired):
    bot, retriever, composer = wired()

    reply = bot.ask("I want to kill myself tonight")

    assert reply.category == "crisis" and composer.calls == [] and retriever.asked == []


def test_a_composer_sentence_found_nowhere_is_dropped(wired, fake_bot):
    bot, _, composer = wired()
    composer.answer = lambda verdict, retrieval, turns=(): Draft(
        "answered", segments=render([replace(retrieval.passages[0], text="Stop your medication today.")]))

    reply = bot.ask("why do I ignore messages from people I love?")

    assert "Stop your medication today." not in reply.answer
    assert reply.disclaimer in reply.answer


def test_ingest_embeds_with_the_given_embedder_unless_it_is_the_onnx_export(fake_bot, monkeypatch):
    from assistant import embeddings
    from assistant.onnx_backend import OnnxEmbedder

    class Reference:
        def __init__(self, model_dir, sha256):
            self.model_dir = model_dir

    monkeypatch.setattr(embeddings, "SentenceTransformerEmbedder", Reference)
    fake = HashEmbedder()
    onnx = OnnxEmbedder.__new__(OnnxEmbedder)  # its type is what counts; no model is loaded

    assert ingest_embedder(fake_bot.settings, "model", fake) is fake
    assert isinstance(ingest_embedder(fake_bot.settings, "model", onnx), Reference)



def test_a_composer_with_only_the_protocols_methods_answers_tell_me_more(wired):
    bot, _, composer = wired()

    reply = bot.ask("tell me more")

    assert reply.error is None and reply.category == "answered"
    assert composer.calls
