"""Frozen results passed between pipeline stages: ``Passage``, ``Verdict``, ``Draft``, ``Reply``, ``Turn``.

A reply is data before it is text: ``ReplyContent`` holds its crisis block, lead, body
segments (each quote with its citation number and passage), references (one per article),
suggestions, contact and disclaimer. ``reply.py`` builds and renders it; nothing parses text back.

Example::

    Segment("item", (Quote(1, passage),)).text  # the quoted words, without citation marks
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Category = Literal["answered", "out_of_scope", "medical_advice", "crisis", "small_talk", "invalid"]
CATEGORIES: tuple[str, ...] = ("answered", "out_of_scope", "medical_advice", "crisis", "small_talk", "invalid")
RiskTier = Literal["none", "possible", "clear"]


@dataclass(frozen=True)
class Turn:
    """One message of a conversation."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Unit:
    """The smallest quotable piece of an article: a sentence, or a list item with its label."""

    id: str
    source: str
    text: str
    context: str  # text embedded for retrieval: the unit with its lead-in or neighbours
    section: int
    position: int
    kind: Literal["sentence", "item", "title"]
    lead_in: str = ""
    questions: tuple[str, ...] = ()  # doc2query questions this unit answers (retrieval only)
    title: str = ""  # the article's title and publisher from its front matter ("" when it has none)
    publisher: str = ""

    def metadata(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "publisher": self.publisher,
            "section": self.section,
            "position": self.position,
            "kind": self.kind,
            "lead_in": self.lead_in,
            "context": self.context,
            "questions": json.dumps(list(self.questions)),
        }


@dataclass(frozen=True)
class Passage:
    """A retrieved unit with its fused score (higher is better) and the per-retriever evidence."""

    id: str
    source: str
    text: str
    score: float
    section: int = 0
    position: int = 0
    kind: str = "sentence"
    lead_in: str = ""
    dense: float | None = None  # cosine similarity to the query (Chroma distance turned into 1 - d)
    keyword: float | None = None  # BM25 score
    question: float | None = None  # best cosine of a doc2query question this unit answers
    title: str = ""  # the article's front-matter title and publisher, for citations
    publisher: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "text": self.text, "score": round(self.score, 4)}


@dataclass(frozen=True)
class RailHit:
    """Which rail fired and why: a pattern id or the nearest exemplar, with its score."""

    rail: str
    reason: str
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    """What the input rails decided before retrieval."""

    category: Category | None  # None: go on and retrieve
    risk: RiskTier = "none"
    rails: tuple[RailHit, ...] = ()
    text: str = ""  # the cleaned message that retrieval should use
    topic_margin: float = 0.0  # similarity to on-topic minus off-topic exemplars (> 0 leans on-topic)
    intent: str = "default"
    in_scope: bool | None = None  # the learned scope head's answer, when a classifier is wired
    scope_score: float | None = None  # that head's probability (None without a classifier)
    risk_head: bool | None = None  # the learned risk head reaches its bar (None without a classifier)
    clear_score: float | None = None  # the learned clear-risk head's probability (None without a classifier)
    medical_score: float | None = None  # the learned medical head's probability (None without a classifier)


@dataclass(frozen=True)
class Retrieval:
    """Ranked passages for one question plus the signal used to judge whether it is in scope."""

    passages: tuple[Passage, ...]
    query: str
    relevance: float  # best dense cosine, or 0.0 when nothing was found
    timings: dict[str, float] = field(default_factory=dict)
    follow_up: bool = False  # the previous question was read together with this one
    confidence: float = 0.0  # best cosine of a passage or of a question it answers: how sure the best match is


@dataclass(frozen=True)
class Quote:
    """One quoted article line and its citation number (1-based, in reading order)."""

    n: int
    passage: Passage


@dataclass(frozen=True)
class Segment:
    """One line of the body: sentences of one paragraph read as a line, or one list item."""

    kind: Literal["line", "item"]
    quotes: tuple[Quote, ...]

    @property
    def text(self) -> str:
        return " ".join(q.passage.text for q in self.quotes)


@dataclass(frozen=True)
class Reference:
    """One article a reply quotes, with the quoted lines under it."""

    source: str
    title: str
    publisher: str
    quotes: tuple[Quote, ...]

    @property
    def lines(self) -> tuple[tuple[int, str, Passage], ...]:
        """One entry per citation number: the number, the words it cites (a list's lead-in joins the
        sentence before it), and the first passage it cites."""
        out: list[tuple[int, str, Passage]] = []
        for q in self.quotes:
            if out and out[-1][0] == q.n:
                out[-1] = (q.n, f"{out[-1][1]} {q.passage.text}", out[-1][2])
            else:
                out.append((q.n, q.passage.text, q.passage))
        return tuple(out)

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(n for n, _, _ in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "publisher": self.publisher, "source": self.source,
                "lines": [{"n": n, "text": text} for n, text, _ in self.lines]}


@dataclass(frozen=True)
class CrisisResource:
    name: str
    how: str
    link: str


@dataclass(frozen=True)
class CrisisBlock:
    """Crisis help shown first: ``clear`` has an opening, the resources and a close; ``possible`` one line."""

    tier: Literal["clear", "possible"]
    opening: str
    resources: tuple[CrisisResource, ...] = ()
    close: str = ""
    languages: tuple[str, ...] = ()  # the same help in the language the message was written in

@dataclass(frozen=True)
class ReplyContent:
    """Everything a person sees in one reply, in order, as data (renderers in ``reply.py``)."""

    crisis: CrisisBlock | None = None
    notice: str = ""  # the automated-assistant line of a first turn
    lead: str = ""  # framing or refusal text from the policy; paragraphs split by a blank line
    body: tuple[Segment, ...] = ()
    references: tuple[Reference, ...] = ()
    suggestions: tuple[str, ...] = ()
    contact: str = ""
    disclaimer: str = ""

    @property
    def sources(self) -> tuple[Passage, ...]:
        """The quoted passages in citation order."""
        return tuple(q.passage for s in self.body for q in s.quotes)


@dataclass(frozen=True)
class Draft:
    """A reply before the finishing step adds the safety lines."""

    category: Category
    segments: tuple[Segment, ...] = ()  # article lines only, each quote with its citation number
    lead: str = ""  # short framing or refusal text from the policy
    suggestions: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[Passage, ...]:
        return tuple(q.passage for s in self.segments for q in s.quotes)


@dataclass(frozen=True)
class Reply:
    """The finished reply; ``answer`` is exactly what a person sees."""

    question: str
    category: Category
    body: str
    answer: str
    disclaimer: str
    contact: str
    sources: tuple[Passage, ...] = ()
    retrieved: tuple[Passage, ...] = ()
    risk: RiskTier = "none"
    rails: tuple[RailHit, ...] = ()
    lead: str = ""
    crisis: str = ""  # the crisis-resources text shown at the top, if any
    suggestions: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    id: Any = None
    error: str | None = None
    content: ReplyContent = field(default_factory=ReplyContent)  # the same reply as data, for renderers

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of the CLI and the page API."""
        return {
            "id": self.id,
            "question": self.question,
            "category": self.category,
            "risk": self.risk,
            "body": self.body,
            "answer": self.answer,
            "sources": [p.to_dict() for p in self.sources],
            "references": [r.to_dict() for r in self.content.references],
            "disclaimer": self.disclaimer,
            "contact": self.contact,
            "crisis": self.crisis,
            "lead": self.lead,
            "suggestions": list(self.suggestions),
            "rails": [r.to_dict() for r in self.rails],
            "timings_ms": {k: round(v, 3) for k, v in self.timings.items()},
            **({"error": self.error} if self.error else {}),
        }


def parse_history(history: Any) -> tuple[Turn, ...]:
    """Accept a list of ``{"role", "content"}`` dicts or ``Turn``s; skip anything malformed."""
    turns: list[Turn] = []
    if not isinstance(history, (list, tuple)):
        return ()
    for item in history[-20:]:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, dict) and item.get("role") in ("user", "assistant") and isinstance(item.get("content"), str):
            turns.append(Turn(item["role"], item["content"]))
    return tuple(turns)


def opens_list(unit: Unit | Passage) -> bool:
    """A paragraph's sentence that opens its list ("Consider:", "These options include:")."""
    return unit.kind == "sentence" and unit.text.rstrip().endswith(":")
