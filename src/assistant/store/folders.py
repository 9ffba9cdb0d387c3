"""The embedded index's build folders and the atomic swap between them.

``index_dir/ACTIVE`` names the live folder (``chroma-<time>-<random>``). An ingest builds in a
new folder (a copy of the live one for an incremental ingest), then replaces ``ACTIVE`` with
one ``os.replace`` and removes the older folders. Readers never see a half-written index, and a
killed ingest leaves the previous one answering.

Example::

    build = new_build_folder(index_dir)   # a copy of the active index
    ...                                   # write into build
    activate(index_dir, build)            # readers now see it
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Iterator

POINTER = "ACTIVE"
PREFIX = "chroma-"


def active_folder(index_dir: Path) -> Path | None:
    """The live build folder, or None when there is no index (or ``ACTIVE`` points elsewhere)."""
    pointer = Path(index_dir) / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    folder = Path(index_dir) / name
    # Only a build folder of this index: a pointer edited to "..", "/" or elsewhere is no index.
    return folder if name.startswith(PREFIX) and folder.name == name and folder.is_dir() else None


def new_build_folder(index_dir: Path, copy: bool = True) -> Path:
    """A fresh folder to build in, seeded with a copy of the active index when ``copy`` (incremental ingest)."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    folder = index_dir / f"{PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    current = active_folder(index_dir)
    if current is not None and copy:
        shutil.copytree(current, folder)
    else:
        folder.mkdir()
    return folder


def activate(index_dir: Path, folder: Path) -> None:
    """Point ``ACTIVE`` at ``folder`` atomically and remove older builds."""
    index_dir = Path(index_dir)
    tmp = index_dir / f".{POINTER}.{os.getpid()}"
    tmp.write_text(folder.name, encoding="utf-8")
    os.replace(tmp, index_dir / POINTER)
    for old in _build_folders(index_dir):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)


def discard(folder: Path) -> None:
    """Remove a build that failed; the active index is untouched."""
    shutil.rmtree(folder, ignore_errors=True)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` so that a reader sees the old file or the new one, never part of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _build_folders(index_dir: Path) -> Iterator[Path]:
    return (p for p in index_dir.glob(f"{PREFIX}*") if p.is_dir())
