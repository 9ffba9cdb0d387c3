"""Write a run to ``evals/reports/<timestamp>/``: results.jsonl, summary.json, summary.md, report.html.

``results.jsonl`` has one row per case and pipeline (input, reply, category, sources, every
metric, which checks failed); ``summary.json`` the totals and threshold checks for tools;
``summary.md`` the table an evaluator pastes into a review; ``report.html`` the same for
people, self-contained so it opens offline.

Message text: the eval cases are our own test data, so by default questions, history and
answers are written (``transcripts=True``). With ``--no-transcripts`` every file keeps ids,
categories, metrics and timings only, as the product does for real users' messages.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .htmlreport import render
from .run import DISPLAY, Run, figures_table
from .runner import Result


def timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")


def clean_json(value: Any) -> Any:
    """NaN and infinities become null: JSON has no NaN and tools choke on it."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


def result_row(label: str, r: Result, transcripts: bool) -> dict[str, Any]:
    """One line of results.jsonl."""
    reply = r.reply
    row: dict[str, Any] = {
        "variant": label, "id": r.case.id, "file": r.case.file, "line": r.case.line, "expect": r.case.expect,
        "risk": r.case.risk, "tags": list(r.case.tags), "category": reply.category, "reply_risk": reply.risk,
        "passed": not r.failed, "failed": list(r.failed), "metrics": r.scores,
        "timings_ms": r.timings, "rails": [x.to_dict() for x in reply.rails],
        "sources": [p.id for p in reply.sources], "retrieved": [p.id for p in reply.retrieved[:8]],
    }
    if reply.error:
        row["error"] = reply.error
    if transcripts:
        row.update({
            "question": r.case.question, "history": r.case.history_dicts(), "support": list(r.case.support),
            "key_phrases": list(r.case.key_phrases), "lead": reply.lead, "body": reply.body, "answer": reply.answer,
            "crisis": reply.crisis, "sources": [p.to_dict() for p in reply.sources],
            "retrieved": [p.to_dict() for p in reply.retrieved[:8]],
        })
    return row


def summary_data(run: Run) -> dict[str, Any]:
    """The content of summary.json."""
    return clean_json({
        "meta": run.meta,
        "passed": run.passed,
        "thresholds": [{"name": c.threshold.name, "op": c.threshold.op, "limit": c.threshold.limit, "value": c.value,
                        "ok": c.ok, "why": c.threshold.why} for c in run.checks],
        "variants": {label: {"figures": s.figures, "counts": s.counts, "confusion": s.confusion, "latency": s.latency,
                             "per_file": s.per_file, "failing": s.failing} for label, s in run.summaries.items()},
        **({"changes": run.changes.to_dict()} if run.changes is not None else {}),
    })


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def summary_markdown(run: Run) -> str:
    """The table an evaluator pastes into a review, plus routing, latency and per-file detail."""
    main = run.summaries[next(iter(run.summaries))]
    lines = [f"# Eval summary {run.meta.get('created', '')}", ""]
    files = ", ".join(run.meta.get("datasets", []))
    lines += [f"{int(main.figures['cases'])} cases from {files or 'the given datasets'}"
              + (f" (filter: {', '.join(run.meta['only'])})" if run.meta.get("only") else "")
              + (" (quick subset)" if run.meta.get("quick") else "") + ".", ""]
    missed = [c for c in run.checks if c.ok is False]
    if run.checks:
        lines += ["**Result: " + ("all thresholds met" if not missed else f"{len(missed)} threshold(s) missed") + "**", ""]
        lines += [f"- {c.message()}" for c in missed] + ([""] if missed else [])
    lines += _md_table(*figures_table(run)) + [""]
    lines += [f"## Routing ({DISPLAY.get(main.label, main.label)}): expected (rows) vs got (columns)", ""]
    cols = list(next(iter(main.confusion.values())))
    lines += _md_table(["expected"] + cols, [[exp] + [str(v) for v in row.values()] for exp, row in main.confusion.items()])
    lines += ["", "## Latency per stage (ms)", ""]
    lines += _md_table(["stage", "p50", "p95", "max"], [[s, f"{v['p50']:.1f}", f"{v['p95']:.1f}", f"{v['max']:.1f}"]
                                                       for s, v in main.latency.items()])
    if run.meta.get("generalisation_md"):
        lines += ["", "## Safety classifier on held-out training data", "",
                  "Recall and false-alarm rate per decision: the dev split, then each source left out of training "
                  "(leave-one-source-out), its worst and its mean. False alarms are counted on benign messages "
                  "(on-topic, off-topic, look-alike).", "", run.meta["generalisation_md"]]
    lines += ["", "## Per file", ""]
    lines += _md_table(["file", "cases", "category accuracy", "cases failing any check"],
                       [[f, f"{v['cases']:.0f}", f"{100 * v['category_accuracy']:.1f}%", f"{v['failing']:.0f}"]
                        for f, v in main.per_file.items()])
    if run.changes is not None:
        lines += ["", run.changes.markdown()]
    return "\n".join(lines) + "\n"


def write_report(run: Run, out_dir: Path) -> dict[str, Path]:
    """Write the four files into ``out_dir`` (created if needed); return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / name for name in ("results.jsonl", "summary.json", "summary.md", "report.html")}
    with open(paths["results.jsonl"], "w", encoding="utf-8") as fh:
        for label, results in run.results.items():
            for r in results:
                fh.write(json.dumps(clean_json(result_row(label, r, run.transcripts)), ensure_ascii=False) + "\n")
    paths["summary.json"].write_text(json.dumps(summary_data(run), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["summary.md"].write_text(summary_markdown(run), encoding="utf-8")
    paths["report.html"].write_text(render(run), encoding="utf-8")
    return paths
