"""Text helpers shared by the rails and retrieval: normalization, sentences, words."""

from __future__ import annotations

import re
import unicodedata

# Characters a person cannot see: format characters (category Cf: zero-width, bidi controls, tags,
# soft hyphen...), the combining grapheme joiner, variation selectors, the Mongolian vowel separator
# and line/paragraph separators. Hidden between letters they would split "kill" from the rails.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U000e0000-\U000e0fff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'", "`": "'"})
_REPEATS = re.compile(r"(\w)\1{2,}")
_SPACE = re.compile(r"\s+")
_SENTENCE = re.compile(r"(?<=[.!?\u201d\"])\s+(?=[A-Z\u201c\"'])")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
CITATION = re.compile(r"\s*\[\d+\]")


def clean(text: str) -> str:
    """Remove what a person cannot see (zero-width and control characters) and fold spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = _CONTROL.sub("", text)
    return _SPACE.sub(" ", text).strip()


def normalize(text: str) -> str:
    """The form patterns are matched against: clean, casefolded, straight quotes, no long letter runs."""
    text = clean(text).translate(_QUOTES).casefold()
    return _REPEATS.sub(r"\1\1", text)


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping closing quotes with their sentence."""
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def words(text: str) -> list[str]:
    """Lowercase word tokens (apostrophes kept inside words)."""
    return _WORD.findall(normalize(text))


def strip_citations(text: str) -> str:
    return CITATION.sub("", text).strip()


def word_count(text: str) -> int:
    return len(strip_citations(text).split())


# Chat spellings people type in a hurry, read as the words they stand for before any typo
# correction (a fuzzy match cannot get from "evry1" or "ppl" to the word). Language, not policy:
# whole tokens only, and only ones with a single common reading.
CHAT_SPEAK = {
    "y": "why", "u": "you", "ur": "your", "r": "are", "ppl": "people", "ppls": "people's", "bc": "because",
    "cuz": "because", "coz": "because", "cos": "because", "bcuz": "because", "becuz": "because", "bcoz": "because",
    "every1": "everyone", "evry1": "everyone", "evryone": "everyone", "some1": "someone", "sum1": "someone",
    "any1": "anyone", "no1": "no one", "every1s": "everyone's", "rn": "right now", "idk": "I don't know",
    "tho": "though", "thru": "through", "b4": "before", "gf": "girlfriend", "bf": "boyfriend", "bff": "best friend",
    "fam": "family", "wanna": "want to", "gonna": "going to", "gotta": "got to", "dunno": "don't know",
    "kinda": "kind of", "sorta": "sort of", "txt": "text", "txts": "texts", "msg": "message", "msgs": "messages",
    "pls": "please", "plz": "please", "abt": "about", "smth": "something", "sth": "something", "2day": "today",
    "2nite": "tonight", "tonite": "tonight", "2moro": "tomorrow", "tmrw": "tomorrow", "bday": "birthday",
    "w": "with", "wat": "what", "wut": "what", "wen": "when", "hw": "how",
    "ive": "I've", "whats": "what's", "cant": "can't", "wont": "won't", "didnt": "didn't", "doesnt": "doesn't",
    "isnt": "isn't", "dont": "don't", "im": "I'm", "thx": "thanks", "ty": "thank you",
}


class Speller:
    """Replaces a word that is not ``known`` by the closest of ``targets`` (rapidfuzz ratio ≥ 80).

    Retrieval corrects towards the corpus's words; the rails correct towards English and the
    exemplars' words, so "sucide" and "myslef" are read as what the person meant."""

    MAX_CORRECTIONS = 64  # bounds the cost on very long or noisy messages

    def __init__(self, targets: set[str], known: set[str]):
        self.targets = sorted(w for w in targets if len(w) >= 3)
        self.known = targets | known
        self._cache: dict[str, str] = {}

    def correct(self, text: str) -> str:
        from rapidfuzz import fuzz, process

        out, fixes = [], 0
        for token in re.findall(r"\w+|\W+", text):
            low = token.lower()
            if low in CHAT_SPEAK:
                out.append(CHAT_SPEAK[low])
                continue
            if fixes < self.MAX_CORRECTIONS and token.isalpha() and len(low) >= 4 and low not in self.known:
                if low not in self._cache:
                    match = process.extractOne(low, self.targets, scorer=fuzz.ratio, score_cutoff=80)
                    self._cache[low] = match[0] if match else low
                    if len(self._cache) > 50_000:
                        self._cache.clear()
                fixes += 1
                out.append(self._cache[low])
                continue
            out.append(token)
        return "".join(out)
