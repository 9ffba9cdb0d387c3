"""The vector store of article units: one Chroma collection, embedded (a build folder) or on a server.

Each unit is stored as several rows (``rows.py``): its own text, its context and its doc2query
questions. A query returns units ranked by the best cosine of their passage rows and, apart, of
their question rows. Chroma reports cosine *distance* d in [0, 2]; we use 1 - d, the cosine
similarity, as the dense score.

The ingest manifest (corpus hashes, chunker and model) is kept in the collection's metadata, so
it travels with the data whether the store is a folder or a server. A built folder also carries
it as a file, with an exact-search snapshot of small collections (``snapshot.py``); a reader then
never imports chromadb. Server calls are retried (``chroma.py``); folders are swapped atomically
(``folders.py``).

Example::

    store = ChromaStore.open(settings)
    hits = store.query(vector, n=8)   # [Hit(unit_id, similarity, question), ...], best first
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ..errors import IndexError_, StoreUnavailable
from ..settings import Settings
from ..types import Unit
from . import chroma, generations, snapshot
from .folders import active_folder
from .rows import TEXT_ROWS, is_text_row, read_row_id, unit_from_row, unit_rows

BATCH = 1000
PAGE = BATCH * 5  # rows read per Chroma ``get``


@dataclass(frozen=True)
class Hit:
    unit_id: str
    similarity: float  # best cosine of the unit's own text or its context
    question: float = -1.0  # best cosine of the unit's doc2query questions (-1: none matched)


class ChromaStore:
    """A Chroma collection of units; build with ``ChromaStore.open(settings)``."""

    def __init__(self, client: Any, collection_name: str, *, server: bool, retries: int, path: Path | None = None):
        self._client = client
        self.collection_name = collection_name
        self.server = server
        self.retries = retries if server else 0
        self.path = path
        self._collection = None
        self._snapshot: snapshot.Snapshot | None | bool = None  # None: not looked for yet; False: none usable

    @property
    def client(self) -> Any:
        if self._client is None:
            self._follow_active()
            self._client = chroma.open_folder(self.path)
        return self._client

    def _follow_active(self) -> None:
        """A reader opened before a re-ingest swapped folders reads the new one, as long as it
        has read nothing yet (the swap removes the old folder)."""
        if self.path is not None and self._client is None and self._snapshot is None and not self.path.is_dir():
            self.path = active_folder(self.path.parent) or self.path

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, *, path: Path | None = None) -> "ChromaStore":
        """Open the configured store (server if ``chroma_url`` is set, else the active folder).
        The embedded client is created on first use, so a reader served by the snapshot never imports chromadb."""
        if settings.chroma_url:
            client = chroma.connect(settings)
            name = generations.active_name(client, settings.collection, settings.chroma_retries)
            return cls(client, name, server=True, retries=settings.chroma_retries)
        folder = path or active_folder(settings.index_dir)
        if folder is None:
            raise IndexError_(f"No index in {settings.index_dir}; run `assistant ingest` to build it.")
        return cls(None, settings.collection, server=False, retries=0, path=folder)

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        if not self.server:
            return fn()
        try:
            return chroma.retrying(fn, self.retries, what)
        except StoreUnavailable:
            self._collection = None  # reconnect on the next call
            raise

    def collection(self, create: bool = False):
        if self._collection is None:
            if create:
                self._collection = self._call(
                    lambda: self.client.get_or_create_collection(
                        self.collection_name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
                    ),
                    "create the collection",
                )
            else:
                try:
                    self._collection = self._call(
                        lambda: self.client.get_collection(self.collection_name, embedding_function=None), "open the collection"
                    )
                except StoreUnavailable:
                    raise
                except Exception as exc:
                    raise IndexError_(f"The index has no collection {self.collection_name!r}; run `assistant ingest`.") from exc
        return self._collection

    def _pages(self, col: Any, what: str, **get: Any) -> Iterator[dict[str, Any]]:
        """Every row ``col.get(**get)`` selects, a page at a time."""
        offset = 0
        while True:
            page = self._call(lambda o=offset: col.get(**get, limit=PAGE, offset=o), what)
            yield page
            if len(page["ids"]) < PAGE:
                return
            offset += len(page["ids"])

    # -- manifest ----------------------------------------------------------------------------

    def manifest(self) -> dict:
        if self.path is not None:
            saved = snapshot.read_manifest(self.path)
            if saved is not None:
                return saved
        try:
            meta = self.collection().metadata or {}
        except IndexError_:
            return {}
        try:
            return json.loads(meta.get("manifest", "{}"))
        except json.JSONDecodeError:
            return {}

    def set_manifest(self, manifest: dict) -> None:
        col = self.collection(create=True)
        self._call(lambda: col.modify(metadata={"manifest": json.dumps(manifest, sort_keys=True)}), "save the manifest")
        if self.path is not None:
            self._write_snapshot(col, manifest, self.path)

    # -- writing -----------------------------------------------------------------------------

    def add(self, units: list[Unit], vectors: dict[str, np.ndarray]) -> None:
        """Store each unit's text, context and doc2query question vectors (``vectors`` maps text → vector)."""
        self._drop_snapshot()
        col = self.collection(create=True)
        # No Chroma "documents": every text is already in the metadata (text, context, questions),
        # nothing searches them, and Chroma's full-text index of them was a third of the write time.
        ids, metas, vecs = [], [], []
        for unit in units:
            for rid, meta, text in unit_rows(unit):
                ids.append(rid); metas.append(meta); vecs.append(vectors[text])
        for i in range(0, len(ids), BATCH):
            sl = slice(i, i + BATCH)
            batch = (ids[sl], np.asarray(vecs[sl], dtype=np.float32), metas[sl])
            self._call(lambda b=batch: col.upsert(ids=b[0], embeddings=b[1], metadatas=b[2]), "store passages")

    def copy_sources(self, other: "ChromaStore", sources: list[str]) -> None:
        """Copy every row of ``sources`` (vectors included) from ``other``: nothing is embedded again."""
        if not sources:
            return
        self._drop_snapshot()
        col, theirs = self.collection(create=True), other.collection()
        for page in other._pages(theirs, "read passages", where={"source": {"$in": sources}}, include=["metadatas", "embeddings"]):
            if len(page["ids"]):
                self._call(lambda p=page: col.upsert(ids=p["ids"], embeddings=p["embeddings"], metadatas=p["metadatas"]),
                           "store passages")

    def delete_source(self, source: str) -> None:
        self._drop_snapshot()
        col = self.collection(create=True)
        self._call(lambda: col.delete(where={"source": source}), "delete passages")

    def drop(self) -> None:
        self._drop_snapshot()
        try:
            self._call(lambda: self.client.delete_collection(self.collection_name), "drop the collection")
        except StoreUnavailable:
            raise
        except Exception:
            pass
        self._collection = None

    # -- reading -----------------------------------------------------------------------------

    def units(self) -> list[Unit]:
        """Every unit in the store, in (source, position) order."""
        snap = self._loaded_snapshot()
        if snap:
            out = [unit_from_row(m) for m in snap.metas if is_text_row(m)]
        else:
            pages = self._pages(self.collection(), "read passages", where=TEXT_ROWS, include=["metadatas"])
            out = [unit_from_row(m) for page in pages for m in page["metadatas"] or []]
        out.sort(key=lambda u: (u.source, u.position))
        return out

    def query(self, vector: np.ndarray, n: int) -> list[Hit]:
        """Units nearest to ``vector``, best first, with their best passage and best question cosines."""
        k = max(1, 6 * n)  # each unit has several rows: text, context and its questions
        snap = self._loaded_snapshot()
        if snap:
            rows = snap.nearest(np.asarray(vector, dtype=np.float32), k)
        else:
            col = self.collection()
            # Distances only: the row id says which unit and which kind of row (rows.py).
            res = self._call(
                lambda: col.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k, include=["distances"]),
                "search",
            )
            rows = [(rid, 1.0 - float(dist)) for rid, dist in zip(res["ids"][0], res["distances"][0])]
        passage: dict[str, float] = {}
        question: dict[str, float] = {}
        for rid, sim in rows:
            row = read_row_id(rid)
            best = question if row.role == "question" else passage
            best[row.unit_id] = max(sim, best.get(row.unit_id, -2.0))
        hits = [Hit(u, passage.get(u, -1.0), question.get(u, -1.0)) for u in set(passage) | set(question)]
        return sorted(hits, key=lambda h: (-max(h.similarity, h.question), h.unit_id))[:n]

    def count_units(self) -> int:
        col = self.collection()
        return len(self._call(lambda: col.get(where=TEXT_ROWS, include=[])["ids"], "count passages"))

    def close(self) -> None:
        self._collection = None
        if not self.server and self._client is not None:
            chroma.release_folders()

    # -- the snapshot of a built folder -------------------------------------------------------

    def _loaded_snapshot(self) -> snapshot.Snapshot | None:
        if self._snapshot is None:
            self._follow_active()
            self._snapshot = (self.path is not None and snapshot.Snapshot.load(self.path / snapshot.SNAPSHOT_FILE)) or False
        return self._snapshot or None

    def _drop_snapshot(self) -> None:
        self._snapshot = False
        if self.path is not None:
            snapshot.remove_files(self.path)

    def _write_snapshot(self, col: Any, manifest: dict, folder: Path) -> None:
        self._drop_snapshot()
        if snapshot.fits(col.count()):
            pages = self._pages(col, "read passages", include=["metadatas", "embeddings"])
            snapshot.Snapshot.from_pages(pages).save(folder / snapshot.SNAPSHOT_FILE)
        snapshot.write_manifest(folder, manifest)
