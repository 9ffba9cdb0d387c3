"""Text helpers shared by the rails and retrieval: normalization, de-obfuscation, sentences, words.

``deobfuscate`` reads text the way a person means it when they disguise words, so that the rails
see "want to end my life" in "w a n t  t o  e n d  m y  l i f e" and "suicide" in "su1c1de";
``normalize`` (the form every pattern is matched against) applies it.

Example::

    normalize("i wanna d1e")            # -> "i wanna die"
    deobfuscate("k.i.l.l m y s e l f")  # -> "kill myself"
    deobfuscate("2 pills of 20mg, 24/7, call 988")  # numbers are left alone
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, Container

# Characters a person cannot see: format characters (category Cf: zero-width, bidi controls, tags,
# soft hyphen...), the combining grapheme joiner, variation selectors, the Mongolian vowel separator
# and line/paragraph separators. Hidden between letters they would split "kill" from the rails.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U000e0000-\U000e0fff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'", "`": "'"})
_SPACE = re.compile(r"\s+")
_SENTENCE = re.compile(r"(?<=[.!?\u201d\"])\s+(?=[A-Z\u201c\"'])")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
CITATION = re.compile(r"\s*\[\d+\]")


def _visible(text: str) -> str:
    """Compatibility forms folded (NFKC), and what a person cannot see removed: zero-width, format
    and control characters. Spacing is kept as typed."""
    if not text.isascii():  # ASCII has no compatibility forms and no format characters
        text = unicodedata.normalize("NFKC", text)
        text = _INVISIBLE.sub("", text)
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _CONTROL.sub("", text)


def clean(text: str) -> str:
    """Remove what a person cannot see (zero-width and control characters) and fold spaces."""
    return _SPACE.sub(" ", _visible(text)).strip()


def normalize(text: str) -> str:
    """The form patterns are matched against: clean, casefolded, straight quotes, de-obfuscated
    (which also shortens long letter runs), accents folded on Latin letters."""
    return _undisguise(fold_accents(_visible(text).translate(_QUOTES).casefold()))


def fold_accents(text: str) -> str:
    """Latin letters without their accents ("quitarme la vída" -> "quitarme la vida", "ñ" -> "n"),
    so patterns in other languages match however accents are typed; other scripts are left alone."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    out = []
    for ch in decomposed:
        if unicodedata.combining(ch) and out and "a" <= out[-1].lower() <= "z":
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


# -- de-obfuscation ---------------------------------------------------------------------------

# Latin look-alikes from Cyrillic and Greek, replaced only inside a word that also has Latin letters.
_HOMOGLYPHS = str.maketrans("аеорсуххіјѕԁӏοαιτκνρ", "aeopcyxxijsdloaitkvp")
_LATIN, _NON_LATIN = re.compile(r"[a-zA-Z]"), re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l"}
# Real tokens that mix letters and digits and must stay as written (tests, vitamins, formats).
_KEEP_MIXED = {"a1c", "b12", "b6", "d3", "k2", "mp3", "mp4", "h1n1", "covid19", "5htp", "co2", "h2o", "o2", "3d", "4k"}
# Chat spellings with a trailing digit that mean a whole word.
_LEET_TAILS = {"m3": "me", "w3": "we", "b3": "be", "t0": "to", "n0": "no", "s0": "so"}
_MIXED_TOKEN = re.compile(r"[\w@$!|]*[a-z][\w@$!|]*", re.IGNORECASE)
_SEPARATED = re.compile(r"(?<![\w.\-*_])[A-Za-z](?:([.\-*_])[A-Za-z])(?:\1[A-Za-z])+\1?(?![\w\-*_])")
_SINGLE = r"[A-Za-z0-9@$!]"
_SPACED = re.compile(rf"(?<!\S){_SINGLE}\s{{1,3}}{_SINGLE}(?:\s{{1,3}}{_SINGLE})+(?![\w@$])")
_ANY_TOKEN = re.compile(r"\S+")
_LEET_CANDIDATE = re.compile(r"(?<!\S)[^\s0-9@$!|]*[0-9@$!|]\S*")
_LONG_RUN = re.compile(r"([A-Za-z])\1\1+")


def _fix_homoglyphs(token: str) -> str:
    return token.translate(_HOMOGLYPHS) if _LATIN.search(token) and _NON_LATIN.search(token) else token


def _unleet(token: str) -> str:
    """su1c1de -> suicide, $elf -> self, m3 -> me; numbers, units (20mg, 5am, 2nd) and the names
    in ``_KEEP_MIXED`` stay as written."""
    low = token.lower()
    if low in _LEET_TAILS:
        return _LEET_TAILS[low]
    if low in _KEEP_MIXED or low in CHAT_SPEAK or not any(ch in _LEET for ch in low):
        return token
    core = low.rstrip("!")  # "die!!" is punctuation, not a letter
    letters = sum(ch.isalpha() for ch in core)
    if letters < 2 or re.fullmatch(r"\d+(?:[.,]\d+)?[a-z]{1,3}", core):  # 20mg, 5am, 2nd, 10k
        return token
    # A symbol counts as a letter only between letters, or a "$" before letters ($elf).
    if not re.search(r"[a-z][0-9@$!|]+[a-z]|^\$[a-z]", core) or sum(ch.isdigit() for ch in core) >= letters:
        return token
    return "".join(_LEET.get(ch, ch) for ch in core) + low[len(core):]


def _join_spaced(run: str) -> str:
    """'w a n t  t o' -> 'want to'; without wider gaps the letters are split into likely words."""
    groups = [g.replace(" ", "").replace("\t", "") for g in re.split(r"\s{2,}", run)]
    if len(groups) > 1 or not any(ch.isalpha() for ch in run):
        return " ".join(groups) if any(ch.isalpha() for ch in run) else run
    joined = groups[0]
    if sum(ch.isalpha() for ch in joined) < 3:
        return run
    pieces = _segment(_unleet(joined))
    return " ".join(pieces)


def _segment(word: str) -> list[str]:
    """Split run-together letters into English words ('iwanttodie' -> i want to die), or keep them
    whole when the split leaves stray letters (other languages, names)."""
    import wordninja  # its word list loads on first use, not at import

    pieces = wordninja.split(word)
    if len(pieces) > 1 and all(len(p) > 1 or p in ("i", "a") for p in pieces):
        return pieces
    return [word]


def _shorten_runs(match: re.Match) -> str:
    """A letter typed three or more times: once for vowels English rarely doubles ('diiiie'), and for
    e/o at the end of a word ('dieeee', 'nooo'); twice otherwise ('killll', 'sleeeep', 'goood')."""
    ch, end = match.group(1), match.end()
    at_end = end >= len(match.string) or not match.string[end].isalpha()
    return ch if ch.lower() in "aiuy" or (ch.lower() in "eo" and at_end) else ch * 2


def deobfuscate(text: str) -> str:
    """Undo the common ways people disguise words: look-alike letters from other alphabets,
    letters separated by dots, dashes or spaces, digits and symbols for letters inside words,
    and letters typed many times. Text without these reads the same afterwards."""
    return _undisguise(_visible(text))


def _undisguise(text: str) -> str:
    """``deobfuscate`` on text that ``_visible`` has already cleaned."""
    if not text.isascii():
        text = _ANY_TOKEN.sub(lambda m: _fix_homoglyphs(m.group(0)), text)
    text = _SEPARATED.sub(lambda m: re.sub(r"[.\-*_]", "", m.group(0)), text)
    text = _SPACED.sub(lambda m: _join_spaced(m.group(0)), text)
    # Only tokens with a digit or symbol in them can be leetspeak: most words are never looked at.
    text = _LEET_CANDIDATE.sub(lambda m: _MIXED_TOKEN.sub(lambda t: _unleet(t.group(0)), m.group(0)), text)
    text = _LONG_RUN.sub(_shorten_runs, text)
    return _SPACE.sub(" ", text).strip()


_WORD_RUNS = re.compile(r"([A-Za-z]+)")
_SPLITTER = re.compile(r"[ .\-*_]{1,2}")
MIN_JOINED = 4


def join_split_words(text: str, wanted: Callable[[str], bool], known: Container[str] = frozenset()) -> str:
    """"sui cide", "sui.cide" -> "suicide": two runs of letters split by a space, dot, dash,
    asterisk or underscore are read as one word when the joined word is one ``wanted`` names (the
    rails: a known word of death or harm) and neither part is, nor are both ``known`` words ("any
    more" stays two words). A word split letter by letter ("s u i c i d e") is ``deobfuscate``'s;
    this is for one broken once to slip past a filter."""
    parts = _WORD_RUNS.split(text)  # odd positions: runs of letters; even: what lies between them
    i = 1
    while i + 2 < len(parts):
        first, between, second = parts[i], parts[i + 1], parts[i + 2]
        joined = (first + second).lower()
        if len(first) >= 2 and len(second) >= 2 and len(joined) >= MIN_JOINED and _SPLITTER.fullmatch(between) \
                and wanted(joined) and not wanted(first.lower()) and not wanted(second.lower()) \
                and not (first.lower() in known and second.lower() in known):
            parts[i:i + 3] = [first + second]
            continue
        i += 2
    return "".join(parts)


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
    "w": "with", "wat": "what", "wut": "what", "wen": "when", "hw": "how", "wht": "what", "tht": "that",
    "shud": "should", "shld": "should", "wud": "would", "wld": "would", "cld": "could", "knw": "know",
    "dnt": "don't", "nvr": "never", "ne1": "anyone", "frnd": "friend", "frnds": "friends", "luv": "love",
    "h8": "hate", "h8s": "hates", "gr8": "great", "l8r": "later",
    "ive": "I've", "whats": "what's", "cant": "can't", "wont": "won't", "didnt": "didn't", "doesnt": "doesn't",
    "isnt": "isn't", "dont": "don't", "im": "I'm", "thx": "thanks", "ty": "thank you",
}


# Regular English word forms, so that a known word's inflection is never taken for a typo. A stem
# must keep MIN_STEM letters: "cuting" stays a typo of "cutting", not a form of "cut".
_SUFFIXES = ("ing", "ed", "es", "s", "ly", "er", "ers", "est", "ness", "ment", "ments", "ful", "less", "able")
_PREFIXES = ("un", "over", "re", "self", "dis", "mis", "under", "out", "non")
MIN_STEM = 4


def _stems(word: str) -> list[str]:
    """The words ``word`` may be a regular form of: "sabotaging" -> sabotag, sabotage; "spiralling" -> spiral."""
    out = []
    for suffix in _SUFFIXES:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= MIN_STEM:
            out += [stem, stem + "e"]
            if stem[-1] == stem[-2]:
                out.append(stem[:-1])  # spiralling, stopped
            if stem.endswith("i"):
                out.append(stem[:-1] + "y")  # worried, tries
    return out


class Speller:
    """Replaces a word that is not ``known`` by the closest of ``targets`` (rapidfuzz ratio ≥ 80).

    Retrieval corrects towards the corpus's words; the rails correct towards English and the
    exemplars' words, so "sucide" and "myslef" are read as what the person meant."""

    MAX_CORRECTIONS = 64  # bounds the cost on very long or noisy messages

    def __init__(self, targets: set[str], known: set[str]):
        self.targets = sorted(w for w in targets if len(w) >= 3)
        self.known = targets | known
        self._cache: dict[str, str] = {}

    def _form_of_known(self, word: str) -> bool:
        """A regular form of a known word: an inflection ("sabotaging", "burdening") or a prefixed
        word ("unanswered", "overthinking")."""
        return any(stem in self.known for stem in _stems(word)) or any(
            word.startswith(p) and (word[len(p):] in self.known or any(s in self.known for s in _stems(word[len(p):])))
            for p in _PREFIXES if len(word) - len(p) >= MIN_STEM)

    def _fix(self, word: str, match: str) -> str:
        """``match`` for ``word``, unless ``word`` is a regular form of a known word and ``match``
        another word altogether ("sabotaging" is not "staging", "burdening" not "burning",
        "unanswered" not "answered"); a spelling fix of the same word stands ("hurtting" -> "hurting")."""
        if self._form_of_known(word) and not ({word, *_stems(word)} & {match, *_stems(match)}):
            return word
        return match

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
                    self._cache[low] = self._fix(low, match[0]) if match else low
                    if len(self._cache) > 50_000:
                        self._cache.clear()
                fixes += 1
                out.append(self._cache[low])
                continue
            out.append(token)
        return "".join(out)
