"""Warm latency: each stage of ``Assistant.ask`` on the answerable eval questions, against one
bare query embedding with the same model in the same process.

Every question is asked with the query embedder's cache emptied first, so each ``ask()`` pays
for its own model runs (only the reuse inside one reply remains). The bare embeddings are timed
after all the asks: sentence-transformers brings torch, whose worker threads would otherwise
disturb the timings of the ONNX runs that follow them. sentence-transformers is timed with
torch's default threads and with one thread; the ratio targets use the faster of the two.

Run as a worker: ``python -m assistant.benchmarking.warm '{"questions": [...], "rounds": 3}'``.
"""

from __future__ import annotations

import time
from typing import Any

from .measure import rss_mb, summary, worker_main


def measure(args: dict[str, Any]) -> dict[str, Any]:
    from ..assistant import Assistant
    from ..embeddings import SentenceTransformerEmbedder, default_model_dir
    from ..settings import Settings
    from ..store import SNAPSHOT_FILE

    questions: list[str] = args["questions"]
    messages: list[str] = args.get("messages", [])
    rounds = int(args.get("rounds", 1))
    settings = Settings()
    bot = Assistant.load(settings).warm()
    clear = getattr(bot.embedder, "cache_clear", lambda: None)
    for q in questions[:10]:
        clear()
        bot.ask(q)
    loaded_rss = rss_mb()

    stages: dict[str, list[float]] = {}
    for _ in range(rounds):
        for q in questions:
            clear()
            for name, ms in bot.ask(q).timings.items():
                stages.setdefault(name, []).append(ms)
    every_kind = []
    for m in messages:
        clear()
        every_kind.append(bot.ask(m).timings.get("total", float("nan")))

    def per_question(encode, n_rounds: int) -> list[float]:
        times = []
        for _ in range(n_rounds):
            for q in questions:
                clear()
                t = time.perf_counter()
                encode([q])
                times.append((time.perf_counter() - t) * 1000)
        return times

    onnx = per_question(bot.embedder.encode, rounds)
    st_model = SentenceTransformerEmbedder(settings.model_dir or default_model_dir(), settings.model_sha256)
    for q in questions[:10]:
        st_model.encode([q])
    st = per_question(st_model.encode, rounds)
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # on a busy machine torch's thread pool can be the slower choice: take the better
    st_one = per_question(st_model.encode, rounds)
    torch.set_num_threads(threads)
    store_path = bot.store.path
    return {
        "questions": len(questions), "rounds": rounds, "query_embedder": bot.embedder.name,
        "store_search": "exact (snapshot)" if store_path is not None and (store_path / SNAPSHOT_FILE).is_file() else "chroma",
        "stages_ms": {name: summary(values) for name, values in stages.items()},
        "ask_every_kind_ms": summary(every_kind),
        "onnx_query_ms": summary(onnx), "st_query_ms": summary(st), "st_query_1_thread_ms": summary(st_one),
        "st_threads": threads, "rss_mb": round(loaded_rss, 1),
    }


if __name__ == "__main__":
    worker_main(measure)
