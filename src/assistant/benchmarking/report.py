"""Turn ``results.json`` into the verdict on each target, the Markdown page and the scale plot.

Longer than 300 lines: one short function per section of the benchmarks page, sharing the table
helpers and the list of targets; each changes with its section.

Example::

    targets = evaluate(results)
    (out / "README.md").write_text(markdown(results, targets, notes))
    plot_scale(results["scale"], out / "scale.png")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

NOTES_HEADING = "## Notes"


def _get(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _scale_row(results: dict, chunks: int, store: str) -> dict | None:
    return next((r for r in results.get("scale", {}).get("rows", []) if r["chunks"] == chunks and r["store"] == store
                 and "error" not in r), None)


def _target(name: str, goal: str, value: float | None, limit: float, unit: str = "", higher_is_better: bool = False,
            how: str = "") -> dict[str, Any]:
    if value is None:
        return {"target": name, "goal": goal, "value": None, "met": None, "how": how or "not measured in this run"}
    met = value >= limit if higher_is_better else value <= limit
    return {"target": name, "goal": goal, "value": round(value, 3), "unit": unit, "met": bool(met), "how": how}


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every benchmark target with its measured value; ``met`` is None when a section did not run."""
    cold, warm, ing, conc = (results.get(k, {}) for k in ("cold_start", "warm", "ingest", "concurrency"))
    ask_s, naive_s = _get(cold, "ask", "median_s"), _get(cold, "naive", "median_s")
    total_p50, total_p95 = _get(warm, "stages_ms", "total", "p50"), _get(warm, "stages_ms", "total", "p95")
    st_p50s = [x for x in (_get(warm, "st_query_ms", "p50"), _get(warm, "st_query_1_thread_ms", "p50")) if x]
    st_p50 = min(st_p50s) if st_p50s else None  # the faster configuration: the ratio is not flattered by a slow baseline
    rows = [
        _target("`assistant ask` cold start, median", "≤ 2.0 s", ask_s, 2.0, "s"),
        _target("`assistant ask` cold start / naive recipe", "≤ 0.25", ask_s / naive_s if ask_s and naive_s else None, 0.25, "×"),
        _target("`assistant ask` peak RSS, median", "≤ 400 MB", _get(cold, "ask", "peak_rss_mb"), 400, "MB"),
        _target("`ask()` warm p50 / one bare sentence-transformers query embedding (p50, faster thread setting)", "≤ 0.5",
                total_p50 / st_p50 if total_p50 and st_p50 else None, 0.5, "×"),
        _target("`ask()` warm p95 / one bare sentence-transformers query embedding (p50, faster thread setting)", "≤ 1.5",
                total_p95 / st_p50 if total_p95 and st_p50 else None, 1.5, "×"),
        _target("ingest throughput / bare batch encode", "≥ 0.8", _get(ing, "ratio"), 0.8, "×", higher_is_better=True),
        _target("unchanged re-ingest, `assistant ingest` process", "≤ 1 s", _get(cold, "reingest", "median_s"), 1.0, "s"),
    ]
    for store in ("embedded", "server"):
        small, big = _scale_row(results, 1000, store), _scale_row(results, 100_000, store)
        for label, key in (("dense search (Chroma)", "chroma_query_ms"), ("whole retrieval", "retrieve_ms")):
            ratio = big[key]["p50"] / small[key]["p50"] if small and big else None
            rows.append(_target(f"100k / 1k chunks: {label} p50, {store} store", "≤ 2", ratio, 2.0, "×"))
    levels = {lvl["users"]: lvl for lvl in conc.get("levels", [])}
    one, many = levels.get(1), levels.get(32)
    rows.append(_target("32 page users: errors", "0", many["errors"] if many else None, 0))
    rows.append(_target("32 page users: p95 / single-user p50", "≤ 10",
                        many["latency_ms"]["p95"] / one["latency_ms"]["p50"] if one and many else None, 10, "×"))
    api = {lvl["users"]: lvl for lvl in results.get("api", {}).get("levels", [])}
    one, many = api.get(1), api.get(32)
    rows.append(_target("32 HTTP API users: errors", "0", many["errors"] if many else None, 0))
    rows.append(_target("32 HTTP API users: p95 / single-user p50", "≤ 10",
                        many["latency_ms"]["p95"] / one["latency_ms"]["p50"] if one and many else None, 10, "×"))
    return rows


def memory_per_10k(results: dict[str, Any]) -> dict[str, float]:
    """Least-squares slope of serving memory against corpus size, MB per 10k chunks, per store."""
    import numpy as np

    out = {}
    for store in ("embedded", "server"):
        pts = [(r["chunks"], r["total_rss_mb"]) for r in results.get("scale", {}).get("rows", [])
               if r["store"] == store and "error" not in r]
        if len(pts) >= 2:
            x, y = np.array(pts, dtype=float).T
            out[store] = round(float(np.polyfit(x, y, 1)[0] * 10_000), 2)
    return out


def _ms(s: dict | None, key: str = "p50") -> str:
    return "–" if not s or key not in s else (f"{s[key]:.2f}" if s[key] < 10 else f"{s[key]:.1f}")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join("–" if c is None else str(c) for c in row) + " |" for row in rows]
    return out + [""]


def markdown(results: dict[str, Any], targets: list[dict[str, Any]], notes: str = "") -> str:
    """The whole page: machine, targets, then one section per benchmark that ran, then the notes."""
    lines = _header(results) + _targets(targets)
    for section in (_cold, _warm, _ingest, _scale, _concurrency, _api):
        lines += section(results)
    errors = {k: v["error"] for k, v in results.items() if isinstance(v, dict) and "error" in v}
    if errors:
        lines += ["## Sections that failed", ""] + [f"- {k}: {v}" for k, v in errors.items()] + [""]
    if notes:
        lines += [notes.strip(), ""]
    return "\n".join(lines)


def _header(results: dict[str, Any]) -> list[str]:
    meta = results.get("meta", {})
    m = meta.get("machine", {})
    quick = " (quick mode)" if meta.get("quick") else ""
    return [
        "# Benchmarks",
        "",
        ("Written by `make bench` (`assistant bench`; `--quick` for CI). Every figure comes from one run of the command; "
         "the raw numbers are in [results.json](results.json). Cold starts are medians of repeated processes; latencies "
         "are p50/p95 over the eval questions; ratios are taken between figures measured in the same run."),
        "",
        "## Machine",
        "",
        (f"- {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory_gib', '?')} GiB RAM, no GPU; "
         f"{m.get('os', '')}; Python {m.get('python', '')}"),
        "- " + ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items()),
        (f"- run on {meta.get('started', '?')}, {meta.get('duration_s', 0):.0f} s{quick}; load average before/after: "
         f"{meta.get('load_before')} / {meta.get('load_after')} (other work on the machine slows every figure)"),
        "",
    ]


def _targets(targets: list[dict[str, Any]]) -> list[str]:
    def value(t: dict[str, Any]) -> str:
        return "–" if t["value"] is None else f"{t['value']:g} {t.get('unit', '')}".strip()

    verdict = {True: "yes", False: "**no**", None: "not run"}
    return ["## Targets", ""] + _table(["target", "goal", "measured", "met"],
                                                  [[t["target"], t["goal"], value(t), verdict[t["met"]]] for t in targets])


def _cold(results: dict[str, Any]) -> list[str]:
    cold = results.get("cold_start", {})
    if not cold or "error" in cold:
        return []
    labels = {"ask": '`assistant ask "why do I ignore messages?"` → answer printed', "chat": "`assistant chat` → page served (`GET /`)",
              "chat_ready": "`assistant chat` → ready to answer (`GET /readyz`)",
              "naive": "naive LangChain recipe → answer printed", "reingest": "`assistant ingest`, unchanged corpus → done"}
    rows = [[labels.get(k, k), v.get("median_s"), v.get("peak_rss_mb"),
             ", ".join(f"{r['seconds']:.2f}" for r in v.get("runs", []))] for k, v in cold.items()]
    return ["## Cold start", ""] + _table(["process", "median s", "peak RSS MB (median)", "runs (s)"], rows)


def _warm(results: dict[str, Any]) -> list[str]:
    warm, naive = results.get("warm", {}), results.get("naive_warm", {})
    if not warm.get("stages_ms"):
        return []
    order = ["input_rails", "retrieve", "retrieve.rewrite", "retrieve.embed", "retrieve.dense", "retrieve.keyword",
             "retrieve.fusion", "compose", "output_rails", "total"]
    stages = warm["stages_ms"]

    def row(label: str, figures: dict | None) -> list[str]:
        return [label, _ms(figures), _ms(figures, "p95")]

    rows = [row(f"`{s}`", stages[s]) for s in [s for s in order if s in stages] + [s for s in stages if s not in order]]
    rows += [row("about 200 eval messages of every category (`total`)", warm.get("ask_every_kind_ms")),
             row("one bare query embedding, ONNX", warm.get("onnx_query_ms")),
             row(f"one bare query embedding, sentence-transformers ({warm.get('st_threads', '?')} torch threads)",
                 warm.get("st_query_ms")),
             row("one bare query embedding, sentence-transformers (1 torch thread)", warm.get("st_query_1_thread_ms"))]
    if naive.get("query_ms"):
        rows.append(row("naive recipe, one question (`retriever.invoke`)", naive["query_ms"]))
    memory = f"Resident memory of the warm process: {warm.get('rss_mb')} MB"
    memory += f"; naive recipe: {naive.get('rss_mb')} MB." if naive.get("rss_mb") else "."
    intro = (f"{warm.get('questions')} answerable eval questions × {warm.get('rounds')} round(s), query embedder "
             f"`{warm.get('query_embedder')}`, dense search: {warm.get('store_search')}; the embedder's cache is emptied "
             "before each question.")
    return ["## Warm latency of `ask()`", "", intro, ""] + _table(["stage", "p50 ms", "p95 ms"], rows) + [memory, ""]


def _ingest(results: dict[str, Any]) -> list[str]:
    ing = results.get("ingest", {})
    if not ing.get("units"):
        return []
    stages = ", ".join(f"{k} {v}" for k, v in ing.get("ingest_stages_s", {}).items())
    return ["## Ingest", ""] + _table(["figure", "value"], [
        ["units (chunks) / texts embedded", f"{ing['units']} / {ing['texts_embedded']}"],
        ["ingest, rebuild from scratch (s)", ing["ingest_s"]],
        ["bare `encode` of the same texts (s)", ing["bare_encode_s"]],
        ["ingest chunks/s / bare chunks/s", f"{ing['ingest_chunks_per_s']} / {ing['bare_chunks_per_s']}"],
        ["ratio", ing["ratio"]],
        ["ingest stages (s)", stages],
        ["unchanged re-ingest, in process (s)", ing["unchanged_in_process_s"]],
        ["unchanged re-ingest, `assistant ingest` process (s)", _get(results, "cold_start", "reingest", "median_s")],
    ])


def _scale(results: dict[str, Any]) -> list[str]:
    scale_rows = results.get("scale", {}).get("rows", [])
    if not scale_rows:
        return []
    rows = []
    for r in scale_rows:
        if "error" in r:
            rows.append([r["chunks"], r["store"], f"error: {r['error'][:80]}"] + [None] * 7)
            continue
        rss = f"{r['total_rss_mb']:.0f}"
        if "server_rss_mb" in r:
            rss += f" ({r['rss_mb']:.0f} + server {r['server_rss_mb']:.0f})"
        stages = ", ".join(f"{k} {v:.2f}" for k, v in r.get("retrieve_stages_p50_ms", {}).items())
        rows.append([f"{r['chunks']:,}", r["store"], r["ingest_s"], r["index_mb"], rss,
                     f"{_ms(r['chroma_query_ms'])} / {_ms(r['chroma_query_ms'], 'p95')}",
                     f"{_ms(r['store_query_ms'])} / {_ms(r['store_query_ms'], 'p95')} ({r['store_search']})",
                     f"{_ms(r['retrieve_ms'])} / {_ms(r['retrieve_ms'], 'p95')}", stages, r.get("open_s")])
    lines = ["## Scale", "", "![latency and memory against corpus size](scale.png)", ""]
    lines += _table(["chunks", "store", "ingest s", "index MB", "RSS MB", "Chroma search p50/p95 ms", "Store.query p50/p95 ms",
                     "retrieval p50/p95 ms", "retrieval stages p50 ms", "open + warm s"], rows)
    growth = memory_per_10k(results)
    if growth:
        lines += ["Memory growth per 10k chunks (least squares over the sizes run): "
                  + ", ".join(f"{k} {v} MB" for k, v in growth.items()) + ".", ""]
    return lines + ["How the corpora were made and measured: " + _method(), ""]


def _concurrency(results: dict[str, Any]) -> list[str]:
    conc = results.get("concurrency", {})
    if not conc.get("levels"):
        return []
    control = {lv["users"]: lv for lv in conc.get("control_levels", [])}

    def ctl(users: int, key: str) -> str:
        lv = control.get(users)
        return "–" if not lv else (str(lv[key]) if key == "throughput_rps" else _ms(lv["latency_ms"], key))

    intro = (f"Each user asks {conc.get('per_user')} questions in a row (a lone user {conc.get('alone', conc.get('per_user'))}) "
             f"through `gradio_client` (`/ask`) against `assistant chat` on loopback. Page RSS after the run: "
             f"{conc.get('page_rss_mb')} MB.")
    rows = [[lv["users"], lv["requests"], _ms(lv["latency_ms"]), _ms(lv["latency_ms"], "p95"), lv["throughput_rps"], lv["errors"],
             f"{ctl(lv['users'], 'p50')} / {ctl(lv['users'], 'p95')}", ctl(lv["users"], "throughput_rps")]
            for lv in conc["levels"]]
    lines = ["## Concurrent page users", "", intro, ""]
    lines += _table(["users", "requests", "p50 ms", "p95 ms", "throughput req/s", "errors", "no-op control p50 / p95 ms",
                     "no-op control req/s"], rows)
    if control:
        lines += [("The no-op control is a Gradio app with the same queue settings whose `/ask` returns a fixed reply "
                   "without any work: the difference between the two is what our pipeline costs under load."), ""]
    return lines


def _api(results: dict[str, Any]) -> list[str]:
    api = results.get("api", {})
    if not api.get("levels"):
        return []
    intro = (f"Each user asks {api.get('per_user')} questions in a row, with no pause (a lone user {api.get('alone')}), through "
             f"`POST /api/ask` on its own connection, against `assistant chat` on loopback (the same process serves the page). "
             f"Each level starts the page anew. Largest page RSS after a level: {api.get('page_rss_mb')} MB.")
    control = {lv["users"]: lv for lv in api.get("control_levels", [])}

    def row(lv: dict[str, Any], label: str = "") -> list[Any]:
        ctl = control.get(lv["users"]) if not label else None
        return [f"{lv['users']}{label}", lv["requests"], _ms(lv["latency_ms"]), _ms(lv["latency_ms"], "p95"), lv["throughput_rps"],
                lv["errors"], f"{_ms(ctl['latency_ms'])} / {_ms(ctl['latency_ms'], 'p95')}" if ctl else "–"]

    pause = "–".join(f"{s:g}" for s in api.get("reading_s", ()))
    rows = [row(lv) for lv in api["levels"]] + [row(lv, f", reading {pause} s") for lv in api.get("reading_levels", [])]
    lines = ["## Concurrent HTTP API users", "", intro, ""] + _table(
        ["users", "requests", "p50 ms", "p95 ms", "throughput req/s", "errors", "no-op control p50 / p95 ms"], rows)
    if control or api.get("reading_levels"):
        lines += [("The no-op control is a bare FastAPI app on the same server whose `/api/ask` returns a fixed reply; "
                   f"\"reading\" users arrive over the first {api.get('reading_s', [0, 0])[1]:g} s and pause {pause} s after each "
                   "reply before asking again, as a person reads it."), ""]
    return lines


def _method() -> str:
    """The method, from the docstrings of the modules that implement it (one source of truth)."""
    from . import scale, synthetic

    def body(doc: str | None) -> str:
        text = (doc or "").split("Example::")[0]
        return " ".join(text.split("\n\n", 1)[-1].split())  # without the title line

    return f"{body(synthetic.__doc__)} {body(scale.__doc__)}"


def keep_notes(readme: Path) -> str:
    """The hand-written ``## Notes`` section of an existing README (kept across runs)."""
    if not readme.is_file():
        return ""
    text = readme.read_text(encoding="utf-8")
    at = text.find(f"\n{NOTES_HEADING}")
    return text[at + 1 :] if at >= 0 else ""


def plot_scale(rows: list[dict[str, Any]], path: Path) -> None:
    """Latency (p50) and memory against corpus size, one line per store."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    good = [r for r in rows if "error" not in r]
    fig, (lat, mem, disk) = plt.subplots(1, 3, figsize=(15, 4.5))
    for store, colour in (("embedded", "tab:blue"), ("server", "tab:orange")):
        pts = sorted((r for r in good if r["store"] == store), key=lambda r: r["chunks"])
        if not pts:
            continue
        x = [r["chunks"] for r in pts]
        lat.plot(x, [r["retrieve_ms"]["p50"] for r in pts], "o-", color=colour, label=f"{store}: whole retrieval")
        lat.plot(x, [r["chroma_query_ms"]["p50"] for r in pts], "s--", color=colour, label=f"{store}: Chroma search")
        label = f"{store}: serving RSS" + (" (client + server)" if store == "server" else "")
        mem.plot(x, [r["total_rss_mb"] for r in pts], "o-", color=colour, label=label)
        disk.plot(x, [r["index_mb"] for r in pts], "o-", color=colour, label=store)
    sizes = sorted({r["chunks"] for r in good})
    panels = ((lat, "query latency, p50", "ms"), (mem, "resident memory", "MB"), (disk, "index size on disk", "MB"))
    for ax, title, unit in panels:
        ax.set_xscale("log")
        ax.set_xticks(sizes, [f"{s // 1000}k" if s >= 1000 else str(s) for s in sizes])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlabel("chunks in the corpus")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    lat.set_yscale("log")
    lat.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    lat.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    lat.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
