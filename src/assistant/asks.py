"""Reading what a message asks: the kind of question, from the policy's cues (``answers.kinds``).

The last question sentence decides, since a story's question usually closes it (one that names
no kind of its own, "where do I even start?", is refined by what the rest is about); a message with
no question is read by its closing sentences, and a story (three sentences or more) that asks
nothing the cues recognise is the policy's ``unstated`` kind (it wants to understand what it tells).
A message that says someone close is the one withdrawing ("my husband shuts me out since he got
depressed"), asks how to help them when no cue named its ask or its ask is one of
``answers.someone_else_refines``, and so does one that asks what to do and tells their story ("he" and
"she" more often than "I"); so does a follow-up that leans on such a message.

Example::

    read_ask("My mom keeps calling. I never pick up. Why do I do this?", policy).kind   # "cause"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .policy import Policy
from .types import Turn
from .text import normalize

STORY_SENTENCES = 3  # a message of this many sentences or more tells a story
TELLING_SENTENCES = 2  # ... and one of this many in the first person tells what the person is going through ("I flinch when
# he hugs me. I hate myself for it."): thanked, though read by the retrieval when no cue names its ask
_QUESTION = re.compile(r"[^.!?]*\?+")
_CHAT_SENTENCE = re.compile(r"(?<=[.!?])\s+")  # people type "i isolate. what does that mean", no capital after the stop
# A question in quotation marks, opening after a space, colon, comma or bracket ("it's" and "don't" inside stay):
# "…?", “…?”, '…?' and ‘…?’
_QUOTED_QUESTION = re.compile(r"""(?:(?<=[\s:,(])|^)(?:"[^"\n]*?\?+"|“[^”\n]*?\?+”"""
                              r"""|‘(?:[^’\n]|’(?=\w))*?\?+’|'(?:[^'\n]|'(?=\w))*?\?+'(?!\w))""")


@dataclass(frozen=True)
class Ask:
    """What the message asks: the kind (a key of the policy's ``answers.kinds``) and the text it was read from."""

    kind: str
    text: str
    prefer: tuple[str, ...] = ()  # block kinds that answer it, when not the policy's for ``kind`` ("more": the earlier ask's)
    lift: frozenset[tuple[str, int]] = frozenset()  # blocks lifted as preferred ("more": where the last reply leaves off)
    stated: bool = False  # a cue in the message named the kind (not the default, nor a story's unstated ask)


def _unquote_questions(message: str) -> str:
    """The message with the question marks of quoted speech dropped: in "she texted 'did I do something
    wrong?' and I froze" the question is hers, not the person's, and the sentence goes on past it."""
    return _QUOTED_QUESTION.sub(lambda m: m.group(0).replace("?", ""), message)


def _last_questions(message: str) -> list[str]:
    """The message's question sentences, last first (a story's question usually closes it)."""
    return [q.strip() for q in reversed(_QUESTION.findall(message)) if q.strip(" ?")]


def read_ask(message: str, policy: Policy, context: str = "") -> Ask:
    """The kind of ask: from the last question sentence a cue recognises, else the closing
    sentences, else the whole message; a story that asks nothing the cues recognise is the
    policy's ``unstated`` kind (it wants to understand what it tells). ``context`` is what a
    follow-up leans on (the conversation's earlier messages): who they are about carries over
    ("so what do i do?" after "my boyfriend has depression and he stopped texting me")."""
    cues = policy.answer_cues
    message = _unquote_questions(message)
    questions = _last_questions(message)
    sentences = _sentences(message)
    story = not questions and len(sentences) >= STORY_SENTENCES
    if questions and any(p.search(normalize(questions[0])) for p in policy.bare_questions):
        # "where do I even start?" names no kind of its own: what the rest of the message is about may
        rest = normalize(message.replace(questions[0], " "))
        for kind in policy.answers.bare_refines:
            if any(p.search(rest) for p in cues[kind]):
                return Ask(kind, questions[0], stated=True)
    ask = next((Ask(kind, text, stated=True) for text in questions + sentences[-2:][::-1] + ([] if story else [message])
                if (kind := policy.cue_kind(normalize(text)))),
               Ask(policy.answers.unstated if story else "default", message))
    refines = ask.kind in policy.answers.someone_else_refines
    if (refines or not ask.stated) and any(_about_someone_else(normalize(text), policy, story=refines and ask.stated)
                                           for text in (message, context) if text):
        # "my best friend is depressed and ignores me, what do i do": how to help them, not steps for oneself
        return Ask(policy.answers.someone_else_kind, ask.text, stated=True)
    return ask


def _about_someone_else(text: str, policy: Policy, story: bool) -> bool:
    """Does the message say someone close is the one withdrawing, in so many words (``someone_else``)
    or, when it asks what to do (``story``), by telling their story: it names them and says "he" or
    "she" more often than "I"? (A story with no ask of its own may be the writer's: "my fiancé keeps
    asking what he did wrong. he didn't do anything. I'm just low and pulling away".)"""
    if any(p.search(text) for p in policy.someone_else_cues):
        return True
    rule = policy.third_person_story
    if rule is None or not story:
        return False
    close, theirs, mine = rule
    return bool(close.search(text)) and len(theirs.findall(text)) > len(mine.findall(text))


def tells_a_story(message: str, policy: Policy) -> bool:
    """Does the person tell what they are going through: ``TELLING_SENTENCES`` sentences or more, in the
    first person (``first_person`` patterns: "My sister texts me every day. I read it and just can't reply. ...")?
    A reply to it opens by thanking them (``wording.story_opening``) before it quotes the article."""
    return len(_sentences(message)) >= TELLING_SENTENCES and policy.matches("first_person", normalize(message))


def _sentences(message: str) -> list[str]:
    """The message's sentences as people type them (a stop, or a line break, ends one)."""
    return [s.strip() for s in _CHAT_SENTENCE.split(message) if s.strip()]


def question_before(turns: Sequence[Turn], policy: Policy) -> str:
    """The person's last message that asked something of its own: "tell me more" and "what else"
    lean on it, as does a second "more" after the first."""
    for turn in reversed(turns):
        if turn.role == "user" and turn.content.strip() and read_ask(turn.content, policy).kind != "more":
            return turn.content
    return ""
