"""Compose a grounded answer to what was asked, in the article's own structure.

1. Read the ask (``asks.read_ask``): its kind (cause, what to do, help for someone, is this normal,
   will it get better, treatment, ...) from the policy's cues, on the last question sentences first.
2. Rank the article's blocks (a paragraph, or a list with its lead-in) by their units' retrieval
   scores, lifting blocks of a kind that answers the ask; when a cue named the kind (or in a
   follow-up) such a block stands at least at ``PREFER_FLOOR`` of the best. A block that wins for
   most questions (``answers.common``), or is of a kind that fits any question (``margin_kinds``:
   "If this feels familiar...", the closing notice), must beat the runner-up by a margin, unless
   a cue asked for its kind ("who wrote this?": the notice, which names the publisher).
3. Quote the best block as written: a list with its lead-in, whole (its weakest items leave only
   to fit the word budget, or to make room for a supporting line from elsewhere when the
   article's own next words would not fit whole instead); a short paragraph whole.
   Then one more part from one other block: first the short paragraph the article puts right
   after the block when it points back at it ("These reactions aren't failures—they're symptoms."
   after the reasons) and the ask's lead is true of it; a line the retrieval ranks near
   its best keeps its place over it only when the lead stays true or the line repeats the person's
   own words. Else a line ranked near the best, else a short paragraph among the runners-up that the
   lead is true of, quoted whole, else a line ranked above the block's own. When a cue named the
   ask, only a line its lead is still true of, unless the line repeats the person's own words
   (compared by stem: "failing" and "failed"); in a follow-up, only one its lead is true of.
   A sentence that leans on the one before it ("It means you're hurting.", ``answers.leans_back``;
   "Recognizing them is...", ``answers.leans_back_second``) is quoted with it, and a supporting
   line with what finishes its point ("But with the right support...", ``answers.carries_on``);
   with no supporting line, a block that opens by pointing back ("This is not a character flaw.") comes after the block
   it points at, and one that names what it points at ("These symptoms make it...",
   ``answers.names_back``) does so in place of a supporting line that does not echo the person.
4. Lead: the ask's lead when its ``true_of`` covers every quoted block, else the lead of what the
   first block answers (``answers.lead_by_block``) when true of all, else the default.
5. "Tell me more" leans on the last question that asked something and quotes the next block on its
   own (the rest of a list keeps its lead-in; a thin rest, or a short paragraph right after the last
   block quoted, brings the block after it), never
   repeating a line the conversation's replies quoted (once they quoted every line: a reply given
   since that question). Another follow-up that a cue names is not answered with a block an earlier
   reply gave when another block answers it, or one of a kind its ``then`` lists.

``render`` (``blocks.py``) is the one place chosen passages become body text.

Longer than 300 lines: ranking, quoting and the follow-up step share the composer's block index
and policy, and split apart each part would take both as arguments.

Example::

    composer = BlockComposer(policy, lambda: retriever.units, block_kinds, max_words=90)
    draft = composer.answer(verdict, retrieval, turns)
"""

from __future__ import annotations

from functools import cached_property
from typing import Callable, Sequence

from .asks import Ask, question_before, read_ask, tells_a_story
from .blocks import Block, BlockKinds, article_blocks, named_item, opened, out_of_scope, passage_of, render, said, stands_alone
from .echo import Echo
from .policy import Policy
from .scope import weak_evidence
from .text import normalize, words
from .types import Draft, Passage, Retrieval, Turn, Unit, Verdict, opens_list

HARD_MAX_WORDS = 120  # a whole list with its lead-in may use up to this; nothing goes beyond it
PREFER_BOOST = 0.5  # a block of a kind that answers the ask: score x (1 + this)
PREFER_FLOOR = 0.7  # ... and at least this share of the best block's score before the lift
SECOND_UNIT = 0.0  # a block's score: its best unit plus this share of its second best
MIN_ITEMS = 2
SHORT_PARAGRAPH = 60  # words: a paragraph this short is quoted whole
LEAD_IN_SHARE = 0.6  # another sentence of the lead-in paragraph is kept when it scores this share of the block's best
SUPPORT_SHARE = 0.9  # a supporting line scores at least this share of the retrieval's best unit (or above all quoted)
SHORT_BLOCK = 30  # words: an answer this short may take a supporting line from another block that answers the ask
SHORT_COMPANION = 25  # words: a paragraph this short, of a kind the ask's lead is true of, may go with the block whole
COMPANION_RANKS = 2  # ... when it is among the next this many blocks
SHORT_FOLLOWER = 40  # words: the paragraph right after the block that points back at it ("These ...") goes with it whole


class BlockComposer:
    """The default ``Composer`` (``protocols.py``): chooses and frames the article lines for one
    answered question, word for word with citations; see the module docstring."""

    def __init__(self, policy: Policy, units: Sequence[Unit] | Callable[[], Sequence[Unit]], block_kinds: BlockKinds,
                 max_words: int):
        self.policy = policy
        self._units = units  # or a function giving them: the store is read on the first question, not at start
        self.block_kinds = block_kinds
        self.max_words = max_words
        self.common = {normalize(c) for c in policy.answers.common}
        self.leans_back = {normalize(w) for w in policy.answers.leans_back}
        self.leans_back_second = {normalize(w) for w in policy.answers.leans_back_second}
        self.carries_on = {normalize(w) for w in policy.answers.carries_on}
        self.names_back = {normalize(w) for w in policy.answers.names_back}
        # does a line repeat the person's own words (then it may stand where it would change the lead)
        self.echoes = Echo(self.units)

    def units(self) -> Sequence[Unit]:
        return self._units() if callable(self._units) else self._units

    @cached_property
    def blocks(self) -> dict[tuple[str, int], Block]:
        return article_blocks(self.units(), self.block_kinds)

    def answer(self, verdict: Verdict, retrieval: Retrieval, turns: Sequence[Turn] = ()) -> Draft:
        """An ``answered`` draft, or ``out_of_scope`` with suggestions when nothing is usable."""
        # The message as retrieval read it (chat spellings and typos corrected), without the previous question.
        # who a follow-up is about: whoever the conversation's earlier messages named ("my husband ...", then "why
        # is he doing this", then "what can i do" asks how to help him)
        leans_on = "\n".join(t.content for t in turns if t.role == "user") if retrieval.follow_up else ""
        ask = read_ask(retrieval.query.split(" | ")[0] or verdict.text, self.policy, context=leans_on)
        last_reply = next((t.content for t in reversed(turns) if t.role == "assistant"), "")
        avoid = [normalize(a) for a in self.policy.crisis.avoid_quoting] if verdict.risk != "none" else []
        earlier = question_before(turns, self.policy) if ask.kind == "more" else ""
        if ask.kind == "more" and self.nothing_to_go_on(turns):
            ask = Ask(self.policy.answers.more_alone, ask.text, stated=True)
        # "more": nothing the conversation's replies have quoted ("what else" after "tell me more", or after a reply
        # to "so what can i do" that followed the steps); once they have quoted every line of the articles, nothing
        # the replies since the question it leans on have quoted
        replies = [t.content for t in turns if t.role == "assistant"]
        untold = ask.kind == "more" and any(not any(said(r, u) for r in replies) for u in self.units())
        since = replies if untold else _replies_since(turns, earlier) if earlier else [last_reply]
        skip = (lambda u: any(said(r, u) for r in since)) if ask.kind == "more" else (lambda u: False)
        usable = lambda u: not skip(u) and not any(a in normalize(u.text) for a in avoid)  # noqa: E731
        if ask.kind == "more":
            ask = Ask("more", ask.text, prefer=self._prefer(read_ask(earlier, self.policy)) if earlier else (),
                      lift=self._where_it_left_off(last_reply, usable))
        # a follow-up's supporting line is news: not a line an earlier reply already quoted
        fresh = (lambda u: usable(u) and not any(said(r, u) for r in replies)) if retrieval.follow_up else usable  # noqa: E731
        # a follow-up that asks something new in words a cue knows ("does that mean I'm a bad person?"; not
        # "what about the control one", which asks about a line already given) is not answered with the
        # passage an earlier reply already gave (half its lines or more): the next block that answers it comes first
        given = (lambda b: any(2 * sum(said(r, u) for u in (b.items or b.units)) >= len(b.items or b.units)
                               for r in replies)) if retrieval.follow_up and ask.stated and ask.kind != "more" else None
        chosen, extra = self.choose(retrieval, ask, usable, fresh, given=given)
        if not chosen:
            return out_of_scope(self.policy)
        weak = weak_evidence(retrieval, self.policy.thresholds) \
            and not self.policy.answers.kind(ask.kind).about_the_article
        # A follow-up's few words match little ("ok so what can I do about it"); the block of the
        # kind it asks for, found with the conversation, is not weak evidence.
        main = self.blocks.get((chosen[0].source, chosen[0].section))
        if weak and retrieval.follow_up and ask.stated and main is not None and main.kinds & set(self._prefer(ask)):
            weak = False
        # Nor is "more" going on from where the last reply left off ("more" after the article's opening).
        if weak and ask.kind == "more" and main is not None and (main.source, main.section) in ask.lift:
            weak = False
        lead = self.policy.wording.weak_evidence if weak else self.lead(ask, chosen + extra)
        # a person who told their story is thanked, then answered
        told = not retrieval.follow_up and tells_a_story(verdict.text, self.policy)
        return Draft("answered", segments=render(chosen, then=extra),
                     lead=opened(lead, self.policy.wording.story_opening if told else ""),
                     suggestions=self.policy.suggestions[:3] if weak else ())

    def nothing_to_go_on(self, turns: Sequence[Turn]) -> bool:
        """"tell me more" with nothing before it to say more about: no earlier reply quoted the article (the
        first message, or after a greeting or a declined question); read as ``answers.more_alone``."""
        replies = [t.content for t in turns if t.role == "assistant"]
        return not any(said(r, u) for r in replies for u in self.units())

    def lead(self, ask: Ask, quoted: Sequence[Passage]) -> str:
        """The ask's lead if it is true of every quoted block (of one of its kinds); else the lead
        of the kind of ask the first quoted block answers (``answers.lead_by_block``) if that is
        true of every quoted block; else the default lead."""
        kinds = self.policy.answers.kinds
        blocks = [(p.source, p.section) for p in quoted]
        honest = lambda spec: all(b in self.blocks and self.blocks[b].kinds & set(spec.true_of) for b in blocks)  # noqa: E731
        if ask.kind in kinds and ask.kind != "default" and honest(kinds[ask.kind]):
            return kinds[ask.kind].lead
        main = self.blocks.get(blocks[0]) if blocks else None
        for block_kind, ask_kind in self.policy.answers.lead_by_block.items():
            if main is not None and block_kind in main.kinds and honest(kinds[ask_kind]):
                return kinds[ask_kind].lead
        return kinds["default"].lead

    def choose(self, retrieval: Retrieval, ask: Ask, usable, fresh=None,
               given: Callable[[Block], bool] | None = None) -> tuple[list[Passage], list[Passage]]:
        """The passages to quote: the best block, trimmed, and at most one supporting line (the
        second list, of units ``fresh`` allows), which the reply puts after the block it supports.
        Blocks ``given`` already (by an earlier reply) rank after the others when one of those is of a
        kind the ask prefers."""
        scores = {p.id: p.score for p in retrieval.passages}
        ranked = self.rank_blocks(scores, ask, usable, follow_up=retrieval.follow_up)
        if given is not None:
            ranked = self._not_again(ranked, ask, given, scores, usable)
        if not ranked:
            return [], []
        block = ranked[0][1]
        chosen = self.quote_block(block, scores, usable)
        said_now = retrieval.query.split(" | ")[0]  # the message as retrieval read it, without the question before
        named = named_item(said_now, block) if ask.kind != "more" else None
        focused = named is not None and any(p.id == named.id for p in chosen)
        if focused:
            # "what do you mean by low pressure communication": the list's lead-in and the item it names, not the list again
            chosen = [p for p in chosen if p.kind != "item" or p.id == named.id]
        if ask.kind == "more":  # where the last reply left off; a thin rest of a list goes on to the block after it
            after = ranked[1][1] if len(ranked) > 1 and (ranked[1][1].source, ranked[1][1].section) in ask.lift else None
            thin = _words([p for p in chosen if usable(p)]) < SHORT_BLOCK
            more = self.quote_block(after, scores, usable) if after and thin else []
            if more and _words(chosen + more) <= self.max_words:
                chosen = sorted(chosen + more, key=lambda p: (p.source, p.position))
            return chosen, []
        follower = self.follower(block, ask, scores, usable)
        if focused:
            # with the article's own next words about the list ("These symptoms make it..."), if any: no line from elsewhere
            return chosen, (follower if _words(chosen + follower) <= self.max_words else [])
        extra = self.supporting_line(retrieval, scores, block, chosen, ask, fresh or usable)
        companion = follower or self.companion(ranked[1:1 + COMPANION_RANKS], block, ask, scores, usable)
        if follower and extra and self.lead(ask, chosen + extra) != self.lead(ask, chosen) \
                and not self.echoes(said_now, extra):
            extra = follower  # the article's own next words, rather than a line that would change the lead and says
            # nothing the person said ("Severe depression treatment centers..." for a mother who stopped calling)
        elif companion and not (extra and max(p.score for p in extra) >= SUPPORT_SHARE * retrieval.passages[0].score):
            extra = companion  # a line near the retrieval's best says more than a short paragraph; a weaker one, less
        # What a cue named keeps its lead ("The article suggests a few small steps:" over the steps, not
        # the default over steps and a symptom line), unless the line repeats the person's own words.
        # A follow-up is retrieved with the question before it, so its best lines may answer that one:
        # what it asks for now ("so what can I do?") keeps its lead even then.
        if extra and ask.stated and self.lead(ask, chosen + extra) != self.lead(ask, chosen) \
                and (retrieval.follow_up or not self.echoes(said_now, extra)):
            extra = companion if companion and self.lead(ask, chosen + companion) == self.lead(ask, chosen) else []
        before = self.pointed_at(block, usable)
        if before is not None and given is not None and given(before):
            before = None  # an earlier reply gave what it points at ("These symptoms ..." after the symptoms were listed)
        if before is not None and extra and (self.echoes(said_now, extra)
                                             or _opening_word(block.units[0]) not in self.names_back):
            before = None  # a supporting line stands, unless the block names what it points at ("These symptoms")
        if before is not None:
            # a block that opens by pointing back at the one before it ("These symptoms make it incredibly
            # difficult...") comes after that block, trimmed to fit: the article's passage (with a supporting
            # line from a third block in its place, "These symptoms" would point at nothing)
            earlier = self.quote_block(before, scores, usable)
            while sum(p.kind == "item" for p in earlier) > MIN_ITEMS and _words(earlier + chosen) > self.max_words:
                earlier.remove(min((p for p in earlier if p.kind == "item"), key=lambda p: p.score))
            if _words(earlier + chosen) <= self.max_words:
                return earlier + chosen, []
        if extra and companion and extra != companion and _words(chosen + extra) > self.max_words \
                and _words(chosen + companion) <= self.max_words and not self.echoes(said_now, extra):
            extra = companion  # the list whole with the article's own next words, not trimmed for a line from elsewhere
        while extra and _words(chosen + extra) > self.max_words and sum(p.kind == "item" for p in chosen) > MIN_ITEMS:
            chosen.remove(min((p for p in chosen if p.kind == "item"), key=lambda p: p.score))  # room for the better line
        return (chosen, extra) if _words(chosen + extra) <= self.max_words else (chosen, [])

    def _not_again(self, ranked: list[tuple[float, Block]], ask: Ask, given: Callable[[Block], bool], scores: dict[str, float],
                   usable) -> list[tuple[float, Block]]:
        """``ranked`` with the blocks an earlier reply ``given`` after the others, when one of those is of a
        kind the ask prefers (those first: the retrieval may not have found one the few words of a follow-up
        ask for, "is it my fault?" after the reasons and the symptoms list); else with a block of a kind that
        answers it next (``then``) first; else as it was."""
        prefer = set(self._prefer(ask))
        news = [sb for sb in ranked if not given(sb[1])]
        if any(b.kinds & prefer for _, b in news):  # a stable sort: the preferred first, each part as ranked
            return sorted(news, key=lambda sb: not sb[1].kinds & prefer) + [sb for sb in ranked if given(sb[1])]
        then = set(self.policy.answers.kind(ask.kind).then)
        # what comes next is the policy's call, however the follow-up's few words ranked it
        nexts = [(score, b) for b in self.blocks.values() if b.kinds & then and not given(b)
                 and any(usable(u) for u in (b.items or b.units))
                 for score in [max((scores.get(u.id, 0.0) for u in b.units), default=0.0)]]
        if nexts:
            return sorted(nexts, key=lambda sb: -sb[0]) + [sb for sb in ranked if not sb[1].kinds & then]
        return ranked

    def companion(self, runners_up: Sequence[tuple[float, Block]], block: Block, ask: Ask, scores: dict[str, float],
                  usable) -> list[Passage]:
        """A short paragraph (``SHORT_COMPANION`` words at most) of a kind the ask's lead is true of,
        among the runners-up, quoted whole: the article's "These reactions aren't failures—they're
        symptoms." after its list of reasons, or "Pushing people away doesn't mean you're broken. ..." after an answer."""
        true_of = set(self.policy.answers.kind(ask.kind).true_of)
        for _, other in runners_up:
            if not other.items and other.kinds & true_of and not self._is_common(other, as_support=True) \
                    and all(usable(u) for u in other.units) and _words(other.units) <= SHORT_COMPANION \
                    and not self.points_elsewhere(other, block, usable):
                return [passage_of(u, scores.get(u.id, 0.0)) for u in other.units]
        return []

    def follower(self, block: Block, ask: Ask, scores: dict[str, float], usable) -> list[Passage]:
        """The short paragraph (``SHORT_FOLLOWER`` words at most) that the article puts right after
        ``block`` and that opens by pointing back at it ("These reactions aren't failures—they're
        symptoms." after the reasons, "This is not a character flaw. ..." after the tug-of-war),
        when the ask's lead is true of it: the article's own next words, so the two read as one passage."""
        blocks = list(self.blocks.values())
        at = blocks.index(block)
        after = blocks[at + 1] if at + 1 < len(blocks) else None
        true_of = set(self.policy.answers.kind(ask.kind).true_of)
        if after is None or after.source != block.source or after.items or not after.kinds & true_of \
                or _opening_word(after.units[0]) not in self.leans_back:
            return []
        if not all(usable(u) for u in after.units) or _words(after.units) > SHORT_FOLLOWER:
            return []
        return [passage_of(u, scores.get(u.id, 0.0)) for u in after.units]

    def points_elsewhere(self, other: Block, block: Block, usable) -> bool:
        """Does ``other`` open by pointing back at a block that is not ``block`` ("These symptoms make it..."
        beside the tug-of-war): quoted with it, it would point at nothing."""
        return self.leans_on_before(other.units[0].text) and self.pointed_at(other, usable) is not block

    def pointed_at(self, block: Block, usable) -> Block | None:
        """The block right before ``block`` in its article when ``block`` opens by pointing back at
        it ("These symptoms make it...", "These reactions aren't failures..."), usable and quotable."""
        blocks = list(self.blocks.values())
        at = blocks.index(block)
        prev = blocks[at - 1] if at > 0 else None
        if prev is None or prev.source != block.source or not block.sentences \
                or block.units[0].kind == "item" or _opening_word(block.units[0]) not in self.leans_back \
                or not any(usable(u) for u in (prev.items or prev.units)):
            return None
        return prev

    def _where_it_left_off(self, reply: str, usable) -> frozenset[tuple[str, int]]:
        """The blocks that carry on from the last reply: a list it quoted only part of, and the
        block right after the last one it quoted (an article goes on where a passage ends)."""
        blocks = list(self.blocks.values())
        quoted = [i for i, b in enumerate(blocks) if any(said(reply, u) for u in b.units)]
        if not quoted:
            return frozenset()
        lift = {(b.source, b.section) for i, b in enumerate(blocks) if i in quoted and any(usable(u) for u in b.items)}

        def going_on(block: Block) -> Block | None:
            """The next block of the same article, past any that answer no question (framing, notice, local)."""
            rest = blocks[blocks.index(block) + 1:]
            return next((b for b in rest if not b.kinds & {"framing", "notice", "local"} and b.source == block.source), None)

        after = going_on(blocks[quoted[-1]])
        if after is not None:
            lift.add((after.source, after.section))
            # a short paragraph ("These reactions aren't failures—they're symptoms. ...") is a thin answer on its
            # own: the article goes on past it, so the block after it may come with it (not past the rest of a list)
            beyond = going_on(after)
            if beyond is not None and lift == {(after.source, after.section)} and _words(after.units) < SHORT_BLOCK:
                lift.add((beyond.source, beyond.section))
        return frozenset(lift)

    def _prefer(self, ask: Ask) -> tuple[str, ...]:
        return ask.prefer or tuple(self.policy.answers.kind(ask.kind).prefer)

    def rank_blocks(self, scores: dict[str, float], ask: Ask, usable, follow_up: bool = False) -> list[tuple[float, Block]]:
        """Blocks by their units' scores, those of a kind the ask prefers (or of no known kind) lifted.
        In a follow-up, whose words lean on the earlier question, a preferred block stands at least at
        ``PREFER_FLOOR`` of the best block ("so what do I do?" after a "why" answer still gets the steps)."""
        prefer = set(self._prefer(ask))
        raw: list[tuple[float, Block]] = []
        for block in self.blocks.values():
            if not any(usable(u) for u in (block.items or block.units)):
                continue  # nothing left to say but a list's lead-in
            got = sorted((scores.get(u.id, 0.0) for u in block.units if usable(u)), reverse=True)
            raw.append((got[0] + SECOND_UNIT * (got[1] if len(got) > 1 else 0.0), block))
        top = max((score for score, _ in raw), default=0.0)
        if top <= 0:
            return []
        ranked = []
        floor = PREFER_FLOOR * top if follow_up or ask.stated else 0.0  # a follow-up's words lean on the earlier question
        anywhere = self.policy.answers.kind(ask.kind).about_the_article  # "what is this article about?": its opening, however it ranks
        for score, block in raw:
            lifted = (block.source, block.section) in ask.lift
            if lifted:  # "more": where the last reply left off comes first, the retrieval ranks among those
                ranked.append((max(score, top) * (1 + PREFER_BOOST) ** 2 + score, block))
            elif block.kinds & prefer or not block.kinds:
                # an article with no block kinds (no blocks.yaml) competes as if preferred, not passed over
                # floored only when the retrieval found it at all: another article's steps may not fit;
                # the small raw-score term orders preferred blocks that the floor made equal
                ranked.append(((max(score, floor) if score > 0 or anywhere else 0.0) * (1 + PREFER_BOOST) + 1e-3 * score, block))
            elif score > 0:
                ranked.append((score, block))
        ranked.sort(key=lambda sb: -sb[0])
        # a block that fits any question must win by a margin, unless a cue asked for its kind ("who wrote this?": the notice)
        asked_for = ask.stated and bool(ranked and ranked[0][1].kinds & prefer)
        if len(ranked) > 1 and self._is_common(ranked[0][1]) and not asked_for \
                and ranked[0][0] < (1 + self.policy.answers.common_margin) * ranked[1][0]:
            ranked = [ranked[1], ranked[0], *ranked[2:]]
        return ranked

    def _is_common(self, block: Block, as_support: bool = False) -> bool:
        """A block that fits most questions: listed as common, or of a kind that must win by a margin
        (as a supporting line: of a kind in ``answers.no_support_kinds``, the framing line)."""
        opening = normalize(block.units[0].text)
        kinds = self.policy.answers.no_support_kinds if as_support else self.policy.answers.margin_kinds
        return any(opening.startswith(c) for c in self.common) or bool(block.kinds & set(kinds))

    def quote_block(self, block: Block, scores: dict[str, float], usable) -> list[Passage]:
        """A list with its lead-in, whole (its weakest items leave only to fit ``HARD_MAX_WORDS``, and in
        ``choose`` to make room for a supporting line); a short paragraph whole; else its best sentences."""
        score = lambda u: scores.get(u.id, 0.0)  # noqa: E731
        items = [u for u in block.items if usable(u)]
        sentences = [u for u in block.sentences if usable(u)]
        if items:
            keep = list(items)  # the article's list whole: its weakest items leave only to fit the budget
            # the opening sentence goes with its items even when an earlier reply quoted it ("tell me
            # more" after part of a list): items alone would read as an orphan list
            lead_in = self._lead_in(block.sentences, sentences, scores, best=max(score(u) for u in block.units if usable(u)))
            # "It's a protective instinct..." opens the list's lead-in with what "It" is ("Pushing people away isn't selfish.")
            lead_in = sorted({a for u in lead_in for a in [*self.antecedents(u, block), u]}, key=lambda u: u.position)
            while len(keep) > MIN_ITEMS and _words(lead_in + keep) > HARD_MAX_WORDS:
                keep.remove(min(keep, key=score))
            picked = lead_in + keep
        elif _words(sentences) <= SHORT_PARAGRAPH:
            picked = sentences
        else:
            picked = []
            for u in sorted(sentences, key=lambda u: -score(u)):
                if u in picked:
                    continue  # already there, with a sentence that leans on it
                with_before = [a for a in self.antecedents(u, block) if a not in picked] + [u]
                if score(u) > 0 and all(usable(a) for a in with_before) and _words(picked + with_before) <= self.max_words:
                    picked.extend(with_before)
            picked = picked or sentences[:1]
        return [passage_of(u, score(u)) for u in sorted(picked, key=lambda u: u.position)]

    @staticmethod
    def _lead_in(all_sentences: Sequence[Unit], sentences: list[Unit], scores: dict[str, float], best: float) -> list[Unit]:
        """The sentence that opens the list ("...include:") with the one before it ("Consider:"
        alone says nothing), and any other (usable) sentence of the lead-in paragraph the retrieval ranks high."""
        if not all_sentences:
            return []
        opener = list(all_sentences[-2:]) if opens_list(all_sentences[-1]) else []
        ranked = [u for u in sentences if u not in opener and scores.get(u.id, 0.0) >= max(LEAD_IN_SHARE * best, 1e-9)]
        return sorted(opener + ranked, key=lambda u: u.position)

    def supporting_line(self, retrieval: Retrieval, scores: dict[str, float], block: Block, chosen: list[Passage], ask: Ask,
                        usable) -> list[Passage]:
        """One line from another block (not a common block's): the best line outside the block when
        it scores near the retrieval's best or above everything quoted (the lead then falls back to
        the default if it is not true of that line's block), or, for a short answer, the best line of
        another paragraph that also answers the ask. ``choose`` trims the list to make room."""
        if not retrieval.passages or not chosen:
            return []
        top_chosen = max(p.score for p in chosen)
        spec = self.policy.answers.kind(ask.kind)
        short = _words(chosen) < SHORT_BLOCK
        prefer = set(self._prefer(ask))
        for p in retrieval.passages:
            other = self.blocks.get((p.source, p.section))
            if other is None or other is block or (other.items and p.kind != "item"):
                continue  # a list's lead-in is no line on its own
            unit = next((u for u in other.units if u.id == p.id), None)
            if unit is None or not usable(unit) or self._is_common(other, as_support=True) or not stands_alone(unit):
                continue  # "Inpatient treatment depression programs for safety and stabilization." is only in its list
            # (near) the retrieval's best line, or one above all quoted that the lead is also true of
            near_best = p.score >= SUPPORT_SHARE * retrieval.passages[0].score or (
                0 < top_chosen <= p.score and bool(other.kinds & set(spec.true_of)))  # a block the retrieval did not
            # find (one a follow-up's kind asked for) is above no line: that says nothing of how well it answers
            # a short answer, completed by a sentence of another paragraph that answers the ask
            fills_in = short and p.kind != "item" and bool(other.kinds & prefer) and bool(other.kinds & set(spec.true_of))
            if not (near_best or fills_in):
                return []
            before = self.antecedents(unit, other)  # "It means you're hurting." goes with what "it" is
            after = self.continuation(unit, other)  # "Reaching out may feel terrifying." goes on: "But with the right support..."
            if not all(usable(u) for u in before + after):
                return []
            lines = [passage_of(u, scores.get(u.id, 0.0)) for u in before] + [p] \
                + [passage_of(u, scores.get(u.id, 0.0)) for u in after]
            if (before or [unit])[0].id == other.units[0].id and self.points_elsewhere(other, block, usable) \
                    and not self.echoes(retrieval.query.split(" | ")[0], lines):
                return []  # "These symptoms make it..." points back at a block that is not quoted: at nothing
            return lines
        return []

    def leans_on_before(self, text: str) -> bool:
        """Does the sentence lean on the one before it: it opens with a word of ``answers.leans_back``
        ("It means you're hurting.") or its second word is one of ``answers.leans_back_second``
        ("Recognizing them is the first step toward healing.")? Never quoted without that sentence."""
        opening = list(words(text))[:2]
        return bool(opening) and (opening[0] in self.leans_back or (len(opening) > 1 and opening[1] in self.leans_back_second))

    def with_antecedents(self, passage: Passage) -> list[Passage]:
        """For the medical reply's excerpt: the passage with the sentences before it in its paragraph
        that it leans on (``antecedents``), in article order; a list item that is only a phrase, with
        the sentence that opens its list; a sentence with what finishes its point (``continuation``).
        A paragraph's opening sentence that points back at the block before it ("These reactions
        aren't failures...") is quoted alone, as here. A framing line that fits any question ("If
        this feels familiar, you're not alone."; ``answers.no_support_kinds``) is no excerpt: none."""
        block = self.blocks.get((passage.source, passage.section))
        if block is not None and self._is_common(block, as_support=True):
            return []
        unit = next((u for u in block.units if u.id == passage.id), None) if block is not None else None
        if unit is not None and not stands_alone(unit):
            unit = next((u for u in block.sentences[-1:] if opens_list(u)), None)  # "These options include:"
            return [passage_of(u, 0.0) for u in [*self.antecedents(unit, block), unit]] + [passage] if unit else []
        if unit is None:
            return [passage]
        return [passage_of(u, 0.0) for u in self.antecedents(unit, block)] + [passage] \
            + [passage_of(u, 0.0) for u in self.continuation(unit, block)]  # "Reaching out may feel terrifying. But ..."

    def continuation(self, unit: Unit, block: Block) -> list[Unit]:
        """The sentences after ``unit`` in its paragraph that finish its point (``answers.carries_on``),
        in order: a supporting line is quoted with them ("Reaching out may feel terrifying." alone
        stops short of "But with the right support, healing is not only possible—it's within reach.")."""
        if unit.kind == "item":
            return []
        needed: list[Unit] = []
        for s in (s for s in block.sentences if s.position > unit.position):
            if _opening_word(s) not in self.carries_on:
                break
            needed.append(s)
        return needed

    def antecedents(self, unit: Unit, block: Block) -> list[Unit]:
        """The sentences before ``unit`` in its paragraph that it leans on, nearest last: while a
        sentence opens with a word of ``answers.leans_back`` ("It", "And", "These", ...), the one
        before it comes too ("And there is a way through that pain." needs "It means you're
        hurting.", which needs "Pushing people away doesn't mean you're broken.")."""
        if unit.kind == "item":
            return []
        before = [s for s in block.sentences if s.position < unit.position]
        needed: list[Unit] = []
        current = unit
        while before and self.leans_on_before(current.text):
            current = before.pop()
            needed.insert(0, current)
        return needed


def _replies_since(turns: Sequence[Turn], question: str) -> list[str]:
    """The assistant's replies after the person's last message ``question``."""
    start = max((i for i, t in enumerate(turns) if t.role == "user" and t.content == question), default=-1)
    return [t.content for t in turns[start + 1:] if t.role == "assistant"]


def _opening_word(unit: Unit) -> str:
    """The first word of a unit, lower-cased ("these" for "These symptoms make it...")."""
    return next(iter(words(unit.text)), "")


def _words(parts: Sequence[Unit | Passage]) -> int:
    return sum(len(p.text.split()) for p in parts)
