"""The evaluation stays independent of what the rails and retrieval were shown.

No ``evals/*.jsonl`` question may be a copy or a near-copy (rapidfuzz ``fuzz.ratio`` >= 85 after
lower-casing and collapsing every run of non-word characters to one space) of an exemplar in
``guardrails/exemplars.yaml``, a training message in ``guardrails/training/*.jsonl``, or a question in
``corpus/*.questions.yaml``. Eval questions shorter than three words ("hi", "thank you") are left out:
they are greetings anyone would write, not cases that could leak.

A failure names the file and the offending text on *our* side, so it can be rewritten or dropped
without anyone reading the eval case.

Example::

    .venv/bin/python -m pytest -q tests/test_eval_independence.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 85


def normalise(text: str) -> str:
    """Lower case, every run of non-word characters as one space, ends trimmed."""
    return re.sub(r"\W+", " ", text.lower()).strip()


def eval_questions(folder: Path) -> list[str]:
    """The normalised ``question`` of every case of three or more words in ``folder/*.jsonl``."""
    out = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                question = json.loads(line).get("question")
                if isinstance(question, str) and len(question.split()) >= 3:
                    out.append(normalise(question))
    return out


def exemplars(path: Path) -> list[str]:
    labels = yaml.safe_load(path.read_text(encoding="utf-8"))["labels"]
    return [text for label in labels.values() for text in label["examples"]]


def training_messages(folder: Path) -> list[tuple[str, str]]:
    """``(file name, text)`` of every message in ``folder/*.jsonl``."""
    out = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append((path.name, json.loads(line)["text"]))
    return out


def corpus_questions(folder: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(folder.glob("*.questions.yaml")):
        for passage in yaml.safe_load(path.read_text(encoding="utf-8"))["passages"]:
            out.extend((path.name, q) for q in passage.get("questions") or [])
    return out


def near_copies(ours: list[tuple[str, str]], evals: list[str], limit: int = LIMIT) -> list[tuple[str, str, float]]:
    """``(file, our text, best ratio)`` for each of ``ours`` within ``limit`` of any eval question."""
    if not ours or not evals:
        return []
    scores = process.cdist([normalise(t) for _, t in ours], evals, scorer=fuzz.ratio, dtype=np.float32, workers=1)
    best = scores.max(axis=1)
    return [(name, text, round(float(b), 1)) for (name, text), b in zip(ours, best, strict=True) if b >= limit]


def all_ours() -> list[tuple[str, str]]:
    ours = [("guardrails/exemplars.yaml", t) for t in exemplars(ROOT / "guardrails" / "exemplars.yaml")]
    ours += [(f"guardrails/training/{n}", t) for n, t in training_messages(ROOT / "guardrails" / "training")]
    ours += [(f"corpus/{n}", t) for n, t in corpus_questions(ROOT / "corpus")]
    return ours


def test_no_eval_question_is_near_an_exemplar_training_message_or_corpus_question():
    evals = eval_questions(ROOT / "evals")
    ours = all_ours()
    assert len(evals) > 100 and len(ours) > 1000, "the sets to compare were not found"
    copies = near_copies(ours, evals)
    assert not copies, "near-copies of eval questions (rewrite or drop these):\n" + "\n".join(
        f"  {name}: {text!r} (ratio {ratio})" for name, text, ratio in copies
    )


@pytest.mark.parametrize(
    ("ours", "theirs", "caught"),
    [
        ("I want to end it ALL!!", "i want to end it all", True),  # case and punctuation do not hide a copy
        ("im going to end it all tonite", "i'm going to end it all tonight", True),  # a near-copy
        ("how do i bake sourdough bread", "i'm going to end it all tonight", False),
    ],
)
def test_near_copies_are_caught_after_normalising(ours, theirs, caught):
    assert bool(near_copies([("x", ours)], [normalise(theirs)])) is caught


def test_short_eval_questions_do_not_count(tmp_path):
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"question": "hi there"}) + "\n" + json.dumps({"question": "what is this about"}) + "\n"
    )
    assert eval_questions(tmp_path) == ["what is this about"]
