"""The store's pieces on their own: row ids and rows of a unit, the exact-search snapshot, the
build folders and their swap, and the Chroma server retries (no Chroma needed for any of them)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from assistant.errors import StoreUnavailable
from assistant.store import chroma, folders, rows, snapshot
from assistant.types import Unit

UNIT = Unit("guide.md#s2-i3", "guide.md", "Guilt and shame: You may feel you let people down.",
            "Consider: Guilt and shame: You may feel you let people down.", 2, 7, "item", "Consider:",
            ("why do I feel guilty?", "is shame part of depression?"))


# -- rows ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, n, expected", [("text", 0, "a.md#1:t"), ("context", 0, "a.md#1:c"), ("question", 3, "a.md#1:q3")])
def test_a_row_id_names_its_unit_and_role_and_reads_back(role, n, expected):
    rid = rows.row_id("a.md#1", role, n)

    assert rid == expected
    assert rows.read_row_id(rid) == rows.RowId("a.md#1", role)


def test_a_unit_id_with_a_colon_reads_back_whole():
    assert rows.read_row_id(rows.row_id("notes: part 2.md#4", "question", 12)) == rows.RowId("notes: part 2.md#4", "question")


def test_a_unit_is_stored_as_its_text_context_and_question_rows():
    laid_out = list(rows.unit_rows(UNIT))

    assert [rid for rid, _, _ in laid_out] == [f"{UNIT.id}:t", f"{UNIT.id}:c", f"{UNIT.id}:q0", f"{UNIT.id}:q1"]
    assert [text for _, _, text in laid_out] == [UNIT.text, UNIT.context, *UNIT.questions]
    assert [m["role"] for _, m, _ in laid_out] == ["text", "context", "question", "question"]
    assert all(rows.unit_from_row(m) == UNIT for _, m, _ in laid_out)
    assert [rows.is_text_row(m) for _, m, _ in laid_out] == [True, False, False, False]


def test_a_unit_whose_context_is_its_text_has_no_context_row():
    plain = Unit("a.md#0", "a.md", "One sentence.", "One sentence.", 0, 0, "sentence")

    assert [rid for rid, _, _ in rows.unit_rows(plain)] == ["a.md#0:t"]


# -- snapshot --------------------------------------------------------------------------------------


def test_the_snapshot_finds_the_nearest_rows_by_cosine_and_keeps_ties_in_stored_order(tmp_path):
    vectors = np.array([[1, 0, 0], [0, 2, 0], [0, 1, 1], [0, 3, 0]], dtype=np.float32)
    snap = snapshot.Snapshot(["a:t", "b:t", "c:t", "d:t"], [{}] * 4, vectors)
    snap.save(tmp_path / snapshot.SNAPSHOT_FILE)

    loaded = snapshot.Snapshot.load(tmp_path / snapshot.SNAPSHOT_FILE)

    nearest = loaded.nearest(np.array([0, 5, 0], dtype=np.float32), 3)
    assert [rid for rid, _ in nearest] == ["b:t", "d:t", "c:t"]  # b and d tie at 1.0: stored order
    assert [sim for _, sim in nearest] == pytest.approx([1.0, 1.0, 2 ** -0.5])
    assert loaded.nearest(np.ones(3, dtype=np.float32), 10)[-1][0] in {"a:t", "b:t", "c:t", "d:t"}
    assert snapshot.Snapshot([], [], np.zeros((0, 0), dtype=np.float32)).nearest(np.ones(3), 5) == []


def test_an_unreadable_snapshot_is_no_snapshot(tmp_path):
    (tmp_path / snapshot.SNAPSHOT_FILE).write_bytes(b"not numpy")

    assert snapshot.Snapshot.load(tmp_path / snapshot.SNAPSHOT_FILE) is None
    assert snapshot.Snapshot.load(tmp_path / "missing.npz") is None


def test_a_snapshot_is_built_from_chroma_pages():
    pages = [{"ids": ["a:t", "b:t"], "metadatas": [{"n": 1}, {"n": 2}], "embeddings": [[1.0, 0.0], [0.0, 1.0]]},
             {"ids": [], "metadatas": [], "embeddings": []}]

    snap = snapshot.Snapshot.from_pages(pages)

    assert snap.ids == ["a:t", "b:t"] and snap.metas == [{"n": 1}, {"n": 2}] and snap.vectors.shape == (2, 2)


def test_only_a_small_collection_gets_a_snapshot(monkeypatch):
    monkeypatch.setattr(snapshot, "EXACT_MAX", 100)

    assert snapshot.fits(100) and not snapshot.fits(101)


def test_the_manifest_file_reads_back_and_a_damaged_one_reads_as_none(tmp_path):
    snapshot.write_manifest(tmp_path, {"units": 3, "files": {"a.md": "x"}})
    assert snapshot.read_manifest(tmp_path) == {"units": 3, "files": {"a.md": "x"}}

    (tmp_path / snapshot.MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    assert snapshot.read_manifest(tmp_path) is None
    snapshot.remove_files(tmp_path)
    assert not (tmp_path / snapshot.MANIFEST_FILE).exists()


# -- folders ---------------------------------------------------------------------------------------


def test_a_build_is_a_copy_of_the_active_folder_and_activating_it_removes_the_old_one(tmp_path):
    first = folders.new_build_folder(tmp_path)
    (first / "data").write_text("v1", encoding="utf-8")
    folders.activate(tmp_path, first)

    second = folders.new_build_folder(tmp_path)
    assert (second / "data").read_text(encoding="utf-8") == "v1"
    assert folders.active_folder(tmp_path) == first

    folders.activate(tmp_path, second)
    assert folders.active_folder(tmp_path) == second and not first.exists()
    assert not list(tmp_path.glob(".ACTIVE.*"))


def test_a_fresh_build_starts_empty(tmp_path):
    folders.activate(tmp_path, folders.new_build_folder(tmp_path))
    (folders.active_folder(tmp_path) / "data").write_text("v1", encoding="utf-8")

    assert list(folders.new_build_folder(tmp_path, copy=False).iterdir()) == []


@pytest.mark.parametrize("pointer", ["..", "/", "chroma-missing", "elsewhere", "chroma-x/../.."])
def test_a_pointer_to_anything_but_a_build_folder_is_no_index(tmp_path, pointer):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "ACTIVE").write_text(pointer, encoding="utf-8")

    assert folders.active_folder(tmp_path) is None


def test_a_failed_build_is_discarded(tmp_path):
    build = folders.new_build_folder(tmp_path)
    folders.discard(build)

    assert not build.exists() and folders.active_folder(tmp_path) is None


def test_an_atomic_write_leaves_no_temporary_file(tmp_path):
    folders.write_atomic(tmp_path / "f.json", b"{}")

    assert os.listdir(tmp_path) == ["f.json"]


# -- the Chroma client's retries -------------------------------------------------------------------


@pytest.fixture
def no_sleep(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(chroma.time, "sleep", slept.append)
    return slept


def test_a_transport_error_is_retried_with_growing_waits(no_sleep):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("refused")
        return "ok"

    assert chroma.retrying(flaky, 3, "search") == "ok"
    assert no_sleep == [0.2, 0.4]


def test_a_lasting_failure_is_store_unavailable_and_says_what_to_check(no_sleep):
    def down():
        raise ConnectionError("refused")

    with pytest.raises(StoreUnavailable, match="could not search .*ConnectionError.*chroma run"):
        chroma.retrying(down, 2, "search")
    assert len(no_sleep) == 2


def test_a_missing_collection_is_not_retried(no_sleep):
    class NotFoundError(Exception):
        pass

    def missing():
        raise NotFoundError("no collection")

    with pytest.raises(NotFoundError):
        chroma.retrying(missing, 3, "open the collection")
    assert no_sleep == []
