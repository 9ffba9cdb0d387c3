"""The vector store of article units, one module per job:

- ``collection.py``: ``ChromaStore``, the units as rows of one Chroma collection (embedded or a
  server): write, read, search, and the ingest manifest;
- ``rows.py``: the row ids (``<unit id>:t|:c|:q<n>``) and metadata of a unit, written and read
  in that one place;
- ``chroma.py``: the Chroma client, with telemetry off, time limits and retries;
- ``snapshot.py``: exact in-memory search over a small built folder, without importing chromadb;
- ``folders.py``: the embedded index's build folders and their atomic swap.

Example::

    from assistant.store import ChromaStore
    store = ChromaStore.open(settings)
    store.query(vector, n=8)
"""

from __future__ import annotations

from .collection import ChromaStore, Hit
from .folders import activate, active_folder, discard, new_build_folder
from .snapshot import MANIFEST_FILE, SNAPSHOT_FILE

__all__ = ["ChromaStore", "Hit", "MANIFEST_FILE", "SNAPSHOT_FILE", "activate", "active_folder", "discard", "new_build_folder"]
