"""Answer-quality metrics: does a reply quote what a good reply quotes, from few blocks, under an honest lead?

Pure functions ``(case, reply, *, ctx) -> value`` (``None`` when they do not apply), over the
cases that carry ``ideal`` lines (``evals/quality.jsonl``; rubric in ``evals/README.md``):

- ``ideal_recall``: share of the case's ideal lines in the body.
- ``ideal_two``: the body quotes at least two ideal lines (all of them when fewer are listed).
- ``coherent``: the quoted lines come from at most two article blocks.
- ``lead_honest``: every quoted block has a kind that the reply's lead declares it is true of
  (a block may carry two kinds, e.g. reassurance and hope).
- ``quoted_units``: the article units in the body; ``filler_units`` finds the 5 most quoted across
  a run and ``is_filler`` marks replies that quote one of them when it is not ideal.

Blocks are computed here from the corpus markdown (a paragraph, or a list with the paragraph
before it), and their kinds come from ``corpus/<article>.blocks.yaml``: nothing is taken from
the composer, so a composer that puts a lead over the wrong block fails.

Example::

    qctx = QualityContext.build(docs, read_block_kinds(corpus_dir), policy)
    quality_scores(case, reply, qctx)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from ..text import split_sentences
from ..types import Reply
from .datasets import Case
from .textnorm import body_text, squash

COHERENT_BLOCKS = 2
FILLER_TOP = 5


@dataclass(frozen=True)
class ArticleBlock:
    """One block of an article: its quotable lines (sentences and list items, squashed) and kind."""

    source: str
    index: int
    lines: tuple[str, ...]
    kinds: frozenset[str]


def article_blocks(source: str, markdown: str, kinds: Sequence[tuple[str, Sequence[str]]] = ()) -> list[ArticleBlock]:
    """Paragraphs and lists of a markdown body; a list joins the paragraph right before it. Headings are skipped."""
    raw: list[list[str]] = []
    after_paragraph = False
    for chunk in markdown.split("\n\n"):
        lines = [line.strip() for line in chunk.strip().splitlines() if line.strip()]
        if not lines or lines[0].startswith("#"):
            after_paragraph = False
            continue
        items = [line[2:].strip() for line in lines if line.startswith(("- ", "* "))]
        if items and len(items) == len(lines):
            if after_paragraph and raw:
                raw[-1].extend(items)
            else:
                raw.append(items)
            after_paragraph = False
            continue
        raw.append(split_sentences(" ".join(lines)))
        after_paragraph = True
    blocks = []
    for i, lines in enumerate(raw):
        opening = squash(lines[0]).casefold()
        kind = next((k for starts, k in kinds if opening.startswith(squash(starts).casefold())), ())
        blocks.append(ArticleBlock(source, i, tuple(squash(line) for line in lines), frozenset(kind)))
    return blocks


@dataclass(frozen=True)
class QualityContext:
    """The article blocks, which block each line is in, and which block kinds each policy lead is true of."""

    blocks: tuple[ArticleBlock, ...]
    block_of: Mapping[str, int]  # squashed line -> index into ``blocks``
    leads: Mapping[str, frozenset[str]]  # squashed lead -> block kinds it is true of

    @classmethod
    def build(cls, docs: Iterable[tuple[str, str]], block_kinds: Mapping[str, Sequence[tuple[str, Sequence[str]]]],
              policy: Any) -> "QualityContext":
        """From ``(source, markdown body)`` pairs, the article annotations and a ``Policy``."""
        blocks = [b for source, text in docs for b in article_blocks(source, text, block_kinds.get(source, ()))]
        block_of = {line: i for i, b in enumerate(blocks) for line in b.lines}
        every = frozenset(k for b in blocks for k in b.kinds)
        answers = getattr(policy, "answers", None)  # a policy without answer kinds vouches for no lead
        leads = {squash(k.lead): frozenset(k.true_of) for k in answers.kinds.values()} if answers else {}
        wording = getattr(policy, "wording", None)
        weak = getattr(wording, "weak_evidence", "")
        if weak:
            leads[squash(weak)] = every  # "not sure ... the closest it comes" claims nothing of the lines
        opening = getattr(wording, "story_opening", "")
        if opening:  # "Thank you for sharing..." before a lead claims nothing of the lines: the lead after it does
            leads |= {squash(f"{opening} {lead}"): kinds for lead, kinds in leads.items()}
        return cls(tuple(blocks), block_of, leads)


def quoted_units(reply: Reply, ctx: QualityContext) -> list[str]:
    """The article lines in the body, in article order."""
    body = body_text(reply.body)
    return [line for line in ctx.block_of if body and line in body]


def _ideal(case: Case) -> list[str]:
    return [squash(s) for s in case.ideal]


def ideal_recall(case: Case, reply: Reply) -> float | None:
    """Share of the case's ideal lines found in the body (0 when the reply has no body)."""
    if not case.ideal:
        return None
    body = body_text(reply.body)
    return sum(s in body for s in _ideal(case)) / len(case.ideal)


def ideal_two(case: Case, reply: Reply) -> bool | None:
    """At least two ideal lines are quoted (all, when the case lists fewer)."""
    if not case.ideal:
        return None
    body = body_text(reply.body)
    return sum(s in body for s in _ideal(case)) >= min(2, len(case.ideal))


def blocks_quoted(reply: Reply, ctx: QualityContext) -> set[int]:
    return {ctx.block_of[line] for line in quoted_units(reply, ctx)}


def coherent(case: Case, reply: Reply, *, ctx: QualityContext) -> bool | None:
    """The quoted lines come from at most two blocks (``None`` for a reply that is no answer or quotes nothing)."""
    if not case.ideal or reply.category != "answered" or not body_text(reply.body):
        return None
    return len(blocks_quoted(reply, ctx)) <= COHERENT_BLOCKS


def lead_honest(case: Case, reply: Reply, *, ctx: QualityContext) -> bool | None:
    """The lead is a policy lead, and every quoted block's kind is one it declares it is true of.
    A body line that is in no block, or a block with no kind, cannot be vouched for: it fails.
    Only answers are judged: a refusal's lead ("I can't advise on...") frames no article block."""
    if not case.ideal or reply.category != "answered" or not body_text(reply.body):
        return None
    true_of = ctx.leads.get(squash(reply.lead))
    if true_of is None:
        return False
    units = quoted_units(reply, ctx)
    if not units:
        return False
    return all(ctx.blocks[ctx.block_of[line]].kinds & true_of for line in units)


def filler_units(quoted: Iterable[Sequence[str]], top: int = FILLER_TOP) -> set[str]:
    """The ``top`` lines quoted in the most replies, and every line quoted as often as the last of
    them: a tie is never broken arbitrarily (set order changes with the hash seed, so the rate moved
    between runs of the same replies). A list's opening line ("...include:") is not counted, since
    it only ever comes with its list."""
    counts = Counter(line for lines in quoted for line in set(lines) if not line.endswith(":"))
    ranked = counts.most_common()
    if len(ranked) <= top:
        return set(counts)
    return {line for line, n in ranked if n >= ranked[top - 1][1]}


def is_filler(case: Case, quoted: Sequence[str], common: set[str]) -> bool | None:
    """The reply quotes one of the run's most-quoted lines that is not in this case's ideal."""
    if not case.ideal:
        return None
    return bool((set(quoted) & common) - set(_ideal(case)))


def quality_scores(case: Case, reply: Reply, ctx: QualityContext | None) -> dict[str, Any]:
    """The per-case quality metrics (``None`` each when the case has no ideal lines or no context)."""
    if ctx is None or not case.ideal:
        return {"ideal_recall": None, "ideal_two": None, "coherent": None, "lead_honest": None, "quoted_units": None}
    return {"ideal_recall": ideal_recall(case, reply), "ideal_two": ideal_two(case, reply),
            "coherent": coherent(case, reply, ctx=ctx), "lead_honest": lead_honest(case, reply, ctx=ctx),
            "quoted_units": quoted_units(reply, ctx)}
