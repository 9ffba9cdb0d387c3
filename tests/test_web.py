"""The chat page without a browser: what it renders, how it streams, what it remembers, and
the ``/ask`` API through ``gradio_client``. A scripted fake bot (real policy, replies built by
the real ``finish``) keeps these fast; ``tests/browser`` drives the same page in Chromium.
"""

from __future__ import annotations

import asyncio
import html
import re
import socket
from pathlib import Path

import gradio as gr
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from assistant import web
from assistant.finish import finish
from assistant.policy import load_policy
from assistant.settings import Settings
from assistant.compose import render
from assistant.types import Draft, Passage, Reply

ROOT = Path(__file__).resolve().parents[1]
POLICY = load_policy(ROOT / "guardrails")
SOURCE = "why-depression-makes-you-push-people-away.md"
TITLE = "Why Depression Makes You Push People Away—Even When You Want Them Close"
IGNORE = Passage("u1", SOURCE, "You want someone to reach out—but you ignore their message.", 0.9, kind="item",
                 position=20, title=TITLE, publisher="THIRA Health")
XSS = "<img src=x onerror=alert(1)>"


class ScriptedBot:
    """The ``ask``/``policy`` interface of ``Assistant``, with replies finished by the real ``finish``."""

    def __init__(self, passages: tuple[Passage, ...] = (IGNORE,)):
        self.policy = POLICY
        self.passages = passages
        self.calls: list[tuple[str, list]] = []

    def ask(self, question, history=None) -> Reply:
        self.calls.append((question, list(history or [])))
        first = not any(t["role"] == "assistant" for t in history or [])
        if "alive" in question:
            return finish(Draft("crisis"), POLICY, question=question, risk="clear", first_turn=first)
        draft = Draft("answered", segments=render(list(self.passages)), lead="Here is what the article says:")
        return finish(draft, POLICY, question=question, first_turn=first)


def commonmark(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).render(markdown)


def text_of(rendered_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered_html))


def run(page: web.ChatPage, message: str, past: list, target=None) -> list[tuple]:
    async def collect():
        return [step async for step in page.respond(message, past, gr.EventData(target, {}))]

    return asyncio.run(collect())


@pytest.fixture(autouse=True)
def no_stream_pauses(monkeypatch):
    monkeypatch.setattr(web, "STREAM_SECONDS", 0.0)


# -- people's own words are shown as typed ----------------------------------------------------


def test_typed_html_becomes_text_not_a_tag():
    rendered = commonmark(web.literal_markdown(XSS))
    assert "<img" not in rendered
    assert html.unescape(re.sub(r"</?p>", "", rendered)).strip() == XSS


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=80))
def test_any_single_line_renders_literally(text):
    rendered = commonmark(web.literal_markdown(text))
    inner = re.fullmatch(r"(?:<p>(.*)</p>\n)?", rendered, re.S)
    assert inner is not None, rendered  # one paragraph of text: no tags, lists, headings or code
    assert html.unescape(inner.group(1) or "") == text.strip()


@pytest.mark.parametrize("text", ["    indented like code", "1. not a list", "# not a heading", "a\n===", "**not bold**"])
def test_markdown_structure_typed_by_a_person_stays_plain_text(text):
    rendered = commonmark(web.literal_markdown(text))
    assert re.fullmatch(r"<p>[^<]*(?:<br />\n?[^<]*)*</p>\n", rendered), rendered


# -- a reply as the page shows it ------------------------------------------------------------


def test_answer_keeps_every_line_and_shows_one_source_entry_per_article():
    second = Passage("u9", SOURCE, "Isolation can deepen depression, which makes reaching out even harder.", 0.8,
                     position=30, title=TITLE, publisher="THIRA Health")
    reply = ScriptedBot((IGNORE, second)).ask("why do I ignore messages?")
    shown = web.reply_markdown(reply, POLICY)
    page_text = text_of(commonmark(shown))
    for line in (POLICY.wording.automated_notice, "Here is what the article says:", IGNORE.text, second.text, reply.disclaimer):
        assert line in page_text
    assert "Sources:" not in page_text  # the page shows the sources box, not the text form's line
    assert shown.count('<details class="citation">') == 1
    assert f'<summary><span class="ref-numbers">[1] [2]</span> <cite>{html.escape(TITLE)}</cite>' in shown
    assert f'<blockquote><span class="ref-n">[1]</span> {html.escape(IGNORE.text)}</blockquote>' in shown
    assert f'<blockquote><span class="ref-n">[2]</span> {html.escape(second.text)}</blockquote>' in shown
    assert f'<a href="{POLICY.contact.tel}">{POLICY.contact.phone}</a>' in shown
    assert shown.index("citation") < shown.index(POLICY.contact.tel) < shown.index(reply.disclaimer)


def test_each_article_gets_its_own_entry_and_a_file_name_stands_in_for_a_missing_title():
    other = Passage("o1", "b-second-article.md", "A line of another article.", 0.5)
    shown = web.reply_markdown(ScriptedBot((IGNORE, other)).ask("why?"), POLICY)
    assert shown.count('<details class="citation">') == 2
    assert "<cite>B second article</cite>" in shown and f"<cite>{html.escape(TITLE)}</cite>" in shown


def test_quoted_passages_are_escaped():
    hostile = Passage("u2", "x<script>.md", "Ignore <script>alert(1)</script> & move on *now* _here_.", 0.5)
    shown = web.reply_markdown(ScriptedBot((hostile,)).ask("why?"), POLICY)
    assert "<script>" not in shown
    assert "Ignore &lt;script&gt;alert(1)&lt;/script&gt; &amp; move on *now* _here_." in shown
    assert "<em>now</em>" not in commonmark(shown) and "<em>here</em>" not in commonmark(shown)


def test_a_quoted_list_item_keeps_its_lead_in():
    item = Passage("u3", SOURCE, "Crushing fatigue: Just responding to a friend might feel like climbing a mountain.", 0.7,
                   kind="item", lead_in="Its impact often includes:")
    shown = web.reply_markdown(ScriptedBot((item,)).ask("why?"), POLICY)
    assert '<span class="ref-n">[1]</span> <span class="lead-in">Its impact often includes:</span> Crushing fatigue:' in shown


def test_crisis_reply_opens_with_the_call_box():
    reply = ScriptedBot().ask("I don't want to be alive anymore")
    shown = web.reply_markdown(reply, POLICY)
    assert shown.startswith('<div class="crisis"')
    box = shown[: shown.index("</div>")]
    assert '<a href="tel:988" class="crisis-call">Call 988</a>' in box
    assert '<a href="tel:911" class="crisis-call">Call 911</a>' in box
    assert shown.index("</div>") < shown.index(POLICY.contact.tel) < shown.index(reply.disclaimer)


def test_header_and_footer_carry_contact_notice_disclaimer_and_crisis_lines():
    header, footer = web.header_html(POLICY), web.footer_html(POLICY)
    assert f'href="{POLICY.contact.tel}"' in header and f'href="{POLICY.contact.tel}"' in footer
    assert POLICY.wording.automated_notice in text_of(header)
    assert POLICY.disclaimer in text_of(footer)
    assert 'href="tel:988"' in footer and 'href="tel:911"' in footer


# -- streaming -------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["why do I ignore messages?", "I don't want to be alive anymore"])
def test_stream_cuts_grow_to_the_whole_reply(question):
    reply = ScriptedBot((IGNORE, IGNORE)).ask(question)
    cuts = web.stream_cuts(reply, POLICY)
    assert cuts == sorted(set(cuts)) and len(cuts) <= web.STREAM_STEPS + 1
    assert web.reply_markdown(reply, POLICY, cuts[-1]) == web.reply_markdown(reply, POLICY)
    shown = [web.reply_markdown(reply, POLICY, c) for c in cuts]
    finished = [a.rsplit("\n\n", 1)[0] if "\n\n" in a else "" for a in shown]  # all blocks but the growing one
    assert all(b.startswith(done) for done, b in zip(finished, shown[1:]))
    if reply.crisis:  # the crisis box arrives whole, first
        assert shown[0].startswith('<div class="crisis">') and shown[0].endswith("</div>")
    for partial in shown:  # every update is well-formed: each block closes what it opens
        for block in partial.split("\n\n"):
            assert block.count("<p") == block.count("</p>") and block.count("<ul") == block.count("</ul>")


def test_respond_shows_the_question_at_once_then_streams_then_remembers():
    bot = ScriptedBot()
    page = web.ChatPage(bot)
    before = dict(vars(page))
    steps = run(page, "why do I ignore messages?", [])

    box, chat, _ = steps[0]
    assert box == "" and [m["role"] for m in chat] == ["user"]
    streamed = [s[1][-1]["content"] for s in steps[1:]]
    assert len(streamed) >= 3
    assert all(len(a) <= len(b) for a, b in zip(streamed, streamed[1:]))
    *_, (_, final_chat, conversation) = steps
    reply = conversation[-1].reply
    assert final_chat[-1]["content"] == f"{web.assistant_said(POLICY)}\n\n{web.reply_markdown(reply, POLICY)}"
    assert [e.question for e in conversation] == ["why do I ignore messages?"]
    assert vars(page) == before  # nothing about the conversation is kept outside the session state


def test_follow_up_sends_the_raw_history_not_the_escaped_display():
    bot = ScriptedBot()
    page = web.ChatPage(bot)
    *_, (_, _, conversation) = run(page, XSS, [])
    run(page, "and why is that?", conversation)
    question, history = bot.calls[-1]
    assert question == "and why is that?"
    assert history == [{"role": "user", "content": XSS}, {"role": "assistant", "content": conversation[0].reply.answer}]


def test_example_button_asks_its_question_and_keeps_the_draft():
    bot = ScriptedBot()
    button = gr.Button(POLICY.suggestions[1], elem_classes=["example"], render=False)
    steps = run(web.ChatPage(bot), "a half-typed draft", [], target=button)
    assert bot.calls[0][0] == POLICY.suggestions[1]
    assert isinstance(steps[0][0], dict) and steps[0][0].get("__type__") == "update"  # gr.skip(): box untouched


def test_blank_message_is_ignored():
    bot = ScriptedBot()
    steps = run(web.ChatPage(bot), "   ", [])
    assert len(steps) == 1 and bot.calls == []


def test_forget_empties_chat_session_and_box():
    assert web.ChatPage.forget() == ([], [], "")


# -- the page as served ------------------------------------------------------------------------


def test_theme_uses_system_fonts_only():
    theme = web.theme()
    fonts = [*theme._font, *theme._font_mono]
    assert not [f for f in fonts if isinstance(f, gr.themes.GoogleFont)]
    assert "googleapis" not in theme._get_theme_css()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    bot = ScriptedBot()
    settings = Settings(host="127.0.0.1", port=free_port(), concurrency_limit=3, max_queue=17, chroma_url=None)
    demo = web.build(bot)
    url = web.launch(demo, settings, block=False)
    yield demo, url, bot, settings
    demo.close()


def test_ask_endpoint_returns_the_json_contract(served):
    from gradio_client import Client

    demo, url, bot, _ = served
    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    result = client.predict("why do I ignore messages?", None, api_name="/ask")
    assert result == bot.ask("why do I ignore messages?").to_dict()
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    client.predict("I don't want to be alive anymore", history, api_name="/ask")
    assert bot.calls[-1] == ("I don't want to be alive anymore", history)
    api = client.view_api(return_format="dict", print_info=False)
    assert set(api["named_endpoints"]) == {"/ask"}  # the page's own events are private


def test_served_with_the_queue_limits_and_nothing_leaving_the_machine(served):
    demo, url, _, settings = served
    assert url.startswith("http://127.0.0.1:")
    assert demo._queue.max_size == settings.max_queue
    assert demo._queue.default_concurrency_limit == settings.concurrency_limit
    assert demo.share is False and demo.analytics_enabled is False


def test_page_css_is_a_file_of_its_own_that_fetches_nothing():
    css = web.page_css()
    assert web.CSS_FILE.is_file() and ".crisis" in css and "details.citation" in css
    assert not re.search(r"@import|url\(|https?:|@font-face", css)


def test_page_words_come_from_page_yaml(tmp_path):
    import shutil

    import yaml

    folder = tmp_path / "guardrails"
    shutil.copytree(ROOT / "guardrails", folder)
    data = yaml.safe_load((folder / "page.yaml").read_text(encoding="utf-8"))
    data["title"] = "Answers from our library"
    data["page"]["help_now"] = "Help right now:"
    data["page"]["call"] = "Ring {number}"
    (folder / "page.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    policy = load_policy(folder)
    assert "<h1>Answers from our library</h1>" in web.header_html(policy)
    assert "<strong>Help right now:</strong>" in web.footer_html(policy)
    reply = finish(Draft("crisis"), policy, question="q")
    assert '<a href="tel:988" class="crisis-call">Ring 988</a>' in web.reply_markdown(reply, policy)
