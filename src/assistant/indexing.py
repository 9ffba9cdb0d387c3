"""Ingest: corpus → units → embeddings → Chroma, incrementally, guided by a manifest.

The manifest records each file's SHA-256, the chunker version and the model hash. Re-running
on an unchanged corpus embeds nothing; a changed file replaces only its units; a removed file's
units go; a different model or chunker rebuilds everything. The embedded store is built in a
copy and swapped in atomically (see ``store/folders.py``), so a failed or killed ingest leaves the
previous index answering.

Example::

    report = ingest(Settings(), embedder)
    print(report.summary())
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from .chunking import CHUNKER_VERSION, chunk_document
from .corpus import Problem, read_corpus
from .embeddings import Embedder
from .errors import AssistantError, CorpusError, IndexError_, StoreUnavailable
from .settings import Settings
from .store import ChromaStore, activate, active_folder, discard, generations, new_build_folder

MANIFEST_VERSION = 1

log = logging.getLogger("assistant")


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did, for the CLI and the benchmarks."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    units_embedded: int = 0
    units_total: int = 0
    rebuilt: bool = False
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [
            f"Indexed {self.units_total} passages from {len(self.added) + len(self.changed) + len(self.unchanged)} file(s) "
            f"in {self.seconds:.2f} s; embedded {self.units_embedded} passage(s)"
            + (" (full rebuild)" if self.rebuilt else "")
            + "."
        ]
        for label, names in (("added", self.added), ("changed", self.changed), ("removed", self.removed), ("unchanged", self.unchanged)):
            if names:
                lines.append(f"  {label}: {', '.join(names)}")
        for p in self.problems:
            lines.append(f"  not indexed: {p}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Plan:
    """The difference between the corpus folder and what the index holds."""

    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]
    rebuild: bool
    files: dict[str, str]  # the manifest's file hashes after this ingest

    @property
    def idle(self) -> bool:
        return not (self.added or self.changed or self.removed or self.rebuild)


def plan_ingest(old: dict, wanted: dict, docs, problems, rebuild: bool) -> Plan:
    same_setup = bool(old) and all(old.get(k) == wanted[k] for k in ("version", "chunker", "model_sha256"))
    rebuild = rebuild or not same_setup
    old_files: dict[str, str] = {} if rebuild else old.get("files", {})
    current = {d.source: d.sha256 for d in docs}
    unreadable = {p.source for p in problems}
    added = [s for s in current if s not in old_files]
    changed = [s for s in current if s in old_files and old_files[s] != current[s]]
    unchanged = [s for s in current if s in old_files and old_files[s] == current[s]]
    # A file that still exists but cannot be read now keeps its old passages rather than losing them.
    removed = [s for s in old_files if s not in current and s not in unreadable]
    kept = {s: h for s, h in old_files.items() if s in unreadable}
    return Plan(added, changed, removed, unchanged, rebuild, {**kept, **current})


def _wanted(embedder: Embedder) -> dict:
    return {"version": MANIFEST_VERSION, "chunker": CHUNKER_VERSION, "model_sha256": getattr(embedder, "model_sha256", embedder.name)}


def _read_manifest(settings: Settings) -> dict:
    if not settings.chroma_url and active_folder(settings.index_dir) is None:
        return {}
    store = ChromaStore.open(settings)
    try:
        return store.manifest()
    except StoreUnavailable:
        raise
    except Exception:  # a damaged embedded index has no usable manifest: it is rebuilt
        return {}
    finally:
        store.close()


def _holds(store: ChromaStore, manifest: dict) -> bool:
    """Whether a copied index really holds the passages its manifest counts (Chroma's files can
    be lost or damaged while manifest.json survives)."""
    try:
        return store.count_units() == manifest.get("units")
    except Exception:
        return False


def index_problem(settings: Settings, embedder: Embedder) -> str | None:
    """Why the embedded index cannot serve questions embedded by ``embedder``; None when it can."""
    folder = active_folder(settings.index_dir)
    if folder is None:
        return f"No index in {settings.index_dir}"
    store = ChromaStore.open(settings)
    try:
        manifest = store.manifest()
        if not manifest:
            return f"The index in {folder} has no manifest (damaged, or written by an older version)"
        other = [k for k, v in _wanted(embedder).items() if manifest.get(k) != v]
        if other:
            return f"The index in {folder} was built with another {' and '.join(other)}"
        held = len(store.units())
        if not held or held != manifest.get("units"):
            return f"The index in {folder} holds {held} passages where its manifest counts {manifest.get('units')}"
    except Exception as exc:
        return f"The index in {folder} cannot be read ({exc.__class__.__name__})"
    finally:
        store.close()
    return None


def ensure_index(settings: Settings, embedder: Embedder) -> IngestReport | None:
    """Rebuild the embedded index when it is missing, damaged, or made by another model or
    chunker (``embedder`` is the one ingest uses); None when it is fine as it is."""
    if settings.chroma_url:
        return None
    problem = index_problem(settings, embedder)
    if problem is None:
        return None
    log.warning("%s; rebuilding it.", problem)
    return ingest(settings, embedder, rebuild=True)


def ingest(settings: Settings, embedder: Embedder, *, rebuild: bool = False) -> IngestReport:
    """Bring the index in line with the corpus folder; raise ``CorpusError`` only if no file is usable."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    docs, problems = read_corpus(settings.corpus_dir)
    if not docs:
        detail = "; ".join(str(p) for p in problems) or "no .md or .txt files"
        raise CorpusError(f"Nothing to index in {settings.corpus_dir} ({detail}). Add an article and run `assistant ingest` again.")
    wanted = _wanted(embedder)
    old = _read_manifest(settings)
    plan = plan_ingest(old, wanted, docs, problems, rebuild)
    if plan.idle and not settings.chroma_url and index_problem(settings, embedder) is not None:
        plan = plan_ingest({}, wanted, docs, problems, rebuild=True)  # nothing changed, but the index is damaged

    def report(embedded: int, total: int) -> IngestReport:
        return IngestReport(tuple(plan.added), tuple(plan.changed), tuple(plan.removed), tuple(plan.unchanged), tuple(problems),
                            embedded, total, plan.rebuild, time.perf_counter() - started, timings)

    if plan.idle:
        return report(0, int(old.get("units", 0)))

    if settings.chroma_url:
        return report(*_ingest_generation(settings, embedder, plan, wanted, docs, timings))
    build = new_build_folder(settings.index_dir, copy=not plan.rebuild)
    store = ChromaStore.open(settings, path=build)
    if not plan.rebuild and not _holds(store, old):
        store.close()
        discard(build)
        plan = plan_ingest({}, wanted, docs, problems, rebuild=True)
        build = new_build_folder(settings.index_dir, copy=False)
        store = ChromaStore.open(settings, path=build)
    try:
        if plan.rebuild:
            store.drop()
        t = time.perf_counter()
        for source in plan.removed + plan.changed:
            store.delete_source(source)
        timings["delete"] = time.perf_counter() - t
        embedded, total = _write(store, plan, docs, embedder, wanted, timings)
    except BaseException as exc:
        store.close()
        discard(build)
        if isinstance(exc, Exception) and not isinstance(exc, AssistantError):
            raise IndexError_(f"Could not write the new index ({exc.__class__.__name__}: {exc}); the previous index is unchanged. "
                              "Check the free disk space, then run `assistant ingest --rebuild`.") from exc
        raise
    store.close()
    activate(settings.index_dir, build)
    return report(embedded, total)


def _write(store: ChromaStore, plan: Plan, docs, embedder: Embedder, wanted: dict, timings: dict[str, float]) -> tuple[int, int]:
    """Embed and store the added and changed files' units, then the manifest; (units embedded, units in all)."""
    by_source = {d.source: d for d in docs}
    todo = [u for s in plan.added + plan.changed for u in chunk_document(by_source[s])]
    if todo:
        t = time.perf_counter()
        uniq = sorted({x for u in todo for x in (u.text, u.context, *u.questions)})
        vectors = dict(zip(uniq, embedder.encode(uniq)))
        timings["embed"] = time.perf_counter() - t
        t = time.perf_counter()
        store.add(todo, vectors)
        timings["write"] = time.perf_counter() - t
    total = store.count_units()
    store.set_manifest({**wanted, "files": plan.files, "units": total})
    return len(todo), total


def _ingest_generation(settings: Settings, embedder: Embedder, plan: Plan, wanted: dict, docs,
                       timings: dict[str, float]) -> tuple[int, int]:
    """On a Chroma server: write a new collection beside the one being read (rows of unchanged
    files copied over), then point readers at it (``store/generations.py``)."""
    current = ChromaStore.open(settings)
    name = generations.new_name(settings.collection)
    store = ChromaStore(current.client, name, server=True, retries=settings.chroma_retries)
    try:
        t = time.perf_counter()
        if not plan.rebuild:
            fresh = set(plan.added + plan.changed)
            store.copy_sources(current, [s for s in plan.files if s not in fresh])
        timings["copy"] = time.perf_counter() - t
        result = _write(store, plan, docs, embedder, wanted, timings)
    except BaseException:
        try:
            store.drop()
        except Exception:  # the server may be the reason we are here; the pointer still names the old index
            pass
        raise
    generations.activate(current.client, settings.collection, name, settings.chroma_retries)
    return result
