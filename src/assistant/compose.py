"""Compose a grounded answer: choose the few article units that answer, in article order,
each with a numbered citation, under a word budget.

Choice: walk the retrieval ranking; keep a unit if it is close enough to the best one (fused
score and dense similarity), is not a bare lead-in ("Consider:"), does not repeat a chosen
unit, and fits the budget. ``render`` turns the choice into body segments (``reply.py``):
units from the same paragraph read as one line; list items stay list items. The framing line comes from the policy, chosen by the question's intent.

Example::

    draft = compose_answer(retrieval, policy, intent="why", max_words=90)
    draft = QuotingComposer(policy, max_words=90).answer(verdict, retrieval)   # the same, as a Composer
"""

from __future__ import annotations

from typing import Sequence

from .policy import Policy
from .reply import segments_of
from .text import words
from .types import Draft, Passage, Retrieval, Segment, Turn, Verdict

MAX_UNITS = 4
RELATIVE_SCORE = 0.55  # keep units whose fused score is at least this share of the best
DENSE_DROP = 0.17  # ... and whose own cosine is within this of the best unit's cosine


def _overlap(a: str, b: str) -> float:
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def select(passages: tuple[Passage, ...], max_words: int, max_units: int = MAX_UNITS) -> list[Passage]:
    """The units to quote, best first; see the module docstring for the rules."""
    usable = [p for p in passages if not p.text.rstrip().endswith(":")]
    if not usable:
        return []
    best = usable[0]
    best_dense = max((p.dense for p in usable if p.dense is not None), default=None)
    chosen: list[Passage] = []
    budget = max_words
    for p in usable:
        if len(chosen) >= max_units:
            break
        if chosen and p.score < RELATIVE_SCORE * best.score:
            continue
        if chosen and best_dense is not None and p.dense is not None and p.dense < best_dense - DENSE_DROP:
            continue
        if any(_overlap(p.text, c.text) > 0.7 for c in chosen):
            continue
        n = len(p.text.split())
        if n > budget and chosen:
            continue
        chosen.append(p)
        budget -= n
    return chosen


def render(chosen: list[Passage]) -> tuple[Segment, ...]:
    """Body segments in article order, each quote numbered in that order."""
    return segments_of(sorted(chosen, key=lambda p: (p.source, p.position)))


def compose_answer(retrieval: Retrieval, policy: Policy, *, intent: str, max_words: int) -> Draft:
    """An ``answered`` draft, or ``out_of_scope`` with suggestions when nothing is usable."""
    chosen = select(retrieval.passages, max_words)
    if not chosen:
        return out_of_scope(policy)
    weak = max(retrieval.relevance, retrieval.confidence) < policy.thresholds.weak_evidence_relevance
    if weak:
        chosen = chosen[:2]
    leads = policy.wording.answer_lead
    lead = policy.wording.weak_evidence if weak else getattr(leads, intent, leads.default)
    return Draft("answered", segments=render(chosen), lead=" ".join(lead.split()),
                 suggestions=policy.suggestions[:3] if weak else ())


def compose_medical(retrieval: Retrieval | None, policy: Policy, max_words: int) -> Draft:
    """Decline the advice kindly, then share the most relevant article lines if there are any."""
    lead = " ".join(policy.wording.medical_advice.split())
    if retrieval is None or retrieval.relevance < policy.thresholds.in_scope_relevance:
        return Draft("medical_advice", lead=lead)
    chosen = select(retrieval.passages, min(max_words, 60), max_units=2)
    segments = render(chosen)
    share = " ".join(policy.wording.medical_advice_share.split())
    return Draft("medical_advice", segments=segments, lead=f"{lead}\n\n{share}" if segments else lead)


def out_of_scope(policy: Policy) -> Draft:
    return Draft("out_of_scope", lead=" ".join(policy.wording.out_of_scope.split()), suggestions=policy.suggestions[:3])


class QuotingComposer:
    """The default ``Composer`` (``protocols.py``): quotes article units word for word, with citations."""

    def __init__(self, policy: Policy, max_words: int):
        self.policy = policy
        self.max_words = max_words

    def answer(self, verdict: Verdict, retrieval: Retrieval, turns: Sequence[Turn] = ()) -> Draft:
        return compose_answer(retrieval, self.policy, intent=verdict.intent, max_words=self.max_words)
