"""The Gradio chat page: it presents ``Assistant`` replies and holds no pipeline logic.

The page is a header (automated-assistant line, professional contact), the conversation,
the question box with example questions, and a footer (crisis lines, disclaimer). A reply is
shown from its data (``Reply.content``, rendered by ``reply_html.py``) and streams in part by
part; a crisis reply opens with a call box; each quoted article gets one expandable entry with
its quoted lines. People's own words appear as typed, never as HTML. Every label comes from
``guardrails/page.yaml``; the styles are in ``static/page.css``.

The conversation lives only in the session (``gr.State``), which Gradio drops when the tab
closes. ``/ask`` is the stable API: ``Client(url).predict("why do I ignore messages?",
None, api_name="/ask")`` returns ``Reply.to_dict()``.

Longer than 300 lines: the page is one Gradio app whose parts (header, conversation, streamed
reply, footer, theme, session events, launch) share the page's state and its words.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import gradio as gr

from .reply_html import STREAM_STEPS, link, reply_html, with_phone_link
from .reply_html import stream_cuts as reply_stream_cuts
from .settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from .policy import Policy
    from .types import Reply

STREAM_SECONDS = 0.6  # the whole answer appears within this time; the first words at once
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


def reply_markdown(reply: Reply, policy: Policy, shown: int | None = None) -> str:
    """What the chat shows for the reply's first ``shown`` parts (all of it when None); see ``reply_html``."""
    return reply_html(reply.content, policy, shown)


def stream_cuts(reply: Reply, policy: Policy, steps: int = STREAM_STEPS) -> list[int]:
    """How many parts of the reply each streamed update shows; the last cut shows all of it."""
    return reply_stream_cuts(reply.content, policy, steps)


# -- the conversation as chat messages -------------------------------------------------------


def you_said(policy: Policy) -> str:
    """Screen readers read the chat as one log; this hidden label says who is speaking."""
    return f'<span class="sr-only">{html.escape(policy.page.page.you_said)}</span>'


def assistant_said(policy: Policy) -> str:
    return f'<p class="sr-only">{html.escape(policy.page.page.assistant_replied)}</p>'


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
        out.append({"role": "user", "content": f"{you_said(policy)} {literal_markdown(ex.question)}"})
        last = i == len(conversation) - 1
        if last and streaming is not None:
            reply, shown = streaming
            out.append({"role": "assistant", "content": f"{assistant_said(policy)}\n\n{reply_markdown(reply, policy, shown)}"})
        elif ex.reply is not None:
            out.append({"role": "assistant", "content": f"{assistant_said(policy)}\n\n{reply_markdown(ex.reply, policy)}"})
    return out


# -- page chrome ------------------------------------------------------------------------------


def _contact_html(policy: Policy) -> str:
    """The professional contact as a paragraph whose phone number is a tel: link."""
    contact = with_phone_link(html.escape(" ".join(policy.contact.text.split()), quote=False), policy)
    return f'<p class="contact">{contact}</p>'


def header_html(policy: Policy) -> str:
    return (
        '<header class="page-header" role="banner">'
        f"<h1>{html.escape(policy.page.title)}</h1>"
        f'<p class="notice">{html.escape(" ".join(policy.wording.automated_notice.split()))}</p>'
        f"{_contact_html(policy)}"
        "</header>"
    )


def footer_html(policy: Policy) -> str:
    resources = " · ".join(
        f"{link(r.link, r.name)}: {html.escape(r.how)}" for r in policy.crisis.resources
    )
    return (
        '<footer class="page-footer" role="contentinfo">'
        f'<p class="help-now"><strong>{html.escape(policy.page.page.help_now)}</strong> {resources}</p>'
        f"{_contact_html(policy)}"
        f'<p class="disclaimer">{html.escape(policy.disclaimer)}</p>'
        "</footer>"
    )


CSS_FILE = Path(__file__).with_name("static") / "page.css"


def page_css() -> str:
    """The page's stylesheet, read from its own file when the page is served."""
    return CSS_FILE.read_text(encoding="utf-8")


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
        cuts = stream_cuts(reply, self.policy)
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

    words = policy.page.page
    with gr.Blocks(title=policy.page.title, analytics_enabled=False) as demo:
        gr.HTML(header_html(policy), apply_default_css=False)
        conversation = gr.State([])  # this session's exchanges; Gradio drops it when the tab closes
        chat = gr.Chatbot(
            label=words.conversation_label,
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
            placeholder=literal_markdown(words.empty_chat),
            elem_id="chat",
        )
        with gr.Row(equal_height=True, elem_id="ask-row"):
            question = gr.Textbox(
                label=words.question_label,
                placeholder=words.question_placeholder,
                lines=1,
                max_lines=6,
                autofocus=True,
                scale=5,
                min_width=200,
                elem_id="question",
            )
            send = gr.Button(words.send, variant="primary", scale=1, min_width=90, elem_id="send")
        with gr.Row(elem_id="examples-head"):
            gr.Markdown(literal_markdown(words.examples_heading), elem_id="examples-title")
            clear = gr.Button(words.clear, size="sm", variant="secondary", scale=0, min_width=180, elem_id="clear")
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
        theme=theme(), css=page_css(), head=reading_position_script(), show_error=False,
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
