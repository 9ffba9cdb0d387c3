"""The keyword side of hybrid retrieval: BM25 (bm25s) over each unit's text, lead-in and the
questions it answers, with English stemming and stop words.

Example::

    index = KeywordIndex(store.units())
    index.scores("why do I feel guilty")   # one BM25 score per unit, in the units' order
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .types import Unit


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
