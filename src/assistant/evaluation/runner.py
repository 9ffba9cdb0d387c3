"""Run cases through a pipeline, one at a time, timing each and scoring it as it comes back.

A pipeline is anything with ``ask(question, history) -> Reply``: the real ``Assistant``, its
dense-only variant, the naive baseline, or a test fake. An exception in ``ask`` is recorded as
an ``error`` reply rather than stopping the run, because an evaluator needs to see every case
that broke, and a reply without safety lines must count against the thresholds.

Example::

    results = run_cases(bot, cases, ctx, label="ours")
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, Protocol

from ..types import Reply
from .datasets import Case
from .metrics import EvalContext, failures, score_case

WARMUP_QUESTION = "hello"


class Pipeline(Protocol):
    """The one method the harness needs."""

    def ask(self, question: str, history: list[dict] | None = None) -> Reply: ...


@dataclass(frozen=True)
class Result:
    """One case, the reply it got, how long it took (ms) and how it scored."""

    case: Case
    reply: Reply
    total_ms: float
    scores: dict[str, Any]
    failed: tuple[str, ...]

    @property
    def timings(self) -> dict[str, float]:
        """Per-stage milliseconds reported by the pipeline, plus ``wall``: the time measured here."""
        return {**self.reply.timings, "wall": self.total_ms}


def _error_reply(case: Case, exc: BaseException) -> Reply:
    # "error" is deliberately not one of the six categories: it shows as its own column.
    return Reply(question=case.question, category="error", body="", answer="", disclaimer="",  # type: ignore[arg-type]
                 contact="", error=f"{exc.__class__.__name__}: {exc}")


def ask_one(pipeline: Pipeline, case: Case) -> tuple[Reply, float]:
    """Ask one case's question with its history; return the reply and the wall time in ms."""
    start = time.perf_counter()
    try:
        reply = pipeline.ask(case.question, case.history_dicts() or None)
    except Exception as exc:  # noqa: BLE001 - any failure is a result to report, not a crash
        reply = _error_reply(case, exc)
    return reply, (time.perf_counter() - start) * 1000.0


def run_cases(pipeline: Pipeline, cases: list[Case], ctx: EvalContext, *, label: str = "ours",
              progress: bool = True, warmup: bool = True) -> list[Result]:
    """Every case through ``pipeline`` in order, with a progress bar on stderr.

    One untimed warm-up question first, so model loading does not land in the first case's
    latency and skew p95."""
    if warmup:
        try:
            pipeline.ask(WARMUP_QUESTION, None)
        except Exception:  # noqa: BLE001 - the real cases will show the failure
            pass
    bar = _progress(len(cases), label) if progress else None
    results = []
    try:
        for case in cases:
            reply, total_ms = ask_one(pipeline, case)
            scores = score_case(case, reply, ctx)
            results.append(Result(case, reply, total_ms, scores, tuple(failures(case, reply, scores))))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return results


def _progress(total: int, label: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=f"eval {label}", unit="case", file=sys.stderr, dynamic_ncols=True, leave=False)
