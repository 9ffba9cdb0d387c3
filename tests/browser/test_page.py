"""The chat page as a person meets it, in Chromium: a cited answer with the contact and the
disclaimer, a citation opened from the keyboard, crisis help first, typed HTML shown as text,
phone width, clearing the conversation, and no request leaving 127.0.0.1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM}: install Debian's chromium (`apt-get install chromium`, as .ci/run does)",
    ),
]

QUESTION = "why do I ignore messages?"
CRISIS = "I don't want to be alive anymore"
XSS = "<img src=x onerror=alert(1)>"

# Records, in the page itself, when Enter is pressed and when the new reply first shows text
# and when it is complete, so the timing does not include Playwright's own round trips.
TIMING_PROBE = """
(disclaimer) => {
  const t = window.__timing = {enter: null, first: null, full: null};
  const replies = () => document.querySelectorAll('#chat [data-testid="bot"]');
  const before = replies().length;
  document.addEventListener('keydown', e => { if (e.key === 'Enter' && t.enter === null) t.enter = performance.now(); }, true);
  new MutationObserver(() => {
    const list = replies();
    if (t.enter === null || list.length <= before) return;
    const text = list[list.length - 1].innerText.replace('The assistant replied:', '').trim();
    if (text && t.first === null) t.first = performance.now();
    if (text.includes(disclaimer) && t.full === null) t.full = performance.now();
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""

# WCAG contrast of an element's text against the first opaque background behind it.
CONTRAST = """
(el) => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let bg = null, opacity = 1;
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const cs = getComputedStyle(n);
    opacity *= Number(cs.opacity);
    const c = rgb(cs.backgroundColor);
    if (!bg && c.length >= 3 && (c.length === 3 || c[3] > 0.9)) bg = c.slice(0, 3);
  }
  bg = bg || [255, 255, 255];
  const fg = rgb(getComputedStyle(el).color);
  const a = (fg.length > 3 ? fg[3] : 1) * opacity;
  const mixed = fg.slice(0, 3).map((c, i) => c * a + bg[i] * (1 - a));
  const [hi, lo] = [lum(mixed), lum(bg)].sort((x, y) => y - x);
  return {ratio: (hi + 0.05) / (lo + 0.05), size: parseFloat(getComputedStyle(el).fontSize)};
}
"""


def show_from_the_top(reply) -> None:
    """Scroll the conversation so the screenshot shows this reply from its first line."""
    reply.page.wait_for_timeout(300)  # let the chat finish its own scroll to the newest message
    reply.evaluate("el => el.closest('.message-row').scrollIntoView({block: 'start'})")
    reply.page.evaluate("window.scrollTo(0, 0)")


def test_cited_answer_by_keyboard_with_contact_disclaimer_and_an_open_citation(open_chat, served, artifacts, timings):
    chat = open_chat(1280, 900)
    page = chat.page
    policy = served.bot.policy

    # Keyboard only: Tab from the top of the page reaches the question box.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(40):
        if page.evaluate("document.activeElement && document.activeElement.closest('#question') !== null"):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the question box")

    page.evaluate(TIMING_PROBE, policy.disclaimer)
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    reply = chat.wait_for_reply(1)
    page.wait_for_function("window.__timing.full !== null")
    t = page.evaluate("window.__timing")
    first_ms, full_ms = t["first"] - t["enter"], t["full"] - t["enter"]

    expected = served.bot.ask(QUESTION)
    assert expected.category == "answered" and expected.sources
    assert chat.questions.nth(0).inner_text().replace("You said:", "").strip() == QUESTION
    text = reply.inner_text()
    assert "[1]" in text and policy.contact.text in text and policy.disclaimer in text
    assert reply.locator(f'a[href="{policy.contact.tel}"]').count() == 1

    # Open the first citation from the keyboard; its quote is the passage the answer cites.
    citation = reply.locator("details.citation").first
    citation.locator("summary").focus()
    page.keyboard.press("Enter")
    quote = citation.locator("blockquote").first  # one entry per article; its first quoted line
    quote.wait_for(state="visible")
    assert citation.get_attribute("open") is not None
    number, words, _ = expected.content.references[0].lines[0]  # a list's lead-in shares its sentence's number
    assert number == 1 and quote.inner_text().strip().endswith(words)

    # The contact and the disclaimer stay on the page itself, outside any reply.
    assert page.locator(f'header a[href="{policy.contact.tel}"]').is_visible()
    assert page.locator("footer").get_by_text(policy.disclaimer).count() == 1

    tree = reply.aria_snapshot()
    (artifacts / "reply-aria.yaml").write_text(tree + "\n", encoding="utf-8")
    assert "The assistant replied:" in tree and "[1]" in tree
    show_from_the_top(reply)
    page.screenshot(path=str(artifacts / "page-desktop-1280.png"), full_page=True)

    timing = {"question": QUESTION, "page_load_ms": round(chat.load_ms), "enter_to_first_answer_text_ms": round(first_ms, 1),
              "enter_to_full_answer_ms": round(full_ms, 1)}
    (artifacts / "page_timing.json").write_text(json.dumps(timing, indent=2) + "\n", encoding="utf-8")
    timings.update({"Enter -> first answer text": f"{first_ms:.0f} ms", "Enter -> full answer": f"{full_ms:.0f} ms",
                    "page load": f"{chat.load_ms:.0f} ms"})
    print(f"\nEnter -> first answer text: {first_ms:.0f} ms; full answer: {full_ms:.0f} ms")
    assert first_ms < 1000, timing
    assert full_ms > first_ms  # the reply streamed in rather than arriving at once


def test_crisis_message_gets_the_resources_first_with_a_call_link(open_chat, served, artifacts):
    chat = open_chat(1280, 900)
    reply = chat.ask(CRISIS)

    box = reply.locator(".crisis")
    assert box.count() == 1
    first_block = reply.locator(".message-content .prose > :not(.sr-only)").first
    assert "crisis" in (first_block.get_attribute("class") or "")
    call = box.get_by_role("link", name="Call 988")
    assert call.get_attribute("href") == "tel:988"
    assert box.locator('a[href="tel:911"]').count() == 1
    assert box.bounding_box()["y"] < reply.locator(f'a[href="{served.bot.policy.contact.tel}"]').bounding_box()["y"]
    tree = reply.aria_snapshot()
    assert tree.index("Crisis help:") < tree.index(served.bot.policy.contact.phone)
    seen = call.evaluate(CONTRAST)
    assert seen["ratio"] >= 4.5, seen

    (artifacts / "crisis-reply-aria.yaml").write_text(tree + "\n", encoding="utf-8")
    show_from_the_top(reply)
    chat.page.screenshot(path=str(artifacts / "page-crisis-1280.png"), full_page=True)


def test_typed_html_is_shown_as_text_and_never_runs(open_chat):
    chat = open_chat(1280, 900)
    chat.ask(XSS)
    chat.page.wait_for_timeout(300)  # give a broken image's onerror the chance to fire

    mine = chat.questions.nth(0)
    assert mine.inner_text().replace("You said:", "").strip() == XSS
    assert chat.page.locator("#chat img").count() == 0
    assert chat.page.locator("#chat [onerror]").count() == 0
    assert chat.dialogs == []


def test_phone_width_with_an_example_question(open_chat, served, artifacts):
    chat = open_chat(375, 812)
    page = chat.page
    example = served.bot.policy.suggestions[0]
    page.get_by_role("button", name=example).click()
    reply = chat.wait_for_reply(1)
    assert chat.questions.nth(0).inner_text().replace("You said:", "").strip() == example

    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing runs off the side
    assert page.locator(f'header a[href="{served.bot.policy.contact.tel}"]').is_visible()
    for name in ("Send", "Clear conversation"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["height"] >= 32, name

    samples = {
        "reply text": reply.locator("p:not(.sr-only)").first,
        "header notice": page.locator("header .notice"),
        "footer disclaimer": page.locator("footer .disclaimer"),
        "example question": page.get_by_role("button", name=example),
        "question box placeholder": page.get_by_label("Your question"),
        "send button": page.get_by_role("button", name="Send", exact=True),
    }
    for what, locator in samples.items():
        seen = locator.evaluate(CONTRAST)
        assert seen["ratio"] >= 4.5, (what, seen)
        assert seen["size"] >= 14, (what, seen)
    show_from_the_top(reply)
    page.screenshot(path=str(artifacts / "page-phone-375.png"), full_page=True)


def test_clear_conversation_forgets_the_session(open_chat, served):
    chat = open_chat(1280, 900)
    chat.ask(QUESTION)
    chat.page.get_by_role("button", name="Clear conversation").click()
    from playwright.sync_api import expect

    expect(chat.replies).to_have_count(0)
    expect(chat.questions).to_have_count(0)
    # A first turn again: the automated-assistant notice returns, so the session history is gone.
    reply = chat.ask(QUESTION)
    assert served.bot.policy.wording.automated_notice in reply.inner_text()


def test_every_request_stays_on_loopback(open_chat):
    chat = open_chat(1280, 900)
    chat.ask(QUESTION)
    chat.replies.nth(0).locator("details.citation summary").first.click()
    chat.ask(CRISIS)
    assert chat.requests, "no requests were recorded"
    assert chat.off_loopback() == []


# The reply's first line, the visible part of the chat box and the viewport, in page pixels.
FIRST_LINE_IN_VIEW = """
(reply) => {
  const box = reply.closest('.bubble-wrap').getBoundingClientRect();
  const first = [...reply.querySelectorAll('p')].find(p => !p.classList.contains('sr-only') && p.innerText.trim());
  const line = first.getClientRects()[0];
  const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, window.innerHeight);
  return {line_top: line.top, line_bottom: line.bottom, box_top: top, box_bottom: bottom, text: first.innerText.slice(0, 60)};
}
"""


def test_phone_reply_arrives_showing_its_first_line(open_chat, served, artifacts):
    chat = open_chat(375, 812)
    chat.ask(QUESTION)  # a first exchange, so the second reply lands below a full chat box
    reply = chat.ask("What small steps can I take to reconnect?")
    chat.page.wait_for_timeout(300)  # any scroll the page still makes happens in this time
    seen = reply.evaluate(FIRST_LINE_IN_VIEW)
    assert seen["box_top"] <= seen["line_top"] and seen["line_bottom"] <= seen["box_bottom"], seen
    # The reply is read from its top: its first line sits in the upper half of what the box shows.
    assert seen["line_top"] < (seen["box_top"] + seen["box_bottom"]) / 2, seen
    # ...and the reply is long enough that the chat box's end (its disclaimer) is out of view.
    disclaimer = reply.get_by_text(served.bot.policy.disclaimer).bounding_box()
    assert disclaimer["y"] > seen["box_bottom"], (disclaimer, seen)
    chat.page.screenshot(path=str(artifacts / "page-phone-375-after-reply.png"))
