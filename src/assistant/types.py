"""Frozen results passed between pipeline stages: ``Passage``, ``Verdict``, ``Reply``, ``Turn``."""

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

    def metadata(self) -> dict[str, Any]:
        return {
            "source": self.source,
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
class Draft:
    """A reply before the finishing step adds the safety lines."""

    category: Category
    body: str = ""  # article sentences only, each with its citation mark
    lead: str = ""  # short framing or refusal text from the policy
    sources: tuple[Passage, ...] = ()
    suggestions: tuple[str, ...] = ()


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
            "disclaimer": self.disclaimer,
            "contact": self.contact,
            "crisis": self.crisis,
            "lead": self.lead,
            "suggestions": list(self.suggestions),
            "rails": [r.to_dict() for r in self.rails],
            "timings_ms": {k: round(v, 3) for k, v in self.timings.items()},
            **({"error": self.error} if self.error else {}),
        }
