"""Is a message answerable from the article? Two decisions after retrieval, on the verdict of the
input rails and the retrieval's match:

- ``in_scope``: answer it, or decline it as out of scope.
- ``risk_without_answer``: a short message of possible risk that the article does not answer
  gets the crisis reply rather than unrelated article lines.
- ``uncovered_health``: a short health question on a topic the article does not cover is
  declined as out of scope, never answered with its quotes.
- ``personal_telling``: a declined message in which the person tells of their own life is thanked first.

The thresholds are policy data (``guardrails/policy.yaml``, ``thresholds``).

Example::

    in_scope(verdict, retrieval, policy.thresholds)   # True: go on and compose
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Collection

from .policy import Policy, Thresholds, about_someone_else
from .text import normalize, words
from .types import Retrieval, Verdict


def in_scope(verdict: Verdict, retrieval: Retrieval, t: Thresholds) -> bool:
    """Calibrated on the labelled on-topic and off-topic sets (evals/README.md): the best
    article cosine, the vote of on-topic versus off-topic exemplars and, when a classifier is
    wired, the learned scope head, which can carry a message in or hold a weak vote back (with
    a close match to a question a passage answers, even under ``out_of_scope_relevance``)."""
    # Far from every sentence of the article: out, unless it is close to a question a passage answers
    # (a parent's question in other words) and the learned scope head says it is about the article, or
    # the topic vote does with the head not far below its bar.
    head_doubts = verdict.scope_score is not None and verdict.scope_score < t.scope_head_floor
    asked_before = retrieval.confidence >= t.out_of_scope_question_match and (
        verdict.in_scope is True or (verdict.topic_margin >= t.question_match_topic and not head_doubts))
    if retrieval.relevance < t.out_of_scope_relevance and not asked_before:
        return False
    # A health question the article does not cover, as both learned heads read it: the medical head
    # leans toward it (under its bar) and the scope head puts it outside the article; unless the article
    # matches it closely ("i feel numb, is that normal"), when the topic's words decide (health_elsewhere).
    if verdict.risk == "none" and verdict.in_scope is False and verdict.medical_score is not None \
            and verdict.medical_score >= t.health_outside_medical_floor and retrieval.relevance < t.health_outside_relevance_ceiling:
        return False
    # A follow-up leans on the conversation, and someone who may be at risk gets the article's
    # words rather than a refusal; but when the learned heads say the message is about something
    # else and not about risk ("what is an isopropanol overdose?", "show me the date"), a
    # resemblance to the crisis exemplars in wording alone does not carry it in.
    at_risk = verdict.risk != "none" and verdict.risk_head is not False
    if retrieval.follow_up or verdict.in_scope or at_risk or asked_before:
        return True
    if retrieval.relevance >= t.in_scope_relevance and verdict.topic_margin > t.in_scope_topic_floor:
        return True
    if head_doubts:
        return False
    if verdict.topic_margin >= t.strong_topic:
        return True
    return verdict.topic_margin > 0 and retrieval.relevance >= t.topic_relevance


def risk_without_answer(verdict: Verdict, retrieval: Retrieval, t: Thresholds, names_harm: bool = True) -> bool:
    """A short message of possible risk that the article does not answer: out of scope but for
    its risk, or only weakly matched ("how many of these would it take", "what can I use that
    won't leave scars"). Quoting the article at it would answer a question about harm with
    unrelated lines; it gets the crisis reply, resources first.

    Not for a message that says the person is safe ("crisis_denials"), risk carried over from
    earlier messages (the question now may be an ordinary one), worry about someone else (the
    gentle tier, as the written policy says), a long story (which
    the article may still speak to), or without the learned risk head at its bar (``risk_head``):
    look-alikes ("what is an isopropanol overdose?") resemble the exemplars in wording alone; nor
    below the clear-risk head's floor, where hopelessness without a wish to die stays gentle; nor
    when it is close to a question a passage answers (``unanswered_risk_question_match``): the
    article does answer it. Nor when the message names no death, harm, means or ending, and no
    time, decision or preparation (``names_harm``: the ``risk_words`` and ``crisis_escalators``
    patterns): the tier then came from the learned heads' or the
    exemplars' reading of harmless words ("freeze my account for me", "go forward to the next track"):
    it is answered or declined as other messages of possible risk are, under the gentle 988 line."""
    if verdict.risk != "possible" or retrieval.follow_up or len(verdict.text.split()) > t.unanswered_risk_max_words:
        return False
    if not names_harm:
        return False
    if any(r.rail in ("crisis_history", "crisis_denials") or about_someone_else(r.reason) for r in verdict.rails):
        return False
    if not verdict.risk_head:
        return False
    if verdict.clear_score is None or verdict.clear_score < t.unanswered_risk_clear_floor:
        return False  # hopelessness ("what's even the point anymore") stays the gentle tier
    if retrieval.confidence >= t.unanswered_risk_question_match:
        return False  # it is a question a passage answers, in other words ("everyone probably thinks im flaky")
    return weak_evidence(retrieval, t) or not in_scope(replace(verdict, risk="none"), retrieval, t)


def weak_health(verdict: Verdict, retrieval: Retrieval, t: Thresholds) -> bool:
    """A health question the article comes nowhere near answering ("can stress cause hair loss"): the
    learned medical head leans toward it (at least ``weak_health_medical_floor``, under its own bar)
    and the best match is weak evidence (under ``weak_evidence_relevance``). The closest lines would
    answer it with something else; it gets the out-of-scope reply. Not with any risk (it keeps its
    crisis line) nor in a follow-up, which leans on the conversation."""
    if verdict.risk != "none" or retrieval.follow_up or verdict.medical_score is None:
        return False
    return weak_evidence(retrieval, t) and verdict.medical_score >= t.weak_health_medical_floor


def weak_evidence(retrieval: Retrieval, t: Thresholds) -> bool:
    """The best match, of a sentence or of a question a passage answers, is under ``weak_evidence_relevance``:
    an answer then says the evidence is weak."""
    return max(retrieval.relevance, retrieval.confidence) < t.weak_evidence_relevance


def uncovered_health(verdict: Verdict, retrieval: Retrieval, policy: Policy, corpus_words: Collection[str]) -> bool:
    """A short health question the articles do not cover ("does exercise help depression", "is
    depression genetic"): a topic of ``uncovered_health`` whose words are not in the corpus
    (``corpus_words``: an article about sleep covers "sleep") and no word of ``article_topic``.
    Article lines would answer it with something else; it gets the out-of-scope reply. Not for a
    message with any risk (it keeps its crisis line), a follow-up, or a story longer than
    ``uncovered_health_max_words``, where sleep or food is context rather than the question."""
    if verdict.risk != "none" or retrieval.follow_up or len(verdict.text.split()) > policy.thresholds.uncovered_health_max_words:
        return False
    text = normalize(verdict.text)
    if policy.matches("article_topic", text):
        return False
    topics = (m.group(0) for _, rx in policy.compiled["uncovered_health"] for m in rx.finditer(text))
    return any(not all(w in corpus_words for w in words(topic)) for topic in topics)


def health_elsewhere(verdict: Verdict, retrieval: Retrieval, policy: Policy, corpus_words: Collection[str]) -> bool:
    """A health question the article does not answer, by its topic's words (``uncovered_health``) or by
    the learned medical head over weak evidence (``weak_health``): the out-of-scope reply, not quotes."""
    return uncovered_health(verdict, retrieval, policy, corpus_words) or weak_health(verdict, retrieval, policy.thresholds)


def personal_telling(verdict: Verdict, policy: Policy) -> bool:
    """Does a declined message tell of the person's own life ("my dog died", "I was fired."): a first-person
    statement (``first_person``) that asks nothing (``personal_telling``), which the learned scope head reads at least
    ``personal_scope_floor`` close to the article's topic (so "i've lost my phone somewhere" is not)? Its
    out-of-scope reply then opens with ``wording.out_of_scope_personal``: a person, not a query, is declined."""
    if verdict.scope_score is None or verdict.scope_score < policy.thresholds.personal_scope_floor:
        return False
    text = normalize(verdict.text)
    return policy.matches("first_person", text) and policy.matches("personal_telling", text)


_CLAUSES = re.compile(r"[.,;:!]+|\b(?:and|but|so)\b")


def tells_only(text: str, policy: Policy) -> bool:
    """Does the message tell of the person's own life (``first_person``) and ask nothing in any clause
    (``personal_telling``, clause by clause, and no question mark anywhere): "I have been suffering from
    depression for years due to trauma", not "my mom's depression came back, should she go back on the pill"?"""
    text = normalize(text)
    if "?" in text or not policy.matches("first_person", text):
        return False
    return all(policy.matches("personal_telling", c.strip()) for c in _CLAUSES.split(text) if c.strip())
