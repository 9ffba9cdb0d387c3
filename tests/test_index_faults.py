"""Index faults: an index folder deleted, damaged or built by another model is detected and rebuilt
(or `assistant ingest` repairs it, with `--rebuild` named when writing fails), and readers keep
answering while a re-ingest runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from tests.conftest import fake_guardrails

from assistant import cli
from assistant.assistant import Assistant
from assistant.embeddings import HashEmbedder
from assistant.indexing import ensure_index, index_problem, ingest
from assistant.settings import ROOT, Settings
from assistant.store import SNAPSHOT_FILE, MANIFEST_FILE, ChromaStore, active_folder

NEW_SENTENCE = "A short text message can be a small step back toward the people you love."
NEW_FILE = f"# Staying in touch\n\n{NEW_SENTENCE}\n"


class OtherModel(HashEmbedder):
    """Stands for a newer embedding model: other weights, other dimension."""

    model_sha256 = "hash-embedder-v2"  # Assistant.load ingests with any embedder it is given but the ONNX export

    def __init__(self):
        super().__init__(dim=256)


@pytest.fixture
def settings(tmp_path) -> Settings:
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", guardrails_dir=fake_guardrails(tmp_path / "guardrails"))
    ingest(settings, HashEmbedder())
    return settings


def ask(settings: Settings, embedder=None, question: str = "why do I ignore messages?"):
    bot = Assistant.load(settings, embedder=embedder or HashEmbedder())
    try:
        return bot.ask(question)
    finally:
        bot.store.close()


def garbage(path: Path) -> None:
    path.write_bytes(b"not an index " * 100)


# -- missing -------------------------------------------------------------------------------------


def test_deleted_index_folder_is_rebuilt_at_start_up(settings):
    shutil.rmtree(settings.index_dir)
    reply = ask(settings)
    assert reply.category == "answered" and reply.error is None
    assert active_folder(settings.index_dir) is not None


@pytest.mark.parametrize("pointer", [b"", b"chroma-that-was-deleted", b"../..", b"/", b"chroma-x/../..", b"\xff\xfe\x00"])
def test_active_pointer_to_nothing_is_rebuilt_at_start_up(settings, pointer):
    (settings.index_dir / "ACTIVE").write_bytes(pointer)
    reply = ask(settings)
    assert reply.category == "answered" and reply.error is None
    assert active_folder(settings.index_dir).parent == settings.index_dir


# -- damaged -------------------------------------------------------------------------------------

# Damage a reader cannot work around: every question would fail.
BROKEN = {
    "every file overwritten": lambda f: [garbage(p) for p in f.rglob("*") if p.is_file()],
    "chroma database and snapshot overwritten": lambda f: [garbage(f / "chroma.sqlite3"), garbage(f / SNAPSHOT_FILE)],
    "chroma files lost, manifest kept": lambda f: [(f / "chroma.sqlite3").unlink(), (f / SNAPSHOT_FILE).unlink()],
    "folder emptied": lambda f: [shutil.rmtree(f), f.mkdir()],
}
# Damage the store reads around (the snapshot, Chroma's database and the manifest back each other up).
SURVIVABLE = {
    "snapshot overwritten": lambda f: garbage(f / SNAPSHOT_FILE),
    "manifest.json overwritten": lambda f: garbage(f / MANIFEST_FILE),
    "chroma database overwritten": lambda f: garbage(f / "chroma.sqlite3"),
}


@pytest.mark.parametrize("damage", BROKEN)
def test_damaged_index_is_detected_and_rebuilt(settings, damage, caplog):
    BROKEN[damage](active_folder(settings.index_dir))
    problem = index_problem(settings, HashEmbedder())
    assert problem and str(settings.index_dir) in problem
    report = ensure_index(settings, HashEmbedder())
    assert report is not None and report.rebuilt and report.units_total > 0
    assert "rebuilding it" in caplog.text
    assert index_problem(settings, HashEmbedder()) is None
    assert ask(settings).category == "answered"


@pytest.mark.parametrize("damage", BROKEN)
def test_plain_ingest_repairs_a_damaged_index(settings, damage):
    BROKEN[damage](active_folder(settings.index_dir))
    with mock.patch("assistant.embeddings.SentenceTransformerEmbedder", lambda *a, **k: HashEmbedder()):
        result = CliRunner().invoke(cli.main, ["ingest", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "(full rebuild)" in result.output
    assert ask(settings).category == "answered"


@pytest.mark.parametrize("damage", SURVIVABLE)
def test_partly_damaged_index_keeps_answering_and_the_next_ingest_is_whole(settings, damage):
    SURVIVABLE[damage](active_folder(settings.index_dir))
    reply = ask(settings)
    assert reply.category == "answered" and reply.error is None
    (settings.corpus_dir / "extra.md").write_text(NEW_FILE, encoding="utf-8")
    report = ingest(settings, HashEmbedder())
    assert report.units_total == len(ChromaStore.open(settings).units()) > 1
    assert index_problem(settings, HashEmbedder()) is None


@pytest.mark.parametrize("damage", ["every file overwritten"])
def test_assistant_load_rebuilds_a_damaged_index(settings, damage):
    BROKEN[damage](active_folder(settings.index_dir))
    reply = ask(settings)
    assert reply.category == "answered" and reply.error is None


def test_write_failure_keeps_the_previous_index_and_names_the_fix(settings):
    before = active_folder(settings.index_dir)
    (settings.corpus_dir / "extra.md").write_text(NEW_FILE, encoding="utf-8")
    full = OSError(28, "No space left on device")
    with mock.patch("assistant.embeddings.SentenceTransformerEmbedder", lambda *a, **k: HashEmbedder()), \
            mock.patch.object(ChromaStore, "add", side_effect=full):
        result = CliRunner().invoke(cli.main, ["ingest", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)])
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.output and "assistant ingest --rebuild" in result.output
    assert "Traceback" not in result.output
    assert active_folder(settings.index_dir) == before
    assert [p.name for p in settings.index_dir.glob("chroma-*")] == [before.name]  # the half-built copy is gone
    assert ask(settings).category == "answered"


# -- another model or chunker ----------------------------------------------------------------------


def test_index_from_another_model_is_detected_and_rebuilt(settings):
    assert "model_sha256" in index_problem(settings, OtherModel())
    report = ensure_index(settings, OtherModel())
    assert report.rebuilt
    assert ChromaStore.open(settings).manifest()["model_sha256"] == OtherModel.model_sha256
    assert index_problem(settings, OtherModel()) is None


def test_index_from_another_chunker_is_detected(settings):
    with mock.patch("assistant.indexing.CHUNKER_VERSION", "units-v999"):
        assert "chunker" in index_problem(settings, HashEmbedder())
        assert ingest(settings, HashEmbedder()).rebuilt


def test_assistant_load_rebuilds_an_index_from_another_model(settings):
    reply = ask(settings, OtherModel())
    assert reply.error is None and reply.category == "answered"


# -- readers during a re-ingest ---------------------------------------------------------------------

SLOW_INGEST = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assistant.embeddings import HashEmbedder
    from assistant.indexing import ingest
    from assistant.settings import Settings

    class Slow(HashEmbedder):
        def encode(self, texts):
            print("EMBEDDING", flush=True)
            time.sleep(float(sys.argv[3]))
            return super().encode(texts)

    report = ingest(Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2])), Slow(), rebuild=True)
    print("DONE", report.units_total, flush=True)
    """
)

QUESTIONS = ["why do I ignore messages?", "Is pushing people away selfish?", "I want to kill myself", "hello", ""]


def test_readers_keep_answering_while_a_reingest_runs(settings, tmp_path):
    reader = Assistant.load(settings, embedder=HashEmbedder()).warm()
    lazy = Assistant.load(settings, embedder=HashEmbedder())  # opened, but reads nothing until after the swap
    (settings.corpus_dir / "extra.md").write_text(NEW_FILE, encoding="utf-8")
    script = tmp_path / "slow_ingest.py"
    script.write_text(SLOW_INGEST, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(settings.corpus_dir), str(settings.index_dir), "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    replies, done = [], threading.Event()

    def keep_asking():
        n = 0
        while not done.is_set():
            replies.append(reader.ask(QUESTIONS[n % len(QUESTIONS)]))
            n += 1

    threads = [threading.Thread(target=keep_asking) for _ in range(2)]
    try:
        assert proc.stdout.readline().startswith("EMBEDDING"), proc.stderr.read()
        for t in threads:
            t.start()
        during = ask(settings)  # a reader that starts while the new index is being built
        out, err = proc.communicate(timeout=120)
    finally:
        done.set()
        for t in threads:
            t.join()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "DONE" in out, err

    assert during.category == "answered" and during.error is None
    assert len(replies) >= 10
    assert [r.error for r in replies if r.error] == []
    assert all(r.contact in r.answer and r.disclaimer in r.answer for r in replies)
    after = reader.ask("why do I ignore messages?")
    assert after.category == "answered" and after.error is None  # its folder was swapped out and removed
    assert lazy.ask("why do I ignore messages?").error is None
    assert NEW_SENTENCE in {u.text for u in ChromaStore.open(settings).units()}
