"""Read the corpus folder into documents; a bad file is reported by name and skipped, never fatal.

Example::

    docs, problems = read_corpus(Path("corpus"))
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SUFFIXES = (".md", ".txt")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the questions file in 0.02 s, not 0.14 s
QUESTIONS_SUFFIX = ".questions.yaml"
"""A companion file ``<article>.questions.yaml`` lists, per passage, questions it answers
(doc2query). They only help retrieval find passages; they are never shown in a reply."""
BLOCKS_SUFFIX = ".blocks.yaml"
"""A companion file ``<article>.blocks.yaml`` names what each block of the article is
(``{starts: "<opening words>", kind: steps}``): leads are only put over blocks they are true of."""


@dataclass(frozen=True)
class Document:
    """One article: its body text (front matter removed) and the front matter as metadata."""

    source: str  # file name relative to the corpus folder
    text: str
    sha256: str
    kind: str  # "md" or "txt"
    metadata: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.metadata.get("title", self.source))


@dataclass(frozen=True)
class Problem:
    """A file that was not indexed and why, phrased for the person running ingest."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


def _split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end == -1:
        return {}, text
    meta = yaml.load(text[4:end], Loader=_LOADER) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping of keys to values")
    return meta, text[end + 4 :].lstrip("\n")


def _read_questions(path: Path) -> tuple[dict[str, tuple[str, ...]], bytes]:
    companion = path.with_name(path.stem + QUESTIONS_SUFFIX)
    if not companion.is_file():
        return {}, b""
    raw = companion.read_bytes()
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_LOADER) or {}
        passages = data.get("passages", []) if isinstance(data, dict) else []
        out = {str(p["text"]): tuple(str(q) for q in p.get("questions", []) if str(q).strip())
               for p in passages if isinstance(p, dict) and p.get("text")}
    except (yaml.YAMLError, UnicodeDecodeError, AttributeError, TypeError) as exc:
        raise ValueError(f"has an unreadable companion {companion.name} ({exc.__class__.__name__}); fix or remove it") from None
    return out, raw


def read_document(path: Path, root: Path) -> Document:
    """Read one file (and its questions companion); raises ``ValueError`` with a reason a person can act on."""
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise ValueError("looks like a binary file, not text; remove it or convert it to UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"is not UTF-8 text (byte {exc.start}); re-save it as UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        meta, body = _split_front_matter(text) if path.suffix.lower() == ".md" else ({}, text)
    except yaml.YAMLError as exc:
        raise ValueError(f"has unreadable front matter ({exc.__class__.__name__}); fix the YAML between the --- lines") from None
    if not body.strip():
        raise ValueError("is empty; add text or remove the file")
    questions, companion = _read_questions(path)
    return Document(
        source=path.relative_to(root).as_posix(),
        text=body,
        sha256=hashlib.sha256(raw + companion).hexdigest(),
        kind=path.suffix.lower().lstrip("."),
        metadata={**meta, "questions": questions},
    )


def read_corpus(folder: Path) -> tuple[list[Document], list[Problem]]:
    """All readable ``.md``/``.txt`` files under ``folder`` (sorted), and the problems with the rest."""
    folder = Path(folder)
    if not folder.is_dir():
        return [], [Problem(str(folder), "corpus folder does not exist; set ASSISTANT_CORPUS_DIR or create it")]
    docs: list[Document] = []
    problems: list[Problem] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(folder).as_posix()
        if path.name.endswith((QUESTIONS_SUFFIX, BLOCKS_SUFFIX)):
            continue  # read with its article
        if path.suffix.lower() not in SUFFIXES:
            problems.append(Problem(rel, f"skipped: only {', '.join(SUFFIXES)} files are read"))
            continue
        if not os.access(path, os.R_OK):
            problems.append(Problem(rel, "cannot be read (permissions); fix its permissions"))
            continue
        try:
            docs.append(read_document(path, folder))
        except OSError as exc:  # gone or locked since the folder was listed
            problems.append(Problem(rel, f"cannot be read ({exc.strerror or exc.__class__.__name__}); check it exists and can be read"))
        except ValueError as exc:
            problems.append(Problem(rel, str(exc)))
    return docs, problems


def read_block_kinds(folder: Path) -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """Per article source, its ``(opening words, kinds)`` block annotations; an article without a
    companion, or with an unreadable one, has none (its blocks then have no kind)."""
    folder = Path(folder)
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for path in sorted(folder.rglob(f"*{BLOCKS_SUFFIX}")) if folder.is_dir() else ():
        stem = path.name[: -len(BLOCKS_SUFFIX)]
        article = next((path.with_name(stem + s) for s in SUFFIXES if path.with_name(stem + s).is_file()), None)
        if article is None:
            continue
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
            pairs = tuple((str(b["starts"]), tuple(str(k) for k in (b["kind"] if isinstance(b["kind"], list) else [b["kind"]])))
                          for b in data.get("blocks", []))
        except (yaml.YAMLError, UnicodeDecodeError, AttributeError, TypeError, KeyError):
            continue
        out[article.relative_to(folder).as_posix()] = pairs
    return out
