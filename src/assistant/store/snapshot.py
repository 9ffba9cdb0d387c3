"""Exact in-memory search over a small built index, without Chroma.

A build folder never changes once it is active, so each ingest leaves plain files beside
Chroma's: ``manifest.json`` and, for a collection of up to ``EXACT_MAX`` rows, ``snapshot.npz``
(the row vectors, ids and metadata). Reading the manifest and the units and answering a query
from them need neither the chromadb import (about a second) nor its per-query overhead: an exact
cosine search over a few thousand vectors takes well under a millisecond and gives Chroma's
ranking, or better: HNSW is approximate, so they may differ among rows of equal similarity at the
cut-off, and deep in a long list (beyond about 100 rows) where HNSW can miss a row. Larger
collections and folders without the files are read through Chroma.

Example::

    snap = Snapshot.load(folder / SNAPSHOT_FILE)
    snap.nearest(vector, k=48)   # [(row id, cosine), ...], best first
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .folders import write_atomic

EXACT_MAX = 20_000  # rows; up to this many, the embedded store is searched exactly from snapshot.npz
MANIFEST_FILE = "manifest.json"
SNAPSHOT_FILE = "snapshot.npz"


def fits(rows: int) -> bool:
    """Whether a collection of ``rows`` rows gets a snapshot."""
    return rows <= EXACT_MAX


class Snapshot:
    """Rows of a small collection (ids, metadata, unit vectors) for exact search without Chroma."""

    def __init__(self, ids: list[str], metas: list[dict], vectors: np.ndarray):
        self.ids, self.metas, self.vectors = ids, metas, vectors

    @classmethod
    def from_pages(cls, pages: Iterable[dict[str, Any]]) -> "Snapshot":
        """From Chroma ``get`` pages that include metadata and embeddings."""
        ids: list[str] = []
        metas: list[dict] = []
        vecs: list[np.ndarray] = []
        for page in pages:
            if page["ids"]:
                ids += page["ids"]
                metas += page["metadatas"] or []
                vecs.append(np.asarray(page["embeddings"], dtype=np.float32))
        return cls(ids, metas, np.concatenate(vecs) if vecs else np.zeros((0, 0), dtype=np.float32))

    @classmethod
    def load(cls, path: Path) -> "Snapshot | None":
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
        rows = json.dumps({"ids": self.ids, "metas": self.metas}, ensure_ascii=False).encode("utf-8")
        buf = io.BytesIO()
        np.savez(buf, vectors=self.vectors, rows=np.frombuffer(rows, dtype=np.uint8))
        write_atomic(path, buf.getvalue())

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


def read_manifest(folder: Path) -> dict | None:
    """The manifest file of a build folder; None when it is missing or unreadable (Chroma has a copy)."""
    try:
        return json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_manifest(folder: Path, manifest: dict) -> None:
    write_atomic(folder / MANIFEST_FILE, json.dumps(manifest, sort_keys=True).encode())


def remove_files(folder: Path) -> None:
    """Remove the snapshot and manifest files: the folder's Chroma data is about to change."""
    for name in (SNAPSHOT_FILE, MANIFEST_FILE):
        (folder / name).unlink(missing_ok=True)
