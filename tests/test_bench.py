"""The benchmark machinery on tiny sizes with the hash fake, and the ONNX query path against the
source of truth (sentence-transformers) with the real model.

The fast tests run the real code of ``assistant bench --quick``: the seeded corpus generator,
the pool embedder, a scale worker process on an embedded store, the timed subprocess with its
peak RSS, the targets, the Markdown page and the plot.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.benchmarking import report
from assistant.benchmarking.measure import free_port, python_env, summary, timed_process
from assistant.benchmarking.scale import run_scale
from assistant.benchmarking.synthetic import PoolEmbedder, filler_sentences, sentence_pool, write_corpus
from assistant.chunking import chunk_document
from assistant.corpus import read_corpus
from assistant.embeddings import HashEmbedder
from assistant.text import split_sentences

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["why do I ignore messages?", "does depression make you feel unworthy of love?", "how can I reach out again?"]


@pytest.fixture(scope="module")
def pool():
    return sentence_pool(ROOT / "corpus", seed=7)


def test_the_synthetic_corpus_is_the_same_for_the_same_seed_and_has_the_asked_size(tmp_path, pool):
    one = write_corpus(tmp_path / "a", pool, chunks=250, seed=7)
    two = write_corpus(tmp_path / "b", pool, chunks=250, seed=7)

    files = sorted(p.name for p in one.glob("*.md"))
    assert files == sorted(p.name for p in two.glob("*.md")) and len(files) == 3
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)
    docs, problems = read_corpus(one)
    units = [u for d in docs for u in chunk_document(d)]
    assert not problems and len(units) == 250
    assert all(u.context == u.text for u in units), "one stored vector per chunk"
    assert any(s in u.text for u in units for s in pool[0]), "the article's sentences are mixed in"


def test_filler_sentences_are_distinct_and_seeded():
    assert filler_sentences(50, seed=1) == filler_sentences(50, seed=1) != filler_sentences(50, seed=2)
    assert len(set(filler_sentences(500, seed=1))) == 500


def test_the_pool_embedder_gives_each_chunk_the_mean_of_its_sentence_vectors(pool):
    fake = HashEmbedder()
    emb = PoolEmbedder(pool[0] + pool[1][:20], fake.encode(pool[0] + pool[1][:20]), fallback=fake)
    a, b = pool[1][0], pool[1][1]

    vec = emb.encode([f"{a} {b}"])[0]

    expected = fake.encode([a])[0] + fake.encode([b])[0]
    assert split_sentences(f"{a} {b}") == [a, b]
    assert np.allclose(vec, expected / np.linalg.norm(expected), atol=1e-6)
    assert emb.misses == 0
    emb.encode(["A sentence that is not in the pool."])
    assert emb.misses == 1


def test_a_scale_row_on_a_tiny_embedded_corpus(tmp_path):
    rows = run_scale([200], work=tmp_path, env=python_env(), questions=QUESTIONS, rounds=1, onnx_cache=tmp_path,
                     stores=("embedded",), embedder="hash", log=lambda _msg: None)

    (row,) = rows
    assert "error" not in row, row.get("error")
    assert row["chunks"] == row["units"] == 200 and row["pool_misses"] == 0
    assert row["index_mb"] > 0 and row["rss_mb"] > 0 and row["ingest_s"] > 0
    assert row["store_search"] == "exact (snapshot)"
    for key in ("chroma_query_ms", "store_query_ms", "retrieve_ms"):
        assert row[key]["n"] == len(QUESTIONS) and 0 < row[key]["p50"] <= row[key]["p95"]
    assert set(row["retrieve_stages_p50_ms"]) >= {"embed", "dense", "keyword", "fusion"}


@pytest.mark.server
def test_scale_rows_for_both_stores_ingested_side_by_side(tmp_path):
    rows = run_scale([100], work=tmp_path, env=python_env(), questions=QUESTIONS, rounds=1, onnx_cache=tmp_path,
                     embedder="hash", log=lambda _msg: None)

    assert [(r["store"], r.get("error")) for r in rows] == [("embedded", None), ("server", None)]
    embedded, server = rows
    assert embedded["units"] == server["units"] == 100
    assert server["server_rss_mb"] > 0 and server["store_search"] == "chroma hnsw"
    assert server["total_rss_mb"] == pytest.approx(server["rss_mb"] + server["server_rss_mb"])
    assert not list((tmp_path / "scale").glob("*-100")), "measured folders are removed"


def test_a_timed_process_reports_time_to_first_output_and_its_own_peak_memory():
    script = "import time; block = bytearray(150 * 2**20); print('ready', flush=True); time.sleep(0.3)"

    run = timed_process([sys.executable, "-c", script], env=python_env())

    assert run.ok and run.output.strip() == "ready"
    assert 0 < run.seconds < 10
    assert run.peak_rss_mb > 150  # the kernel's figure for that child alone


def test_a_timed_server_is_ready_when_its_url_answers():
    port = free_port()
    cmd = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]

    run = timed_process(cmd, env=python_env(), until="url", ready_url=f"http://127.0.0.1:{port}/", timeout=30)

    assert run.ok and run.seconds < 30 and run.peak_rss_mb > 0


def test_a_failing_command_is_not_counted_as_a_start():
    run = timed_process([sys.executable, "-c", "print('oops'); raise SystemExit(3)"], env=python_env())

    assert not run.ok


def _results(scale_rows):
    ask = {"median_s": 1.5, "peak_rss_mb": 220.0, "runs": [{"seconds": 1.5, "peak_rss_mb": 220.0, "ok": True}]}
    return {
        "meta": {"machine": {"cpu": "test"}, "quick": True, "duration_s": 1.0},
        "cold_start": {"ask": ask, "naive": {**ask, "median_s": 9.0}, "reingest": {**ask, "median_s": 0.5}},
        "warm": {"stages_ms": {"total": summary([5.0, 6.0, 7.0]), "input_rails": summary([3.0, 4.0])},
                 "st_query_ms": summary([15.0, 16.0, 17.0]), "st_query_1_thread_ms": summary([12.0]),
                 "onnx_query_ms": summary([4.0]), "questions": 3, "rounds": 1},
        "ingest": {"ratio": 0.9, "units": 54, "texts_embedded": 60, "ingest_s": 1.0, "bare_encode_s": 0.9,
                   "ingest_chunks_per_s": 54, "bare_chunks_per_s": 60, "unchanged_in_process_s": 0.01},
        "scale": {"rows": scale_rows, "method": "tiny"},
        "concurrency": {"levels": [{"users": 1, "requests": 3, "latency_ms": summary([40.0, 50.0]), "throughput_rps": 20,
                                    "errors": 0},
                                   {"users": 32, "requests": 96, "latency_ms": summary([100.0, 600.0]), "throughput_rps": 30,
                                    "errors": 1}]},
        "api": {"per_user": 5, "alone": 20, "page_rss_mb": 300.0,
                "levels": [{"users": 1, "requests": 20, "latency_ms": summary([20.0, 30.0]), "throughput_rps": 40, "errors": 0},
                           {"users": 32, "requests": 160, "latency_ms": summary([100.0, 200.0]), "throughput_rps": 60,
                            "errors": 0}]},
    }


def test_targets_page_and_plot_from_results(tmp_path):
    row = {"store": "embedded", "ingest_s": 1.0, "index_mb": 1.0, "rss_mb": 100.0, "total_rss_mb": 100.0, "store_search": "exact",
           "chroma_query_ms": summary([1.0]), "store_query_ms": summary([0.1]), "retrieve_ms": summary([2.0])}
    rows = [{**row, "chunks": 1000}, {**row, "chunks": 100_000, "total_rss_mb": 199.0, "retrieve_ms": summary([5.0])}]
    results = _results(rows)

    targets = {t["target"]: t for t in report.evaluate(results)}
    page = report.markdown(results, list(targets.values()), notes="## Notes\n\nkept by hand")
    report.plot_scale(rows, tmp_path / "scale.png")

    assert targets["`assistant ask` cold start, median"]["met"] is True
    ratio = targets["`ask()` warm p50 / one bare sentence-transformers query embedding (p50, faster thread setting)"]
    assert ratio["value"] == pytest.approx(6 / 12)  # against the faster of the two thread settings
    assert targets["100k / 1k chunks: whole retrieval p50, embedded store"]["met"] is False  # 5 ms against 2 ms
    assert targets["100k / 1k chunks: dense search (Chroma) p50, server store"]["met"] is None  # not run
    assert targets["32 page users: errors"]["met"] is False
    assert targets["32 HTTP API users: errors"]["met"] is True
    api_ratio = targets["32 HTTP API users: p95 / single-user p50"]
    assert api_ratio["value"] == pytest.approx(summary([100.0, 200.0])["p95"] / 25.0) and api_ratio["met"] is True
    assert "## Concurrent HTTP API users" in page
    assert report.memory_per_10k(results) == {"embedded": pytest.approx(10.0)}  # 99 MB over 99k chunks
    assert "| `assistant ask` cold start, median | ≤ 2.0 s | 1.5 s | yes |" in page
    assert page.rstrip().endswith("kept by hand")
    assert (tmp_path / "scale.png").stat().st_size > 10_000
    json.dumps(results)  # everything the page is built from is plain JSON


def test_hand_written_notes_survive_a_rewrite(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\nold table\n\n## Notes\n\nwhy the figures are what they are\n", encoding="utf-8")

    assert report.keep_notes(readme) == "## Notes\n\nwhy the figures are what they are\n"
    assert report.keep_notes(tmp_path / "missing.md") == ""


# -- the real model -------------------------------------------------------------------------------


@pytest.mark.integration
def test_onnx_embeddings_match_sentence_transformers_on_every_corpus_unit(tmp_path, settings_for):
    from assistant.embeddings import SentenceTransformerEmbedder, default_model_dir
    from assistant.onnx_backend import OnnxEmbedder

    settings = settings_for(tmp_path / "index")
    model_dir = settings.model_dir or default_model_dir()
    docs, _ = read_corpus(settings.corpus_dir)
    texts = sorted({t for d in docs for u in chunk_document(d) for t in (u.text, u.context, *u.questions)})
    reference = SentenceTransformerEmbedder(model_dir, settings.model_sha256)
    onnx = OnnxEmbedder.open(model_dir, settings.model_sha256, cache_dir=ROOT / ".index")

    want = reference.encode(texts)
    got = onnx.encode(texts)
    cached = onnx.encode(texts[:40])
    one_by_one = []
    for t in texts[:40]:  # unpadded, as a question is embedded
        onnx.cache_clear()
        one_by_one.append(onnx.encode([t])[0])

    cosines = np.sum(want * got, axis=1)
    assert len(texts) > 50
    assert cosines.min() >= 0.999, texts[int(np.argmin(cosines))]
    assert np.sum(want[:40] * np.stack(one_by_one), axis=1).min() >= 0.999
    assert np.allclose(got[:40], np.stack(one_by_one), atol=1e-5)  # batching by length changes nothing
    assert np.array_equal(cached, got[:40])
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


# -- the store's snapshot: the fast path the benchmarks measure ------------------------------------


@pytest.fixture
def hash_index(tmp_path, settings_for):
    from assistant.indexing import ingest

    settings = settings_for(tmp_path / "index")
    ingest(settings, HashEmbedder())
    return settings


def _chroma_only(settings):
    """The same index read through Chroma: the snapshot file removed."""
    from assistant.store import SNAPSHOT_FILE, ChromaStore, active_folder

    (active_folder(settings.index_dir) / SNAPSHOT_FILE).unlink()
    return ChromaStore.open(settings)


def test_the_snapshot_answers_as_chroma_does(hash_index):
    """Exact search and Chroma agree unit for unit, except where rows tie exactly at the cut-off
    (the hash fake makes many ties), where either choice is right and Chroma's is arbitrary.
    Up to 8 units (48 rows): deeper, Chroma's HNSW search (breadth 100) can miss a row, which
    the exact search does not."""
    from assistant.store import ChromaStore

    fast = ChromaStore.open(hash_index)
    units, manifest = fast.units(), fast.manifest()
    vectors = HashEmbedder().encode([*QUESTIONS, "guilt and shame", "fatigue", "reaching out to a friend", "push people away"])
    cases = [(v, n) for v in vectors for n in (3, 8)]
    rows = [fast._loaded_snapshot().nearest(v, 6 * n + 1) for v, n in cases]  # ChromaStore.query reads 6n rows
    untied = [i for i, r in enumerate(rows) if len(r) <= 6 * cases[i][1] or r[-2][1] - r[-1][1] > 1e-6]
    fast_hits = [fast.query(v, n) for v, n in cases]
    slow = _chroma_only(hash_index)

    assert units == slow.units() and len(units) > 40
    assert manifest == slow.manifest() and manifest["units"] == len(units)
    slow_hits = [slow.query(v, n) for v, n in cases]
    assert len(untied) >= len(cases) // 2
    for i in untied:
        assert [h.unit_id for h in fast_hits[i]] == [h.unit_id for h in slow_hits[i]]
        assert [h.similarity for h in fast_hits[i]] == pytest.approx([h.similarity for h in slow_hits[i]], abs=1e-5)
        for f, s in zip(fast_hits[i], slow_hits[i]):
            # a unit's question row near the depth read (6n rows) is found by one search and not the other
            # when HNSW misses a row above it (a fresh clone's CI run saw -1.0 against 0.176 once): no question
            # score on one side, the same score otherwise
            assert f.question == pytest.approx(s.question, abs=1e-5) or -1.0 in (f.question, s.question)


def test_reading_a_small_embedded_index_does_not_import_chromadb(hash_index):
    import subprocess

    script = ("import sys; from assistant.store import ChromaStore; from assistant.settings import Settings; import numpy as np; "
              "s = ChromaStore.open(Settings()); s.units(); s.manifest(); s.query(np.ones(384, dtype=np.float32), 8); "
              "print('chromadb' in sys.modules)")
    env = python_env(ASSISTANT_INDEX_DIR=str(hash_index.index_dir), ASSISTANT_CORPUS_DIR=str(hash_index.corpus_dir))

    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False)

    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_an_incremental_ingest_rewrites_the_snapshot(hash_index, tmp_path):
    import shutil

    from assistant.indexing import ingest
    from assistant.store import ChromaStore

    corpus = tmp_path / "corpus"
    shutil.copytree(hash_index.corpus_dir, corpus)
    settings = hash_index.model_copy(update={"corpus_dir": corpus})
    ingest(settings, HashEmbedder())  # the same files: nothing to do
    (corpus / "extra.txt").write_text("Reaching out after a long silence is hard.\n", encoding="utf-8")

    ingest(settings, HashEmbedder())

    store = ChromaStore.open(settings)
    assert "Reaching out after a long silence is hard." in [u.text for u in store.units()]
    assert store.manifest()["units"] == len(store.units())


def test_a_collection_above_the_limit_is_searched_by_chroma(tmp_path, settings_for, monkeypatch):
    from assistant import store as store_module
    from assistant.indexing import ingest
    from assistant.store import snapshot

    monkeypatch.setattr(snapshot, "EXACT_MAX", 10)
    settings = settings_for(tmp_path / "index")
    ingest(settings, HashEmbedder())

    folder = store_module.active_folder(settings.index_dir)
    assert not (folder / store_module.SNAPSHOT_FILE).exists()
    assert (folder / store_module.MANIFEST_FILE).exists()
    store = store_module.ChromaStore.open(settings)
    assert store.query(HashEmbedder().encode(["guilt"])[0], 5) and store.manifest()["units"] == len(store.units())


def test_a_section_that_failed_is_reported_as_a_failure_not_a_figure():
    from assistant.benchmarking.command import failures

    ok = {"cold_start": {"ask": {}}, "scale": {"rows": [{"chunks": 1000, "store": "embedded"}]}}
    assert failures(ok) == []
    broken = {"cold_start": {"error": "RuntimeError: boom"},
              "scale": {"rows": [{"chunks": 1000, "store": "server", "error": "chroma run did not answer"}]}}
    assert failures(broken) == ["cold_start: RuntimeError: boom", "scale 1000 server: chroma run did not answer"]
