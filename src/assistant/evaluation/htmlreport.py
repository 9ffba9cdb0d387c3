"""``report.html``: one self-contained page (inline CSS, JS and SVG, no fonts, no links out).

It opens from disk in any browser with no network: totals and thresholds, the comparison
columns, the confusion matrix, a latency histogram, and a per-case table that filters by
pipeline, by failing check and by text. Every piece of case or reply text is HTML-escaped.
"""

from __future__ import annotations

import math
from html import escape

from .metrics import FAILURE_NAMES
from .run import DISPLAY, Run, figures_table
from .runner import Result
from .summary import Summary

MAX_SHOWN_CHARS = 2000  # results.jsonl keeps the full text; the page stays light

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1rem 1.5rem;
color:#1d2430}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.8rem 0 .5rem;border-bottom:1px solid #dde;padding-bottom:.2rem}
.meta{color:#556}.banner{padding:.7rem 1rem;border-radius:6px;font-weight:600;margin:1rem 0}
.pass{background:#e5f5ea;color:#14532d}.fail{background:#fde8e8;color:#7f1d1d}
table{border-collapse:collapse;margin:.3rem 0}th,td{border:1px solid #dde;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.bad{background:#fde8e8;font-weight:600}td.good{background:#eef8f1}
.cm td{text-align:center;min-width:3.2rem}.badge{display:inline-block;background:#fde8e8;color:#7f1d1d;border-radius:4px;
padding:0 .35rem;margin:0 .15rem .15rem 0;font-size:12px}.ok{color:#14532d}
.filters{display:flex;gap:.8rem;align-items:center;flex-wrap:wrap;margin:.5rem 0}
#cases{font-size:13px}#cases td{max-width:28rem}details pre{white-space:pre-wrap;margin:.3rem 0;background:#f7f7fa;padding:.4rem}
del{background:#fde8e8;color:#7f1d1d}ins{background:#e5f5ea;color:#14532d;text-decoration:none}
svg text{font:11px system-ui,sans-serif;fill:#445}
"""

JS = """
(function(){
var rows=[].slice.call(document.querySelectorAll('#cases tbody tr'));
var v=document.getElementById('f-variant'),f=document.getElementById('f-failure'),q=document.getElementById('f-text');
var c=document.getElementById('f-count');
function apply(){var n=0,vv=v?v.value:'',ff=f.value,qq=q.value.toLowerCase();
rows.forEach(function(r){var failed=r.getAttribute('data-failed').split(' ').filter(Boolean);
var show=(!vv||r.getAttribute('data-variant')===vv)&&(ff==='all'||(ff==='any'?failed.length>0:failed.indexOf(ff)>=0))
&&(!qq||r.textContent.toLowerCase().indexOf(qq)>=0);r.hidden=!show;if(show)n++;});
c.textContent=n+' of '+rows.length+' rows shown';}
[v,f,q].forEach(function(el){if(el){el.addEventListener('input',apply);el.addEventListener('change',apply);}});
apply();})();
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _short(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + " …"


def figures_html(run: Run) -> str:
    header, rows = figures_table(run)
    out = ["<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr></thead><tbody>"]
    for cells in rows:
        tds = [f"<td>{_e(cells[0])}</td>", f"<td>{_e(cells[1])}</td>"]
        for i, cell in enumerate(cells[2:]):
            cls = "num"
            if i == 0 and cells[1]:
                cls += " bad" if cell.endswith("✗") else " good" if cell != "n/a" else ""
            tds.append(f'<td class="{cls}">{_e(cell)}</td>')
        out.append("<tr>" + "".join(tds) + "</tr>")
    return "\n".join(out) + "</tbody></table>"


def confusion_html(summary: Summary) -> str:
    cols = list(next(iter(summary.confusion.values())))
    out = ['<table class="cm"><thead><tr><th>expected ↓ / got →</th>' + "".join(f"<th>{_e(c)}</th>" for c in cols)
           + "<th>total</th></tr></thead><tbody>"]
    for exp, row in summary.confusion.items():
        total = sum(row.values())
        cells = []
        for got, n in row.items():
            share = n / total if total else 0.0
            if n == 0:
                style = ""
            elif got == exp:
                style = f' style="background:rgba(34,139,84,{0.15 + 0.6 * share:.2f})"'
            else:
                style = f' style="background:rgba(200,40,40,{0.15 + 0.7 * share:.2f})"'
            cells.append(f"<td{style}>{n}</td>")
        out.append(f"<tr><th>{_e(exp)}</th>{''.join(cells)}<td>{total}</td></tr>")
    return "\n".join(out) + "</tbody></table>"


def histogram_svg(values: list[float], bins: int = 24, width: int = 720, height: int = 220) -> str:
    """Reply latency as an inline SVG bar chart (ms on x, cases on y)."""
    if not values:
        return "<p>No timings.</p>"
    top = max(values) or 1.0
    step = top / bins
    counts = [0] * bins
    for v in values:
        counts[min(int(v / step), bins - 1)] += 1
    left, bottom, plot_w, plot_h = 44, 30, width - 60, height - 50
    peak = max(counts)
    bar_w = plot_w / bins
    parts = [f'<svg role="img" aria-label="latency histogram" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    parts.append(f'<line x1="{left}" y1="{height - bottom}" x2="{left + plot_w}" y2="{height - bottom}" stroke="#889"/>')
    parts.append(f'<line x1="{left}" y1="{height - bottom}" x2="{left}" y2="{height - bottom - plot_h}" stroke="#889"/>')
    for i, n in enumerate(counts):
        h = plot_h * n / peak if peak else 0
        x, y = left + i * bar_w, height - bottom - h
        lo, hi = i * step, (i + 1) * step
        parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="#4a6fa5">'
                     f"<title>{lo:.0f}–{hi:.0f} ms: {n} cases</title></rect>")
    for i in range(0, bins + 1, max(1, bins // 6)):
        x = left + i * bar_w
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="middle">{i * step:.0f}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.0f}" y="{height - 2}" text-anchor="middle">milliseconds per reply</text>')
    parts.append(f'<text x="{left - 6}" y="{height - bottom - plot_h + 4}" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end">0</text>')
    return "".join(parts) + "</svg>"


def latency_html(summary: Summary) -> str:
    rows = "".join(f"<tr><td>{_e(s)}</td><td class=num>{v['p50']:.1f}</td><td class=num>{v['p95']:.1f}</td>"
                   f"<td class=num>{v['max']:.1f}</td></tr>" for s, v in summary.latency.items())
    head = "<tr><th>stage</th><th>p50 ms</th><th>p95 ms</th><th>max ms</th></tr>"
    return f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>"


def per_file_html(summary: Summary) -> str:
    rows = "".join(f"<tr><td>{_e(f)}</td><td class=num>{v['cases']:.0f}</td>"
                   f"<td class=num>{100 * v['category_accuracy']:.1f}%</td><td class=num>{v['failing']:.0f}</td></tr>"
                   for f, v in summary.per_file.items())
    return ("<table><thead><tr><th>file</th><th>cases</th><th>category accuracy</th><th>cases failing a check</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def _num(value: object, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if pct:
        return f"{100 * float(value):.0f}%"
    return f"{float(value):.2f}" if isinstance(value, float) else str(value)


def case_row(label: str, r: Result, transcripts: bool) -> str:
    s, reply = r.scores, r.reply
    badges = "".join(f'<span class="badge">{_e(n)}</span>' for n in r.failed) or '<span class="ok">ok</span>'
    if transcripts:
        history = "".join(f"<div><b>{_e(m.role)}:</b> {_e(_short(m.content))}</div>" for m in r.case.history)
        detail = (f"<details><summary>{_e(_short(r.case.question)[:140]) or '(empty)'}</summary>{history}"
                  f"<pre>{_e(_short(reply.answer))}</pre>"
                  + (f"<div><b>error:</b> {_e(reply.error)}</div>" if reply.error else "") + "</details>")
    else:
        detail = "<i>not written (--no-transcripts)</i>"
    cells = [
        _e(r.case.id), _e(r.case.where), _e(r.case.expect), _e(reply.category), _e(r.case.risk), badges,
        _num(s["hit_at_3"]), _num(s["support_recall"], pct=True), _num(s["groundedness"], pct=True),
        _num(s["answer_relevance"]), _num(s["body_words"]), f"{r.total_ms:.0f}", detail,
    ]
    return (f'<tr data-variant="{_e(label)}" data-failed="{_e(" ".join(r.failed))}">'
            + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")


def cases_html(run: Run) -> str:
    labels = list(run.results)
    counts = {n: sum(n in r.failed for r in run.results[labels[0]]) for n in FAILURE_NAMES}
    variant = ""
    if len(labels) > 1:
        opts = "".join(f'<option value="{_e(lb)}">{_e(DISPLAY.get(lb, lb))}</option>' for lb in labels)
        variant = f'<label>pipeline <select id="f-variant">{opts}</select></label>'
    fopts = '<option value="all">all cases</option><option value="any">failing any check</option>' + "".join(
        f'<option value="{_e(n)}">{_e(n)} ({counts[n]})</option>' for n in FAILURE_NAMES if counts[n])
    head = ["id", "where", "expected", "got", "risk", "failed", "hit@3", "support", "grounded", "relevance", "words",
            "ms", "question and answer"]
    rows = "\n".join(case_row(lb, r, run.transcripts) for lb in labels for r in run.results[lb])
    counted = f" (counts: {_e(DISPLAY.get(labels[0], labels[0]))})" if len(labels) > 1 else ""
    return (f'<div class="filters">{variant}<label>show{counted} <select id="f-failure">{fopts}</select></label>'
            f'<label>text <input id="f-text" type="search" placeholder="id, tag, words"></label><span id="f-count"></span></div>'
            f'<table id="cases"><thead><tr>{"".join(f"<th>{h}</th>" for h in head)}</tr></thead><tbody>{rows}</tbody></table>')


def render(run: Run) -> str:
    """The whole page as one string."""
    main = run.summaries[next(iter(run.summaries))]
    missed = [c for c in run.checks if c.ok is False]
    if not run.checks:
        banner = '<div class="banner pass">Thresholds not checked in this run.</div>'
    elif missed:
        items = "".join(f"<li>{_e(c.message())}</li>" for c in missed)
        banner = f'<div class="banner fail">{len(missed)} threshold(s) missed<ul>{items}</ul></div>'
    else:
        banner = '<div class="banner pass">All thresholds met.</div>'
    meta = run.meta
    info = (f"{int(main.figures['cases'])} cases · datasets: {_e(', '.join(meta.get('datasets', [])))}"
            + (f" · filter: {_e(', '.join(meta['only']))}" if meta.get("only") else "")
            + (" · quick subset" if meta.get("quick") else "")
            + f" · pipelines: {_e(', '.join(DISPLAY.get(lb, lb) for lb in run.summaries))}")
    totals = [r.total_ms for r in run.results[main.label]]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Eval report {_e(meta.get('created', ''))}</title><style>{CSS}</style></head><body>
<h1>Eval report</h1><p class="meta">{_e(meta.get('created', ''))} · {info}</p>
{banner}
<h2>Totals</h2>{figures_html(run)}
<h2>Routing: expected vs got ({_e(DISPLAY.get(main.label, main.label))})</h2>{confusion_html(main)}
<h2>Latency ({_e(DISPLAY.get(main.label, main.label))})</h2>{histogram_svg(totals)}{latency_html(main)}
<h2>Per file</h2>{per_file_html(main)}
{f"<h2>Changes since the baseline</h2>{run.changes.html()}" if run.changes is not None else ""}
<h2>Cases</h2>{cases_html(run)}
<script>{JS}</script></body></html>
"""
