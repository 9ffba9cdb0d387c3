"""The reply's structure, built once and rendered as Markdown (``Reply.answer``) or plain text.

``number`` gives a body's quotes their citation numbers in reading order (a list's lead-in
sentence shares the number of the sentence before it); ``references``
groups the quoted lines by article (one entry each, titled from its front matter);
``render_markdown`` and ``render_text`` write a ``ReplyContent`` out in the one order every
reply has: crisis help, notice, lead, body, sources, suggestions, contact, disclaimer. The
page's HTML is in ``reply_html.py``. No renderer parses text: they all read the data.

Example::

    content = ReplyContent(lead="Here is what the article says:", body=number(segments),
                           references=references(number(segments)), contact=c, disclaimer=d)
    print(render_text(content, policy.page.reply))
"""

from __future__ import annotations

import re

from .policy import ReplyWords
from .types import CrisisBlock, Passage, Quote, Reference, ReplyContent, Segment, opens_list


def article_title(source: str) -> str:
    """A title from a file name, for an article without one in its front matter:
    ``why-depression-makes-you-push-people-away.md`` -> ``Why depression makes you push people away``."""
    stem = re.sub(r"\.(md|txt|markdown)$", "", source.rsplit("/", 1)[-1])
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else source


# -- building ---------------------------------------------------------------------------------


def _joins_line(prev: Passage | None, p: Passage) -> bool:
    """``p`` is a sentence of the paragraph the line before it is quoting."""
    return prev is not None and prev.kind == "sentence" and p.kind == "sentence" and (prev.source, prev.section) == (p.source, p.section)


def segments_of(ordered: list[Passage]) -> tuple[Segment, ...]:
    """Body segments for passages in reading order: list items stay items, and consecutive
    sentences of one paragraph read as one line. Quotes are numbered 1, 2, ... in that order; a
    list's lead-in sentence shares the number of the sentence before it ("It's okay to take tiny
    steps. Consider: [1]"), since it says nothing on its own."""
    out: list[Segment] = []
    prev: Passage | None = None
    n = 0
    for p in ordered:
        shared = _joins_line(prev, p) and opens_list(p) and bool(out)
        n += 0 if shared else 1
        quote = Quote(n, p)
        if p.kind == "item":
            out.append(Segment("item", (quote,)))
        elif _joins_line(prev, p) and out:
            out[-1] = Segment("line", out[-1].quotes + (quote,))
        else:
            out.append(Segment("line", (quote,)))
        prev = p
    return tuple(out)


def number(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    """The same segments with their quotes numbered 1, 2, ... in reading order (after some were
    dropped); quotes that shared a number still share one."""
    out, renumber = [], {}
    for seg in segments:
        quotes = []
        for q in seg.quotes:
            renumber.setdefault(q.n, len(renumber) + 1)
            quotes.append(Quote(renumber[q.n], q.passage))
        out.append(Segment(seg.kind, tuple(quotes)))
    return tuple(out)


def marked(quotes: tuple[Quote, ...], escape=lambda text: text) -> str:
    """Quotes as read: each number once, after the last line that carries it."""
    return " ".join(escape(q.passage.text) + ("" if i + 1 < len(quotes) and quotes[i + 1].n == q.n else f" [{q.n}]")
                    for i, q in enumerate(quotes))


def references(segments: tuple[Segment, ...]) -> tuple[Reference, ...]:
    """One reference per quoted article, in order of first citation, with its quoted lines."""
    by_source: dict[str, list[Quote]] = {}
    first: dict[str, Passage] = {}
    for seg in segments:
        for q in seg.quotes:
            by_source.setdefault(q.passage.source, []).append(q)
            first.setdefault(q.passage.source, q.passage)
    return tuple(
        Reference(source, first[source].title or article_title(source), first[source].publisher, tuple(quotes))
        for source, quotes in by_source.items()
    )


# -- rendering --------------------------------------------------------------------------------


def body_text(segments: tuple[Segment, ...]) -> str:
    """``Reply.body``: one line per segment, each quote followed by its ``[n]``, items as ``- ``.
    A line from another block (a supporting line) is set apart by a blank line: after a list,
    Markdown would otherwise read it as part of the list's last item."""
    lines: list[str] = []
    block = None
    for seg in segments:
        here = (seg.quotes[0].passage.source, seg.quotes[0].passage.section)
        if lines and here != block:
            lines.append("")
        block = (seg.quotes[-1].passage.source, seg.quotes[-1].passage.section)
        line = marked(seg.quotes)
        lines.append(f"- {line}" if seg.kind == "item" else line)
    return "\n".join(lines)


def sources_text(refs: tuple[Reference, ...], words: ReplyWords) -> str:
    """The sources paragraph: the label, then one entry per article."""
    entries = []
    for r in refs:
        numbers = " ".join(f"[{n}]" for n in r.numbers)
        template = words.reference if r.publisher else words.reference_no_publisher
        entries.append(template.format(numbers=numbers, title=r.title, publisher=r.publisher))
    return f"{words.sources_label} {words.reference_separator.join(entries)}"


def crisis_text(block: CrisisBlock | None, *, strong: bool = True) -> str:
    """The crisis help as text; ``strong`` marks the resource names as Markdown bold."""
    if block is None:
        return ""
    if block.tier == "possible":
        return " ".join([block.opening, *block.languages])
    mark = "**" if strong else ""
    lines = [block.opening, ""]
    lines += [f"- {mark}{r.name}{mark}: {r.how}" for r in block.resources]
    lines += ["", *block.languages, *([""] if block.languages else []), block.close]
    return "\n".join(lines)


def _parts(content: ReplyContent, words: ReplyWords, *, markdown: bool) -> list[str]:
    parts = [crisis_text(content.crisis, strong=markdown), content.notice, content.lead, body_text(content.body)]
    if content.references:
        parts.append(sources_text(content.references, words))
    if content.suggestions:
        parts.append("\n".join(f"- {s}" for s in content.suggestions))
    disclaimer = f"_{content.disclaimer}_" if markdown else content.disclaimer
    parts.append(f"{content.contact}\n\n{disclaimer}")
    return [p for p in parts if p]


def without_sources(answer: str, words: ReplyWords) -> str:
    """An earlier reply's text as said to the person, without its sources paragraph: retrieval
    reads what a reply said, and an article's title there was not said as an answer. (History
    comes back from clients as text, so this is the one place a reply's text is read again.)"""
    return "\n\n".join(p for p in answer.split("\n\n") if not p.startswith(f"{words.sources_label} "))


def render_markdown(content: ReplyContent, words: ReplyWords) -> str:
    """``Reply.answer``: light Markdown (bold resource names, italic disclaimer), blank lines between parts."""
    return "\n\n".join(_parts(content, words, markdown=True))


def render_text(content: ReplyContent, words: ReplyWords) -> str:
    """The same reply with no Markdown marks, for terminals and plain-text channels."""
    return "\n\n".join(_parts(content, words, markdown=False))
