"""What changed since an earlier run: metric deltas, flipped cases and a word diff of each flip.

A baseline is a report folder that ``assistant eval`` wrote (``summary.json`` and
``results.jsonl``), or ``last``: the newest folder under ``evals/reports/``. Only the main
pipeline (``ours``) is compared, case by case on the case id. A case that passed before and
fails now on a safety check (crisis or medical routing, 988, the disclaimer, the contact, a
dose or diagnosis leak) is a *safety regression*: the command exits 1 for it even while every
threshold is still met, because a threshold averages one lost crisis case away.

Example::

    base = load_baseline(resolve_baseline("last", Path("evals/reports")))
    changes = compare(base, run)
    print(changes.markdown())
"""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .report import Run, clean_json, result_row
from .summary import BY_NAME, FIGURE_NAMES, fmt

SAFETY_CHECKS = frozenset({"disclaimer", "contact", "988", "leak"})
SAFETY_ROUTES = frozenset({"crisis", "medical_advice"})  # a missed route to these is a safety failure
MAIN = "ours"


class BaselineError(ConfigError):
    """The baseline folder cannot be read; the message says which file and what to do."""


@dataclass(frozen=True)
class Baseline:
    """The main pipeline's figures and per-case rows of an earlier run."""

    path: Path
    created: str
    figures: dict[str, float | None]
    rows: dict[str, dict[str, Any]]  # case id -> results.jsonl row


def resolve_baseline(value: str | Path, reports_dir: Path) -> Path:
    """``last`` -> the newest report folder (folder names are UTC timestamps); else the path."""
    if str(value) != "last":
        return Path(value)
    folders = sorted(p for p in Path(reports_dir).glob("*") if (p / "summary.json").is_file())
    if not folders:
        raise BaselineError(f"{reports_dir}: no earlier report to compare with; run `assistant eval` once first.")
    return folders[-1]


def load_baseline(folder: Path) -> Baseline:
    """Read ``summary.json`` and the ``ours`` rows of ``results.jsonl`` from a report folder."""
    folder = Path(folder)
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        figures = summary["variants"][MAIN]["figures"]
        rows = {}
        for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("variant", MAIN) == MAIN:
                    rows[row["id"]] = row
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BaselineError(f"{folder}: not a readable eval report ({exc.__class__.__name__}: {exc}); "
                            "pass a folder under evals/reports/ or 'last'.") from None
    return Baseline(folder, str(summary.get("meta", {}).get("created", folder.name)), figures, rows)


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """``[(op, words)]`` with op ``=`` (kept), ``-`` (removed) or ``+`` (added), word by word."""
    a, b = before.split(), after.split()
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("+", " ".join(b[j1:j2])))
    return out


def safety_failures(row: dict[str, Any]) -> list[str]:
    """The failed checks of one results row that concern safety."""
    failed = [f for f in row.get("failed", []) if f in SAFETY_CHECKS]
    if "category" in row.get("failed", []) and row.get("expect") in SAFETY_ROUTES:
        failed.insert(0, f"category ({row['expect']})")
    return failed


@dataclass(frozen=True)
class Flip:
    """One case that passed in one run and failed in the other."""

    id: str
    direction: str  # "broke" (pass -> fail) or "fixed" (fail -> pass)
    expect: str
    before: dict[str, Any]  # category, failed
    after: dict[str, Any]
    diff: list[tuple[str, str]] | None  # word diff of the body; None when a run kept no text
    safety: list[str] = field(default_factory=list)  # safety checks it now fails ("broke" only)

    @property
    def unchanged(self) -> bool:
        """Both runs kept the body's text and it is the same (a routing or retrieval flip)."""
        return self.diff is not None and all(op == "=" for op, _ in self.diff)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "direction": self.direction, "expect": self.expect, "before": self.before,
                "after": self.after, "safety": self.safety,
                "diff": None if self.diff is None else [list(d) for d in self.diff]}


def _delta(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or any(isinstance(v, float) and math.isnan(v) for v in (before, after)):
        return None
    delta = after - before
    return 0.0 if abs(delta) < 5e-6 else delta  # report files keep 6 decimals: smaller is rounding


@dataclass(frozen=True)
class Changes:
    """Metric deltas and flips of the main pipeline between a baseline and this run."""

    baseline: str
    created: str
    metrics: list[tuple[str, float | None, float | None, float | None]]  # name, before, after, delta
    flips: list[Flip]
    added: list[str]
    removed: list[str]

    @property
    def safety_regressions(self) -> list[Flip]:
        return [f for f in self.flips if f.safety]

    def to_dict(self) -> dict[str, Any]:
        return clean_json({
            "baseline": self.baseline, "baseline_created": self.created,
            "metrics": [{"name": n, "before": b, "after": a, "delta": d} for n, b, a, d in self.metrics],
            "flips": [f.to_dict() for f in self.flips], "safety_regressions": [f.id for f in self.safety_regressions],
            "added": self.added, "removed": self.removed,
        })

    def markdown(self) -> str:
        lines = [f"## Changes since {self.created} ({self.baseline})", ""]
        if self.safety_regressions:
            lines += [f"**{len(self.safety_regressions)} case(s) now fail a safety check:** "
                      + ", ".join(f"{f.id} ({', '.join(f.safety)})" for f in self.safety_regressions), ""]
        lines += ["| figure | before | after | delta |", "|---|---|---|---|"]
        lines += [f"| {BY_NAME[n].label} | {fmt(n, b)} | {fmt(n, a)} | {_fmt_delta(n, d)} |" for n, b, a, d in self.metrics]
        lines += ["", f"Cases flipped: {sum(f.direction == 'broke' for f in self.flips)} pass -> fail, "
                  f"{sum(f.direction == 'fixed' for f in self.flips)} fail -> pass"
                  + (f"; {len(self.added)} new, {len(self.removed)} gone" if self.added or self.removed else "") + ".", ""]
        for f in self.flips:
            arrow = "pass -> fail" if f.direction == "broke" else "fail -> pass"
            lines += [f"### {f.id}: {arrow} (expects {f.expect})", "",
                      f"- before: {f.before['category']}, failed: {', '.join(f.before['failed']) or 'none'}",
                      f"- after: {f.after['category']}, failed: {', '.join(f.after['failed']) or 'none'}"]
            if f.unchanged:
                lines += ["", "Body unchanged."]
            elif f.diff:
                text = " ".join(w if op == "=" else f"[{op}{w}{op}]" if op == "-" else f"{{+{w}+}}" for op, w in f.diff)
                lines += ["", "> " + text.replace("\n", " ")]
            lines.append("")
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        e = lambda v: escape(str(v), quote=True)  # noqa: E731
        out = [f'<p class="meta">Baseline: {e(self.baseline)} ({e(self.created)})</p>']
        if self.safety_regressions:
            items = "".join(f"<li>{e(f.id)}: {e(', '.join(f.safety))}</li>" for f in self.safety_regressions)
            out.append(f'<div class="banner fail">Cases that now fail a safety check<ul>{items}</ul></div>')
        rows = "".join(f"<tr><td>{e(BY_NAME[n].label)}</td><td class=num>{e(fmt(n, b))}</td><td class=num>{e(fmt(n, a))}"
                       f"</td><td class=num>{e(_fmt_delta(n, d))}</td></tr>" for n, b, a, d in self.metrics)
        out.append(f"<table><thead><tr><th>figure</th><th>before</th><th>after</th><th>delta</th></tr></thead>"
                   f"<tbody>{rows}</tbody></table>")
        for f in self.flips:
            words = "".join(f"<del>{e(w)}</del> " if op == "-" else f"<ins>{e(w)}</ins> " if op == "+" else f"{e(w)} "
                            for op, w in f.diff or ())
            arrow = "pass → fail" if f.direction == "broke" else "fail → pass"
            out.append(f'<h3>{e(f.id)}: {arrow} (expects {e(f.expect)})</h3><ul>'
                       f"<li>before: {e(f.before['category'])}, failed: {e(', '.join(f.before['failed']) or 'none')}</li>"
                       f"<li>after: {e(f.after['category'])}, failed: {e(', '.join(f.after['failed']) or 'none')}</li>"
                       f"</ul>" + ("<p>Body unchanged.</p>" if f.unchanged else f'<p class="diff">{words}</p>' if f.diff else ""))
        return "\n".join(out)


def _fmt_delta(name: str, delta: float | None) -> str:
    if delta is None:
        return "n/a"
    if delta == 0:
        return "0"
    if BY_NAME[name].kind == "rate":
        return f"{100 * delta:+.1f} pt"
    size = fmt(name, abs(delta))
    return size if size.strip("0.") == "" else ("+" if delta > 0 else "-") + size


def _known(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def compare(base: Baseline, run: Run) -> Changes:
    """The changes of ``run``'s main pipeline against ``base``."""
    figures = run.summaries[MAIN].figures
    metrics = [(n, base.figures.get(n), figures.get(n), _delta(base.figures.get(n), figures.get(n)))
               for n in FIGURE_NAMES if _known(base.figures.get(n)) or _known(figures.get(n))]
    now = {r.case.id: clean_json(result_row(MAIN, r, True)) for r in run.results[MAIN]}
    flips = []
    for cid, row in now.items():
        old = base.rows.get(cid)
        if old is None or bool(old.get("passed")) == bool(row["passed"]):
            continue
        broke = bool(old.get("passed"))
        body_before, body_after = old.get("body"), row.get("body") if run.transcripts else None
        diff = word_diff(body_before, body_after) if isinstance(body_before, str) and isinstance(body_after, str) else None
        flips.append(Flip(cid, "broke" if broke else "fixed", row["expect"],
                          {"category": old.get("category"), "failed": list(old.get("failed", []))},
                          {"category": row["category"], "failed": list(row["failed"])},
                          diff, safety_failures(row) if broke else []))
    flips.sort(key=lambda f: (f.direction != "broke", not f.safety))  # regressions first, safety ones on top
    return Changes(str(base.path), base.created, metrics, flips,
                   added=sorted(set(now) - set(base.rows)), removed=sorted(set(base.rows) - set(now)))
