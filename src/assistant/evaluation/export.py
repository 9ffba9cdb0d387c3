"""A run as one flat table for spreadsheets and other tools: ``export.csv`` or ``export.jsonl``.

One row per case and pipeline, read from a report folder's ``results.jsonl`` (the run just made,
or any earlier one): the case, the reply, every metric as its own column and the verdict
(``pass`` or the failed checks). Nothing is re-run. Without transcripts in the report the
question and reply columns are empty, as they are in the report itself.

Example::

    path = export_report(Path("evals/reports/20261203-091500"), "csv")
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from .metrics import CASE_METRICS

FORMATS = ("csv", "jsonl")
COLUMNS = ("variant", "id", "file", "expect", "risk", "tags", "question", "category", "reply_risk", "verdict",
           "failed", "body", "answer", "sources", "latency_ms")


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v.get("id", v)) if isinstance(v, dict) else str(v) for v in value)
    return "" if value is None else value


def flat_row(row: dict[str, Any]) -> dict[str, Any]:
    """One results.jsonl row as flat columns (metrics prefixed ``m_``)."""
    out = {
        "variant": row.get("variant"), "id": row.get("id"), "file": row.get("file"), "expect": row.get("expect"),
        "risk": row.get("risk"), "tags": row.get("tags", []), "question": row.get("question"),
        "category": row.get("category"), "reply_risk": row.get("reply_risk"),
        "verdict": "pass" if row.get("passed") else "fail", "failed": row.get("failed", []),
        "body": row.get("body"), "answer": row.get("answer"), "sources": row.get("sources", []),
        "latency_ms": (row.get("timings_ms") or {}).get("wall"),
    }
    metrics = row.get("metrics") or {}
    out.update({f"m_{name}": metrics.get(name) for name in CASE_METRICS})
    return out


def read_rows(folder: Path) -> list[dict[str, Any]]:
    path = Path(folder) / "results.jsonl"
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot be read as an eval report ({exc})") from None


def export_report(folder: Path, fmt: str, out: Path | None = None) -> Path:
    """Write ``export.<fmt>`` (or ``out``) from the report in ``folder``; return its path."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    rows = [flat_row(r) for r in read_rows(folder)]
    target = Path(out) if out else Path(folder) / f"export.{fmt}"
    if fmt == "jsonl":
        target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        return target
    fields = list(COLUMNS) + [f"m_{name}" for name in CASE_METRICS]
    with open(target, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in r.items()} for r in rows)
    return target
