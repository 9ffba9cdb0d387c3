"""Lexical features for the safety heads: word and character n-gram TF-IDF, in numpy.

The sentence embedding reads meaning; some cues that carry from one source of messages to
another are words (method and amount words, "dose", "mg", "unalive") and word pieces that a
typo or a disguise leaves intact. This module turns a text into a sparse TF-IDF vector over a
capped vocabulary: word 1-2 grams and character 3-5 grams within word boundaries (as
scikit-learn's ``char_wb``), sublinear term frequency, smoothed idf, each block L2-normalised
and scaled by ``1/sqrt(2)``, so the whole vector has unit length like the embedding.

The same ``Lexicon.features`` builds the training matrix and reads a message at run time, so
what was learned and what is applied cannot drift apart; every text is read after
``text.deobfuscate`` and lower-casing ("su1c1de" counts as "suicide").

Example::

    lexicon = Lexicon.fit(texts, max_features=10000)
    rows = lexicon.sparse(["how many mg would it take"])   # (indices, values) per text
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..text import deobfuscate

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_SPACES = re.compile(r"\s\s+")
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (3, 5)
MIN_DF = 2  # a feature seen in one training message only is noise


def _read(text: str) -> str:
    return deobfuscate(text).lower()


def word_grams(text: str) -> list[str]:
    tokens = _TOKEN.findall(text)
    return [" ".join(tokens[i : i + n]) for n in range(WORD_NGRAMS[0], WORD_NGRAMS[1] + 1) for i in range(len(tokens) - n + 1)]


def char_grams(text: str) -> list[str]:
    """Character n-grams of each word padded with one space each side (a short word counts once)."""
    out: list[str] = []
    for word in _SPACES.sub(" ", text).split():
        w = f" {word} "
        for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1):
            if len(w) <= n:
                out.append(w)
                break
            out.extend(w[i : i + n] for i in range(len(w) - n + 1))
    return out


_ANALYZERS = (word_grams, char_grams)


@dataclass(frozen=True)
class Lexicon:
    """Two vocabularies (word n-grams, then character n-grams) with their idf weights; a
    feature's column is its position in ``words`` then ``chars``."""

    words: tuple[str, ...]
    chars: tuple[str, ...]
    idf: np.ndarray  # len(words) + len(chars)

    @classmethod
    def fit(cls, texts: Sequence[str], max_features: int) -> "Lexicon":
        """The ``max_features`` most frequent features of each kind (by document frequency, ties
        alphabetical, at least ``MIN_DF`` messages), with idf ``ln((1+n)/(1+df)) + 1``."""
        read = [_read(t) for t in texts]
        vocabularies, idf = [], []
        for analyze in _ANALYZERS:
            df = Counter(f for t in read for f in set(analyze(t)))
            kept = sorted((f for f, c in df.items() if c >= MIN_DF), key=lambda f: (-df[f], f))[:max_features]
            kept.sort()
            vocabularies.append(tuple(kept))
            idf += [math.log((1 + len(read)) / (1 + df[f])) + 1.0 for f in kept]
        return cls(vocabularies[0], vocabularies[1], np.array(idf, dtype=np.float64))

    @property
    def size(self) -> int:
        return len(self.words) + len(self.chars)

    def _columns(self) -> tuple[dict[str, int], dict[str, int]]:
        cols = self.__dict__.get("_cols")
        if cols is None:
            cols = ({f: i for i, f in enumerate(self.words)}, {f: len(self.words) + i for i, f in enumerate(self.chars)})
            object.__setattr__(self, "_cols", cols)  # a lookup table built once, not state
        return cols

    def sparse(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per text, the columns and values of its unit-length TF-IDF vector."""
        out = []
        for text in texts:
            read = _read(text)
            idx_all, val_all = [], []
            for analyze, columns in zip(_ANALYZERS, self._columns()):
                counts = Counter(f for f in analyze(read) if f in columns)
                if not counts:
                    continue
                idx = np.fromiter((columns[f] for f in counts), dtype=np.int64, count=len(counts))
                val = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[idx]
                idx_all.append(idx)
                val_all.append(val / np.linalg.norm(val) / math.sqrt(len(_ANALYZERS)))
            if idx_all:
                out.append((np.concatenate(idx_all), np.concatenate(val_all)))
            else:
                out.append((np.zeros(0, dtype=np.int64), np.zeros(0)))
        return out

    def matrix(self, texts: Sequence[str]):
        """The features of ``texts`` as a scipy CSR matrix (training only)."""
        import scipy.sparse as sp

        rows = self.sparse(texts)
        indptr = np.cumsum([0] + [len(i) for i, _ in rows])
        indices = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        data = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        return sp.csr_matrix((data, indices, indptr), shape=(len(rows), self.size))

    def dot(self, texts: Sequence[str], weights: np.ndarray) -> np.ndarray:
        """``features(texts) @ weights.T`` for ``weights`` of shape heads × size, without a dense matrix."""
        out = np.zeros((len(texts), weights.shape[0]))
        for r, (idx, val) in enumerate(self.sparse(texts)):
            if len(idx):
                out[r] = weights[:, idx] @ val
        return out
