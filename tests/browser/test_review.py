"""Review mode in Chromium, end to end: ask, open the reply's panel, rate it bad with a reason,
tick the article line it should have quoted, save, and run the saved file with
``assistant eval --dataset``. The page runs the real assistant; the case goes to a temp file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import CHROMIUM, Chat, free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}: install Debian's chromium"),
]

QUESTION = "why do I ignore messages?"
LINE = "If this feels familiar, you’re not alone."  # a line of the article, to tick


@pytest.fixture(scope="module")
def review_page(tmp_path_factory):
    """The page with the review panel, saving to a temp file."""
    from assistant import web
    from assistant.assistant import Assistant
    from assistant.review import ReviewPanel
    from assistant.settings import Settings

    settings = Settings(host="127.0.0.1", port=free_port(), chroma_url=None)
    bot = Assistant.load(settings).warm()
    panel = ReviewPanel.load(settings, tmp_path_factory.mktemp("review") / "reviewed.jsonl")
    demo = web.build(bot, [panel.attach])
    url = web.launch(demo, settings, block=False)
    yield url, bot, panel
    demo.close()


def test_rate_a_reply_save_it_and_the_eval_runs_that_case(browser, review_page, artifacts, tmp_path) -> None:
    from playwright.sync_api import expect

    url, bot, panel = review_page
    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    page = context.new_page()
    chat = Chat(page, bot.policy.disclaimer)
    page.on("request", lambda r: chat.requests.append(r.url))
    page.goto(url, wait_until="domcontentloaded")
    chat.box.wait_for(state="visible", timeout=15_000)
    review = page.locator("#review")
    expect(review).to_contain_text(panel.wording.nothing_to_review, timeout=15_000)

    chat.ask(QUESTION)
    details = page.locator("#review-panel")
    expect(details).to_contain_text("answered", timeout=15_000)
    expect(details).to_contain_text(panel.wording.details.passages)
    expect(details.locator("ol.passages li").first).to_contain_text("score 0.")
    expect(details).to_contain_text("retrieve")

    lines = page.locator("#review-lines")
    expect(lines).to_be_hidden()
    page.locator("#review-verdict").get_by_label(panel.wording.verdicts.bad, exact=True).check()
    expect(lines).to_be_visible(timeout=10_000)
    page.locator("#review-reason input").click()
    page.get_by_role("option", name=panel.wording.reasons.missing_steps, exact=True).click()
    page.locator("#review-note textarea").fill("should say it is common")
    page.locator("#review-reviewer textarea").fill("Browser Tester")
    lines.get_by_label(LINE, exact=True).check()
    review.screenshot(path=str(artifacts / "review-panel.png"))
    page.locator("#review-save").click()
    expect(page.locator("#review-status")).to_contain_text("Saved case reviewed-", timeout=15_000)
    context.close()
    assert not chat.off_loopback(), chat.off_loopback()

    (saved,) = [json.loads(line) for line in panel.path.read_text(encoding="utf-8").splitlines()]
    assert saved["question"] == QUESTION and saved["expect"] == "answered" and saved["support"] == [LINE]
    assert saved["tags"] == ["reviewed", "missing_steps"] and saved["reviewer"] == "Browser Tester"
    assert saved["verdict"] == "bad" and saved["note"] == "should say it is common"

    out = tmp_path / "report"
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "assistant"), "eval", "--dataset", str(panel.path),
                           "--no-thresholds", "--out", str(out), "--no-progress"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["question"], r["support"]) for r in rows] == [(saved["id"], QUESTION, [LINE])]
    assert "support_recall" in rows[0]["metrics"], f"eval took {time.perf_counter() - started:.1f} s"
