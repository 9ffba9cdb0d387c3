"""Index generations on a Chroma server: each ingest writes a new collection, then moves a pointer.

Several app processes (replicas) may read one server while ``assistant ingest`` runs. Writing
into the collection they read would show them a half-written index: a changed article deleted
and not yet added back. So on a server, ingest writes ``<name>.g<stamp>`` (copying the rows of
unchanged articles from the active one, embedding only the rest), then points the pointer
collection ``<name>.active`` at it (its metadata names the active collection). Readers open what
the pointer names; a serving process checks it every second or so and switches whole (units,
keyword index and dense search together). The generation before the active one is kept, so a
reader that has not switched yet keeps answering; older ones are deleted.

Without a pointer (a server written before generations), the collection ``<name>`` is active.

Example::

    name = active_name(client, "articles", retries=3)   # "articles.g20261203T092200123456" or "articles"
    new = new_name("articles")
    ...write new...
    activate(client, "articles", new, retries=3)        # readers follow; older generations are dropped
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .chroma import retrying


def pointer_name(base: str) -> str:
    return f"{base}.active"


def new_name(base: str) -> str:
    return f"{base}.g{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S%f')}"


def active_name(client: Any, base: str, retries: int) -> str:
    """The collection readers should use now."""
    try:
        pointer = retrying(lambda: client.get_collection(pointer_name(base)), retries, "read the active index")
    except Exception as exc:
        if exc.__class__.__name__ == "NotFoundError" or "does not exist" in str(exc):
            return base
        raise
    return (pointer.metadata or {}).get("collection") or base


def activate(client: Any, base: str, name: str, retries: int) -> None:
    """Point readers at ``name``; keep the generation it replaces, drop the ones before it."""
    previous = active_name(client, base, retries)
    pointer = retrying(lambda: client.get_or_create_collection(pointer_name(base), metadata={"collection": name}),
                       retries, "create the index pointer")
    retrying(lambda: pointer.modify(metadata={"collection": name}), retries, "move the index pointer")
    names = [c if isinstance(c, str) else c.name for c in retrying(client.list_collections, retries, "list collections")]
    for old in names:
        if (old == base or old.startswith(f"{base}.g")) and old not in (name, previous):  # base: written before generations
            try:
                retrying(lambda o=old: client.delete_collection(o), retries, "drop an old index")
            except Exception:  # another ingest may have dropped it first
                pass
