"""The medical reply: decline the advice kindly, then share a short excerpt of the most relevant
article lines, if any are relevant enough (``select``: one or two lines close to the best one).

Example::

    draft = compose_medical(retrieval, policy, max_words=90)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from .compose import render
from .policy import Policy
from .text import words
from .types import Draft, Passage, Retrieval, opens_list


def select(passages: tuple[Passage, ...], max_words: int, max_units: int = 4,
           with_antecedents: Callable[[Passage], list[Passage]] | None = None) -> list[Passage]:
    """The medical reply's short excerpt: walk the ranking, keep units close to the best one
    (fused score and dense similarity), not bare lead-ins, not repeats, within the budget; at most
    ``max_units`` lines. A sentence that leans on the one before it in its paragraph ("It means
    you're hurting.") comes with what it leans on (``with_antecedents``, the composer's), counted as
    lines; a list item that is only a phrase comes under the sentences that open its list, which
    are its frame and are not counted."""
    usable = [p for p in passages if not opens_list(p)]
    if not usable:
        return []
    best = usable[0]
    best_dense = max((p.dense for p in usable if p.dense is not None), default=None)
    chosen: list[Passage] = []
    picked = 0  # lines quoted; a list item's lead-in comes with it and is not counted
    budget = max_words
    for p in usable:
        if picked >= max_units:
            break
        if chosen and p.score < 0.55 * best.score:
            continue
        if chosen and best_dense is not None and p.dense is not None and p.dense < best_dense - 0.17:
            continue
        if any(_overlap(p.text, c.text) > 0.7 for c in chosen):
            continue
        group = with_antecedents(p) if with_antecedents is not None else [p]
        if not group or any(c.id == p.id for c in chosen):
            continue
        group = [g for g in group if all(g.id != c.id for c in chosen)]  # what it leans on may be quoted already
        n = sum(len(g.text.split()) for g in group)
        if n > budget and chosen:
            continue
        chosen.extend(group)
        picked += 1 if p.kind == "item" else len(group)
        budget -= n
    return chosen


def _overlap(a: str, b: str) -> float:
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def compose_medical(retrieval: Retrieval | None, policy: Policy, max_words: int,
                    with_antecedents: Callable[[Passage], list[Passage]] | None = None, *, urgent: bool = False) -> Draft:
    """Decline the advice kindly, then share the most relevant article lines if there are any;
    ``urgent`` (a symptom that may be an emergency now): the policy's 911 line comes first."""
    lead = " ".join(policy.wording.medical_advice.split())
    if urgent and policy.wording.medical_emergency:
        lead = " ".join(policy.wording.medical_emergency.split()) + "\n\n" + lead
    if retrieval is None or retrieval.relevance < policy.thresholds.in_scope_relevance:
        return Draft("medical_advice", lead=lead)
    chosen = select(retrieval.passages, min(max_words, 60), max_units=2, with_antecedents=with_antecedents)
    # an excerpt of one or two lines: a list item is quoted as a line, not as a bullet without its list;
    # with the sentence that opens its list, as an item of it
    opened = {(p.source, p.section) for p in chosen if opens_list(p)}
    segments = render([p if p.kind == "item" and (p.source, p.section) in opened else replace(p, kind="sentence")
                       for p in chosen])
    share = " ".join(policy.wording.medical_advice_share.split())
    return Draft("medical_advice", segments=segments, lead=f"{lead}\n\n{share}" if segments else lead)
