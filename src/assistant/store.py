"""The Chroma vector store: embedded (persistent folder) or a Chroma server, one interface.

Each unit is stored as up to two vectors: its own text (``<id>:t``) and its context (``<id>:c``,
the unit with its lead-in or neighbours). A query returns units ranked by the better of their
two cosine similarities. Chroma reports cosine *distance* d in [0, 2]; we use 1 - d, the cosine
similarity, as the dense score.

The ingest manifest (corpus hashes, chunker and model) is kept in the collection's metadata,
so it travels with the data whether the store is a folder or a server.

The embedded store builds aside and swaps: ``index_dir/ACTIVE`` names the live folder; a
re-ingest copies it, changes the copy and then replaces ``ACTIVE`` atomically, so readers never
see a half-written index and a killed ingest leaves the previous one intact.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlparse

import numpy as np

from .errors import IndexError_, StoreUnavailable
from .settings import Settings
from .types import Unit

BATCH = 1000


@dataclass(frozen=True)
class Hit:
    unit_id: str
    similarity: float


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def _retrying(call: Callable[[], Any], retries: int, what: str) -> Any:
    """Run a server call, retrying with exponential backoff; a lasting failure is ``StoreUnavailable``."""
    delay = 0.2
    for attempt in range(retries + 1):
        try:
            return call()
        except (IndexError_, StoreUnavailable):
            raise
        except Exception as exc:  # chromadb raises many transport errors; all mean "not reachable now"
            if attempt == retries:
                raise StoreUnavailable(
                    f"The Chroma server could not {what} ({exc.__class__.__name__}). "
                    "Check that it is running (`chroma run --path DIR --port N`) and that ASSISTANT_CHROMA_URL is right."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


class Store:
    """A Chroma collection of units; build with ``Store.open(settings)``."""

    def __init__(self, client: Any, collection_name: str, *, server: bool, retries: int, path: Path | None = None):
        self.client = client
        self.collection_name = collection_name
        self.server = server
        self.retries = retries if server else 0
        self.path = path
        self._collection = None

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, *, path: Path | None = None) -> "Store":
        """Open the configured store (server if ``chroma_url`` is set, else the active folder)."""
        import chromadb

        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            if not url.hostname:
                raise IndexError_(f"ASSISTANT_CHROMA_URL={settings.chroma_url!r} is not a URL like http://127.0.0.1:8000.")
            port = url.port or (443 if url.scheme == "https" else 8000)

            def connect():
                return chromadb.HttpClient(host=url.hostname, port=port, ssl=url.scheme == "https", settings=_chroma_settings())

            client = _retrying(connect, settings.chroma_retries, f"be reached at {settings.chroma_url}")
            return cls(client, settings.collection, server=True, retries=settings.chroma_retries)
        folder = path or active_folder(settings.index_dir)
        if folder is None:
            raise IndexError_(f"No index in {settings.index_dir}; run `assistant ingest` to build it.")
        client = chromadb.PersistentClient(path=str(folder), settings=_chroma_settings())
        return cls(client, settings.collection, server=False, retries=0, path=folder)

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        if not self.server:
            return fn()
        try:
            return _retrying(fn, self.retries, what)
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

    # -- manifest ----------------------------------------------------------------------------

    def manifest(self) -> dict:
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

    # -- writing -----------------------------------------------------------------------------

    def add(self, units: list[Unit], text_vecs: np.ndarray, context_vecs: np.ndarray) -> None:
        col = self.collection(create=True)
        ids, docs, metas, vecs = [], [], [], []
        for unit, tv, cv in zip(units, text_vecs, context_vecs):
            base = {**unit.metadata(), "unit_id": unit.id, "text": unit.text}
            ids.append(f"{unit.id}:t"); docs.append(unit.text); metas.append({**base, "role": "text"}); vecs.append(tv)
            if unit.context != unit.text:
                ids.append(f"{unit.id}:c"); docs.append(unit.context); metas.append({**base, "role": "context"}); vecs.append(cv)
        for i in range(0, len(ids), BATCH):
            sl = slice(i, i + BATCH)
            batch = (ids[sl], np.asarray(vecs[sl], dtype=np.float32), docs[sl], metas[sl])
            self._call(lambda b=batch: col.upsert(ids=b[0], embeddings=b[1], documents=b[2], metadatas=b[3]), "store passages")

    def delete_source(self, source: str) -> None:
        col = self.collection(create=True)
        self._call(lambda: col.delete(where={"source": source}), "delete passages")

    def drop(self) -> None:
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
        col = self.collection()
        out: list[Unit] = []
        offset = 0
        while True:
            page = self._call(
                lambda o=offset: col.get(where={"role": "text"}, include=["metadatas"], limit=BATCH * 5, offset=o), "read passages"
            )
            metas = page["metadatas"] or []
            for m in metas:
                out.append(Unit(m["unit_id"], m["source"], m["text"], m.get("context", m["text"]), int(m.get("section", 0)),
                                int(m.get("position", 0)), m.get("kind", "sentence"), m.get("lead_in", "")))
            if len(metas) < BATCH * 5:
                break
            offset += len(metas)
        out.sort(key=lambda u: (u.source, u.position))
        return out

    def query(self, vector: np.ndarray, n: int) -> list[Hit]:
        """Units nearest to ``vector`` (best of text and context vectors), best first."""
        col = self.collection()
        res = self._call(
            lambda: col.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=max(1, 2 * n), include=["metadatas", "distances"]),
            "search",
        )
        best: dict[str, float] = {}
        for meta, dist in zip(res["metadatas"][0], res["distances"][0]):
            sim = 1.0 - float(dist)
            uid = meta["unit_id"]
            if sim > best.get(uid, -2.0):
                best[uid] = sim
        return [Hit(u, s) for u, s in sorted(best.items(), key=lambda kv: -kv[1])[:n]]

    def count_units(self) -> int:
        col = self.collection()
        return len(self._call(lambda: col.get(where={"role": "text"}, include=[])["ids"], "count passages"))

    def close(self) -> None:
        self._collection = None
        if not self.server:
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()


# -- the embedded store's folders ------------------------------------------------------------


def active_folder(index_dir: Path) -> Path | None:
    pointer = Path(index_dir) / "ACTIVE"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    folder = Path(index_dir) / name
    return folder if name and folder.is_dir() else None


def new_build_folder(index_dir: Path, copy: bool = True) -> Path:
    """A fresh folder to build in, seeded with a copy of the active index when ``copy`` (incremental ingest)."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    folder = index_dir / f"chroma-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    current = active_folder(index_dir)
    if current is not None and copy:
        shutil.copytree(current, folder)
    else:
        folder.mkdir()
    return folder


def activate(index_dir: Path, folder: Path) -> None:
    """Point ``ACTIVE`` at ``folder`` atomically and remove older builds."""
    index_dir = Path(index_dir)
    tmp = index_dir / f".ACTIVE.{os.getpid()}"
    tmp.write_text(folder.name, encoding="utf-8")
    os.replace(tmp, index_dir / "ACTIVE")
    for old in _build_folders(index_dir):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _build_folders(index_dir: Path) -> Iterator[Path]:
    return (p for p in index_dir.glob("chroma-*") if p.is_dir())
