"""The pipeline in one readable method: check input → retrieve → compose → finish.

Longer than 300 lines: the stages and the loading that wires them stay together, so ``ask`` reads top to bottom here.

Example::

    bot = Assistant.load()
    reply = bot.ask("why do I ignore messages?")
    print(reply.answer)
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from functools import cached_property
from typing import Any, Sequence

from . import language, protocols
from .compose import out_of_scope, question_before, read_ask
from .medical_reply import compose_medical
from .embeddings import Embedder
from .errors import AssistantError, StoreUnavailable
from .finish import finish
from .policy import Policy, load_policy
from .classifier import SafetyClassifier, load_classifier
from .safety import InputRails
from .settings import Settings
from .reply import without_sources
from .scope import health_elsewhere, in_scope, personal_telling, risk_without_answer, uncovered_health
from .text import normalize
from .types import Draft, Reply, Retrieval, Turn, Verdict, parse_history

log = logging.getLogger("assistant")


class Assistant:
    """Answers from the corpus with guardrails; build with ``Assistant.load()``, or pass the
    parts (any objects that fit ``protocols.py``) to wire others."""

    def __init__(self, settings: Settings, policy: Policy, *, store: protocols.Store, embedder: Embedder,
                 retriever: protocols.Retriever, rails: InputRails, composer: protocols.Composer):
        self.settings = settings
        self.policy = policy
        self.store = store
        self.embedder = embedder
        self.retriever = retriever
        self.rails = rails
        self.composer = composer

    @classmethod
    def load(cls, settings: Settings | None = None, *, embedder: Embedder | None = None,
             classifier: SafetyClassifier | None = None) -> "Assistant":
        """Validate the policy, open the model and the index (building the index if it is missing),
        and wire the default parts. The learned safety classifier is loaded for the real model (a
        stale or mismatched artifact stops start-up); an embedder of another model gets none
        unless one is passed."""
        from .compose import BlockComposer
        from .corpus import read_block_kinds
        from .embeddings import default_model_dir, verify_model
        from .indexing import ensure_index
        from .queries import QueryReader
        from .retrieval import HybridRetriever, english_vocabulary
        from .store import ChromaStore

        settings = settings or Settings()
        policy = load_policy(settings.guardrails_dir)
        reader = QueryReader.load(settings.guardrails_dir)
        model_dir = settings.model_dir or default_model_dir()
        if embedder is None:
            verify_model(model_dir, settings.model_sha256)
            embedder = load_query_embedder(settings, model_dir)
        if classifier is None and getattr(embedder, "model_sha256", None) == settings.model_sha256:
            classifier = load_classifier(settings, model_sha256=settings.model_sha256)
        if not settings.chroma_url:
            # Missing, damaged, or built by another model or chunker: rebuilt before the first question.
            ensure_index(settings, ingest_embedder(settings, model_dir, embedder))
        store = ChromaStore.open(settings)
        english = english_vocabulary(model_dir)
        retriever = HybridRetriever(store, embedder, reader=reader, mode=settings.retrieval_mode, top_k=settings.top_k,
                                    english=english)
        return cls(settings, policy, store=store, embedder=embedder, retriever=retriever,
                   rails=InputRails(policy, embedder, english, cache_dir=settings.index_dir, max_chars=settings.max_input_chars,
                                    classifier=classifier),
                   composer=BlockComposer(policy, lambda: retriever.units, read_block_kinds(settings.corpus_dir),
                                          settings.max_body_words))

    def warm(self) -> "Assistant":
        """Load indexes, exemplars, regexes, the speller and the language identifier now (one suggested question goes through
        the whole pipeline), so a person's first question is as fast as the rest."""
        self.retriever.warm()
        _ = self.rails.exemplars
        language.warm()
        self.ask(self.policy.suggestions[0])
        return self

    def follow_index(self, every: float = 1.0) -> threading.Thread:
        """On a Chroma server, check every ``every`` s which index generation is active and switch
        to a new one whole (``store/generations.py``): questions already under way finish on the
        index they started with. For serving processes; one-shot commands need not follow."""
        def follow() -> None:
            while True:
                time.sleep(every)
                try:
                    self._switch_index()
                except Exception as exc:  # the server may be down for a while; the next check tries again
                    log.warning("index check failed: %s", exc.__class__.__name__)

        thread = threading.Thread(target=follow, name="follow-index", daemon=True)
        thread.start()
        return thread

    def _switch_index(self) -> bool:
        """Load the active generation if it is not the one in use, and swap in every part built from
        the corpus (store, retriever, composer, allowed sentences) at once; the model is kept."""
        from .store import ChromaStore, generations

        if not (self.settings.chroma_url and isinstance(self.store, ChromaStore)):
            return False  # an embedded folder, or parts wired by hand: nothing to follow
        name = generations.active_name(self.store.client, self.settings.collection, self.settings.chroma_retries)
        if name == self.store.collection_name:
            return False
        fresh = type(self).load(self.settings, embedder=self.embedder)
        fresh.retriever.warm()
        _ = fresh.allowed_sentences, getattr(fresh.composer, "blocks", None)
        self.store, self.retriever, self.composer, self.__dict__["allowed_sentences"] = \
            fresh.store, fresh.retriever, fresh.composer, fresh.allowed_sentences
        log.info("now answering from %s", fresh.store.collection_name)
        return True

    @cached_property
    def allowed_sentences(self) -> set[str]:
        return {u.text for u in self.retriever.units} | set(self.policy.own_wording)

    def ask(self, question: Any, history: Any = None, *, id: Any = None) -> Reply:
        """Answer one message; never raises: errors become a kind reply with the safety lines."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        verdict = Verdict(None)
        turns: tuple[Turn, ...] = ()
        try:
            question = question if isinstance(question, str) else ("" if question is None else str(question))
        except Exception:  # an object whose str() fails is no question at all
            question = ""
        try:
            turns = parse_history(history)
            verdict = self._timed(timings, "input_rails", self._check, question, turns)
            retrieval = self._timed(timings, "retrieve", self.retrieve, verdict, turns)
            draft = self._timed(timings, "compose", self.compose, verdict, retrieval, turns)
            reply = self._timed(timings, "output_rails", self.finish, question, verdict, draft, retrieval, turns, id)
            if retrieval is not None:
                timings.update({f"retrieve.{k}": v for k, v in retrieval.timings.items()})
            timings["total"] = time.perf_counter() - started
            return replace(reply, timings=_ms(timings))
        except StoreUnavailable as exc:
            return self._error(question, verdict, turns, timings, id, self.policy.wording.unavailable, exc)
        except Exception as exc:  # a person must never see a traceback
            log.error("ask failed: %s", exc.__class__.__name__)  # never the message text
            return self._error(question, verdict, turns, timings, id, self.policy.wording.error, exc)

    # -- the stages -------------------------------------------------------------------------

    def _check(self, question: str, turns: Sequence[Turn]) -> Verdict:
        """The input rails, with the question as retrieval will embed it: both go through one
        model run, and retrieval then finds its vector in the embedder's cache."""
        return self.rails.check(question, turns, also=self._query_texts(question))

    def _query_texts(self, question: str) -> tuple[str, ...]:
        """The text retrieval embeds for ``question``; empty when nothing would reuse it (an
        embedder without a cache, or a retriever that embeds nothing). Should retrieval come to
        embed another text, this costs one wasted row and changes nothing."""
        if not hasattr(self.embedder, "cache_clear"):
            return ()
        try:
            return self.retriever.query_texts(question)
        except Exception:  # e.g. the store is down: retrieval reports it in its own stage, as before
            return ()

    def retrieve(self, verdict: Verdict, turns: Sequence[Turn]) -> Retrieval | None:
        if verdict.category not in (None, "medical_advice"):
            return None
        reply_words = self.policy.page.reply
        turns = tuple(Turn(t.role, without_sources(t.content, reply_words)) if t.role == "assistant" else t for t in turns)
        previous = question_before(turns, self.policy)
        if previous and verdict.category is None and read_ask(verdict.text, self.policy).kind == "more":
            # "tell me more", "what else": the earlier question is what to search for; the composer
            # then leaves out what the replies since have already quoted.
            again = self.retriever.retrieve(previous, (), follow_up=False)
            return replace(again, query=f"{verdict.text} | {again.query}", follow_up=True)
        retrieval = self.retriever.retrieve(verdict.text, turns)
        plain = replace(verdict, risk="none")  # judged on its words: risk alone must not make it stand alone
        if turns and not retrieval.follow_up and verdict.category is None and not in_scope(plain, retrieval, self.policy.thresholds):
            # A question that cannot stand alone ("ok but where do I even start") is read with the conversation.
            again = self.retriever.retrieve(verdict.text, turns, follow_up=True)
            if in_scope(plain, again, self.policy.thresholds):
                return again
        return retrieval

    def compose(self, verdict: Verdict, retrieval: Retrieval | None, turns: Sequence[Turn] = ()) -> Draft:
        w, t = self.policy.wording, self.policy.thresholds
        if verdict.category == "crisis":
            return Draft("crisis")
        if verdict.category == "medical_advice":
            # Article lines go under the medical reply only when the question is within the article's scope: a fever,
            # a rash or a health topic it does not cover ("does vitamin d help with mood") never gets its lines.
            uncovered = retrieval is not None and uncovered_health(verdict, retrieval, self.policy, self.retriever.vocabulary)
            shared = None if verdict.in_scope is False or uncovered else retrieval
            return compose_medical(shared, self.policy, self.settings.max_body_words, self.composer.with_antecedents,
                                   urgent=self.rails.medical_emergency(verdict.text))
        if verdict.category == "small_talk":
            return Draft("small_talk", lead=getattr(w.small_talk, self.rails.small_talk_kind(verdict.text)))
        if verdict.category == "invalid":
            reason = next((r.reason for r in verdict.rails if r.rail == "invalid"), "unreadable")
            return Draft("invalid", lead=" ".join(getattr(w.invalid, reason, w.invalid.unreadable).split()))
        harm = verdict.risk != "none" and self.rails.names_harm(verdict.text)  # "writing my note now"; not "freeze my account"
        if verdict.category is None and retrieval is not None \
                and risk_without_answer(verdict, retrieval, t, harm):
            return Draft("crisis")
        # "summarize the article", or "tell me more" with nothing before it
        about_the_article = verdict.category is None and self._asks_about_the_article(verdict.text, turns)
        if verdict.category == "out_of_scope" or retrieval is None or not (about_the_article or in_scope(verdict, retrieval, t)) \
                or health_elsewhere(verdict, retrieval, self.policy, self.retriever.vocabulary):
            if self.rails.medical_emergency(verdict.text):  # "his speech is slurred, is this an emergency?": 911 first
                return compose_medical(None, self.policy, self.settings.max_body_words, urgent=True)
            return out_of_scope(self.policy, personal=personal_telling(verdict, self.policy))
        if verdict.risk != "none":
            retrieval = self._without_risky_quotes(retrieval)
        return self.composer.answer(verdict, retrieval, turns)

    def _asks_about_the_article(self, text: str, turns: Sequence[Turn] = ()) -> bool:
        """"summarize the article", or "tell me more" with nothing before it (``answers.more_alone``)."""
        kind = read_ask(text, self.policy).kind
        if kind == "more" and getattr(self.composer, "nothing_to_go_on", lambda _: False)(turns):  # optional (protocols.py)
            kind = self.policy.answers.more_alone
        return self.policy.answers.kind(kind).about_the_article

    def _without_risky_quotes(self, retrieval: Retrieval) -> Retrieval:
        """Someone who may be at risk is never shown lines like "They're better off without me"."""
        avoid = [normalize(a) for a in self.policy.crisis.avoid_quoting]
        keep = tuple(p for p in retrieval.passages if not any(a in normalize(p.text) for a in avoid))
        return replace(retrieval, passages=keep)

    def finish(self, question: str, verdict: Verdict, draft: Draft, retrieval: Retrieval | None, turns: Sequence[Turn], id: Any) -> Reply:
        first_turn = not any(t.role == "assistant" for t in turns)
        return finish(draft, self.policy, question=question, risk=verdict.risk, rails=verdict.rails,
                      allowed=self.allowed_sentences, first_turn=first_turn,
                      retrieved=retrieval.passages if retrieval else (), id=id)

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _timed(timings: dict[str, float], name: str, fn, *args):
        t = time.perf_counter()
        try:
            return fn(*args)
        finally:
            timings[name] = time.perf_counter() - t

    def _error(self, question, verdict, turns, timings, id, text, exc) -> Reply:
        # Crisis resources need no retrieval, so a crisis message still gets them when the store is down.
        if verdict.category is None and verdict.risk == "none":
            try:
                verdict = self.rails.crisis_patterns(question) or verdict
            except Exception:
                pass
        category = "crisis" if verdict.category == "crisis" else "invalid"
        draft = Draft(category, lead=" ".join(text.split()) if category != "crisis" else "")
        return finish(draft, self.policy, question=question, risk=verdict.risk, rails=verdict.rails,
                      first_turn=not any(t.role == "assistant" for t in turns), timings=_ms(timings), id=id,
                      error=f"{exc.__class__.__name__}: {exc}" if isinstance(exc, AssistantError) else exc.__class__.__name__)


def _ms(timings: dict[str, float]) -> dict[str, float]:
    return {k: v * 1000.0 for k, v in timings.items()}


def load_query_embedder(settings: Settings, model_dir) -> Embedder:
    """The embedder used for questions: ONNX when available (fast start), else sentence-transformers."""
    from .embeddings import SentenceTransformerEmbedder

    if settings.query_backend == "onnx":
        try:
            from .onnx_backend import OnnxEmbedder

            return OnnxEmbedder.open(model_dir, settings.model_sha256, cache_dir=settings.index_dir)
        except ImportError:
            pass
        except AssistantError:
            raise
    return SentenceTransformerEmbedder(model_dir, settings.model_sha256)


def ingest_embedder(settings: Settings, model_dir, query_embedder: Embedder) -> Embedder:
    """The embedder ingest uses: the question embedder itself, unless that is the ONNX export,
    which serves questions only; passages are then embedded with sentence-transformers, the
    source of truth for the model."""
    from .embeddings import SentenceTransformerEmbedder
    from .onnx_backend import OnnxEmbedder

    if isinstance(query_embedder, OnnxEmbedder):
        return SentenceTransformerEmbedder(model_dir, settings.model_sha256)
    return query_embedder
