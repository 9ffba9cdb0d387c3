"""Reading a message as a search query: whether it leans on the previous turn, what in the
last reply it points at, and the sentences of a message that tells a story.

- Follow-ups: a short question, one leaning on "that / it / this", or one pointing into the
  last reply ("the third reason", "again") is read together with the previous user question.
- Said: which units the last reply already conveyed, matched on their label or most of their
  content words, because a reply in the history may paraphrase rather than quote.
- Sentences: people often tell a story before they ask ("My mom keeps calling ... Why do I
  keep hiding from her?"); each sentence is also searched on its own.

The words that make a message a follow-up or point into the last reply are policy data
(``guardrails/queries.yaml``, validated when it is read).

Example::

    reader = QueryReader.load(Path("guardrails"))
    reader.is_follow_up("and the second one?")   # True
    reader.ordinal("and the second one?")        # 2
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .policy import read_validated
from .text import normalize, words

QUERIES_FILE = "queries.yaml"

# Plain English function words: a fact of the language rather than policy, so they stay in code.
STOP = {"i", "me", "my", "you", "your", "the", "a", "an", "is", "are", "do", "does", "to", "of", "and", "or", "it", "that",
        "this", "so", "what", "why", "how", "can", "should", "be", "in", "on", "for", "with", "about", "if", "im", "i'm"}
_CLAUSE = re.compile(r"(?<=[.!?])\s+")
MIN_SENTENCES = 3
MAX_FOLLOW_UP_WORDS = 12  # a longer message stands on its own even when it says "that" or "it"
POINTER_WINDOW = 24  # characters after an ordinal in which its pointer word must start


def _lower_words(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9']+( [a-z0-9']+)*", value):
        raise ValueError("must be lower-case words separated by single spaces (messages are lower-cased before matching)")
    return value


def _item(value: int) -> int:
    if value != -1 and value < 1:
        raise ValueError("must be 1 or more (the n-th item), or -1 (the last item)")
    return value


Phrase = Annotated[str, AfterValidator(_lower_words)]


class FollowUpWords(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    leaning: list[Phrase] = Field(min_length=1)
    openers: list[Phrase] = Field(min_length=1)


class QueryWords(BaseModel):
    """``guardrails/queries.yaml``: the words that make a message a follow-up or point into the last reply."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    follow_up: FollowUpWords
    ordinals: dict[Phrase, Annotated[int, AfterValidator(_item)]] = Field(min_length=1)
    not_ordinal_before: list[Phrase] = []
    pointers: list[Phrase] = Field(min_length=1)


def _any_of(phrases: list[str]) -> str:
    return "|".join(re.escape(p) for p in phrases)


class QueryReader:
    """Reads a message against the previous turn with the words of ``queries.yaml``."""

    def __init__(self, words: QueryWords):
        self.words = words
        self._leaning = re.compile(rf"\b({_any_of(words.follow_up.leaning)})\b|^({_any_of(words.follow_up.openers)})\b")
        not_after = rf"(?! ({_any_of(words.not_ordinal_before)}))" if words.not_ordinal_before else ""
        self._ordinal = re.compile(rf"\b({_any_of(list(words.ordinals))})\b{not_after}")
        self._pointer = re.compile(rf"\b({_any_of(words.pointers)})s?\b")

    @classmethod
    def load(cls, guardrails_dir: Path) -> "QueryReader":
        """Read and validate ``queries.yaml``; a bad entry is a ``ConfigError`` naming the file and the key."""
        return cls(read_validated(QueryWords, Path(guardrails_dir) / QUERIES_FILE))  # type: ignore[arg-type]

    def is_follow_up(self, question: str) -> bool:
        """Short, or leaning on an earlier turn ("is that normal?", "so how do I fix it?", "the third one?")."""
        tokens = words(question)
        content = [t for t in tokens if t not in STOP]
        norm = normalize(question)
        if len(content) <= 2 or self.ordinal(question) is not None:
            return True
        return bool(self._leaning.search(norm)) and len(tokens) <= MAX_FOLLOW_UP_WORDS

    def ordinal(self, question: str) -> int | None:
        """1, 2, 3, 4 or -1 (last) when the question points at an item of the last reply ("the second reason")."""
        norm = normalize(question)
        match = self._ordinal.search(norm)
        if not match or not self._pointer.search(norm[match.end():match.end() + POINTER_WINDOW]):
            return None
        return self.words.ordinals[match.group(1)]


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


__all__ = ["QueryReader", "QueryWords", "content_words", "key_position", "said_in", "sentences"]
