"""Article blocks as the composer sees them: a paragraph, or a list with its lead-in paragraph,
with the kinds the article's companion ``<article>.blocks.yaml`` gives it; and ``render``, the
one place chosen passages become body segments.

Example::

    blocks = article_blocks(units, read_block_kinds(corpus_dir))
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Mapping, Sequence

from .language import ENGLISH_FUNCTION_WORDS
from .reply import segments_of
from .text import normalize, words
from .types import Draft, Passage, Segment, Unit

if TYPE_CHECKING:
    from .policy import Policy


@dataclass(frozen=True)
class Block:
    """A paragraph, or a list with its lead-in paragraph; ``kind`` from the article's annotations."""

    source: str
    section: int
    units: tuple[Unit, ...]
    kinds: frozenset[str] = frozenset()

    @property
    def items(self) -> tuple[Unit, ...]:
        return tuple(u for u in self.units if u.kind == "item")

    @property
    def sentences(self) -> tuple[Unit, ...]:
        return tuple(u for u in self.units if u.kind != "item")


ITEM_ASK_WORDS = 12  # words: a message this short that names one item of the list it is answered from gets that item

BlockKinds = Mapping[str, Sequence[tuple[str, Sequence[str]]]]  # source -> (opening words, kinds) per block


def article_blocks(units: Sequence[Unit], block_kinds: BlockKinds) -> dict[tuple[str, int], Block]:
    """Units grouped into blocks (a list's items share their lead-in's section), in article order."""
    grouped: dict[tuple[str, int], list[Unit]] = {}
    for u in sorted(units, key=lambda u: (u.source, u.position)):
        if u.kind != "title":
            grouped.setdefault((u.source, u.section), []).append(u)
    blocks = {}
    for key, members in grouped.items():
        opening = normalize(members[0].text)
        kinds = next((k for starts, k in block_kinds.get(key[0], ()) if opening.startswith(normalize(starts))), ())
        blocks[key] = Block(key[0], key[1], tuple(members), frozenset(kinds))
    return blocks


def passage_of(unit: Unit, score: float = 0.0) -> Passage:
    return Passage(unit.id, unit.source, unit.text, score, unit.section, unit.position, unit.kind, unit.lead_in,
                   title=unit.title, publisher=unit.publisher)


def said(reply: str, unit: Unit) -> bool:
    """Did the earlier reply quote this unit (compared without quote style, case or spacing)?"""
    return bool(reply) and _squashed(unit.text) in _squashed(reply)


@lru_cache(maxsize=2048)
def _squashed(text: str) -> str:
    """``text`` normalized, with single spaces: a follow-up compares every unit with every earlier reply,
    so each text is read once, not once per comparison."""
    return " ".join(normalize(text).split())


_SUBJECTS = frozenset({"i", "you", "we", "they", "he", "she", "it"})


def stands_alone(unit: Unit) -> bool:
    """Can this unit be quoted on its own, away from its list? A sentence can; a list item when it
    has a label ("Low self-worth: You may feel...") or opens with a subject ("You want help—but
    worry it means you've failed."); not a bare phrase ("Inpatient treatment depression programs
    for safety and stabilization."), which says what it is only under the sentence that opens its list."""
    if unit.kind != "item":
        return True
    return bool(label(unit)) or next(iter(words(unit.text)), "") in _SUBJECTS


def label(unit: Unit) -> str:
    """A list item's label, the few words before its colon ("Need for control"), or "" when it has none."""
    head, colon, _ = unit.text.partition(":")
    return head if colon and len(head.split()) <= 6 else ""


def render(chosen: list[Passage], then: Sequence[Passage] = ()) -> tuple[Segment, ...]:
    """Body segments in article order, then ``then`` (a supporting line goes after the block it
    supports, wherever the article has it), each quote numbered in that order (``reply.py``
    writes them out). A supporting list item is quoted as a line of its own: as a bullet it would
    read as one more item of the list above it."""
    in_order = lambda ps: sorted(ps, key=lambda p: (p.source, p.position))  # noqa: E731
    return segments_of(in_order(chosen) + [replace(p, kind="sentence") for p in in_order(then)])


def opened(lead: str, opening: str = "") -> str:
    """A reply's lead on one line, after the words that open it (the thanks to a person who told of their life)."""
    return " ".join(f"{opening} {lead}".split())


def out_of_scope(policy: Policy, personal: bool = False) -> Draft:
    """The out-of-scope reply; to a person who told of their own life, it opens by thanking them."""
    opening = policy.wording.out_of_scope_personal if personal else ""
    return Draft("out_of_scope", lead=opened(policy.wording.out_of_scope, opening), suggestions=policy.suggestions[:3])


def named_item(message: str, block: Block) -> Unit | None:
    """The one labelled item of ``block`` ("Need for control: When everything...") that a short message
    names by its label's words ("what is need for control?"), or None: none or several are named."""
    tokens = words(message)
    said = {_plural_off(w) for w in tokens} if len(tokens) <= ITEM_ASK_WORDS else set()
    named = []
    for item in block.items:
        named_by = {_plural_off(w) for w in words(label(item))} - ENGLISH_FUNCTION_WORDS
        hits = len(named_by & said)
        if named_by and hits >= min(2, len(named_by)) and 2 * hits >= len(named_by):
            named.append(item)
    return named[0] if len(named) == 1 else None


def _plural_off(word: str) -> str:
    """A plural's singular, and nothing more: the echo check's stemmer (``echo.py``) would also make
    "checking on people" name "A check-in", which asks about something else."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
