"""Ingest throughput against bare batch encoding of the very same texts, and an unchanged re-ingest.

The model and chromadb are loaded before any timing, so both figures are steady-state (the
imports are in the cold-start figures). ``ingest`` is run with ``rebuild=True`` into a private
index folder; the texts it hands the embedder are recorded and then encoded again directly
(``SentenceTransformer.encode``, batch 64), which is the ceiling.

Run as a worker: ``python -m assistant.benchmarking.ingesting '{"index": "...", "rounds": 3}'``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .measure import median, worker_main


class Recording:
    """Wraps an embedder and remembers the texts of its last ``encode`` calls."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.model_sha256 = inner.model_sha256
        self.texts: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)


def measure(args: dict[str, Any]) -> dict[str, Any]:
    import chromadb  # noqa: F401  (imported before timing: steady state; the import is in the cold-start figures)

    from ..embeddings import SentenceTransformerEmbedder, default_model_dir
    from ..indexing import ingest
    from ..settings import Settings

    settings = Settings(index_dir=Path(args["index"]))
    rounds = int(args.get("rounds", 1))
    model = SentenceTransformerEmbedder(settings.model_dir or default_model_dir(), settings.model_sha256)
    model.encode(["load the model before timing"])
    embedder = Recording(model)

    # Ingest and bare encode alternate, so a change of machine load touches both alike.
    full, stages, bare = [], [], []
    units = 0
    for _ in range(rounds):
        embedder.texts = []
        report = ingest(settings, embedder, rebuild=True)
        full.append(report.seconds)
        stages.append(report.timings)
        units = report.units_embedded
        t = time.perf_counter()
        model.encode(list(embedder.texts))
        bare.append(time.perf_counter() - t)
    texts = list(embedder.texts)

    unchanged = []
    for _ in range(max(3, rounds)):
        report = ingest(settings, embedder)
        if report.units_embedded:
            raise RuntimeError("an unchanged corpus was re-embedded")
        unchanged.append(report.seconds)

    ingest_s, bare_s = median(full), median(bare)
    return {
        "units": units, "texts_embedded": len(texts), "ingest_s": round(ingest_s, 3), "bare_encode_s": round(bare_s, 3),
        "ingest_chunks_per_s": round(units / ingest_s, 1), "bare_chunks_per_s": round(units / bare_s, 1),
        "ratio": round(bare_s / ingest_s, 3),
        "ingest_stages_s": {k: round(median([s.get(k, 0.0) for s in stages]), 3) for k in stages[-1]},
        "unchanged_in_process_s": round(median(unchanged), 4),
    }


if __name__ == "__main__":
    worker_main(measure)
