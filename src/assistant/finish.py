"""Output rails: the one place every reply is finished, whatever produced it.

``finish`` removes anything that must never leave (dose instructions, diagnosis statements,
text that is neither from the corpus nor the policy), puts crisis resources first when the
risk tier asks for it, and always ends with the professional contact and the disclaimer.
There is no other way to build a ``Reply``.
"""

from __future__ import annotations

from dataclasses import replace

from .policy import Policy
from .text import CITATION, normalize
from .types import Draft, RailHit, Reply, RiskTier


def crisis_block(policy: Policy, risk: RiskTier, *, from_history: bool = False, question: str = "") -> str:
    c = policy.crisis
    if risk == "clear":
        # A message in another language also gets that language's line (the gentle tier needs none:
        # such a message gets the other-language reply, which gives it already).
        extra = [" ".join(c.languages[code].split()) for code in _crisis_languages(policy, question) if code in c.languages]
        lines = [" ".join(c.takeover.split()), ""]
        lines += [f"- **{r.name}**: {r.how}" for r in c.resources]
        lines += ["", *extra, *([""] if extra else []), " ".join(c.takeover_close.split())]
        return "\n".join(lines)
    if risk == "possible":
        return " ".join((c.persist if from_history else c.possible).split())
    return ""


def _crisis_languages(policy: Policy, question: str) -> list[str]:
    """Languages of the crisis patterns written in another language that ``question`` matches."""
    if not question or not policy.pattern_language:
        return []
    norm = normalize(question)
    found = [policy.pattern_language[pid] for group in ("crisis_clear", "crisis_possible")
             for pid, rx in policy.compiled[group] if pid in policy.pattern_language and rx.search(norm)]
    return list(dict.fromkeys(found))


def _segments(body: str) -> list[str]:
    out = []
    for line in body.split("\n"):
        for seg in CITATION.split(line):
            seg = seg.strip().removeprefix("- ").strip()
            if seg:
                out.append(seg)
    return out


def scan(draft: Draft, policy: Policy, allowed: set[str]) -> tuple[Draft, list[RailHit]]:
    """Drop body lines that carry blocked content or are not grounded; report what was dropped."""
    hits: list[RailHit] = []
    kept_lines = []
    for line in draft.body.split("\n"):
        blocked = [pid for pid, rx in policy.compiled["output_block"] if rx.search(normalize(line))]
        ungrounded = [s for s in _segments(line) if s not in allowed]
        if blocked:
            hits.append(RailHit("output_block", f"pattern:{blocked[0]}"))
        elif ungrounded:
            hits.append(RailHit("grounding", "dropped a sentence not found in the corpus"))
        else:
            kept_lines.append(line)
    lead_blocked = [pid for pid, rx in policy.compiled["output_block"] if rx.search(normalize(draft.lead))]
    lead = draft.lead
    if lead_blocked:
        hits.append(RailHit("output_block", f"pattern:{lead_blocked[0]}"))
        lead = " ".join(policy.wording.error.split())
    body = "\n".join(kept_lines)
    if hits and not body and draft.category == "answered":
        return replace(draft, body="", lead=" ".join(policy.wording.weak_evidence.split()), sources=()), hits
    cited = {int(m.group(0).strip(" []")) for m in CITATION.finditer(body)}
    sources = tuple(p for n, p in enumerate(draft.sources, start=1) if n in cited) if hits else draft.sources
    return replace(draft, body=body, lead=lead, sources=sources), hits


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
    crisis = crisis_block(policy, risk, from_history=from_history, question=question)
    parts = []
    if crisis:
        parts.append(crisis)
    if first_turn and draft.category != "crisis":
        parts.append(" ".join(policy.wording.automated_notice.split()))
    if draft.lead:
        parts.append(draft.lead)
    if draft.body:
        parts.append(draft.body)
    if draft.sources:
        parts.append("Sources: " + " · ".join(f"[{n}] {p.source}" for n, p in enumerate(draft.sources, start=1)))
    if draft.suggestions:
        parts.append("\n".join(f"- {s}" for s in draft.suggestions))
    contact = " ".join(policy.contact.text.split())
    parts.append(f"{contact}\n\n_{policy.disclaimer}_")
    answer = "\n\n".join(parts)
    return Reply(
        question=question, category=draft.category, body=draft.body, answer=answer, disclaimer=policy.disclaimer,
        contact=contact, sources=draft.sources, retrieved=tuple(retrieved), risk=risk, rails=tuple(rails) + tuple(out_hits),
        lead=draft.lead, crisis=crisis, suggestions=draft.suggestions, timings=dict(timings or {}), id=id, error=error,
    )
