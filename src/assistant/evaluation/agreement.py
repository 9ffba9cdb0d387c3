"""How far reviewers agree: the share of questions they judged alike, and Cohen's kappa.

Reviewed cases (``tags: [reviewed]``, written by the page's review mode) carry a ``reviewer``
and a ``verdict`` (good or bad) and an ``expect`` (the route the reviewer says is right). Cases
of different reviewers are matched on the question and its history. For each label (verdict,
expected route) the share of matched questions on which every reviewer gave the same label is
reported, and for exactly two reviewers Cohen's kappa: agreement corrected for chance,
``(p_o - p_e) / (1 - p_e)``.

Example::

    result = agreement([Path("alice.jsonl"), Path("bob.jsonl")])
    print(result.markdown())
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .datasets import Case, load_file
from .textnorm import squash

LABELS = ("verdict", "expect")


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two raters' labels for the same items; NaN when undefined (no items, or
    both raters always gave one and the same label, so chance agreement is already 1)."""
    if len(a) != len(b):
        raise ValueError(f"both raters must label the same items ({len(a)} vs {len(b)} labels)")
    n = len(a)
    if n == 0:
        return math.nan
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca.keys() | cb.keys()) / (n * n)
    return math.nan if expected == 1 else (observed - expected) / (1 - expected)


def _key(case: Case) -> tuple[str, ...]:
    return (squash(case.question).casefold(), *(squash(m.content).casefold() for m in case.history))


def _label(case: Case, name: str) -> str | None:
    return case.verdict if name == "verdict" else case.expect


@dataclass(frozen=True)
class Agreement:
    reviewers: tuple[str, ...]
    reviewed: int  # reviewed cases read
    shared: int  # questions judged by two or more reviewers
    share: dict[str, float]  # label -> share of shared questions with one label from everyone
    kappa: dict[str, float]  # label -> Cohen's kappa (two reviewers only)

    def to_dict(self) -> dict:
        clean = lambda d: {k: (None if math.isnan(v) else round(v, 4)) for k, v in d.items()}  # noqa: E731
        return {"reviewers": list(self.reviewers), "reviewed_cases": self.reviewed, "shared_questions": self.shared,
                "share_agreeing": clean(self.share), "cohen_kappa": clean(self.kappa)}

    def markdown(self) -> str:
        num = lambda v: "n/a" if math.isnan(v) else f"{v:.3f}"  # noqa: E731
        lines = [f"Reviewers: {', '.join(self.reviewers) or 'none'}; {self.reviewed} reviewed cases, "
                 f"{self.shared} questions judged by two or more.", "",
                 "| label | share agreeing | Cohen's kappa |", "|---|---|---|"]
        lines += [f"| {n} | {'n/a' if math.isnan(self.share[n]) else f'{100 * self.share[n]:.1f}%'} | "
                  f"{num(self.kappa.get(n, math.nan)) if len(self.reviewers) == 2 else 'needs two reviewers'} |"
                  for n in LABELS]
        return "\n".join(lines) + "\n"


def agreement_of(cases: Iterable[Case]) -> Agreement:
    """Agreement over reviewed cases; a reviewer's later judgement of a question replaces an earlier one."""
    cases = [c for c in cases if "reviewed" in c.tags]
    by_question: dict[tuple[str, ...], dict[str, Case]] = defaultdict(dict)
    for c in cases:
        by_question[_key(c)][c.reviewer or "(unnamed)"] = c
    reviewers = tuple(sorted({r for judged in by_question.values() for r in judged}))
    shared = [judged for judged in by_question.values() if len(judged) >= 2]
    share, kappa = {}, {}
    for name in LABELS:
        rated = [[_label(c, name) for c in judged.values()] for judged in shared]
        rated = [labels for labels in rated if None not in labels]
        share[name] = sum(len(set(labels)) == 1 for labels in rated) / len(rated) if rated else math.nan
        if len(reviewers) == 2:
            pairs = [(j[reviewers[0]], j[reviewers[1]]) for j in shared]
            a = [_label(x, name) for x, _ in pairs]
            b = [_label(y, name) for _, y in pairs]
            keep = [i for i in range(len(a)) if a[i] is not None and b[i] is not None]
            kappa[name] = cohen_kappa([str(a[i]) for i in keep], [str(b[i]) for i in keep])
    return Agreement(reviewers, len(cases), len(shared), share, kappa)


def agreement(paths: Iterable[Path]) -> Agreement:
    """Read reviewed-case files (validated like any dataset) and measure the agreement."""
    return agreement_of(c for p in paths for c in load_file(Path(p)))
