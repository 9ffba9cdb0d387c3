"""One ``assistant eval`` run as plain data, and the figures table both reports show.

``report.py`` writes the files (JSON, Markdown) and ``htmlreport.py`` renders the page; both
read a ``Run`` and neither imports the other's writer.

Example::

    run = Run(results={"ours": results}, summaries={"ours": summarize("ours", results)})
    header, rows = figures_table(run)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .runner import Result
from .summary import BY_NAME, FIGURE_NAMES, Summary, fmt
from .thresholds import Check

DISPLAY = {"ours": "ours", "dense": "dense-only", "naive": "naive", "today": "today's composition", "nearest": "nearest section"}


@dataclass(frozen=True)
class Run:
    """Everything one ``assistant eval`` produced: per pipeline its results and totals."""

    results: dict[str, list[Result]]  # label -> results, "ours" first
    summaries: dict[str, Summary]
    checks: list[Check] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    transcripts: bool = True
    changes: Any = None  # a ``changes.Changes`` when the run was compared with a baseline

    @property
    def passed(self) -> bool:
        return not any(c.ok is False for c in self.checks)


def figures_table(run: Run) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the main table: figure, bar, then one column per pipeline."""
    bars = {c.threshold.name: c for c in run.checks}
    labels = list(run.summaries)
    header = ["figure", "threshold"] + [DISPLAY.get(lb, lb) for lb in labels]
    rows = []
    for name in FIGURE_NAMES:
        c = bars.get(name)
        cells = [BY_NAME[name].label, c.threshold.bar() if c else ""]
        for lb in labels:
            text = fmt(name, run.summaries[lb].figures.get(name))
            if lb == labels[0] and c is not None and c.ok is False:
                text += " ✗"
            cells.append(text)
        rows.append(cells)
    return header, rows
