"""Hybrid retrieval over article units: dense (Chroma) + keyword (BM25), fused, with typo
correction and follow-up resolution.

- Typos: a query word that is neither an English word (the model's own vocabulary) nor a word of
  the corpus is replaced by the closest corpus word (rapidfuzz), if one is close enough.
- Follow-ups: a short question, or one that leans on "that / it / this / they", is read together
  with the previous user question; units already quoted in the last reply are ranked lower.
- Fusion: weighted reciprocal rank fusion of the dense and keyword rankings; the dense cosine of
  the best unit is kept as the relevance signal that decides whether a question is in scope.

Example::

    retriever = HybridRetriever(store, embedder, mode="hybrid")
    result = retriever.retrieve("why do i ignore mesages?", history=[])
"""

from __future__ import annotations

import re
import time
from functools import cached_property
from typing import Sequence

import numpy as np

from .embeddings import Embedder
from .store import Store
from .text import Speller, normalize, strip_citations, words
from .types import Passage, Retrieval, Turn, Unit

RRF_K = 10
WEIGHTS = {"dense": 1.0, "keyword": 1.0}
SEEN_PENALTY = 0.5
QUESTION_OFFSET = 0.0  # how much a doc2query match must exceed a passage match to count as much
_ANAPHORA = re.compile(r"\b(that|this|it|these|those|they|them|such|the (first|second|third|last|other) one|more|else|same)\b|^(and|so|but|or|what about|how about)\b")
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1,
             "final": -1, "next": 0}
_ORDINAL = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|last|final)\b(?! (time|night|week|year|month|day))")
ORDINAL_BOOST = 1.0
_STOP = {"i", "me", "my", "you", "your", "the", "a", "an", "is", "are", "do", "does", "to", "of", "and", "or", "it", "that",
         "this", "so", "what", "why", "how", "can", "should", "be", "in", "on", "for", "with", "about", "if", "im", "i'm"}


def english_vocabulary(model_dir) -> set[str]:
    """Whole words of the model's WordPiece vocabulary: a 20k-word English dictionary we already ship."""
    try:
        lines = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
    except OSError:
        return set()
    return {w for w in lines if w.isalpha() and w.islower()}


class KeywordIndex:
    """BM25 (bm25s) over each unit's text and lead-in, with English stemming."""

    def __init__(self, units: Sequence[Unit]):
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        self.units = list(units)
        corpus = [" ".join((u.lead_in, u.text, *u.questions)) for u in self.units]
        tokens = bm25s.tokenize(corpus, stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.retriever = bm25s.BM25()
        self.retriever.index(tokens, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        q = self._bm25s.tokenize([query], stopwords="en", stemmer=self.stemmer, show_progress=False, return_ids=False)[0]
        if not q or not self.units:
            return np.zeros(len(self.units), dtype=np.float32)
        return np.asarray(self.retriever.get_scores(q), dtype=np.float32)


def is_follow_up(question: str) -> bool:
    """Short, or leaning on an earlier turn ("is that normal?", "so how do I fix it?")."""
    tokens = words(question)
    content = [t for t in tokens if t not in _STOP]
    return len(content) <= 2 or bool(_ANAPHORA.search(normalize(question))) and len(tokens) <= 12


def _last(history: Sequence[Turn], role: str) -> str:
    for turn in reversed(history):
        if turn.role == role and turn.content.strip():
            return turn.content
    return ""


class HybridRetriever:
    """Ranks units for a question; ``mode`` is "hybrid", "dense" or "keyword"."""

    def __init__(self, store: Store, embedder: Embedder, *, mode: str = "hybrid", top_k: int = 8, english: set[str] | None = None):
        self.store = store
        self.embedder = embedder
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
    def speller(self) -> Speller:
        vocab = {w for u in self.units for w in words(f"{u.lead_in} {u.text}")}
        return Speller(vocab, self._english)

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

    def warm(self) -> None:
        """Load units, the keyword index and the speller now rather than on the first question."""
        _ = self.keyword, self.speller, self.by_id

    def _named_by_ordinal(self, question: str, reply: str) -> int | None:
        """The unit that "the second one" / "the last reason" points to among those quoted in the last reply."""
        match = _ORDINAL.search(normalize(question))
        if not match or not reply:
            return None
        said = " ".join(words(reply))
        quoted = sorted((said.find(key), i) for i, key in self.unit_keys.items() if key and key in said)
        items = [i for _, i in quoted if self.units[i].kind == "item"] or [i for _, i in quoted]
        k = _ORDINALS[match.group(1)]
        if not items or k > len(items):
            return None
        return items[k - 1] if k > 0 else items[-1]

    def retrieve(self, question: str, history: Sequence[Turn] = (), *, follow_up: bool | None = None) -> Retrieval:
        """Rank units for ``question``; ``follow_up`` forces (True) or forbids (False) reading it with the previous question."""
        timings: dict[str, float] = {}
        t = time.perf_counter()
        lean = is_follow_up(question) if follow_up is None else follow_up
        previous = _last(history, "user") if history and lean else ""
        seen = strip_citations(_last(history, "assistant")) if previous else ""
        query = self.speller.correct(question)
        prev_query = self.speller.correct(previous) if previous else ""
        timings["rewrite"] = time.perf_counter() - t

        n = len(self.units)
        dense = np.full(n, -1.0, dtype=np.float32)
        asked = np.full(n, -1.0, dtype=np.float32)
        if self.mode in ("hybrid", "dense"):
            t = time.perf_counter()
            vecs = self.embedder.encode([query, prev_query] if prev_query else [query])
            vec = vecs[0] + 0.8 * vecs[1] if prev_query else vecs[0]
            vec = vec / (np.linalg.norm(vec) or 1.0)
            timings["embed"] = time.perf_counter() - t
            t = time.perf_counter()
            for hit in self.store.query(vec, min(n, max(3 * self.top_k, 24))):
                if hit.unit_id in self.by_id:
                    dense[self.by_id[hit.unit_id]] = hit.similarity
                    asked[self.by_id[hit.unit_id]] = hit.question
            timings["dense"] = time.perf_counter() - t
        keyword = np.zeros(n, dtype=np.float32)
        if self.mode in ("hybrid", "keyword"):
            t = time.perf_counter()
            keyword = self.keyword.scores(f"{query} {prev_query}".strip())
            timings["keyword"] = time.perf_counter() - t

        t = time.perf_counter()
        fused = np.zeros(n, dtype=np.float32)
        if self.mode in ("hybrid", "dense"):
            # A unit's dense score is the better of its own text and the questions it answers.
            semantic = np.maximum(dense, asked - QUESTION_OFFSET)
            fused += _rrf(semantic, valid=semantic > -1.0) * WEIGHTS["dense"]
        if self.mode in ("hybrid", "keyword"):
            fused += _rrf(keyword, valid=keyword > 0) * WEIGHTS["keyword"]
        named = self._named_by_ordinal(question, seen) if seen else None
        if seen:
            # Only units that scored can be penalized, so look only at those.
            for i in np.flatnonzero(fused):
                if i != named and self.units[i].text in seen:
                    fused[i] *= SEEN_PENALTY
        if named is not None:
            fused[named] += ORDINAL_BOOST
        order = [i for i in np.argsort(-fused, kind="stable") if fused[i] > 0][: self.top_k]
        passages = tuple(
            Passage(u.id, u.source, u.text, float(fused[i]), u.section, u.position, u.kind, u.lead_in,
                    dense=float(dense[i]) if dense[i] > -1.0 else None, keyword=float(keyword[i]),
                    question=float(asked[i]) if asked[i] > -1.0 else None)
            for i in order
            for u in [self.units[i]]
        )
        relevance = float(dense.max()) if self.mode != "keyword" and n else _keyword_relevance(keyword)
        confidence = max(relevance, float(asked.max()) if n else 0.0)
        timings["fusion"] = time.perf_counter() - t
        return Retrieval(passages, query if not prev_query else f"{query} | {prev_query}", relevance, timings, bool(prev_query), confidence)


def _rrf(scores: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Reciprocal-rank-fusion contribution 1/(k + rank) for every valid score (rank from 1)."""
    out = np.zeros(len(scores), dtype=np.float32)
    order = np.argsort(-scores, kind="stable")
    ranked = order[valid[order]]
    out[ranked] = 1.0 / (RRF_K + np.arange(1, len(ranked) + 1, dtype=np.float32))
    return out


def _keyword_relevance(scores: np.ndarray) -> float:
    top = float(scores.max()) if scores.size else 0.0
    return top / (top + 5.0)


__all__ = ["HybridRetriever", "KeywordIndex", "english_vocabulary", "is_follow_up"]
