"""The cost curve as the corpus grows: 1k, 10k and 100k chunks, embedded Chroma and a Chroma server.

For each size and store, two fresh worker processes: one ingests the synthetic corpus (see
``synthetic``) through the real ``ingest()``, one opens the index as the assistant does and
answers the eval questions. Figures: ingest time, index size on disk, resident memory of the
serving process (plus the server's own for the server store), and per-question latency of
three things: the raw Chroma search (``collection.query``, distances only, as many rows as
``Store.query`` asks for), the store's search as the app calls it (``Store.query``, which for a
small embedded index is an exact search of its snapshot), and the whole hybrid retrieval
(embed, dense, BM25, fusion).

The two stores' ingests run side by side: each keeps one core busy (Chroma's HNSW insertion
is single-threaded; measured alone, 0.97 and 0.99 cores) and together they fit the machine's
two, which keeps the 100k builds within the time ``make bench`` may take. The ingest figures
are therefore a little pessimistic; the query figures are measured one store at a time.

Example::

    rows = run_scale([1000, 10000], work=Path("benchmarks/work"), env=python_env(), questions=qs, rounds=1)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .measure import Child, folder_mb, free_port, http_ok, rss_mb, run_worker, summary, wait_until, worker_main

SEED = 7
SEARCH_ROWS = 144  # what Store.query asks Chroma for when retrieval wants 24 units (6 rows each: text, context, questions)


def run_scale(sizes: list[int], *, work: Path, env: dict[str, str], questions: list[str], rounds: int, onnx_cache: Path,
              stores: tuple[str, ...] = ("embedded", "server"), embedder: str = "onnx",
              log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """One row per (size, store); a failed row carries ``error`` and the others still run."""
    from ..settings import Settings
    from .synthetic import sentence_pool, write_corpus

    root = work / "scale"
    article_corpus = Settings().corpus_dir
    pool = sentence_pool(article_corpus, SEED)
    base = {"onnx_cache": str(onnx_cache), "pool_cache": str(root), "article_corpus": str(article_corpus), "questions": questions,
            "rounds": rounds, "embedder": embedder}
    run_worker(__name__, {**base, "step": "pool"}, env=env)  # embed the sentence pool once, before the ingests share it
    rows = []
    for size in sizes:
        corpus = write_corpus(root / f"corpus-{size}", pool, size, SEED)
        args = {**base, "size": size, "corpus": str(corpus)}
        runs = {store: _StoreRun(store, size, root / f"{store}-{size}", corpus, env, args) for store in stores}
        log(f"scale: {size} chunks, ingest into {' and '.join(stores)} side by side")
        with ThreadPoolExecutor(len(runs)) as pool_:
            list(pool_.map(lambda r: r.ingest(), runs.values()))
        for run in runs.values():
            run.serve()
            rows.append(run.row)
            log(f"  {run.store}: {_brief(run.row)}")
        shutil.rmtree(corpus, ignore_errors=True)
    return rows


class _StoreRun:
    """One (size, store) row: its folder, its server if any, and the two worker steps."""

    def __init__(self, store: str, size: int, data: Path, corpus: Path, env: dict[str, str], args: dict[str, Any]):
        self.store, self.data, self.row = store, data, {"chunks": size, "store": store}
        self.args = {**args, "index": str(data / "index")}
        self.server: Child | None = None
        self.env = {**env, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(data / "index")}
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)

    def ingest(self) -> None:
        try:
            if self.store == "server":
                self.server, url = start_chroma(self.data / "server", self.env)
                # Bulk loading: one upsert of 1000 rows into a large index can outlast the
                # interactive per-call timeout on a busy machine.
                self.env.update(ASSISTANT_CHROMA_URL=url, ASSISTANT_CHROMA_TIMEOUT_S="120")
            self.row.update(run_worker(__name__, {**self.args, "step": "ingest"}, env=self.env, timeout=1800))
            self.row["ingest_peak_rss_mb"] = self.row.pop("peak_rss_mb")
        except Exception as exc:  # one failed store must not lose the others
            self.row["error"] = f"{exc.__class__.__name__}: {exc}"[:800]

    def serve(self) -> None:
        try:
            if "error" not in self.row:
                served = run_worker(__name__, {**self.args, "step": "serve"}, env=self.env, timeout=900)
                served["serve_peak_rss_mb"] = served.pop("peak_rss_mb")
                self.row.update(served)
                self.row["index_mb"] = round(folder_mb(self.data / ("server" if self.server else "index")), 1)
                self.row["total_rss_mb"] = self.row["rss_mb"]
                if self.server is not None:
                    self.row["server_rss_mb"] = round(rss_mb(self.server.pid), 1)
                    self.row["total_rss_mb"] = round(self.row["rss_mb"] + self.row["server_rss_mb"], 1)
        except Exception as exc:
            self.row["error"] = f"{exc.__class__.__name__}: {exc}"[:800]
        finally:
            if self.server is not None:
                self.server.stop()
                self.row["server_peak_rss_mb"] = round(self.server.reap()[1], 1)
            shutil.rmtree(self.data, ignore_errors=True)  # up to a few hundred MB; measured, no longer needed


def _brief(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"error: {row['error'][:200]}"
    return (f"ingest {row['ingest_s']:.1f} s, {row['index_mb']:.0f} MB on disk, RSS {row['total_rss_mb']:.0f} MB, "
            f"retrieve p50 {row['retrieve_ms']['p50']:.1f} ms, chroma p50 {row['chroma_query_ms']['p50']:.2f} ms")


def start_chroma(path: Path, env: dict[str, str], timeout: float = 60.0) -> tuple[Child, str]:
    """``chroma run`` on a free loopback port; returns the process and its URL once it answers."""
    port = free_port()
    exe = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    child = Child(proc)
    url = f"http://127.0.0.1:{port}"
    if not wait_until(lambda: child.exited() or http_ok(f"{url}/api/v2/heartbeat"), timeout) or child.exited():
        child.stop()
        child.reap()
        raise RuntimeError(f"`chroma run` did not answer on {url} within {timeout:.0f} s")
    return child, url


# -- the worker ---------------------------------------------------------------------------------


def _embedders(args: dict[str, Any]):
    """Settings (from the worker's environment), the model folder and the query embedder: the
    ONNX model, or the hash fake when ``args["embedder"] == "hash"`` (tests)."""
    from ..embeddings import HashEmbedder, default_model_dir
    from ..onnx_backend import OnnxEmbedder
    from ..settings import Settings

    settings = Settings()
    if args.get("embedder") == "hash":
        return settings, None, HashEmbedder()
    model_dir = settings.model_dir or default_model_dir()
    return settings, model_dir, OnnxEmbedder.open(model_dir, settings.model_sha256, cache_dir=Path(args["onnx_cache"]))


def ingest_step(args: dict[str, Any]) -> dict[str, Any]:
    from ..indexing import ingest
    from .synthetic import PoolEmbedder, sentence_pool

    settings, _model_dir, onnx = _embedders(args)
    pool = PoolEmbedder.build(sentence_pool(Path(args["article_corpus"]), SEED), onnx, Path(args["pool_cache"]))
    started = time.perf_counter()
    report = ingest(settings, pool, rebuild=True)
    seconds = time.perf_counter() - started
    return {"ingest_s": round(seconds, 2), "units": report.units_total, "chunks_per_s": round(report.units_total / seconds, 1),
            "ingest_stages_s": {k: round(v, 2) for k, v in report.timings.items()}, "pool_misses": pool.misses}


def serve_step(args: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from ..queries import QueryReader
    from ..retrieval import HybridRetriever, english_vocabulary
    from ..store import SNAPSHOT_FILE, ChromaStore

    settings, model_dir, onnx = _embedders(args)
    questions = args["questions"]
    qvecs = [onnx.encode([q])[0] for q in questions]  # one at a time, as questions come (a batch would grow the arena)
    base_rss = rss_mb()
    started = time.perf_counter()
    store = ChromaStore.open(settings)
    english = english_vocabulary(model_dir) if model_dir else set()
    retriever = HybridRetriever(store, onnx, reader=QueryReader.load(settings.guardrails_dir), mode=settings.retrieval_mode,
                                top_k=settings.top_k, english=english)
    retriever.warm()
    open_s = time.perf_counter() - started
    col = store.collection()
    rows = min(SEARCH_ROWS, col.count())
    clear = getattr(onnx, "cache_clear", lambda: None)
    chroma, app, full = [], [], []
    stages: dict[str, list[float]] = {}
    n = max(3 * settings.top_k, 24)
    for i in range(3):  # first searches load the index files
        col.query(query_embeddings=[qvecs[i]], n_results=rows, include=["distances"])
        store.query(qvecs[i], n)
    for _ in range(int(args["rounds"])):
        for q, v in zip(questions, qvecs):
            t = time.perf_counter()
            col.query(query_embeddings=[np.asarray(v, dtype=np.float32)], n_results=rows, include=["distances"])
            chroma.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            store.query(v, n)
            app.append((time.perf_counter() - t) * 1000)
            clear()
            t = time.perf_counter()
            result = retriever.retrieve(q, [])
            full.append((time.perf_counter() - t) * 1000)
            for k, v_s in result.timings.items():
                stages.setdefault(k, []).append(v_s * 1000)
    exact = store.path is not None and (store.path / SNAPSHOT_FILE).is_file()
    return {
        "open_s": round(open_s, 2), "rss_mb": round(rss_mb(), 1), "rss_growth_mb": round(rss_mb() - base_rss, 1),
        "chroma_query_ms": summary(chroma), "store_query_ms": summary(app), "retrieve_ms": summary(full),
        "retrieve_stages_p50_ms": {k: round(float(np.percentile(v, 50)), 3) for k, v in stages.items()},
        "store_search": "exact (snapshot)" if exact else "chroma hnsw",
    }


def pool_step(args: dict[str, Any]) -> dict[str, Any]:
    from .synthetic import PoolEmbedder, sentence_pool

    _settings, _model_dir, embedder = _embedders(args)
    pool = PoolEmbedder.build(sentence_pool(Path(args["article_corpus"]), SEED), embedder, Path(args["pool_cache"]))
    return {"sentences": len(pool.index)}


def _worker(args: dict[str, Any]) -> dict[str, Any]:
    return {"pool": pool_step, "ingest": ingest_step, "serve": serve_step}[args["step"]](args)


if __name__ == "__main__":
    worker_main(_worker)
