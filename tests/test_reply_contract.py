"""The JSON contract (``Reply.to_dict()``, the CLI's ``--json``, the page's ``/ask``) stays what
it was, field for field, on 26 varied questions through the whole pipeline on the fake embedder.

The pinned replies in ``fixtures/reply_contract.json`` were recorded before the reply became
structured data; see ``reply_contract_cases.py`` to regenerate them after an intended change.
"""

from __future__ import annotations

import json

import pytest

from .reply_contract_cases import CASES, FIXTURE, record

PINNED = json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def recorded(fake_bot):
    return record(fake_bot)


def test_the_cases_are_the_pinned_ones():
    assert [c["question"] for c in PINNED] == [q for q, _ in CASES]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_every_pinned_field_keeps_its_value(recorded, i):
    before, now = PINNED[i], recorded[i]
    assert now["history"] == before["history"]
    for key, value in before["reply"].items():
        assert now["reply"][key] == value, key
