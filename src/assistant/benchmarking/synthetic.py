"""Seeded synthetic corpora of any size, and vectors for them without running the model per chunk.

A corpus of N chunks is N/100 Markdown files of 100 list items each; an item is one to three
sentences drawn from a pool: the article's own sentences (one draw in ten) and filler sentences
generated from small word lists (everyday topics, so they act as distractors). Items have no
lead-in, so each chunk is one stored vector, and 100k chunks are 100k vectors.

Embedding 100k chunks with the real model would take far longer on two cores than the whole
benchmark may (about 5 ms each), so ``PoolEmbedder`` embeds every pool sentence once with the
real model (through ONNX, cached on disk) and gives a chunk the normalized mean of its sentences'
vectors. The geometry is realistic (real sentence vectors, chunks near their sentences), but a
chunk vector is not what the model would give for the whole chunk; ingest times at scale
therefore exclude model time, which ``ingesting`` measures on the real corpus.

Example::

    pool = sentence_pool(corpus_dir, seed=7)
    write_corpus(Path("work/corpus-1000"), pool, chunks=1000, seed=7)
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import numpy as np

from ..chunking import chunk_document
from ..corpus import read_corpus
from ..embeddings import DIM, _Base
from ..text import split_sentences

ITEMS_PER_FILE = 100
ITEMS_PER_SECTION = 25
FILLER_SENTENCES = 1500
ARTICLE_SHARE = 0.1
MAX_ITEM_CHARS = 590

_SUBJECTS = ["The night-shift baker", "A retired engineer", "The village choir", "Our new neighbour", "The harbour master",
             "A travelling botanist", "The school librarian", "An amateur astronomer", "The ferry captain",
             "A patient beekeeper", "The museum guide", "A young carpenter", "The orchard keeper", "The city council",
             "A visiting cellist", "The railway signalman", "A careful potter", "The lighthouse keeper", "A weekend cyclist",
             "The market trader", "The county surveyor", "A quiet bookbinder", "The tram driver", "A retired teacher",
             "The parish gardener"]
_VERBS = ["repainted", "catalogued", "measured", "repaired", "photographed", "rearranged", "inspected", "polished", "counted",
          "sketched", "restored", "labelled", "weighed", "tuned", "sorted", "cleaned", "mapped", "described", "collected",
          "moved"]
_OBJECTS = ["the copper kettles", "the old station clock", "a crate of winter apples", "the brass telescope",
            "the chapel windows", "a stack of tide tables", "the narrow footbridge", "the walnut bookshelves",
            "a row of clay pots", "the signal lamps", "the wooden rowing boats", "a box of seed packets", "the iron railings",
            "the granite steps", "the faded street maps", "a basket of river stones", "the spare bicycle wheels",
            "the glass beehives", "the tram timetable", "the stone sundial", "the village noticeboard",
            "a jar of copper coins", "the ferry ropes", "the pipe organ", "the garden greenhouse"]
_PLACES = ["near the old harbour", "behind the town hall", "at the edge of the orchard", "in the covered market",
           "beside the canal", "on the north pier", "in the railway museum", "under the chestnut trees", "at the county fair",
           "inside the bell tower", "along the river path", "in the school courtyard", "by the lighthouse",
           "at the weekly auction", "in the botanical garden"]
_TIMES = ["before dawn", "after the spring rain", "during the long weekend", "on a windy afternoon", "every second Tuesday",
          "late in the autumn", "before the tourists arrived", "while the tide was out", "after the evening concert",
          "at the start of the season", "during the first frost", "on market day"]
_NOTES = ["", "", "", " with great care", " for the annual report", " without any help", " for the visitors",
          " as the records required", " twice over", " with borrowed tools"]


def filler_sentences(n: int, seed: int) -> list[str]:
    """``n`` distinct sentences from the word lists above, the same for the same seed."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        words = [rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_OBJECTS), rng.choice(_PLACES), rng.choice(_TIMES)]
        s = " ".join(words) + rng.choice(_NOTES) + "."
        out.setdefault(s, None)
    return list(out)


def article_sentences(corpus_dir: Path) -> list[str]:
    """Sentences of the real articles that split back out of a joined item unchanged."""
    docs, _ = read_corpus(corpus_dir)
    pieces = {p for d in docs for u in chunk_document(d) for p in split_sentences(u.text)}
    return sorted(p for p in pieces if re.match(r"^[A-Z\u201c\"']", p) and re.search(r"[.!?\u201d\"]$", p))


def sentence_pool(corpus_dir: Path, seed: int) -> tuple[list[str], list[str]]:
    """(article sentences, filler sentences) for ``write_corpus`` and ``PoolEmbedder``."""
    return article_sentences(corpus_dir), filler_sentences(FILLER_SENTENCES, seed)


def write_corpus(folder: Path, pool: tuple[list[str], list[str]], chunks: int, seed: int) -> Path:
    """Write a corpus of ``chunks`` list items into ``folder`` (replacing what was there)."""
    article, filler = pool
    rng = random.Random(f"{seed}-{chunks}")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    for f in range((chunks + ITEMS_PER_FILE - 1) // ITEMS_PER_FILE):
        n_items = min(ITEMS_PER_FILE, chunks - f * ITEMS_PER_FILE)
        lines = ["---", f'title: "Synthetic notes {f:05d}"', "publisher: benchmark", "---", "", f"# Synthetic notes {f:05d}", ""]
        for i in range(n_items):
            if i % ITEMS_PER_SECTION == 0:
                lines += ["", f"## Part {i // ITEMS_PER_SECTION + 1}", ""]
            item = ""
            for _ in range(rng.randint(1, 3)):
                sentence = rng.choice(article if rng.random() < ARTICLE_SHARE else filler)
                if len(item) + len(sentence) < MAX_ITEM_CHARS:  # longer items would be split by the chunker
                    item = f"{item} {sentence}".strip()
            lines.append(f"- {item or filler[0]}")
        (folder / f"notes-{f:05d}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


class PoolEmbedder(_Base):
    """Chunk vector = normalized mean of its sentences' real-model vectors (see the module docstring).

    Sentences outside the pool (there should be none) go to ``fallback`` and are counted."""

    name = "pool"

    def __init__(self, sentences: list[str], vectors: np.ndarray, fallback=None):
        self.index = {s: i for i, s in enumerate(sentences)}
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.fallback = fallback
        self.misses = 0
        self.model_sha256 = "pool-" + hashlib.sha256("\x1e".join(sentences).encode()).hexdigest()[:16]

    @classmethod
    def build(cls, pool: tuple[list[str], list[str]], embedder, cache: Path) -> PoolEmbedder:
        """Embed the pool with ``embedder`` once; later runs read the vectors from ``cache``."""
        sentences = sorted(set(pool[0]) | set(pool[1]))
        model = getattr(embedder, "model_sha256", embedder.name)
        key = hashlib.sha256(("\x1e".join(sentences) + model).encode()).hexdigest()[:16]
        path = Path(cache) / f"pool-{key}.npy"
        if path.is_file():
            vectors = np.load(path)
        else:
            vectors = embedder.encode(sentences)
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, vectors)
        return cls(sentences, vectors, fallback=embedder)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            idx = []
            for piece in split_sentences(text):
                if piece in self.index:
                    idx.append(self.index[piece])
                elif self.fallback is not None:
                    self.misses += 1
                    out[row] += self.fallback.encode([piece])[0]
            if idx:
                out[row] += self.vectors[idx].sum(axis=0)
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out
