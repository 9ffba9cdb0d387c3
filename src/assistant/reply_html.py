"""The page's form of a reply: ``ReplyContent`` as HTML blocks that can be shown part by part.

Each block is an element (crisis box, paragraph, list, sources box, contact, disclaimer) cut
into parts: a paragraph into words, a list into items, the rest whole. Streaming shows the
first ``shown`` parts of the reply, so nothing is ever half-formatted and the crisis box comes
whole in the first update. Every text is escaped here; every label comes from ``page.yaml``.
Each block is one line of HTML with no blank line, so the chat's Markdown leaves it alone.

Example::

    html = reply_html(reply.content, policy)            # the whole reply
    for shown in stream_cuts(reply.content):            # growing prefixes while streaming
        partial = reply_html(reply.content, policy, shown)
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .reply import marked
from .types import CrisisBlock, Passage, Reference, ReplyContent

if TYPE_CHECKING:  # pragma: no cover
    from .policy import Policy

STREAM_STEPS = 24


@dataclass(frozen=True)
class Block:
    """One element of the reply: ``open + parts[:k] + close`` shows its first ``k`` parts."""

    open: str
    parts: tuple[str, ...]
    close: str

    def html(self, k: int) -> str:
        return self.open + "".join(self.parts[:k]) + self.close


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def link(href: str, label: str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<a href="{html.escape(href)}"{klass}>{html.escape(label)}</a>'


def with_phone_link(escaped: str, policy: Policy) -> str:
    """Turn the contact's phone number in already-escaped text into a ``tel:`` link."""
    phone = html.escape(policy.contact.phone)
    return escaped.replace(phone, link(policy.contact.tel, policy.contact.phone), 1)


def _action_label(href: str, policy: Policy) -> str:
    scheme, _, rest = href.partition(":")
    number = re.split(r"[?&]", rest, maxsplit=1)[0]
    words = policy.page.page
    return {"tel": words.call, "sms": words.text}.get(scheme, "{number}").format(number=number or href)


def crisis_actions(policy: Policy) -> str:
    links = (link(r.link, _action_label(r.link, policy), "crisis-call") for r in policy.crisis.resources)
    return f'<p class="crisis-actions">{" ".join(links)}</p>'


def crisis_html(block: CrisisBlock, policy: Policy) -> str:
    """The call box: a hidden name for screen readers (the chat's sanitizer drops aria-label),
    the crisis text, the resources, and one call/text button per resource."""
    inner = [f'<p class="sr-only">{_e(policy.page.page.crisis_label)}</p>', f"<p>{_e(block.opening)}</p>"]
    if block.resources:
        items = "".join(f"<li><strong>{_e(r.name)}</strong>: {_e(r.how)}</li>" for r in block.resources)
        inner.append(f"<ul>{items}</ul>")
    inner += [f"<p>{_e(line)}</p>" for line in block.languages]
    if block.close:
        inner.append(f"<p>{_e(block.close)}</p>")
    inner.append(crisis_actions(policy))
    return with_phone_link("".join(inner), policy)


def _quote(n: int, text: str, p: Passage) -> str:
    lead_in = f'<span class="lead-in">{_e(p.lead_in)}</span> ' if p.lead_in else ""
    return f'<blockquote><span class="ref-n">[{n}]</span> {lead_in}{_e(text)}</blockquote>'


def reference_html(ref: Reference) -> str:
    """One article: an expandable entry titled from its front matter, with its quoted lines
    numbered under it (a list item keeps its lead-in for context)."""
    by = f' <span class="publisher">{_e(ref.publisher)}</span>' if ref.publisher else ""
    quotes = "".join(_quote(n, text, p) for n, text, p in ref.lines)
    numbers = " ".join(f"[{n}]" for n in ref.numbers)
    return (f'<details class="citation"><summary><span class="ref-numbers">{numbers}</span> '
            f'<cite>{_e(ref.title)}</cite>{by}</summary>{quotes}</details>')


def citations_html(refs: tuple[Reference, ...], policy: Policy) -> str:
    items = "".join(reference_html(r) for r in refs)
    return f'<div class="citations"><p class="citations-title">{_e(policy.page.page.sources_heading)}</p>{items}</div>'


def _words(text: str) -> tuple[str, ...]:
    return tuple(_e(w) + " " for w in text.split())


def blocks(content: ReplyContent, policy: Policy) -> list[Block]:
    """The reply's elements in the order every reply has: crisis, notice, lead, body, sources,
    suggestions, contact, disclaimer."""
    out: list[Block] = []
    if content.crisis is not None:
        out.append(Block('<div class="crisis">', (crisis_html(content.crisis, policy),), "</div>"))
    for text in (content.notice, *content.lead.split("\n\n")):
        if text.strip():
            out.append(Block("<p>", _words(text), "</p>"))
    items: list[str] = []
    for seg in content.body:
        line = marked(seg.quotes, _e)
        if seg.kind == "item":
            items.append(f"<li>{line}</li>")
            continue
        if items:
            out.append(Block('<ul class="quoted">', tuple(items), "</ul>"))
            items = []
        out.append(Block('<p class="quoted">', tuple(w + " " for w in line.split()), "</p>"))
    if items:
        out.append(Block('<ul class="quoted">', tuple(items), "</ul>"))
    if content.references:
        out.append(Block("", (citations_html(content.references, policy),), ""))
    if content.suggestions:
        out.append(Block('<ul class="suggestions">', tuple(f"<li>{_e(s)}</li>" for s in content.suggestions), "</ul>"))
    out.append(Block('<p class="contact">', (with_phone_link(_e(content.contact), policy),), "</p>"))
    out.append(Block('<p class="disclaimer"><em>', (_e(content.disclaimer),), "</em></p>"))
    return out


def reply_html(content: ReplyContent, policy: Policy, shown: int | None = None) -> str:
    """The reply's first ``shown`` parts as HTML blocks (all of it when ``shown`` is None)."""
    left = float("inf") if shown is None else shown
    out = []
    for block in blocks(content, policy):
        if left <= 0:
            break
        k = int(min(left, len(block.parts)))
        out.append(block.html(k))
        left -= k
    return "\n\n".join(out)


def stream_cuts(content: ReplyContent, policy: Policy, steps: int = STREAM_STEPS) -> list[int]:
    """How many parts each streamed update shows: about ``steps`` evenly spread cuts, the crisis
    box whole in the first, the last showing everything."""
    total = sum(len(b.parts) for b in blocks(content, policy))
    start = 1 if content.crisis is not None else 0
    cuts = list(range(start + 1, total + 1))
    if len(cuts) > steps:
        stride = len(cuts) / steps
        cuts = [cuts[min(len(cuts) - 1, round((i + 1) * stride) - 1)] for i in range(steps)]
    return sorted(set(([start] if start else []) + cuts + [total]))
