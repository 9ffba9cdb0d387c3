"""The Gradio chat page: it presents ``Assistant`` replies and holds no pipeline logic.

The page is a header (automated-assistant line, professional contact), the conversation,
the question box with example questions, and a footer (crisis lines, disclaimer). Replies
stream in as growing prefixes of ``Reply.answer``; a crisis reply opens with a call box; each
cited passage is quoted in an expandable ``<details>`` under its answer. Everything shown is
escaped here: people's own words appear as typed, never as HTML.

The conversation lives only in the session (``gr.State``), which Gradio drops when the tab
closes. ``/ask`` is the stable API: ``Client(url).predict("why do I ignore messages?",
None, api_name="/ask")`` returns ``Reply.to_dict()``.

Example::

    bot = Assistant.load(settings).warm()
    demo = build(bot)
    launch(demo, settings)  # or just serve(settings)
"""

from __future__ import annotations

import asyncio
import html
import os
import re
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import gradio as gr

from .settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from .policy import Policy
    from .types import Passage, Reply

TITLE = "Depression and pushing people away: answers from our article"
STREAM_SECONDS = 0.6  # the whole answer appears within this time; the first words at once
STREAM_STEPS = 24
SYSTEM_FONTS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")


class Bot(Protocol):
    """What the page needs from ``Assistant``; tests pass a fake with the same two members."""

    policy: Policy

    def ask(self, question: Any, history: Any = None) -> Reply: ...


@dataclass(frozen=True)
class Exchange:
    """One question and its reply (``None`` while the reply is being computed)."""

    question: str
    reply: Reply | None = None


# -- escaping and small pieces of HTML ---------------------------------------------------------

# Every ASCII punctuation mark Markdown could act on, except the '&' and ';' of the entities
# that html.escape has just written.
_MARKDOWN_PUNCTUATION = re.compile(r"""[\\`*_{}\[\]()#+\-.!|~:@$%^=?'"/,]""")


def literal_markdown(text: str) -> str:
    """Markdown that renders as exactly ``text``: no tags, links, emphasis, lists or code.

    Lines are stripped first: four leading spaces would otherwise make a code block.
    """
    lines = "\n".join(line.strip() for line in text.strip().splitlines())
    return _MARKDOWN_PUNCTUATION.sub(lambda m: "\\" + m.group(0), html.escape(lines, quote=False))


def _link(href: str, label: str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<a href="{html.escape(href)}"{klass}>{html.escape(label)}</a>'


def _with_phone_link(escaped: str, policy: Policy) -> str:
    """Turn the contact's phone number in already-escaped text into a ``tel:`` link."""
    phone = html.escape(policy.contact.phone)
    return escaped.replace(phone, _link(policy.contact.tel, policy.contact.phone), 1)


def _action_label(link: str) -> str:
    scheme, _, rest = link.partition(":")
    number = re.split(r"[?&]", rest, maxsplit=1)[0]
    return {"tel": f"Call {number}", "sms": f"Text {number}"}.get(scheme, link)


def crisis_actions(policy: Policy) -> str:
    links = (_link(r.link, _action_label(r.link), "crisis-call") for r in policy.crisis.resources)
    return f'<p class="crisis-actions">{" ".join(links)}</p>'


def article_title(source: str) -> str:
    """``why-depression-makes-you-push-people-away.md`` -> ``Why depression makes you push people away``."""
    stem = re.sub(r"\.(md|txt|markdown)$", "", source.rsplit("/", 1)[-1])
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else source


def _quote(p: Passage) -> str:
    lead_in = f'<span class="lead-in">{html.escape(p.lead_in)}</span> ' if getattr(p, "lead_in", "") else ""
    return f"<blockquote>{lead_in}{html.escape(p.text)}</blockquote>"


def citations_html(sources: tuple[Passage, ...]) -> str:
    """One expandable quote per numbered source (a list item keeps its lead-in for context);
    written as a single HTML block, with no blank lines, so Markdown leaves it alone."""
    items = "".join(
        f'<details class="citation"><summary>[{n}] {html.escape(article_title(p.source))}</summary>{_quote(p)}</details>'
        for n, p in enumerate(sources, start=1)
    )
    return f'<div class="citations"><p class="citations-title">Sources, quoted</p>{items}</div>'


# -- one reply as Markdown ------------------------------------------------------------------

# Gradio's sanitizer drops aria-label, so the crisis box names itself with hidden text.
CRISIS_LABEL = '<p class="sr-only">Crisis help:</p>'
_PARAGRAPH = re.compile(r"(?:(?!\n\n).)+", re.S)


def _is_sources_line(paragraph: str) -> bool:
    return paragraph.startswith("Sources: [1]")


def reply_markdown(reply: Reply, policy: Policy, shown: int | None = None) -> str:
    """What the chat shows for ``reply.answer[:shown]`` (the whole answer when ``shown`` is None).

    The crisis text goes in a call box; the contact's number becomes a ``tel:`` link; the
    "Sources:" line becomes the expandable quotes once it is complete.
    """
    answer = reply.answer if shown is None else reply.answer[:shown]
    blocks: list[str] = []
    rest = answer
    if reply.crisis:
        crisis, rest = (answer[: len(reply.crisis)], answer[len(reply.crisis):]) if reply.answer.startswith(reply.crisis) \
            else (reply.crisis, answer)
        if crisis:
            text = _with_phone_link(html.escape(crisis, quote=False), policy)
            blocks.append(f'<div class="crisis">\n\n{CRISIS_LABEL}\n\n{text}\n\n{crisis_actions(policy)}\n\n</div>')
    placed = False
    for m in _PARAGRAPH.finditer(rest):
        paragraph = m.group(0).strip("\n")
        complete = shown is None or m.end() < len(rest) or len(answer) == len(reply.answer)
        if reply.sources and _is_sources_line(paragraph) and complete:
            blocks.append(citations_html(reply.sources))
            placed = True
        elif paragraph.strip():
            blocks.append(_with_phone_link(html.escape(paragraph, quote=False), policy))
    if reply.sources and not placed and (shown is None or shown >= len(reply.answer)):
        blocks.append(citations_html(reply.sources))
    return "\n\n".join(blocks)


def stream_cuts(reply: Reply, steps: int = STREAM_STEPS) -> list[int]:
    """Where to cut ``reply.answer`` for each streamed update; the last cut is the whole answer.

    The crisis text comes whole in the first update. Paragraphs with Markdown emphasis and
    the sources line come whole too, so they never flash half-formatted.
    """
    answer = reply.answer
    start = len(reply.crisis) if reply.crisis and answer.startswith(reply.crisis) else 0
    cuts: list[int] = []
    for m in _PARAGRAPH.finditer(answer, start):
        paragraph = m.group(0)
        if "*" in paragraph or "_" in paragraph or _is_sources_line(paragraph.strip()):
            cuts.append(m.end())
        else:
            cuts.extend(m.start() + w.end() for w in re.finditer(r"\S+", paragraph))
    if len(cuts) > steps:  # keep about `steps` evenly spread cuts, always including the last one
        stride = len(cuts) / steps
        cuts = [cuts[min(len(cuts) - 1, round((i + 1) * stride) - 1)] for i in range(steps)]
    cuts = ([start] if start else []) + cuts
    return sorted(set(cuts + [len(answer)]))


# -- the conversation as chat messages -------------------------------------------------------

# Screen readers read the chat as one log; these hidden labels say who is speaking.
YOU_SAID = '<span class="sr-only">You said:</span>'
ASSISTANT_SAID = '<p class="sr-only">The assistant replied:</p>'


def turns(conversation: list[Exchange]) -> list[dict[str, str]]:
    """The finished turns in the ``{"role", "content"}`` form ``Assistant.ask`` reads."""
    turns: list[dict[str, str]] = []
    for ex in conversation:
        if ex.reply is not None:
            turns += [{"role": "user", "content": ex.question}, {"role": "assistant", "content": ex.reply.answer}]
    return turns


def messages(conversation: list[Exchange], policy: Policy, streaming: tuple[Reply, int] | None = None) -> list[dict]:
    """Chat messages for the whole conversation; ``streaming`` shows the last reply cut short."""
    out: list[dict] = []
    for i, ex in enumerate(conversation):
        out.append({"role": "user", "content": f"{YOU_SAID} {literal_markdown(ex.question)}"})
        last = i == len(conversation) - 1
        if last and streaming is not None:
            reply, shown = streaming
            out.append({"role": "assistant", "content": f"{ASSISTANT_SAID}\n\n{reply_markdown(reply, policy, shown)}"})
        elif ex.reply is not None:
            out.append({"role": "assistant", "content": f"{ASSISTANT_SAID}\n\n{reply_markdown(ex.reply, policy)}"})
    return out


# -- page chrome ------------------------------------------------------------------------------


def _contact_html(policy: Policy) -> str:
    """The professional contact as a paragraph whose phone number is a tel: link."""
    contact = _with_phone_link(html.escape(" ".join(policy.contact.text.split()), quote=False), policy)
    return f'<p class="contact">{contact}</p>'


def header_html(policy: Policy) -> str:
    return (
        '<header class="page-header" role="banner">'
        f"<h1>{html.escape(TITLE)}</h1>"
        f'<p class="notice">{html.escape(" ".join(policy.wording.automated_notice.split()))}</p>'
        f"{_contact_html(policy)}"
        "</header>"
    )


def footer_html(policy: Policy) -> str:
    resources = " · ".join(
        f"{_link(r.link, r.name)}: {html.escape(r.how)}" for r in policy.crisis.resources
    )
    return (
        '<footer class="page-footer" role="contentinfo">'
        f'<p class="help-now"><strong>Need help now?</strong> {resources}</p>'
        f"{_contact_html(policy)}"
        f'<p class="disclaimer">{html.escape(policy.disclaimer)}</p>'
        "</footer>"
    )


CSS = """
.sr-only { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.gradio-container { max-width: 860px !important; margin: 0 auto !important; }
#chat .message-wrap .prose.chatbot.md { opacity: 1; }
@media (max-width: 600px) {
  #chat .message-row.bubble { margin: 0.5rem 0.25rem; }
  #chat .message-row.bubble.bot-row, #chat .message-row.bubble.user-row { max-width: 100%; }
}
.page-header { padding: 0.75rem 0 0.5rem; background: var(--body-background-fill);
  border-bottom: 1px solid var(--border-color-primary); }
@media (min-width: 700px) { .page-header { position: sticky; top: 0; z-index: 5; } }
.page-header h1 { font-size: 1.35rem; line-height: 1.3; margin: 0 0 0.25rem; font-weight: 600; }
@media (max-width: 480px) { .page-header h1 { font-size: 1.1rem; } }
.page-header p, .page-footer p { margin: 0.15rem 0; font-size: 0.95rem; line-height: 1.45; }
.page-header .notice, .page-footer .disclaimer { color: var(--body-text-color-subdued); }
.page-header a, .page-footer a { color: var(--link-text-color); text-decoration: underline; }
.page-footer { border-top: 1px solid var(--border-color-primary); padding-top: 0.75rem; }
.crisis { background: #fff4f2; color: #3b0d0c; border: 2px solid #b42318; border-radius: 10px;
  padding: 0.25rem 1rem; margin-bottom: 0.75rem; }
.crisis * { color: #3b0d0c !important; }
.crisis-actions { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.crisis-actions a.crisis-call { display: inline-block; background: #b42318; color: #ffffff !important;
  font-weight: 600; text-decoration: none; border-radius: 999px; padding: 0.45rem 1rem; }
.crisis-actions a.crisis-call:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
.citations { margin: 0.5rem 0; }
.citations-title { font-weight: 600; margin: 0 0 0.25rem; }
details.citation { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.3rem 0.75rem;
  margin: 0.25rem 0; }
details.citation summary { cursor: pointer; }
details.citation .lead-in { color: var(--body-text-color-subdued); }
details.citation blockquote { margin: 0.5rem 0 0.25rem !important; padding-left: 0.75rem;
  border-left: 3px solid var(--border-color-accent); font-style: normal; }
#examples-head { align-items: center; }
#examples-title p { margin: 0; font-size: 0.95rem; color: var(--body-text-color-subdued); }
#clear { white-space: nowrap; min-height: 40px; flex-grow: 0; }
"""


# Gradio keeps the chat scrolled to its end, and on a phone the end of a reply is the disclaimer:
# the person would have to scroll back up to find the answer. This keeps a new question in view
# while it is answered, then shows the reply from its first line (with the question above it
# when both fit), and leaves the scroll alone while the reply streams in below.
def reading_position_script() -> str:
    return f'<script>{(Path(__file__).with_name("static") / "reading_position.js").read_text(encoding="utf-8")}</script>'


def theme():
    """Gradio's default look with system fonts only: nothing is fetched from a font CDN."""
    base = gr.themes.Default(
        primary_hue="blue", neutral_hue="slate", text_size="lg", font=list(SYSTEM_FONTS), font_mono=list(MONO_FONTS)
    )
    # The defaults for secondary text and placeholders are too pale to read (below 4.5:1 on white).
    return base.set(
        body_text_color_subdued="*neutral_600",
        input_placeholder_color="*neutral_500",
        block_label_text_color="*neutral_600",
        chatbot_text_size="1.0625rem",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_text_color="white",
    )


# -- the page -------------------------------------------------------------------------------


class ChatPage:
    """What the page does, apart from its layout: answer with streaming, forget, and ``/ask``.

    Example::

        page = ChatPage(bot)
        async for box, chat, conversation in page.respond("why do I ignore messages?", [], event):
            ...
    """

    def __init__(self, bot: Bot):
        self.bot = bot
        self.policy = bot.policy
        self.suggestions = tuple(bot.policy.suggestions[:6])

    async def respond(self, message: str, past: list[Exchange], evt: gr.EventData):
        """Yield (question box, chat messages, conversation): the question at once, then the
        reply as growing prefixes, then the finished exchange stored in the session."""
        by_example = isinstance(evt.target, gr.Button) and "example" in (evt.target.elem_classes or [])
        text = evt.target.value if by_example else (message or "")
        box = gr.skip() if by_example else ""  # a click on an example keeps what the person was typing
        if not text.strip():
            yield box, gr.skip(), gr.skip()
            return
        pending = [*past, Exchange(text)]
        yield box, messages(pending, self.policy), gr.skip()
        reply = await anyio.to_thread.run_sync(self.bot.ask, text, turns(past))
        cuts = stream_cuts(reply)
        pause = min(0.04, STREAM_SECONDS / len(cuts))
        for cut in cuts[:-1]:
            yield gr.skip(), messages(pending, self.policy, streaming=(reply, cut)), gr.skip()
            await asyncio.sleep(pause)
        done = [*past, Exchange(text, reply)]
        yield gr.skip(), messages(done, self.policy), done

    @staticmethod
    def forget() -> tuple[list, list, str]:
        """Empty chat, empty session conversation, empty question box."""
        return [], [], ""

    def ask(self, message: str, history: list[dict] | None = None) -> dict:
        """Answer one message (with earlier {"role", "content"} turns); returns the JSON contract
        of ``Reply.to_dict()``: category, risk, answer, sources, crisis, contact, disclaimer..."""
        return self.bot.ask(message, history).to_dict()


@dataclass(frozen=True)
class PageEvents:
    """What an extra part of the page may listen to: the session's conversation, and the events
    after which it has changed (a reply finished, the conversation was cleared)."""

    conversation: gr.State
    changed: tuple[Any, ...]


Extra = Callable[[PageEvents], None]


def build(bot: Bot, extras: Sequence[Extra] = ()) -> gr.Blocks:
    """The chat page for ``bot``; serve it with ``launch(demo, settings)`` (or ``serve``).

    Each of ``extras`` adds its own components under the examples and listens to ``PageEvents``
    (the review panel of ``review.py``); the normal page has none."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # Gradio's telemetry helpers also read it on every call
    page = ChatPage(bot)
    policy = page.policy

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML(header_html(policy), apply_default_css=False)
        conversation = gr.State([])  # this session's exchanges; Gradio drops it when the tab closes
        chat = gr.Chatbot(
            label="Conversation",
            show_label=False,
            height="min(66vh, 640px)",
            min_height=280,
            layout="bubble",
            autoscroll=False,  # static/reading_position.js shows a new reply from its first line instead
            buttons=[],
            feedback_options=None,
            latex_delimiters=[],
            sanitize_html=True,
            allow_tags=False,
            placeholder=literal_markdown("Ask a question below, or pick one of the example questions."),
            elem_id="chat",
        )
        with gr.Row(equal_height=True, elem_id="ask-row"):
            question = gr.Textbox(
                label="Your question",
                placeholder="Type your question and press Enter",
                lines=1,
                max_lines=6,
                autofocus=True,
                scale=5,
                min_width=200,
                elem_id="question",
            )
            send = gr.Button("Send", variant="primary", scale=1, min_width=90, elem_id="send")
        with gr.Row(elem_id="examples-head"):
            gr.Markdown("Example questions", elem_id="examples-title")
            clear = gr.Button("Clear conversation", size="sm", variant="secondary", scale=0, min_width=180, elem_id="clear")
        with gr.Row(elem_id="examples"):
            examples = [gr.Button(s, size="sm", variant="secondary", min_width=160, elem_classes=["example"])
                        for s in page.suggestions]
        extra_area = gr.Column(elem_id="extras") if extras else None
        gr.HTML(footer_html(policy), apply_default_css=False)

        answering = gr.on(
            triggers=[question.submit, send.click, *(b.click for b in examples)],
            fn=page.respond,
            inputs=[question, conversation],
            outputs=[question, chat, conversation],
            trigger_mode="once",  # one reply at a time per page; further presses wait
            show_progress="minimal",
            api_visibility="private",
            concurrency_id="assistant",
        )
        cleared = [trigger(page.forget, None, [chat, conversation, question], queue=False, cancels=[answering],
                           api_visibility="private") for trigger in (clear.click, chat.clear)]
        for extra in extras:
            with extra_area:
                extra(PageEvents(conversation, (answering, *cleared)))
        gr.api(page.ask, api_name="ask", concurrency_id="assistant")
    return demo


def _warm_event_path() -> None:
    """Gradio sets matplotlib's backend around every event; when matplotlib is installed its
    first import would land on the first question (over a second), so do it before serving."""
    try:
        import matplotlib
    except ImportError:
        return
    matplotlib.get_backend()


def launch(demo: gr.Blocks, settings: Settings, *, block: bool = True, routes: Sequence[Any] = (), warm: bool = True) -> str:
    """Serve ``demo`` on ``settings.host:port`` with the queue limits; return its URL.
    ``routes`` (the HTTP API, ``api.api_routes``) are served by the same app, before the page's own.
    ``warm=False`` leaves the event path's warm-up (``_warm_event_path``) to the caller.

    Only loopback traffic: no share link, analytics, monitoring page, run history or MCP.
    """
    if warm:
        _warm_event_path()
    demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue)
    demo.launch(
        server_name=settings.host, server_port=settings.port, share=False, prevent_thread_lock=True, quiet=True,
        footer_links=[], run_history=False, enable_monitoring=False, pwa=False, mcp_server=False, ssr_mode=False,
        theme=theme(), css=CSS, head=reading_position_script(), show_error=False,
        app_kwargs={"routes": list(routes), "openapi_url": None} if routes else None,
    )
    url = f"http://{settings.host}:{demo.server_port}/"
    if block:
        print(f"Chat page: {url}  (Ctrl+C to stop)", flush=True)
        demo.block_thread()
    return url


def serve(settings: Settings, extras: Sequence[Extra] = ()) -> None:
    """``assistant chat``: serve the page (with ``extras``, see ``build``), then load the
    assistant, then serve until interrupted.

    The first paint needs only the policy, so the page is up before the model and the index are
    loaded (a question asked in that second waits for them; ``/readyz`` says when they are in).
    """
    from .api import api_routes
    from .deferred import DeferredAssistant

    bot = DeferredAssistant(settings)
    demo = build(bot, extras)
    url = launch(demo, settings, routes=api_routes(bot, settings), block=False, warm=False)
    try:
        bot.load()
        if settings.chroma_url:
            bot.wait().follow_index()  # replicas on one server switch to a re-ingested index by themselves
        _warm_event_path()
    except BaseException:
        demo.close()
        raise
    print(f"Chat page: {url}  (Ctrl+C to stop)", flush=True)
    demo.block_thread()
