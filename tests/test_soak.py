"""The soak run in short (8 people for 20 s against the real page on loopback); `make soak` runs the
long one (50 people for 5 minutes). Latency is reported, not asserted: the machine decides it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.benchmarking.soak import SCRIPT, check, percentile

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_short_soak_has_no_errors_and_bounded_memory(tmp_path, real_bot, real_index_dir):
    out = tmp_path / "soak.json"
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(real_index_dir)}  # the page reuses the session's built index
    run = subprocess.run([sys.executable, "-m", "assistant.benchmarking.soak", "--users", "8", "--seconds", "20", "--json", str(out)],
                         env=env, capture_output=True, text=True, timeout=900)
    print(run.stdout)
    assert out.is_file(), run.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["errors"] == 0, report["error_examples"]
    assert report["requests"] >= 8
    assert report["categories"].get("crisis", 0) > 0 and report["categories"].get("answered", 0) > 0
    assert report["rss_growth_mb"] <= report["rss_bound_mb"]
    assert run.returncode == 0 and report["ok"]


# -- the checks the soak applies to every reply ----------------------------------------------------


def test_check_accepts_a_safe_reply_and_names_what_is_missing(fake_bot):
    reply = fake_bot.ask("why do I ignore messages?").to_dict()
    assert check("answer", reply) is None
    assert check("answer", {**reply, "answer": reply["answer"].replace(reply["disclaimer"], "")}).startswith("safety lines missing")
    assert check("crisis", reply).startswith("crisis not recognised")
    assert check("answer", {**reply, "error": "StoreUnavailable: down"}).startswith("error reply")
    assert check("answer", "text").startswith("not a JSON object")


def test_every_crisis_line_of_the_script_is_a_crisis_for_the_pipeline(fake_bot):
    for kind, question, history in SCRIPT:
        reply = fake_bot.ask(question, history).to_dict()
        assert check(kind, reply) is None, (question, reply["category"])


def test_percentile():
    assert percentile([], 95) != percentile([], 95)  # NaN when nothing was measured
    assert percentile([5.0], 95) == 5.0
    assert percentile(list(map(float, range(1, 101))), 50) in (50.0, 51.0)
    assert percentile(list(map(float, range(1, 101))), 95) in (95.0, 96.0)
