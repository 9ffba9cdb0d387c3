"""Hybrid retrieval over article units: dense (Chroma) + keyword (BM25), fused, with typo
correction and follow-up resolution.

- Typos: a query word that is neither an English word (the model's own vocabulary) nor a word of
  the corpus is replaced by the closest corpus word (rapidfuzz), if one is close enough.
- Follow-ups (queries.py says which messages are): read with the previous user question, whose
  vector and keywords weigh less than the message's own. Units the last reply already conveyed
  (quoted or paraphrased) rank lower unless the message names them again; "the second one" lifts
  that item of the list the reply talked about; after a list's lead-in, its items are lifted.
- Stories: a message of several sentences is also searched sentence by sentence, and those
  rankings are fused in, so one telling detail ("she'd be disappointed in me") is not drowned
  by the rest of the story.
- Fusion: weighted reciprocal rank fusion of the dense and keyword rankings; the dense cosine of
  the best unit is kept as the relevance signal that decides whether a question is in scope.

Example::

    retriever = HybridRetriever(store, embedder, reader=QueryReader.load(Path("guardrails")), mode="hybrid")
    result = retriever.retrieve("why do i ignore mesages?", history=[])
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import Sequence

import numpy as np

from .bm25 import KeywordIndex
from .embeddings import Embedder
from .protocols import Store
from .queries import STOP, QueryReader, content_words, said_in, sentences
from .text import Speller, clean, strip_citations, words
from .types import Passage, Retrieval, Turn, Unit, opens_list

RRF_K = 10
WEIGHTS = {"dense": 1.0, "keyword": 1.0}
SEEN_PENALTY = 0.5
QUESTION_OFFSET = 0.0  # how much a doc2query match must exceed a passage match to count as much
PREV_WEIGHT = 0.3  # weight of the previous question (vector and keywords) in a follow-up's query
PART_WEIGHT = 1.0  # weight of the per-sentence dense rankings of a long message, next to the whole message's
ORDINAL_BOOST = 1.0
LEAD_IN_BOOST = 0.5  # share of the best fused score added to the items of a list whose lead-in was just said


def english_vocabulary(model_dir) -> set[str]:
    """Whole words of the model's WordPiece vocabulary: a 20k-word English dictionary we already ship."""
    try:
        lines = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
    except OSError:
        return set()
    return {w for w in lines if w.isalpha() and w.islower()}


def _last(history: Sequence[Turn], role: str) -> str:
    for turn in reversed(history):
        if turn.role == role and turn.content.strip():
            return turn.content
    return ""


class HybridRetriever:
    """Ranks units for a question; ``mode`` is "hybrid", "dense" or "keyword"."""

    def __init__(self, store: Store, embedder: Embedder, *, reader: QueryReader, mode: str = "hybrid", top_k: int = 8,
                 english: set[str] | None = None):
        self.store = store
        self.embedder = embedder
        self.reader = reader
        self.mode = mode
        self.top_k = top_k
        self._english = english or set()

    @cached_property
    def units(self) -> list[Unit]:
        return self.store.units()

    @cached_property
    def by_id(self) -> dict[str, int]:
        return {u.id: i for i, u in enumerate(self.units)}

    @cached_property
    def keyword(self) -> KeywordIndex:
        return KeywordIndex(self.units)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every word of the articles in the store (their units and list lead-ins)."""
        return frozenset(w for u in self.units for w in words(f"{u.lead_in} {u.text}"))

    @cached_property
    def speller(self) -> Speller:
        return Speller(set(self.vocabulary), self._english)

    @cached_property
    def unit_keys(self) -> dict[int, str]:
        """How a reply refers to a unit: a list item's label ("guilt and shame"), else its opening words."""
        keys = {}
        for i, u in enumerate(self.units):
            if u.text.endswith(":"):
                continue
            head, sep, _ = u.text.partition(":")
            keys[i] = " ".join(words(head) if sep and len(head) <= 40 else words(u.text)[:6])
        return keys

    @cached_property
    def lead_ins(self) -> dict[tuple[str, int], str]:
        """Each list's lead-in sentence by (source, section); a bare "Consider:" with the sentence before it."""
        leads = {}
        for j, u in enumerate(self.units):
            if opens_list(u):
                before = self.units[j - 1] if j > 0 else None
                short = len(content_words(u.text)) < 3 and before is not None and (before.source, before.section) == (u.source, u.section)
                leads[(u.source, u.section)] = f"{self.units[j - 1].text} {u.text}" if short else u.text
        return leads

    @cached_property
    def list_items(self) -> dict[tuple[str, int], list[int]]:
        """The list items of each (source, section), in order: what a said lead-in lifts."""
        items: dict[tuple[str, int], list[int]] = {}
        for i, u in enumerate(self.units):
            if u.kind == "item":
                items.setdefault((u.source, u.section), []).append(i)
        return items

    def warm(self) -> None:
        """Load units, the keyword index and the speller now rather than on the first question."""
        _ = self.keyword, self.speller, self.by_id

    def query_texts(self, question: str) -> tuple[str, ...]:
        """The text ``retrieve`` embeds for ``question`` first (its speller's correction of the
        cleaned message); () in keyword mode, which embeds nothing."""
        if self.mode not in ("hybrid", "dense"):
            return ()
        return (self.speller.correct(clean(question)),)

    def _stems(self, text: str) -> set[str]:
        return set(self.keyword.stemmer.stemWords([w for w in words(text) if w not in STOP and len(w) > 2]))

    def _mentioned(self, i: int, reply_words: list[str]) -> bool:
        """A list item the reply names: its label, or its first two content words in a row."""
        key = self.unit_keys.get(i, "")
        said = f" {' '.join(reply_words)} "
        if key and f" {key} " in said:
            return True
        head = [w for w in words(self.units[i].text) if w not in STOP][:2]
        flow = f" {' '.join(w for w in reply_words if w not in STOP)} "
        return len(head) == 2 and f" {head[0]} {head[1]} " in flow

    def _named_by_ordinal(self, question: str, reply: str) -> int | None:
        """The item that "the second one" / "the last reason" points to: among the items of the list
        the last reply talked about, in article order (replies quote in article order)."""
        k = self.reader.ordinal(question)
        if k is None or not reply:
            return None
        reply_words = words(reply)
        mentioned = [i for i, u in enumerate(self.units) if u.kind == "item" and self._mentioned(i, reply_words)]
        if not mentioned:
            return None
        lists: dict[tuple[str, str], list[int]] = {}
        for i in mentioned:
            lists.setdefault((self.units[i].source, self.units[i].lead_in), []).append(i)
        items = max(lists.values(), key=len)
        if k > len(items):
            whole = [i for i, u in enumerate(self.units) if u.kind == "item" and (u.source, u.lead_in) == (self.units[items[0]].source, self.units[items[0]].lead_in)]
            items = whole if k <= len(whole) else items
        if k > len(items):
            return None
        return items[k - 1] if k > 0 else items[-1]

    def _dense(self, vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per unit: best cosine of its text or context rows, and of its doc2query question rows (-1: not among the nearest)."""
        n = len(self.units)
        dense = np.full(n, -1.0, dtype=np.float32)
        answers = np.full(n, -1.0, dtype=np.float32)
        for hit in self.store.query(vec, min(n, max(3 * self.top_k, 24))):
            if hit.unit_id in self.by_id:
                dense[self.by_id[hit.unit_id]] = hit.similarity
                answers[self.by_id[hit.unit_id]] = hit.question
        return dense, answers

    def retrieve(self, question: str, history: Sequence[Turn] = (), *, follow_up: bool | None = None) -> Retrieval:
        """Rank units for ``question``; ``follow_up`` forces (True) or forbids (False) reading it with the previous question."""
        timings: dict[str, float] = {}
        t = time.perf_counter()
        lean = self.reader.is_follow_up(question) if follow_up is None else follow_up
        previous = _last(history, "user") if history and lean else ""
        seen = strip_citations(_last(history, "assistant")) if previous else ""
        query = self.speller.correct(question)
        prev_query = self.speller.correct(previous) if previous else ""
        parts = sentences(query)
        timings["rewrite"] = time.perf_counter() - t

        n = len(self.units)
        dense = np.full(n, -1.0, dtype=np.float32)
        answers = np.full(n, -1.0, dtype=np.float32)
        by_part = np.zeros(n, dtype=np.float32)
        if self.mode in ("hybrid", "dense"):
            t = time.perf_counter()
            vecs = self.embedder.encode([query] + ([prev_query] if prev_query else []) + parts)
            vec = _unit(vecs[0]) + (PREV_WEIGHT * _unit(vecs[1]) if prev_query else 0.0)
            timings["embed"] = time.perf_counter() - t
            t = time.perf_counter()
            dense, answers = self._dense(_unit(vec))
            for part_vec in vecs[len(vecs) - len(parts):] if parts else ():
                part_dense, part_answers = self._dense(_unit(part_vec))
                part = np.maximum(part_dense, part_answers - QUESTION_OFFSET)
                by_part += _rrf(part, valid=part > -1.0) / len(parts)
            timings["dense"] = time.perf_counter() - t
        keyword = np.zeros(n, dtype=np.float32)
        if self.mode in ("hybrid", "keyword"):
            t = time.perf_counter()
            keyword = self.keyword.scores(query)
            if prev_query:
                keyword = keyword + PREV_WEIGHT * self.keyword.scores(prev_query)
            timings["keyword"] = time.perf_counter() - t

        t = time.perf_counter()
        fused = np.zeros(n, dtype=np.float32)
        if self.mode in ("hybrid", "dense"):
            # A unit's dense score is the better of its own text and the questions it answers.
            semantic = np.maximum(dense, answers - QUESTION_OFFSET)
            fused += _rrf(semantic, valid=semantic > -1.0) * WEIGHTS["dense"]
            fused += by_part * PART_WEIGHT
        if self.mode in ("hybrid", "keyword"):
            fused += _rrf(keyword, valid=keyword > 0) * WEIGHTS["keyword"]
        named = self._named_by_ordinal(question, seen) if seen else None
        if seen:
            # What the last reply already said ranks lower, unless this question names it again
            # ("the guilt one, can you say more"). Only units that scored can be penalized.
            named_now = self._stems(question)
            for i in np.flatnonzero(fused):
                if i != named and said_in(seen, self.units[i].text, self.unit_keys.get(i, "")) \
                        and not named_now & self._stems(self.units[i].text):
                    fused[i] *= SEEN_PENALTY
        if seen:
            # After a reply that gave a list's lead-in ("It creates a confusing emotional tug-of-war:"),
            # the list's items are what a vague follow-up ("what does that look like?") asks for.
            top = float(fused.max()) if n else 0.0
            for key, text in self.lead_ins.items():
                if said_in(seen, text, ""):
                    for i in self.list_items.get(key, ()):
                        if not said_in(seen, self.units[i].text, self.unit_keys.get(i, "")):
                            fused[i] += LEAD_IN_BOOST * top
        if named is not None:
            fused[named] += ORDINAL_BOOST
        order = _ranked(fused, fused > 0)[: self.top_k]
        passages = tuple(
            Passage(u.id, u.source, u.text, float(fused[i]), u.section, u.position, u.kind, u.lead_in,
                    dense=float(dense[i]) if dense[i] > -1.0 else None, keyword=float(keyword[i]),
                    question=float(answers[i]) if answers[i] > -1.0 else None, title=u.title, publisher=u.publisher)
            for i in order
            for u in [self.units[i]]
        )
        relevance = float(dense.max()) if self.mode != "keyword" and n else _keyword_relevance(keyword)
        confidence = max(relevance, float(answers.max()) if n else 0.0)
        timings["fusion"] = time.perf_counter() - t
        return Retrieval(passages, query if not prev_query else f"{query} | {prev_query}", relevance, timings, bool(prev_query), confidence)


def _unit(vec: np.ndarray) -> np.ndarray:
    return vec / (np.linalg.norm(vec) or 1.0)


def _ranked(scores: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Indices of the valid scores, best first, ties in index order. Sorting only the valid
    entries (a few hundred of 100k units) keeps fusion flat as the corpus grows; the order is
    the one a stable sort of every score would give."""
    idx = np.flatnonzero(valid)
    return idx[np.argsort(-scores[idx], kind="stable")]


def _rrf(scores: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Reciprocal-rank-fusion contribution 1/(k + rank) for every valid score (rank from 1)."""
    out = np.zeros(len(scores), dtype=np.float32)
    ranked = _ranked(scores, valid)
    out[ranked] = 1.0 / (RRF_K + np.arange(1, len(ranked) + 1, dtype=np.float32))
    return out


def _keyword_relevance(scores: np.ndarray) -> float:
    top = float(scores.max()) if scores.size else 0.0
    return top / (top + 5.0)


__all__ = ["HybridRetriever", "KeywordIndex", "english_vocabulary"]
