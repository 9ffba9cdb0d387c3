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

Because a built folder never changes, each ingest also leaves plain files beside Chroma's:
``manifest.json`` and, for a collection of up to ``EXACT_MAX`` vectors, ``snapshot.npz`` (the
vectors and their metadata). Reading the manifest, the units and answering a query then need
neither the chromadb import (about a second) nor its per-query overhead: an exact cosine search
over a few thousand vectors takes well under a millisecond and gives Chroma's ranking (HNSW is
approximate, so they may differ only among rows of exactly equal similarity at the cut-off).
Larger collections, folders without the files, and the Chroma server are read through Chroma.
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
EXACT_MAX = 20_000  # vectors; up to this many, the embedded store is searched exactly from snapshot.npz
MANIFEST_FILE = "manifest.json"
SNAPSHOT_FILE = "snapshot.npz"


@dataclass(frozen=True)
class Hit:
    unit_id: str
    similarity: float  # best cosine of the unit's own text or its context
    question: float = -1.0  # best cosine of the unit's doc2query questions (-1: none matched)


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
            if exc.__class__.__name__ == "NotFoundError":
                raise  # the server answered: no such collection (yet); the caller decides what that means
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
        self._client = client
        self.collection_name = collection_name
        self.server = server
        self.retries = retries if server else 0
        self.path = path
        self._collection = None
        self._snapshot: _Snapshot | None | bool = None  # None: not looked for yet; False: none usable

    @property
    def client(self) -> Any:
        if self._client is None:
            import chromadb

            self._follow_active()
            self._client = chromadb.PersistentClient(path=str(self.path), settings=_chroma_settings())
        return self._client

    def _follow_active(self) -> None:
        """A reader opened before a re-ingest swapped folders reads the new one, as long as it
        has read nothing yet (the swap removes the old folder)."""
        if self.path is not None and self._client is None and self._snapshot is None and not self.path.is_dir():
            self.path = active_folder(self.path.parent) or self.path

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, *, path: Path | None = None) -> "Store":
        """Open the configured store (server if ``chroma_url`` is set, else the active folder).
        The embedded client is created on first use, so a reader served by the snapshot never imports chromadb."""
        if settings.chroma_url:
            import chromadb
            import httpx

            url = urlparse(settings.chroma_url)
            try:
                port = url.port or (443 if url.scheme == "https" else 8000)
            except ValueError:  # a port that is not a number from 0 to 65535
                port = None
            if not url.hostname or port is None:
                raise IndexError_(f"ASSISTANT_CHROMA_URL={settings.chroma_url!r} is not a URL like http://127.0.0.1:8000.")

            def connect():
                # chromadb's HTTP client waits forever for an answer; a server that accepts connections
                # but never replies (frozen, overloaded) must become StoreUnavailable, not a hang.
                base = f"{url.scheme}://{url.hostname}:{port}"
                httpx.get(f"{base}/api/v2/heartbeat", timeout=settings.chroma_timeout_s).raise_for_status()
                client = chromadb.HttpClient(host=url.hostname, port=port, ssl=url.scheme == "https", settings=_chroma_settings())
                session = getattr(getattr(client, "_server", None), "_session", None)
                if session is not None:
                    session.timeout = httpx.Timeout(settings.chroma_timeout_s)
                return client

            client = _retrying(connect, settings.chroma_retries, f"be reached at {settings.chroma_url}")
            return cls(client, settings.collection, server=True, retries=settings.chroma_retries)
        folder = path or active_folder(settings.index_dir)
        if folder is None:
            raise IndexError_(f"No index in {settings.index_dir}; run `assistant ingest` to build it.")
        return cls(None, settings.collection, server=False, retries=0, path=folder)

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
        if self.path is not None and (self.path / MANIFEST_FILE).is_file():
            try:
                return json.loads((self.path / MANIFEST_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pass  # unreadable: ask Chroma
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
            self._write_snapshot(col, manifest)

    # -- writing -----------------------------------------------------------------------------

    def add(self, units: list[Unit], vectors: dict[str, np.ndarray]) -> None:
        """Store each unit's text, context and doc2query question vectors (``vectors`` maps text → vector)."""
        self._drop_snapshot()
        col = self.collection(create=True)
        # No Chroma "documents": every text is already in the metadata (text, context, questions),
        # nothing searches them, and Chroma's full-text index of them was a third of the write time.
        ids, metas, vecs = [], [], []
        for unit in units:
            base = {**unit.metadata(), "unit_id": unit.id, "text": unit.text}
            ids.append(f"{unit.id}:t"); metas.append({**base, "role": "text"}); vecs.append(vectors[unit.text])
            if unit.context != unit.text:
                ids.append(f"{unit.id}:c"); metas.append({**base, "role": "context"}); vecs.append(vectors[unit.context])
            for n, q in enumerate(unit.questions):
                ids.append(f"{unit.id}:q{n}"); metas.append({**base, "role": "question"}); vecs.append(vectors[q])
        for i in range(0, len(ids), BATCH):
            sl = slice(i, i + BATCH)
            batch = (ids[sl], np.asarray(vecs[sl], dtype=np.float32), metas[sl])
            self._call(lambda b=batch: col.upsert(ids=b[0], embeddings=b[1], metadatas=b[2]), "store passages")

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
            out = [_unit(m) for m in snap.metas if m.get("role") == "text"]
        else:
            col = self.collection()
            out = []
            offset = 0
            while True:
                page = self._call(
                    lambda o=offset: col.get(where={"role": "text"}, include=["metadatas"], limit=BATCH * 5, offset=o), "read passages"
                )
                metas = page["metadatas"] or []
                out.extend(_unit(m) for m in metas)
                if len(metas) < BATCH * 5:
                    break
                offset += len(metas)
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
            # Distances only: a row id is "<unit id>:t", ":c" or ":q<n>", and fetching metadata would triple the cost.
            res = self._call(
                lambda: col.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k, include=["distances"]),
                "search",
            )
            rows = [(rid, 1.0 - float(dist)) for rid, dist in zip(res["ids"][0], res["distances"][0])]
        passage: dict[str, float] = {}
        question: dict[str, float] = {}
        for rid, sim in rows:
            uid, role = rid.rsplit(":", 1)
            best = question if role.startswith("q") else passage
            best[uid] = max(sim, best.get(uid, -2.0))
        hits = [Hit(u, passage.get(u, -1.0), question.get(u, -1.0)) for u in set(passage) | set(question)]
        return sorted(hits, key=lambda h: (-max(h.similarity, h.question), h.unit_id))[:n]

    def count_units(self) -> int:
        col = self.collection()
        return len(self._call(lambda: col.get(where={"role": "text"}, include=[])["ids"], "count passages"))

    def close(self) -> None:
        self._collection = None
        if not self.server and self._client is not None:
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()

    # -- the snapshot of a built folder -------------------------------------------------------

    def _loaded_snapshot(self) -> "_Snapshot | None":
        if self._snapshot is None:
            self._follow_active()
            self._snapshot = (self.path is not None and _Snapshot.load(self.path / SNAPSHOT_FILE)) or False
        return self._snapshot or None

    def _drop_snapshot(self) -> None:
        self._snapshot = False
        if self.path is not None:
            for name in (SNAPSHOT_FILE, MANIFEST_FILE):
                (self.path / name).unlink(missing_ok=True)

    def _write_snapshot(self, col: Any, manifest: dict) -> None:
        self._drop_snapshot()
        if col.count() <= EXACT_MAX:
            ids, metas, vecs = [], [], []
            offset = 0
            while True:
                page = col.get(include=["metadatas", "embeddings"], limit=BATCH * 5, offset=offset)
                if page["ids"]:
                    ids += page["ids"]
                    metas += page["metadatas"] or []
                    vecs.append(np.asarray(page["embeddings"], dtype=np.float32))
                if len(page["ids"]) < BATCH * 5:
                    break
                offset += len(page["ids"])
            matrix = np.concatenate(vecs) if vecs else np.zeros((0, 0), dtype=np.float32)
            _Snapshot(ids, metas, matrix).save(self.path / SNAPSHOT_FILE)
        _write_atomic(self.path / MANIFEST_FILE, json.dumps(manifest, sort_keys=True).encode())


def _unit(m: dict) -> Unit:
    return Unit(m["unit_id"], m["source"], m["text"], m.get("context", m["text"]), int(m.get("section", 0)),
                int(m.get("position", 0)), m.get("kind", "sentence"), m.get("lead_in", ""), tuple(json.loads(m.get("questions", "[]"))),
                m.get("title", ""), m.get("publisher", ""))  # an index built before titles were stored has neither


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class _Snapshot:
    """Rows of a small collection (ids, metadata, unit vectors) for exact search without Chroma."""

    def __init__(self, ids: list[str], metas: list[dict], vectors: np.ndarray):
        self.ids, self.metas, self.vectors = ids, metas, vectors

    @classmethod
    def load(cls, path: Path) -> "_Snapshot | None":
        try:
            with np.load(path, allow_pickle=False) as data:
                rows = json.loads(data["rows"].tobytes().decode("utf-8"))
                vectors = np.ascontiguousarray(data["vectors"], dtype=np.float32)
        except (OSError, ValueError, KeyError):
            return None  # missing or unreadable: Chroma answers instead
        if len(rows["ids"]) != len(vectors):
            return None
        # Chroma's cosine space compares directions; unit rows make a dot product the same thing.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return cls(rows["ids"], rows["metas"], vectors / np.where(norms > 0, norms, 1.0))

    def save(self, path: Path) -> None:
        import io

        rows = json.dumps({"ids": self.ids, "metas": self.metas}, ensure_ascii=False).encode("utf-8")
        buf = io.BytesIO()
        np.savez(buf, vectors=self.vectors, rows=np.frombuffer(rows, dtype=np.uint8))
        _write_atomic(path, buf.getvalue())

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The ``k`` rows of highest cosine similarity (vectors are unit length, as in Chroma's cosine space)."""
        if not len(self.ids):
            return []
        vector = vector.reshape(-1)
        sims = self.vectors @ (vector / (np.linalg.norm(vector) or 1.0))
        k = min(k, len(sims))
        # Rows of equal similarity (units sharing a context vector) keep their stored order, as Chroma lists them.
        cut = np.partition(-sims, k - 1)[k - 1]
        cand = np.flatnonzero(-sims <= cut)
        top = cand[np.argsort(-sims[cand], kind="stable")][:k]
        return [(self.ids[i], float(sims[i])) for i in top]


# -- the embedded store's folders ------------------------------------------------------------


def active_folder(index_dir: Path) -> Path | None:
    pointer = Path(index_dir) / "ACTIVE"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    folder = Path(index_dir) / name
    # Only a build folder of this index: a pointer edited to "..", "/" or elsewhere is no index.
    return folder if name.startswith("chroma-") and folder.name == name and folder.is_dir() else None


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
