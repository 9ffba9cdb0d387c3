"""How eval text is compared: the same words count as the same text whatever the layout.

Replies put article sentences on bullet lines with citation marks (``- ... [2]``) and the
article uses typographic quotes; neither is a change of content, so both are removed before
any substring test. Nothing else is forgiven: a changed word is a changed sentence.
"""

from __future__ import annotations

import re
import unicodedata

from ..text import split_sentences

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'"})
_SPACE = re.compile(r"\s+")
CITATION = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)])\s+")


def squash(text: str) -> str:
    """NFKC, straight quotes, single spaces: the form every comparison uses."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).translate(_QUOTES)).strip()


def strip_bullet(line: str) -> str:
    return _BULLET.sub("", line, count=1)


def body_text(body: str) -> str:
    """The body as plain prose: no citation marks, no leading bullets, squashed."""
    lines = [strip_bullet(CITATION.sub("", line)) for line in body.splitlines()]
    return squash(" ".join(lines))


def segments(body: str) -> list[tuple[str, list[str]]]:
    """The body cut at its citation marks; each piece is what one citation vouches for.

    Returns ``(text, parts)`` pairs: the squashed piece and its lines split into sentences,
    for when a lead-in line and a list item share one citation."""
    out = []
    for piece in CITATION.split(body):
        lines = [squash(strip_bullet(line)) for line in piece.splitlines()]
        lines = [line for line in lines if line]
        if lines:
            parts = [s for line in lines for s in split_sentences(line)]
            out.append((" ".join(lines), parts))
    return out
