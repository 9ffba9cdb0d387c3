"""Reading a message as a search query: whether it leans on the previous turn, what in the
last reply it points at, and the sentences of a message that tells a story.

- Follow-ups: a short question, one leaning on "that / it / this", or one pointing into the
  last reply ("the third reason", "again") is read together with the previous user question.
- Said: which units the last reply already conveyed, matched on their label or most of their
  content words, because a reply in the history may paraphrase rather than quote.
- Sentences: people often tell a story before they ask ("My mom keeps calling ... Why do I
  keep hiding from her?"); each sentence is also searched on its own.

Example::

    is_follow_up("and the second one?")   # True
    ordinal("and the second one?")        # 2
"""

from __future__ import annotations

import re

from .text import normalize, words

_ANAPHORA = re.compile(r"\b(that|this|it|these|those|they|them|such|the (first|second|third|last|other) one|more|else|same|again)\b"
                       r"|^(and|so|but|or|what about|how about)\b")
_ORDINAL = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|last|final)\b(?! (time|night|week|year|month|day))")
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1, "final": -1}
_POINTER = re.compile(r"\b(one|reason|item|point|option|step|thing|sign|symptom|example)s?\b")
STOP = {"i", "me", "my", "you", "your", "the", "a", "an", "is", "are", "do", "does", "to", "of", "and", "or", "it", "that",
        "this", "so", "what", "why", "how", "can", "should", "be", "in", "on", "for", "with", "about", "if", "im", "i'm"}
_CLAUSE = re.compile(r"(?<=[.!?])\s+")
MIN_SENTENCES = 3


def is_follow_up(question: str) -> bool:
    """Short, or leaning on an earlier turn ("is that normal?", "so how do I fix it?", "the third one?")."""
    tokens = words(question)
    content = [t for t in tokens if t not in STOP]
    norm = normalize(question)
    if len(content) <= 2 or ordinal(question) is not None:
        return True
    return bool(_ANAPHORA.search(norm)) and len(tokens) <= 12


def ordinal(question: str) -> int | None:
    """1, 2, 3, 4 or -1 (last) when the question points at an item of the last reply ("the second reason")."""
    norm = normalize(question)
    match = _ORDINAL.search(norm)
    if not match or not _POINTER.search(norm[match.end():match.end() + 24]):
        return None
    return _ORDINALS[match.group(1)]


def sentences(message: str) -> list[str]:
    """The sentences of a message that tells a story (several sentences), else []."""
    parts = [s.strip() for s in _CLAUSE.split(message.strip()) if len(words(s)) >= 3]
    return parts if len(parts) >= MIN_SENTENCES else []


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOP and len(w) > 2}


def said_in(reply: str, text: str, key: str) -> bool:
    """Did ``reply`` already convey this unit: its label / opening words, or most of its content words?"""
    said = " ".join(words(reply))
    if key and f" {key} " in f" {said} ":
        return True
    mine = content_words(text)
    return len(mine) >= 3 and len(mine & set(said.split())) >= 0.6 * len(mine)


def key_position(reply: str, key: str) -> int:
    """Where the unit's key is mentioned in ``reply`` (word-level, -1 when it is not)."""
    said = f" {' '.join(words(reply))} "
    return said.find(f" {key} ") if key else -1


__all__ = ["content_words", "sentences", "is_follow_up", "key_position", "ordinal", "said_in"]
