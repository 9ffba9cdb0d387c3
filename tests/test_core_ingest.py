"""Ingest is incremental: only what changed in the corpus is embedded, guided by the manifest.

The fast tests use the deterministic ``HashEmbedder`` wrapped to record every text it embeds;
the CLI test at the end runs the real command with the real model.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import indexing
from assistant.chunking import chunk_document
from assistant.corpus import read_corpus
from assistant.embeddings import HashEmbedder
from assistant.indexing import ingest
from assistant.store import ChromaStore

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "why-depression-makes-you-push-people-away.md"
EXTRA = "reaching-out.txt"
EXTRA_TEXT = "Reaching out after a long silence is hard.\nA short message is enough to start.\n"


class RecordingEmbedder(HashEmbedder):
    """The hash fake, remembering every text it was asked to embed."""

    def __init__(self, model_sha256: str = HashEmbedder.model_sha256):
        super().__init__()
        self.model_sha256 = model_sha256
        self.embedded: list[str] = []

    def encode(self, texts):
        self.embedded.extend(texts)
        return super().encode(texts)


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(ROOT / "corpus" / ARTICLE, folder / ARTICLE)
    (folder / EXTRA).write_text(EXTRA_TEXT, encoding="utf-8")
    return folder


@pytest.fixture
def settings(corpus, tmp_path, settings_for):
    return settings_for(tmp_path / "index", corpus_dir=corpus)


def stored_units(settings):
    store = ChromaStore.open(settings)
    try:
        return store.units()
    finally:
        store.close()


def units_of(folder: Path, name: str):
    docs, _ = read_corpus(folder)
    return chunk_document(next(d for d in docs if d.source == name))


def test_first_ingest_embeds_every_unit(settings, corpus):
    embedder = RecordingEmbedder()

    report = ingest(settings, embedder)

    expected = units_of(corpus, ARTICLE) + units_of(corpus, EXTRA)
    assert report.units_embedded == report.units_total == len(expected)
    assert sorted(report.added) == sorted([ARTICLE, EXTRA])
    assert sorted(u.id for u in stored_units(settings)) == sorted(u.id for u in expected)
    assert set(u.text for u in expected) <= set(embedder.embedded)


def test_second_ingest_of_an_unchanged_corpus_embeds_nothing(settings):
    ingest(settings, RecordingEmbedder())
    before = stored_units(settings)
    embedder = RecordingEmbedder()

    report = ingest(settings, embedder)

    assert report.units_embedded == 0
    assert embedder.embedded == []
    assert sorted(report.unchanged) == sorted([ARTICLE, EXTRA]) and not report.added and not report.changed
    assert "embedded 0 passage(s)" in report.summary()
    assert stored_units(settings) == before


def test_a_changed_file_re_embeds_only_its_own_units(settings, corpus):
    ingest(settings, RecordingEmbedder())
    article_ids = {u.id for u in stored_units(settings) if u.source == ARTICLE}
    (corpus / EXTRA).write_text(EXTRA_TEXT.replace("is enough", "can be enough"), encoding="utf-8")
    embedder = RecordingEmbedder()

    report = ingest(settings, embedder)

    new_units = units_of(corpus, EXTRA)
    assert report.changed == (EXTRA,) and report.unchanged == (ARTICLE,)
    assert report.units_embedded == len(new_units)
    assert {u.text for u in new_units} <= set(embedder.embedded)
    article_texts = {t for u in units_of(corpus, ARTICLE) for t in (u.text, u.context)}
    assert not set(embedder.embedded) & article_texts, "the unchanged article was embedded again"
    stored = stored_units(settings)
    assert {u.id for u in stored if u.source == ARTICLE} == article_ids
    assert [u.text for u in stored if u.source == EXTRA] == [u.text for u in new_units]
    assert "A short message can be enough to start." in [u.text for u in stored]
    assert "A short message is enough to start." not in [u.text for u in stored]


def test_a_removed_file_loses_its_units(settings, corpus):
    ingest(settings, RecordingEmbedder())
    (corpus / EXTRA).unlink()
    embedder = RecordingEmbedder()

    report = ingest(settings, embedder)

    assert report.removed == (EXTRA,)
    assert embedder.embedded == []
    stored = stored_units(settings)
    assert {u.source for u in stored} == {ARTICLE}
    assert report.units_total == len(stored) == len(units_of(corpus, ARTICLE))


def test_a_new_file_is_added_without_re_embedding_the_others(settings, corpus):
    (corpus / EXTRA).unlink()
    ingest(settings, RecordingEmbedder())
    (corpus / EXTRA).write_text(EXTRA_TEXT, encoding="utf-8")
    embedder = RecordingEmbedder()

    report = ingest(settings, embedder)

    assert report.added == (EXTRA,)
    assert report.units_embedded == len(units_of(corpus, EXTRA))
    assert not set(embedder.embedded) & {u.text for u in units_of(corpus, ARTICLE)}


def test_a_new_chunker_version_rebuilds_everything(settings, monkeypatch):
    ingest(settings, RecordingEmbedder())
    monkeypatch.setattr(indexing, "CHUNKER_VERSION", "units-test-next")

    report = ingest(settings, RecordingEmbedder())

    assert report.rebuilt
    assert report.units_embedded == report.units_total == len(stored_units(settings))


def test_a_different_model_rebuilds_everything(settings):
    ingest(settings, RecordingEmbedder())

    report = ingest(settings, RecordingEmbedder(model_sha256="another-model"))

    assert report.rebuilt
    assert report.units_embedded == report.units_total
    again = ingest(settings, RecordingEmbedder(model_sha256="another-model"))
    assert again.units_embedded == 0 and not again.rebuilt


def test_ingest_leaves_one_live_index_folder(settings):
    ingest(settings, RecordingEmbedder())
    ingest(settings, RecordingEmbedder(model_sha256="another-model"))

    builds = sorted(p.name for p in settings.index_dir.glob("chroma-*"))
    assert len(builds) == 1
    assert (settings.index_dir / "ACTIVE").read_text(encoding="utf-8").strip() == builds[0]


def test_loading_the_assistant_builds_a_missing_index(tmp_settings):
    from assistant import Assistant

    assert not tmp_settings.index_dir.exists()

    bot = Assistant.load(tmp_settings, embedder=RecordingEmbedder())

    assert (tmp_settings.index_dir / "ACTIVE").is_file()
    assert len(stored_units(tmp_settings)) == len(units_of(tmp_settings.corpus_dir, ARTICLE))
    assert bot.ask("Is pushing people away selfish?").sources


# -- the command, with the real model ---------------------------------------------------------

_SUMMARY = re.compile(r"in (?P<seconds>[0-9.]+) s; embedded (?P<embedded>\d+) passage")


@pytest.mark.integration
def test_the_ingest_command_embeds_nothing_the_second_time(tmp_path):
    from assistant.cli import main

    runner = CliRunner()
    env = {"ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "ASSISTANT_CORPUS_DIR": str(ROOT / "corpus"),
           "ASSISTANT_CHROMA_URL": None}

    first = runner.invoke(main, ["ingest"], env=env)
    second = runner.invoke(main, ["ingest"], env=env)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    one, two = _SUMMARY.search(first.output), _SUMMARY.search(second.output)
    assert one and two, (first.output, second.output)
    assert int(one["embedded"]) > 40
    assert int(two["embedded"]) == 0 and "embedded 0 passage(s)" in second.output
    assert "unchanged: " + ARTICLE in second.output
    assert float(two["seconds"]) < 0.1 * float(one["seconds"])
