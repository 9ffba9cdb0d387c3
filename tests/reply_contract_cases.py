"""The questions whose JSON replies are pinned in ``fixtures/reply_contract.json``.

Each case is ``(question, history)``; the history turns are given as plain questions and the
recorded run fills in the assistant's replies, so a follow-up sees a real earlier answer.

Regenerate the fixture only when a change of the JSON contract is intended, or to re-pin it
after a merge changed the answers themselves (record with the code as it was before the change
under test, e.g. ``git archive main src | tar -x -C /tmp/base`` and ``PYTHONPATH=/tmp/base/src``)::

    .venv/bin/python -m tests.reply_contract_cases
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURE = Path(__file__).with_name("fixtures") / "reply_contract.json"

CASES: list[tuple[object, list[str]]] = [
    ("why do I ignore messages from people I care about?", []),
    ("Is pushing people away selfish?", []),
    ("How can I start reconnecting with people?", []),
    ("What kinds of treatment does the article mention?", []),
    ("will this ever get better", []),
    ("why do i feel like a burden to my friends", []),
    ("what can I do when my partner is depressed and withdraws", []),
    ("what's the weather in Paris tomorrow?", []),
    ("give me a recipe for lasagna", []),
    ("should I stop taking my zoloft?", []),
    ("how many mg of sertraline should I take", []),
    ("I want to kill myself tonight", []),
    ("sometimes I wish I wasn't here anymore, why do I push everyone away?", []),
    ("I don't see the point of anything", []),
    ("hi", []),
    ("thanks so much", []),
    ("who are you?", []),
    ("", []),
    ("????", []),
    ("¿por qué me alejo de mis amigos?", []),
    ("x" * 5000, []),
    ("<img src=x onerror=alert(1)>", []),
    (None, []),
    ("tell me more", ["why do I ignore messages from people I care about?"]),
    ("what else can I do?", ["How can I start reconnecting with people?"]),
    ("and how do I tell them?", ["I want to kill myself tonight"]),
]


def record(bot) -> list[dict]:
    """Each case's ``Reply.to_dict()`` without its timings, with the history it was asked with."""
    out = []
    for i, (question, earlier) in enumerate(CASES):
        history: list[dict] = []
        for q in earlier:
            history += [{"role": "user", "content": q}, {"role": "assistant", "content": bot.ask(q, history).answer}]
        reply = bot.ask(question, history, id=i).to_dict()
        reply.pop("timings_ms")
        out.append({"question": question, "history": history, "reply": reply})
    return out


if __name__ == "__main__":  # pragma: no cover - regenerates the fixture
    import tempfile

    from assistant import Assistant
    from assistant.embeddings import HashEmbedder

    from .conftest import fake_guardrails, make_settings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = make_settings(root / "index", guardrails_dir=fake_guardrails(root / "guardrails"))
        cases = record(Assistant.load(settings, embedder=HashEmbedder()))
    FIXTURE.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {FIXTURE}")
