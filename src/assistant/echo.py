"""Does a quoted line repeat the person's own words? The composer keeps a supporting line that
does, even where it would change the lead ("Emotional numbness: It can be hard to feel anything at
all, even love." for "i dont feel anything anymore, not even love").

Words are compared by stem ("failing" and "failed" are one word), without English stop words
("from everyone" is no echo) and without the words of the articles' titles, which every line is about.

Example::

    echo = Echo(lambda: units)
    echo("i dont feel anything anymore, not even love", [passage])   # True
"""

from __future__ import annotations

from functools import cached_property
from typing import Callable, Sequence

from .language import ENGLISH_FUNCTION_WORDS
from .queries import content_words
from .types import Passage, Unit

ECHO_WORDS = 2  # shared content words that make an echo


class Echo:
    """The echo check over one corpus (its titles' words are never an echo)."""

    def __init__(self, units: Callable[[], Sequence[Unit]]):
        self._units = units  # read on the first check, not at start

    def __call__(self, message: str, lines: Sequence[Passage]) -> bool:
        said = self._stems(content_words(message) - ENGLISH_FUNCTION_WORDS - self._stop_words) - self._title_words
        return len(said & set().union(*(self._stems(content_words(p.text)) for p in lines))) >= ECHO_WORDS

    @cached_property
    def _stop_words(self) -> frozenset[str]:
        from bm25s.stopwords import STOPWORDS_EN_PLUS  # NLTK's English list, which bm25s ships

        return frozenset(STOPWORDS_EN_PLUS)

    @cached_property
    def _stemmer(self):
        import Stemmer  # PyStemmer, which bm25s uses too

        return Stemmer.Stemmer("english")

    def _stems(self, words_: set[str]) -> set[str]:
        return set(self._stemmer.stemWords(sorted(words_)))

    @cached_property
    def _title_words(self) -> set[str]:
        return self._stems(set().union(*(content_words(u.title) for u in self._units())))
