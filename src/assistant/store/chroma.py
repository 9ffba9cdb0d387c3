"""The Chroma client: an embedded folder or a server, with telemetry off, time limits and retries.

A server call that fails for a transport reason is retried with exponential backoff; a lasting
failure becomes ``StoreUnavailable``, whose message says what to check. A server that answers
"no such collection" is not retried: the caller decides what that means. Nothing here knows
what the collection holds (``collection.py`` does).

Example::

    client = connect(settings)                                  # a reachable server, or StoreUnavailable
    names = retrying(client.list_collections, 3, "list collections")
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from ..errors import IndexError_, StoreUnavailable
from ..settings import Settings


def chroma_settings():
    """Settings for every client we make: no telemetry, no reset."""
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def retrying(call: Callable[[], Any], retries: int, what: str) -> Any:
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


def connect(settings: Settings) -> Any:
    """A client of the server at ``settings.chroma_url``, checked to answer within the time limit."""
    import chromadb
    import httpx

    url = urlparse(settings.chroma_url or "")
    try:
        port = url.port or (443 if url.scheme == "https" else 8000)
    except ValueError:  # a port that is not a number from 0 to 65535
        port = None
    if not url.hostname or port is None:
        raise IndexError_(f"ASSISTANT_CHROMA_URL={settings.chroma_url!r} is not a URL like http://127.0.0.1:8000.")

    def attempt():
        # chromadb's HTTP client waits forever for an answer; a server that accepts connections
        # but never replies (frozen, overloaded) must become StoreUnavailable, not a hang.
        base = f"{url.scheme}://{url.hostname}:{port}"
        httpx.get(f"{base}/api/v2/heartbeat", timeout=settings.chroma_timeout_s).raise_for_status()
        client = chromadb.HttpClient(host=url.hostname, port=port, ssl=url.scheme == "https", settings=chroma_settings())
        session = getattr(getattr(client, "_server", None), "_session", None)
        if session is not None:
            session.timeout = httpx.Timeout(settings.chroma_timeout_s)
        return client

    return retrying(attempt, settings.chroma_retries, f"be reached at {settings.chroma_url}")


def open_folder(path: Path) -> Any:
    """The embedded client of a build folder (imports chromadb: about a second)."""
    import chromadb

    return chromadb.PersistentClient(path=str(path), settings=chroma_settings())


def release_folders() -> None:
    """Let go of the embedded clients' open files (Chroma caches one system per folder)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
