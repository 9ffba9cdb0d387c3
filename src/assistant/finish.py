"""Output rails: the one place every reply is finished, whatever produced it.

``finish`` removes anything that must never leave (dose instructions, diagnosis statements,
text that is neither from the corpus nor the policy), puts crisis resources first when the
risk tier asks for it, and always ends with the professional contact and the disclaimer.
It checks the draft's segments as data and builds the reply's ``ReplyContent``; the text
forms come from ``reply.py``. There is no other way to build a ``Reply``.

Example::

    reply = finish(Draft("crisis"), policy, question="...")
    assert reply.answer.startswith(reply.crisis)
"""

from __future__ import annotations

from dataclasses import replace

from .asks import read_ask
from .policy import Policy, about_someone_else
from .reply import body_text, crisis_text, number, references, render_markdown
from .text import normalize
from .types import CrisisBlock, CrisisResource, Draft, RailHit, Reply, ReplyContent, RiskTier


def _squash(text: str) -> str:
    return " ".join(text.split())


def crisis_block(policy: Policy, risk: RiskTier, *, from_history: bool = False, question: str = "",
                 for_someone_else: bool = False) -> CrisisBlock | None:
    """The crisis help a risk tier calls for: the full takeover, one gentle line (worded for the
    person, or for someone worried about another), or none."""
    c = policy.crisis
    if risk == "clear":
        # A message in another language also gets that language's line (the gentle tier needs none:
        # such a message gets the other-language reply, which gives it already).
        extra = tuple(_squash(c.languages[code]) for code in _crisis_languages(policy, question) if code in c.languages)
        resources = tuple(CrisisResource(r.name, r.how, r.link) for r in c.resources)
        return CrisisBlock("clear", _squash(c.takeover), resources, _squash(c.takeover_close), extra)
    if risk == "possible":
        line = c.persist if from_history else c.possible_other if for_someone_else else c.possible
        return CrisisBlock("possible", _squash(line))
    return None


def _crisis_languages(policy: Policy, question: str) -> list[str]:
    """Languages of the crisis patterns written in another language that ``question`` matches."""
    if not question or not policy.pattern_language:
        return []
    norm = normalize(question)
    found = [policy.pattern_language[pid] for group in ("crisis_clear", "crisis_possible")
             for pid, rx in policy.compiled[group] if pid in policy.pattern_language and rx.search(norm)]
    return list(dict.fromkeys(found))


def _blocked(policy: Policy, text: str) -> str | None:
    return next((pid for pid, rx in policy.compiled["output_block"] if rx.search(normalize(text))), None)


def scan(draft: Draft, policy: Policy, allowed: set[str]) -> tuple[Draft, list[RailHit]]:
    """Drop body segments that carry blocked content or quote a line that is not in the corpus;
    report what was dropped. The quotes left are numbered again from 1."""
    hits: list[RailHit] = []
    kept = []
    for seg in draft.segments:
        blocked = _blocked(policy, seg.text)
        if blocked:
            hits.append(RailHit("output_block", f"pattern:{blocked}"))
        elif any(q.passage.text not in allowed for q in seg.quotes):
            hits.append(RailHit("grounding", "dropped a sentence not found in the corpus"))
        else:
            kept.append(seg)
    lead = draft.lead
    lead_blocked = _blocked(policy, lead)
    if lead_blocked:
        hits.append(RailHit("output_block", f"pattern:{lead_blocked}"))
        lead = _squash(policy.wording.error)
    if hits and not kept and draft.category == "answered":
        return replace(draft, segments=(), lead=_squash(policy.wording.weak_evidence)), hits
    return replace(draft, segments=number(tuple(kept)), lead=lead), hits


def finish(draft: Draft, policy: Policy, *, question: str, risk: RiskTier = "none", rails: tuple[RailHit, ...] = (),
           allowed: set[str] | None = None, first_turn: bool = False, retrieved=(), timings=None, id=None,
           error: str | None = None) -> Reply:
    """Assemble what the person sees; contact and disclaimer are always the last two lines."""
    if draft.category == "crisis":
        risk = "clear"  # a crisis reply always opens with the resources, whoever built the draft
    out_hits: list[RailHit] = []
    if allowed is not None:
        draft, out_hits = scan(draft, policy, allowed)
    from_history = any(r.rail == "crisis_history" for r in rails)
    # worry about someone else, with no written pattern of risk for the writer (exemplar hits are
    # resemblance in wording, which the other person's words share)
    patterns = [r.reason for r in rails if r.rail.startswith("crisis") and r.reason.startswith("pattern:")]
    someone_else = bool(patterns) and all(about_someone_else(p) for p in patterns)
    # with no written pattern at all (the learned head or an exemplar raised the tier), a question
    # about helping someone else gets the line worded for someone worried about another person
    someone_else = someone_else or (risk == "possible" and not patterns and bool(question)
                                    and read_ask(question, policy).kind == "help_someone")
    content = ReplyContent(
        crisis=crisis_block(policy, risk, from_history=from_history, question=question, for_someone_else=someone_else),
        notice=_squash(policy.wording.automated_notice) if first_turn and draft.category != "crisis" else "",
        lead=draft.lead,
        body=draft.segments,
        references=references(draft.segments),
        suggestions=tuple(draft.suggestions),
        contact=_squash(policy.contact.text),
        disclaimer=policy.disclaimer,
    )
    return Reply(
        question=question, category=draft.category, body=body_text(content.body),
        answer=render_markdown(content, policy.page.reply), disclaimer=content.disclaimer, contact=content.contact,
        sources=content.sources, retrieved=tuple(retrieved), risk=risk, rails=tuple(rails) + tuple(out_hits),
        lead=draft.lead, crisis=crisis_text(content.crisis), suggestions=content.suggestions,
        timings=dict(timings or {}), id=id, error=error, content=content,
    )
