"""Exemplar similarity: the pieces a message is judged by, and how close each piece is to the
exemplar messages of every label (``guardrails/exemplars.yaml``).

The input rails (``safety.py``) read a message through ``windows`` and compare every window with
the exemplars by cosine similarity (mean of the 3 nearest); ``Similarities.best`` says whether a
label wins somewhere by a threshold and a margin over other labels in the same window.

Example::

    index = ExemplarIndex(policy, embedder)
    sims = index.scores(embedder.encode(windows("long day. i want to disappear")))
    sims.best(("crisis_possible",), ("off_topic",), 0.45, 0.03)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np

from .embeddings import Embedder, encode_cached
from .policy import EXEMPLAR_LABELS, Policy

TOP_N = 3
MAX_WINDOWS = 400
_CLAUSES = re.compile(r"[.!?\n;]+|\s[-–—]\s|,\s+(?=(?:and |but |so )?i\b)")


_PHRASES = re.compile(r"[.!?\n;,:]+|\s[-–—]\s|\b(?:and|but|because)\b")


def phrases(text: str, min_words: int = 4) -> list[str]:
    """The message's clauses, split also at "and", "but" and "because"; a phrase shorter
    than ``min_words`` goes with the one before it ("everyone would be better off without me.
    tonight."), so it is read with what it qualifies."""
    out: list[str] = []
    for part in (p.strip() for p in _PHRASES.split(text)):
        if not part:
            continue
        if out and len(part.split()) < min_words:
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def windows(text: str, max_words: int = 60) -> list[str]:
    """The pieces a message is judged by: the whole message if short, each clause, and
    overlapping 25-word windows of long clauses, so risk buried in a long message is seen."""
    parts = [p.strip() for p in _CLAUSES.split(text) if p and len(p.strip()) > 1]
    out = [text] if len(text.split()) <= max_words else []
    for part in parts:
        tokens = part.split()
        if len(tokens) <= 30:
            out.append(part)
        else:
            out.extend(" ".join(tokens[i : i + 25]) for i in range(0, len(tokens) - 12, 12))
    seen: dict[str, None] = {}
    for w in out:
        seen.setdefault(w, None)
    return list(seen)[:MAX_WINDOWS] or [text]


class ExemplarIndex:
    """Unit vectors of every exemplar, per label; cached on disk next to the index."""

    def __init__(self, policy: Policy, embedder: Embedder, cache_dir: Path | None = None):
        self.labels = EXEMPLAR_LABELS
        texts = [t for label in self.labels for t in policy.exemplars[label]]
        matrix = encode_cached(embedder, texts, cache_dir, "exemplars")
        self.matrices: dict[str, np.ndarray] = {}
        self.texts: dict[str, tuple[str, ...]] = {}
        start = 0
        for label in self.labels:
            n = len(policy.exemplars[label])
            self.matrices[label] = matrix[start : start + n]
            self.texts[label] = policy.exemplars[label]
            start += n

    def scores(self, vectors: np.ndarray) -> "Similarities":
        """Per label and window: the mean of the 3 nearest exemplars' similarities."""
        per_window, nearest = {}, {}
        for label, m in self.matrices.items():
            sims = vectors @ m.T  # windows × exemplars
            k = min(TOP_N, sims.shape[1])
            per_window[label] = -np.sort(-sims, axis=1)[:, :k].mean(axis=1)
            nearest[label] = np.argmax(sims, axis=1)
        return Similarities(per_window, {l: [self.texts[l][i] for i in idx] for l, idx in nearest.items()})


class Similarities:
    """Exemplar similarities of a message's windows. ``sims[label]`` is the best window's
    ``(score, window, nearest exemplar)``; ``margin`` compares labels within the same window, so
    an on-topic question elsewhere in a long message cannot hide a disclosure."""

    def __init__(self, per_window: dict[str, np.ndarray], nearest: dict[str, list[str]]):
        self.per_window = per_window
        self.nearest = nearest
        # The learned classifier's probabilities for the message (set by ``InputRails._similarities``):
        # risk, clear and medical from the highest window, topic from the mean, and ``risk_whole``
        # from the message read whole; empty without one.
        self.learned: dict[str, float] = {}
        # The same, of the message's windows read without its time words ("tonight"), when it names one
        # and a classifier is wired (set by ``InputRails._similarities``); else None.
        self.plain: Similarities | None = None

    def __getitem__(self, label: str) -> tuple[float, int, str]:
        w = int(np.argmax(self.per_window[label]))
        return float(self.per_window[label][w]), w, self.nearest[label][w]

    def best(self, labels: Sequence[str], against: Sequence[str], threshold: float, margin: float) -> tuple[float, str] | None:
        """The best window where the top of ``labels`` reaches ``threshold`` and beats every label
        of ``against`` in that window by ``margin``; ``None`` if there is no such window."""
        mine = np.max(np.stack([self.per_window[l] for l in labels]), axis=0)
        other = np.max(np.stack([self.per_window[l] for l in against]), axis=0)
        ok = (mine >= threshold) & (mine >= other + margin)
        if not ok.any():
            return None
        w = int(np.argmax(np.where(ok, mine, -np.inf)))
        label = max(labels, key=lambda l: self.per_window[l][w])
        return float(mine[w]), self.nearest[label][w]
