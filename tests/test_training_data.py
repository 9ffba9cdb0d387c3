"""The team's training messages (``guardrails/training/*.jsonl``) follow the schema of the shared
data: unique ``team-<n>`` ids, a known label, ``source: team``, the sha1 split rule, no duplicate
texts, and every label represented.

Example::

    .venv/bin/python -m pytest -q tests/test_training_data.py
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LABELS = {"crisis_clear", "crisis_possible", "medical_advice", "on_topic", "off_topic", "benign_lookalike"}
FILES = sorted((ROOT / "guardrails" / "training").glob("*.jsonl"))


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def split_of(item_id: str) -> str:
    return "dev" if int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % 10 < 2 else "train"


def test_there_is_team_data():
    assert FILES, "guardrails/training/*.jsonl is missing"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_message_follows_the_shared_schema(path):
    items = rows(path)
    assert items
    for item in items:
        assert set(item) == {"id", "text", "label", "source", "split"}, item
        assert re.fullmatch(r"team-\d+", item["id"]), item["id"]
        assert item["label"] in LABELS, item
        assert item["source"] == "team"
        assert item["split"] == split_of(item["id"]), item["id"]
        assert item["text"] == " ".join(item["text"].split()) and item["text"], item["id"]
    ids = Counter(i["id"] for i in items)
    texts = Counter(re.sub(r"\W+", " ", i["text"].lower()).strip() for i in items)
    assert not [k for k, n in ids.items() if n > 1], "ids must be unique"
    assert not [k for k, n in texts.items() if n > 1], "texts must be unique"
    assert {i["label"] for i in items} == LABELS, "every label needs examples"

