"""Split documents into quotable units that respect the article's structure.

A unit is a sentence of a paragraph, or a whole list item (kept with its label and quotes).
Each unit carries the text used to embed it: a list item with its lead-in sentence, a
sentence with its neighbours, so that "why" questions find items whose lead-in says
"reasons". Ids are derived from the source, the position and the text, so they are stable
across runs and change only when that piece of text changes.

Example::

    units = chunk_document(doc)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .corpus import Document
from .text import split_sentences
from .types import Unit

CHUNKER_VERSION = "units-v3"  # v3: each unit carries its article's title and publisher
MAX_UNIT_CHARS = 600  # longer sentences are split with LangChain's recursive splitter

_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s+")


@dataclass(frozen=True)
class Block:
    kind: str  # "paragraph", "item" or "heading"
    text: str


def _blocks(doc: Document) -> list[Block]:
    """Paragraphs, list items and headings. In .txt files every line is a paragraph, and lines
    that follow a line ending with ':' are list items while they stay short."""
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block("paragraph", " ".join(para)))
            para.clear()

    in_list = False
    for line in doc.text.split("\n"):
        stripped = line.strip()
        if not stripped:
            flush()
            if doc.kind == "txt":
                in_list = False
            continue
        if _HEADING.match(stripped):
            flush()
            blocks.append(Block("heading", _HEADING.sub("", stripped)))
        elif _ITEM.match(stripped):
            flush()
            blocks.append(Block("item", _ITEM.sub("", stripped)))
        elif doc.kind == "txt":
            flush()
            is_item = in_list and len(split_sentences(stripped)) <= 2 and not stripped.endswith(":")
            blocks.append(Block("item" if is_item else "paragraph", stripped))
            in_list = stripped.endswith(":") or is_item
        else:
            para.append(stripped)
    flush()
    return blocks


def _split_long(sentence: str) -> list[str]:
    if len(sentence) <= MAX_UNIT_CHARS:
        return [sentence]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=MAX_UNIT_CHARS, chunk_overlap=0, separators=["; ", ", ", " ", ""])
    return [p.strip() for p in splitter.split_text(sentence) if p.strip()]


def unit_id(source: str, position: int, text: str) -> str:
    return hashlib.sha1(f"{source}\x1f{position}\x1f{text}".encode()).hexdigest()[:20]


def chunk_document(doc: Document) -> list[Unit]:
    """The document's units in reading order, with section numbers, lead-ins and context text."""
    units: list[Unit] = []
    questions: dict[str, tuple[str, ...]] = doc.metadata.get("questions", {})
    section = 0
    lead_in = ""
    paragraph = ""
    title = doc.title
    article = {"title": str(doc.metadata.get("title", "") or "").strip(), "publisher": str(doc.metadata.get("publisher", "") or "").strip()}
    position = 0
    for block in _blocks(doc):
        if block.kind == "heading":
            title = block.text if block.text != doc.title else title
            section += 1
            lead_in = ""
            continue
        if block.kind == "item":
            for piece in _split_long(block.text):
                context = f"{paragraph} {piece}".strip()  # the whole lead-in paragraph: "tiny steps ... Consider: <item>"
                units.append(Unit(unit_id(doc.source, position, piece), doc.source, piece, context, section, position, "item", lead_in,
                                  questions.get(piece, ()), **article))
                position += 1
            continue
        section += 1
        sentences = [p for s in split_sentences(block.text) for p in _split_long(s)]
        for i, sentence in enumerate(sentences):
            neighbours = sentences[max(0, i - 1) : i + 2]
            context = " ".join(neighbours)
            units.append(Unit(unit_id(doc.source, position, sentence), doc.source, sentence, context, section, position, "sentence",
                              questions=questions.get(sentence, ()), **article))
            position += 1
        lead_in = sentences[-1] if sentences and sentences[-1].endswith(":") else ""
        paragraph = " ".join(sentences) if lead_in else ""
    return units


def chunk_corpus(docs: list[Document]) -> list[Unit]:
    return [u for d in docs for u in chunk_document(d)]
