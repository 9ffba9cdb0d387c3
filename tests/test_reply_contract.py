"""The JSON contract (``Reply.to_dict()``, the CLI's ``--json``, the page's ``/ask``) stays what
it was, field for field, on 26 varied questions through the whole pipeline on the fake embedder.

The pinned replies in ``fixtures/reply_contract.json`` were recorded before the reply became
structured data; see ``reply_contract_cases.py`` to regenerate them after an intended change.
One change is intended and spelled out in ``expected_answer``: the sources paragraph of
``answer`` names each article once, by its front-matter title and publisher, after the citation
marks of its lines (it used to repeat the file name once per passage). ``references`` is new.
"""

from __future__ import annotations

import json
import re

import pytest

from .reply_contract_cases import CASES, FIXTURE, record

PINNED = json.loads(FIXTURE.read_text(encoding="utf-8"))
TITLE = "Why Depression Makes You Push People Away—Even When You Want Them Close"
PUBLISHER = "THIRA Health"


def expected_answer(pinned_answer: str, references: list[dict]) -> str:
    """The pinned answer with its one intended change: ``Sources: [1] file · [2] file ...``
    becomes ``Sources: [1] [2] Title, Publisher`` (one entry per article, joined by `` · ``)."""
    entries = " · ".join(" ".join(f"[{line['n']}]" for line in r["lines"]) + f" {r['title']}, {r['publisher']}"
                         for r in references)
    return re.sub(r"^Sources: \[1\] .*$", lambda _: f"Sources: {entries}", pinned_answer, flags=re.M)


@pytest.fixture(scope="module")
def recorded(fake_bot):
    return record(fake_bot)


def test_the_cases_are_the_pinned_ones():
    assert [c["question"] for c in PINNED] == [q for q, _ in CASES]
    assert sum("Sources: [1]" in c["reply"]["answer"] for c in PINNED) >= 10  # the change is exercised


@pytest.mark.parametrize("i", range(len(CASES)))
def test_every_pinned_field_keeps_its_value(recorded, i):
    before, now = PINNED[i]["reply"], recorded[i]["reply"]
    for key, value in before.items():
        if key == "answer":
            assert now[key] == expected_answer(value, now["references"])
        else:
            assert now[key] == value, key


@pytest.mark.parametrize("i", range(len(CASES)))
def test_references_group_the_sources_by_article(recorded, i):
    reply = recorded[i]["reply"]
    refs = reply["references"]
    # every quoted line is under its article once, in citation order; a list's lead-in sentence
    # shares the number of the sentence before it, so one numbered line may hold two sentences
    assert " ".join(line["text"] for r in refs for line in r["lines"]) == " ".join(s["text"] for s in reply["sources"])
    numbers = [line["n"] for r in refs for line in r["lines"]]
    assert numbers == list(range(1, len(numbers) + 1))
    for r in refs:
        assert (r["title"], r["publisher"], r["source"]) == (TITLE, PUBLISHER, reply["sources"][0]["source"])
    assert len(refs) == len({s["source"] for s in reply["sources"]})


@pytest.mark.parametrize("i", [i for i, (_, earlier) in enumerate(CASES) if earlier])
def test_follow_ups_were_asked_after_the_same_earlier_replies(recorded, i):
    """A follow-up's history holds the earlier reply's answer, which has the new sources paragraph."""
    by_question = {c["question"]: n for n, c in enumerate(PINNED) if not c["history"]}
    for before, now in zip(PINNED[i]["history"], recorded[i]["history"], strict=True):
        assert now["role"] == before["role"]
        if now["role"] == "user":
            assert now["content"] == before["content"]
            earlier = by_question[now["content"]]
        else:
            assert before["content"] == PINNED[earlier]["reply"]["answer"]
            assert now["content"] == recorded[earlier]["reply"]["answer"]
