"""Reading survives obfuscation: ``deobfuscate`` and ``normalize`` read disguised words as meant,
and leave ordinary text, numbers and the article alone.

Example::

    .venv/bin/python -m pytest -q tests/test_text_reading.py
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.text import clean, deobfuscate, join_split_words, normalize, split_sentences

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("written", "read"),
    [
        # letters spaced out, with wider gaps between words or none at all
        ("w a n t  t o  e n d  m y  l i f e", "want to end my life"),
        ("i w a n t t o k i l l m y s e l f", "i want to kill myself"),
        ("i w a n t to die", "i want to die"),
        ("thinking about s u i c i d e tonight", "thinking about suicide tonight"),
        ("want to end it. e n d i t. all of it", "want to end it. end it. all of it"),
        # letters separated by dots or dashes
        ("k.i.l.l m.y.s.e.l.f", "kill myself"),
        ("d-i-e. thats all", "die. thats all"),
        # digits and symbols for letters inside words
        ("thinking about su1c1de again", "thinking about suicide again"),
        ("i wanna d1e", "i wanna die"),
        ("i want to k1ll mys3lf", "i want to kill myself"),
        ("k1ll m3", "kill me"),
        ("$elf harm", "self harm"),
        ("su!c!de", "suicide"),
        ("wh@t is the point", "what is the point"),
        ("SU1C1DE", "suicide"),
        ("s u 1 c 1 d e", "suicide"),
        # letters typed many times
        ("i wanna diiiie", "i wanna die"),
        ("i just want to dieeeee", "i just want to die"),
        ("sooooo tired", "so tired"),
        ("killlll me", "kill me"),
        ("goooood morning", "good morning"),
        # characters a person cannot see
        ("ki\u200bll my\u200dself", "kill myself"),
        ("su\u00adic\u2060ide", "suicide"),
        ("d\ufeffie", "die"),
        # look-alike letters from another alphabet inside a Latin word
        ("\u0455uicide", "suicide"),
        ("kill my\u0455elf", "kill myself"),
    ],
)
def test_disguised_words_are_read_as_meant(written, read):
    assert normalize(written) == read


@pytest.mark.parametrize(
    "text",
    [
        "call 988 or text 988, 24/7",
        "i took 2 pills of 20mg at 5am",
        "my 1st appointment is on the 3rd",
        "vitamin d3, b12 and an a1c test",
        "covid-19 and h1n1",
        "every1 says b4 the exam",  # chat spellings are left for the speller
        "is it normal to feel this way?",
        "plan a b or c",
        "i feel so alone",
        "\u043c\u043d\u0435 \u043e\u0447\u0435\u043d\u044c \u043f\u043b\u043e\u0445\u043e",  # Russian stays Russian
        "quiero morir",
    ],
)
def test_ordinary_text_and_numbers_are_left_alone(text):
    assert deobfuscate(text) == clean(text)


def test_the_article_reads_the_same():
    article = (ROOT / "corpus" / "why-depression-makes-you-push-people-away.md").read_text(encoding="utf-8")
    sentences = [s for line in article.splitlines() for s in split_sentences(line)]
    assert len(sentences) > 40
    changed = [s for s in sentences if deobfuscate(s) != clean(s)]
    assert not changed


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_input_is_read_without_error_and_normalizing_twice_changes_nothing(text):
    once = deobfuscate(text)
    assert isinstance(once, str)
    assert once == once.strip()
    assert normalize(normalize(text)) == normalize(text)


HARM = {"suicide", "overdose", "anymore"}.__contains__


@pytest.mark.parametrize("written, read", [
    ("thinking about sui cide", "thinking about suicide"),
    ("sui.cide is on my mind", "suicide is on my mind"),
    ("took an over-dose", "took an overdose"),
    ("suicide is on my mind", "suicide is on my mind"),  # already whole: never joined with the next word
    ("i don't want to talk any more", "i don't want to talk any more"),  # two known words stay two
    ("see you at the over lap", "see you at the over lap"),  # not a word of harm
])
def test_a_word_of_harm_broken_once_is_read_whole(written, read):
    assert join_split_words(written, HARM, known={"any", "more", "over", "the", "at", "you", "see"}) == read


# -- the rails read what deobfuscate reads --------------------------------------------------


@pytest.mark.parametrize("message", [
    "w a n t  t o  e n d  m y  l i f e",
    "thinking about su1c1de again tonight, i mean it",
    "i wanna d1e",
    "k.i.l.l m.y.s.e.l.f",
    "i want to ki\u200bll my\u200dself",
    "i'm going to commit sui cide",  # a word broken once
    "i will commit sui.cide this week",
])
def test_a_disguised_crisis_message_gets_the_crisis_reply(fake_bot, message):
    reply = fake_bot.ask(message)

    assert reply.category == "crisis" and reply.risk == "clear"
    assert "988" in reply.answer and "911" in reply.answer


@pytest.mark.parametrize("text, read", [
    # a time in a sentence of its own is read with what it dates
    ("nobody would even care if i left. tonight.", ["nobody would even care if i left tonight"]),
    ("my cousin's wedding is this weekend and i dread it", ["my cousin's wedding is this weekend i dread it"]),
    ("i want to go out with my friends but i can't face anyone because i feel so tired",
     ["i want to go out with my friends", "i can't face anyone", "i feel so tired"]),
])
def test_a_message_is_read_in_phrases_with_a_short_one_kept_with_the_one_before(text, read):
    from assistant.similarity import phrases

    assert phrases(text) == read
