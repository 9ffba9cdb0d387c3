"""The cost curve as the corpus grows: 1k, 10k and 100k chunks, embedded Chroma and a Chroma server.

For each size and store, two fresh worker processes: one ingests the synthetic corpus (see
``synthetic``) through the real ``ingest()``, one opens the index as the assistant does and
answers the eval questions. Figures: ingest time, index size on disk, resident memory of the
serving process (plus the server's own for the server store), and per-question latency of
three things: the raw Chroma search (``collection.query``, distances only, 48 rows), the
store's search as the app calls it (``Store.query``, which for a small embedded index is an
exact search of its snapshot), and the whole hybrid retrieval (embed, dense, BM25, fusion).

Example::

    rows = run_scale([1000, 10000], work=Path("benchmarks/work"), env=python_env(), questions=qs, rounds=1)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from .measure import Child, folder_mb, free_port, http_ok, python_env, rss_mb, run_worker, summary, wait_until, worker_main

SEED = 7
SEARCH_ROWS = 48  # what Store.query asks Chroma for when retrieval wants 24 units (2 rows each)


def run_scale(sizes: list[int], *, work: Path, env: dict[str, str], questions: list[str], rounds: int, onnx_cache: Path,
              stores: tuple[str, ...] = ("embedded", "server"), embedder: str = "onnx",
              log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """One row per (size, store); a failed row carries ``error`` and the others still run."""
    from ..settings import Settings
    from .synthetic import sentence_pool, write_corpus

    root = work / "scale"
    article_corpus = Settings().corpus_dir
    pool = sentence_pool(article_corpus, SEED)
    rows = []
    for size in sizes:
        corpus = write_corpus(root / f"corpus-{size}", pool, size, SEED)
        for store in stores:
            log(f"scale: {size} chunks, {store} store")
            data = root / f"{store}-{size}"
            shutil.rmtree(data, ignore_errors=True)
            data.mkdir(parents=True)
            args = {"size": size, "corpus": str(corpus), "index": str(data / "index"), "onnx_cache": str(onnx_cache),
                    "pool_cache": str(root), "article_corpus": str(article_corpus), "questions": questions, "rounds": rounds,
                    "embedder": embedder}
            row: dict[str, Any] = {"chunks": size, "store": store}
            server = None
            try:
                url = None
                if store == "server":
                    server, url = start_chroma(data / "server", env)
                wenv = {**env, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(data / "index")}
                if url:
                    # Bulk loading: one upsert of 1000 rows into a large index can outlast the
                    # interactive per-call timeout on a busy machine.
                    wenv.update(ASSISTANT_CHROMA_URL=url, ASSISTANT_CHROMA_TIMEOUT_S="120")
                row.update(run_worker(__name__, {**args, "step": "ingest"}, env=wenv, timeout=1800))
                row["ingest_peak_rss_mb"] = row.pop("peak_rss_mb")
                served = run_worker(__name__, {**args, "step": "serve"}, env=wenv, timeout=900)
                served["serve_peak_rss_mb"] = served.pop("peak_rss_mb")
                row.update(served)
                row["index_mb"] = round(folder_mb(data / ("server" if url else "index")), 1)
                if server is not None:
                    row["server_rss_mb"] = round(rss_mb(server.pid), 1)
                    row["total_rss_mb"] = round(row["rss_mb"] + row["server_rss_mb"], 1)
                else:
                    row["total_rss_mb"] = row["rss_mb"]
            except Exception as exc:  # one failed size must not lose the others
                row["error"] = f"{exc.__class__.__name__}: {exc}"[:800]
            finally:
                if server is not None:
                    server.stop()
                    row["server_peak_rss_mb"] = round(server.reap()[1], 1)
                shutil.rmtree(data, ignore_errors=True)  # up to a few hundred MB; measured, no longer needed
            rows.append(row)
            log(f"  {_brief(row)}")
        shutil.rmtree(corpus, ignore_errors=True)
    return rows


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

    from ..retrieval import HybridRetriever, english_vocabulary
    from ..store import SNAPSHOT_FILE, Store

    settings, model_dir, onnx = _embedders(args)
    questions = args["questions"]
    qvecs = onnx.encode(questions)
    base_rss = rss_mb()
    started = time.perf_counter()
    store = Store.open(settings)
    english = english_vocabulary(model_dir) if model_dir else set()
    retriever = HybridRetriever(store, onnx, mode=settings.retrieval_mode, top_k=settings.top_k, english=english)
    retriever.warm()
    open_s = time.perf_counter() - started
    col = store.collection()
    clear = getattr(onnx, "cache_clear", lambda: None)
    chroma, app, full = [], [], []
    stages: dict[str, list[float]] = {}
    n = max(3 * settings.top_k, 24)
    for i in range(3):  # first searches load the index files
        col.query(query_embeddings=[qvecs[i]], n_results=SEARCH_ROWS, include=["distances"])
        store.query(qvecs[i], n)
    for _ in range(int(args["rounds"])):
        for q, v in zip(questions, qvecs):
            t = time.perf_counter()
            col.query(query_embeddings=[np.asarray(v, dtype=np.float32)], n_results=SEARCH_ROWS, include=["distances"])
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


def _worker(args: dict[str, Any]) -> dict[str, Any]:
    return ingest_step(args) if args["step"] == "ingest" else serve_step(args)


if __name__ == "__main__":
    worker_main(_worker)
