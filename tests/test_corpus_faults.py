"""Corpus faults: a bad file is named with a reason, the other files are indexed, and the previous
index keeps answering (even when ingest is killed with SIGKILL half-way)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from tests.conftest import fake_guardrails

from assistant import cli
from assistant.assistant import Assistant
from assistant.corpus import read_corpus
from assistant.embeddings import HashEmbedder
from assistant.errors import CorpusError
from assistant.indexing import ingest
from assistant.settings import ROOT, Settings
from assistant.store import ChromaStore, active_folder

ARTICLE = "why-depression-makes-you-push-people-away.md"
EXTRA = "# Staying in touch\n\nA short text message can be a small step back toward the people you love.\n"
EXTRA_SENTENCE = "A short text message can be a small step back toward the people you love."


@pytest.fixture
def settings(tmp_path) -> Settings:
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", guardrails_dir=fake_guardrails(tmp_path / "guardrails"))


def indexed_texts(settings: Settings) -> set[str]:
    store = ChromaStore.open(settings)
    try:
        return {u.text for u in store.units()}
    finally:
        store.close()


def answers(settings: Settings) -> str:
    bot = Assistant.load(settings, embedder=HashEmbedder())
    try:
        reply = bot.ask("why do I ignore messages?")
    finally:
        bot.store.close()
    assert reply.error is None and reply.contact in reply.answer and reply.disclaimer in reply.answer
    return reply.category


# -- one bad file among good ones -------------------------------------------------------------------

BAD_FILES = {
    "empty": ("empty.md", b"", "empty"),
    "whitespace only": ("blank.txt", b"  \n\t\n", "empty"),
    "front matter only": ("meta.md", b"---\ntitle: Nothing else\n---\n", "empty"),
    "binary": ("photo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    "latin-1": ("cafe.txt", "Un café, s'il vous plaît. Déprimé?".encode("latin-1"), "UTF-8"),
    "utf-16": ("notes.txt", "Why do I ignore messages?".encode("utf-16"), "UTF-8"),
    "unsupported extension": ("article.pdf", b"%PDF-1.7 ...", "only .md, .txt"),
    "broken front matter": ("broken.md", b"---\ntitle: [unclosed\n---\nSome text here.\n", "front matter"),
    "front matter not a mapping": ("list.md", b"---\n- a\n- b\n---\nSome text here.\n", "front matter"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_file_is_named_and_the_others_are_indexed(settings, kind):
    name, data, reason = BAD_FILES[kind]
    (settings.corpus_dir / name).write_bytes(data)
    report = ingest(settings, HashEmbedder())
    assert [p.source for p in report.problems] == [name]
    assert reason in report.problems[0].reason
    assert f"not indexed: {name}: " in report.summary()
    assert report.added == (ARTICLE,) and report.units_total > 0
    assert answers(settings) == "answered"


def test_unreadable_file_is_named(settings, monkeypatch):
    # Tests run as root, who can read a chmod 000 file; the check is simulated instead.
    (settings.corpus_dir / "private.md").write_text(EXTRA, encoding="utf-8")
    real_access = os.access
    monkeypatch.setattr("assistant.corpus.os.access", lambda p, mode: Path(p).name != "private.md" and real_access(p, mode))
    report = ingest(settings, HashEmbedder())
    assert [(p.source, "permissions" in p.reason) for p in report.problems] == [("private.md", True)]
    assert EXTRA_SENTENCE not in indexed_texts(settings)


def test_file_failing_to_open_is_named(settings, monkeypatch):
    (settings.corpus_dir / "locked.md").write_text(EXTRA, encoding="utf-8")
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.md":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    report = ingest(settings, HashEmbedder())
    assert [p.source for p in report.problems] == ["locked.md"]
    assert "Permission denied" in report.problems[0].reason
    assert str(settings.corpus_dir) not in report.problems[0].reason  # names the file, not the machine's folders


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file; test_unreadable_file_is_named simulates it")
def test_chmod_000_file_is_named(settings):
    path = settings.corpus_dir / "private.md"
    path.write_text(EXTRA, encoding="utf-8")
    path.chmod(0)
    report = ingest(settings, HashEmbedder())
    assert [p.source for p in report.problems] == ["private.md"]


def test_uppercase_extension_reads_front_matter(settings):
    (settings.corpus_dir / "NOTES.MD").write_text("---\ntitle: Notes\n---\n" + EXTRA, encoding="utf-8")
    docs, problems = read_corpus(settings.corpus_dir)
    notes = next(d for d in docs if d.source == "NOTES.MD")
    assert not problems and notes.title == "Notes" and "title:" not in notes.text


def test_cli_ingest_names_the_bad_file_without_a_traceback(settings):
    (settings.corpus_dir / "photo.md").write_bytes(BAD_FILES["binary"][1])
    with mock.patch("assistant.embeddings.SentenceTransformerEmbedder", lambda *a, **k: HashEmbedder()):
        result = CliRunner().invoke(cli.main, ["ingest", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)])
    assert result.exit_code == 0, result.output
    assert "not indexed: photo.md: looks like a binary file" in result.output
    assert "Traceback" not in result.output


# -- the previous index survives --------------------------------------------------------------------


def test_when_no_file_is_usable_the_previous_index_keeps_answering(settings):
    ingest(settings, HashEmbedder())
    before = active_folder(settings.index_dir)
    (settings.corpus_dir / ARTICLE).write_bytes(b"\x00" * 64)
    with pytest.raises(CorpusError, match=ARTICLE):
        ingest(settings, HashEmbedder())
    assert active_folder(settings.index_dir) == before
    assert answers(settings) == "answered"


def test_a_file_that_turns_unreadable_keeps_its_passages(settings):
    (settings.corpus_dir / "extra.md").write_text(EXTRA, encoding="utf-8")
    ingest(settings, HashEmbedder())
    (settings.corpus_dir / "extra.md").write_bytes(b"\xff\xfe\x00bad")
    report = ingest(settings, HashEmbedder())
    assert [p.source for p in report.problems] == ["extra.md"] and report.removed == ()
    assert EXTRA_SENTENCE in indexed_texts(settings)


def test_a_file_changing_during_ingest_is_indexed_as_read_and_picked_up_next_time(settings):
    path = settings.corpus_dir / "extra.md"
    path.write_text(EXTRA, encoding="utf-8")
    changed = "# Staying in touch\n\nAn emoji reply still counts as staying in touch.\n"

    class ChangesTheFile(HashEmbedder):
        def encode(self, texts):
            path.write_text(changed, encoding="utf-8")  # the file changes after it was read
            return super().encode(texts)

    first = ingest(settings, ChangesTheFile())
    assert "extra.md" in first.added
    assert EXTRA_SENTENCE in indexed_texts(settings)  # what was read, whole and consistent
    second = ingest(settings, HashEmbedder())
    assert second.changed == ("extra.md",)
    texts = indexed_texts(settings)
    assert "An emoji reply still counts as staying in touch." in texts and EXTRA_SENTENCE not in texts


def test_a_file_deleted_during_ingest_is_named(settings, monkeypatch):
    path = settings.corpus_dir / "extra.md"
    path.write_text(EXTRA, encoding="utf-8")
    from assistant import corpus

    real = corpus.read_document

    def vanishing(p, root):
        if p.name == "extra.md":
            p.unlink()  # removed between listing the folder and reading the file
        return real(p, root)

    monkeypatch.setattr(corpus, "read_document", vanishing)
    report = ingest(settings, HashEmbedder())
    assert [p.source for p in report.problems] == ["extra.md"]
    assert answers(settings) == "answered"


# -- SIGKILL half-way ---------------------------------------------------------------------------------

KILLER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assistant import indexing, store
    from assistant.embeddings import HashEmbedder
    from assistant.settings import Settings

    stage = sys.argv[3]

    def pause(name):
        if name == stage:
            print("STAGE", name, flush=True)
            time.sleep(120)

    class SlowEmbedder(HashEmbedder):
        def encode(self, texts):
            pause("embedding")
            return super().encode(texts)

    real_add, real_activate = store.ChromaStore.add, indexing.activate

    def add(self, *args):
        real_add(self, *args)
        pause("written")

    def activate(*args):
        pause("activating")
        real_activate(*args)

    store.ChromaStore.add = add
    indexing.activate = activate
    indexing.ingest(Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2])), SlowEmbedder(), rebuild=sys.argv[4] == "rebuild")
    print("DONE", flush=True)
    """
)


def _wait_for(proc: subprocess.Popen, marker: str) -> None:
    """Read the child's output until ``marker`` (it pauses there); EOF means it never got there."""
    for line in proc.stdout:
        if line.startswith(marker):
            return
    raise AssertionError(f"ingest never reached {marker!r}: {proc.stderr.read()[-2000:]}")


@pytest.mark.parametrize("mode", ["update", "rebuild"])
@pytest.mark.parametrize("stage", ["embedding", "written", "activating"])
def test_sigkill_during_ingest_leaves_the_previous_index_answering(settings, tmp_path, stage, mode):
    ingest(settings, HashEmbedder())
    before = active_folder(settings.index_dir)
    (settings.corpus_dir / "extra.md").write_text(EXTRA, encoding="utf-8")
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(settings.corpus_dir), str(settings.index_dir), stage, mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(proc, f"STAGE {stage}")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    assert active_folder(settings.index_dir) == before
    assert EXTRA_SENTENCE not in indexed_texts(settings)
    assert answers(settings) == "answered"
    # The next ingest finishes the job and clears the half-built folder.
    report = ingest(settings, HashEmbedder())
    assert "extra.md" in report.added
    assert EXTRA_SENTENCE in indexed_texts(settings)
    assert [p.name for p in settings.index_dir.glob("chroma-*")] == [active_folder(settings.index_dir).name]
