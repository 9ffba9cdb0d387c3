"""Composers the answer-quality figures compare ours against, over the same rails and retrieval.

- ``TodayComposer``: the composition as it was before answers were read by their ask (walk the
  ranking and keep units close to the best: ``medical_reply.select``, which the medical reply's excerpt
  still uses; render in article order; lead by the question's intent), so the report can show
  what changed.
- ``NearestBlockComposer``: "the single nearest section": the one article block (a paragraph,
  or a list with its lead-in) whose whole text is nearest to the question, quoted whole.

Both have the ``answer(verdict, retrieval, turns) -> Draft`` shape of ``compose.Composer``, so
``assistant eval --compare today --compare nearest`` swaps only the composer.

Example::

    bot = Assistant.load(); bot.composer = TodayComposer(bot.policy, bot.settings.max_body_words)
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..compose import article_blocks, out_of_scope, passage_of, render
from ..medical_reply import select as today_select  # the earlier choice; the medical reply's excerpt still uses it
from ..policy import INTENT_KIND, Policy
from ..types import Draft, Passage, Retrieval, Turn, Unit, Verdict

class TodayComposer:
    """The earlier composition, frozen (its leads are the policy's leads of the same wording)."""

    def __init__(self, policy: Policy, max_words: int):
        self.policy = policy
        self.max_words = max_words

    def answer(self, verdict: Verdict, retrieval: Retrieval, turns: Sequence[Turn] = ()) -> Draft:
        chosen = today_select(retrieval.passages, self.max_words)
        if not chosen:
            return out_of_scope(self.policy)
        weak = max(retrieval.relevance, retrieval.confidence) < self.policy.thresholds.weak_evidence_relevance
        if weak:
            chosen = chosen[:2]
        kinds = self.policy.answers.kinds
        lead = self.policy.wording.weak_evidence if weak else kinds[INTENT_KIND.get(verdict.intent, "default")].lead
        return Draft("answered", segments=render(chosen), lead=" ".join(lead.split()),
                     suggestions=self.policy.suggestions[:3] if weak else ())

    def with_antecedents(self, passage: Passage) -> list[Passage]:
        return [passage]  # frozen: the earlier medical excerpt quoted each line alone


class NearestBlockComposer:
    """The one block whose text is nearest to the question (cosine of the embeddings), whole."""

    def __init__(self, policy: Policy, units: Sequence[Unit], encode: Callable[[list[str]], np.ndarray]):
        self.policy = policy
        self.blocks = [b for b in article_blocks(units, {}).values() if b.units]
        self.encode = encode
        vecs = np.asarray(encode([" ".join(u.text for u in b.units) for b in self.blocks]), dtype=np.float32)
        self.vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)

    def answer(self, verdict: Verdict, retrieval: Retrieval, turns: Sequence[Turn] = ()) -> Draft:
        q = np.asarray(self.encode([verdict.text or retrieval.query]), dtype=np.float32)[0]
        q = q / max(float(np.linalg.norm(q)), 1e-9)
        block = self.blocks[int(np.argmax(self.vecs @ q))]
        return Draft("answered", segments=render([passage_of(u) for u in block.units]),
                     lead=" ".join(self.policy.answers.kinds["default"].lead.split()))

    def with_antecedents(self, passage: Passage) -> list[Passage]:
        return [passage]
