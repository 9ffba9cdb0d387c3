"""``assistant bench``: speed and scale figures against their targets, beside the naive recipe's, in one run.

Sections (each in ``benchmarking/``): cold start of ``assistant ask`` / ``assistant chat`` / the
naive recipe / an unchanged ``assistant ingest``; warm per-stage latency of ``ask()`` against one
bare query embedding; ingest throughput against bare batch encoding; the scale curve at 1k, 10k
and 100k synthetic chunks for embedded Chroma and a Chroma server; concurrent page users; concurrent
users of the HTTP API (``POST /api/ask``). It
writes ``results.json``, ``README.md`` (the machine, the targets, the tables) and ``scale.png``.

Everything runs on a private index in ``<out>/work/`` (git-ignored), built from the corpus like
``assistant ingest`` would on a fresh clone, so the figures never depend on the state of
``.index/``. The hand-written ``## Notes`` section of an existing README is kept. ``--quick``
writes to ``test-artifacts/bench/`` unless told otherwise: the committed ``benchmarks/`` holds
the figures of a full run, which a CI run must not replace.

Example::

    assistant bench --quick                 # CI: 1k chunks, fewer repeats, 1 and 8 users (< 2 min); test-artifacts/bench/
    assistant bench --only warm --only cold # refresh two sections, keep the rest of results.json
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

SECTIONS = ("cold", "warm", "ingest", "scale", "concurrency", "api")
QUESTION = "why do I ignore messages?"


@dataclass(frozen=True)
class Plan:
    """How much of everything to run."""

    quick: bool
    cold_runs: int
    warm_rounds: int
    warm_questions: int
    ingest_rounds: int
    sizes: tuple[int, ...]
    scale_rounds: int
    scale_questions: int
    users: tuple[int, ...]
    per_user: int

    @classmethod
    def make(cls, quick: bool) -> Plan:
        if quick:
            return cls(True, cold_runs=1, warm_rounds=1, warm_questions=40, ingest_rounds=1, sizes=(1000,), scale_rounds=1,
                       scale_questions=30, users=(1, 8), per_user=3)
        return cls(False, cold_runs=3, warm_rounds=1, warm_questions=1000, ingest_rounds=3, sizes=(1000, 10_000, 100_000),
                   scale_rounds=1, scale_questions=50, users=(1, 8, 32, 64), per_user=5)


@click.command("bench")
@click.option("--quick", is_flag=True, help="CI mode: 1k chunks only, fewer repeats, 1 and 8 users (under 2 minutes).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for results.json, README.md and scale.png [default: benchmarks/ in the project; "
                   "test-artifacts/bench/ with --quick].")
@click.option("--only", multiple=True, type=click.Choice(SECTIONS),
              help="Run only this section (repeatable); the others keep their figures from the existing results.json.")
def bench_command(quick: bool, out: Path | None, only: tuple[str, ...]) -> None:
    """Measure cold start, warm latency, ingest, scale, page and HTTP API concurrency; write benchmarks/."""
    from ..settings import ROOT

    results = run(Plan.make(quick), out or default_out(quick, ROOT), only or SECTIONS)
    for t in results["targets"]:
        mark = {True: "met", False: "MISSED", None: "not run"}[t["met"]]
        value = "–" if t["value"] is None else f"{t['value']:g} {t.get('unit', '')}".strip()
        click.echo(f"{mark:>7}  {t['target']}: {value} (goal {t['goal']})")
    failed = failures(results)
    if failed:  # a missed target is a figure; a section that could not run is a failure (CI sees it)
        raise click.ClickException("these parts of the benchmark failed: " + "; ".join(failed))


def failures(results: dict[str, Any]) -> list[str]:
    """Sections (and scale rows) that ended in an error rather than a figure."""
    out = [f"{name}: {sec['error'][:200]}" for name, sec in results.items() if isinstance(sec, dict) and "error" in sec]
    rows = results.get("scale", {}).get("rows", []) if isinstance(results.get("scale"), dict) else []
    out += [f"scale {r.get('chunks')} {r.get('store')}: {r['error'][:200]}" for r in rows if "error" in r]
    return out


def default_out(quick: bool, root: Path) -> Path:
    """Where the figures go: ``benchmarks/`` for a full run, ``test-artifacts/bench/`` for ``--quick``."""
    return root / "test-artifacts" / "bench" if quick else root / "benchmarks"


def run(plan: Plan, out: Path, sections: tuple[str, ...], log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run ``sections`` per ``plan``; write and return the results."""
    from . import measure

    started = time.perf_counter()
    log = log or (lambda msg: click.echo(f"[{time.perf_counter() - started:6.1f} s] {msg}", err=True))
    out.mkdir(parents=True, exist_ok=True)
    previous = out / "results.json"
    partial = set(sections) != set(SECTIONS) and previous.is_file()
    results: dict[str, Any] = json.loads(previous.read_text(encoding="utf-8")) if partial else {}
    load_before = measure.load_average()
    work = out / "work"
    env, questions, messages = _prepare(work, log, reuse_index=plan.quick)

    steps: dict[str, Callable[[], dict[str, Any]]] = {
        "cold": lambda: _cold(plan, env, log),
        "warm": lambda: _warm(plan, env, questions, messages, results, log),
        "ingest": lambda: measure.run_worker("assistant.benchmarking.ingesting", {"index": str(_fresh(work / "ingest-index")),
                                             "rounds": plan.ingest_rounds}, env=env),
        "scale": lambda: _scale(plan, work, env, questions, log),
        "concurrency": lambda: _concurrency(plan, env, questions, log),
        "api": lambda: _api(plan, env, questions, log),
    }
    names = {"cold": "cold_start", "warm": "warm", "ingest": "ingest", "scale": "scale", "concurrency": "concurrency", "api": "api"}
    for section in SECTIONS:
        if section not in sections:
            continue
        log(f"{section} ...")
        try:
            results[names[section]] = steps[section]()
        except Exception as exc:  # one failed section must not lose the others
            results[names[section]] = {"error": f"{exc.__class__.__name__}: {exc}"[:1500]}
            log(f"{section} failed: {results[names[section]]['error'][:300]}")

    results["meta"] = {
        "started": time.strftime("%Y-%m-%d %H:%M %Z"), "duration_s": round(time.perf_counter() - started, 1), "quick": plan.quick,
        "sections_run": list(sections), "plan": asdict(plan), "machine": measure.machine(),
        "load_before": load_before, "load_after": measure.load_average(),
    }
    write_outputs(results, out)
    log(f"wrote results.json, README.md{', scale.png' if _scale_rows(results) else ''} in {out}")
    return results


def write_outputs(results: dict[str, Any], out: Path) -> None:
    """The verdicts, ``results.json``, ``README.md`` (keeping its ``## Notes``) and ``scale.png``."""
    from . import report

    results["targets"] = report.evaluate(results)
    results["memory_per_10k_chunks_mb"] = report.memory_per_10k(results)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    readme = out / "README.md"
    readme.write_text(report.markdown(results, results["targets"], report.keep_notes(readme)), encoding="utf-8")
    if _scale_rows(results):
        report.plot_scale(_scale_rows(results), out / "scale.png")


def _scale_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    return results.get("scale", {}).get("rows", [])


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _prepare(work: Path, log: Callable[[str], None], reuse_index: bool = False) -> tuple[dict[str, str], list[str], list[str]]:
    """The private index (built like a fresh clone's ``make index``), the subprocess environment
    and the eval questions. ``reuse_index`` (``--quick``) starts from a copy of the project's
    index, which ``assistant ingest`` then brings up to date: CI has just built it."""
    from ..settings import OFFICIAL_MODEL_SHA256, ROOT, Settings
    from ..store import active_folder
    from .measure import python_env, timed_process

    index = work / "index"
    index.mkdir(parents=True, exist_ok=True)
    project_index = Settings().index_dir
    if reuse_index and active_folder(project_index) is not None and active_folder(index) is None:
        shutil.copytree(project_index, index, dirs_exist_ok=True)
    export = Path("onnx") / OFFICIAL_MODEL_SHA256[:16]
    source = project_index / export
    if (source / "model.onnx").is_file() and not (index / export / "model.onnx").is_file():
        # A cache of a pure function of the model: no need to export it again.
        shutil.copytree(source, index / export, dirs_exist_ok=True)
    env = python_env(ASSISTANT_INDEX_DIR=str(index))
    built = timed_process([str(Path(sys.executable).with_name("assistant")), "ingest"], env=env, timeout=900)
    if not built.ok:
        raise click.ClickException(f"`assistant ingest` failed for the benchmark index: {built.error.strip()[-500:]}")
    log(f"benchmark index ready in {index} ({built.output.strip().splitlines()[0] if built.output.strip() else ''})")
    evals = ROOT / "evals"
    rows = [json.loads(line) for f in sorted(evals.glob("*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [r["question"] for r in rows if r.get("expect") == "answered" and not r.get("history")]
    messages = [r["question"] for r in rows if isinstance(r.get("question"), str) and not r.get("history")]
    return env, questions or [QUESTION], messages


def _cold(plan: Plan, env: dict[str, str], log) -> dict[str, Any]:
    from .coldstart import run_cold

    if plan.quick:
        # CI: our three starts only. The naive recipe's first start compiles its own libraries
        # (25 s on a fresh clone), and one start of it would be no fair baseline anyway.
        return run_cold(env, runs=plan.cold_runs, question=QUESTION, log=log, warm_up=("ask",), only=("ask", "chat", "chat_ready", "reingest"))
    warm_up = ("ask", "naive")  # one start writes the bytecode all share; the naive recipe has its own
    return run_cold(env, runs=plan.cold_runs, question=QUESTION, log=log, warm_up=warm_up)


def _warm(plan: Plan, env, questions, messages, results, log) -> dict[str, Any]:
    from .measure import run_worker

    qs = questions[: plan.warm_questions]
    mixed = [] if plan.quick else messages[:: max(1, len(messages) // 200)]  # about 200, every category
    warm = run_worker("assistant.benchmarking.warm", {"questions": qs, "messages": mixed, "rounds": plan.warm_rounds}, env=env)
    if not plan.quick:  # the baseline's warm latency is for the record, not for CI
        try:
            results["naive_warm"] = run_worker("assistant.benchmarking.naive", {"questions": qs[:100], "rounds": 1}, env=env)
        except Exception as exc:  # the baseline failing must not hide our own figures
            results["naive_warm"] = {"error": str(exc)[:800]}
    log(f"warm: ask() p50 {warm['stages_ms']['total']['p50']:.2f} ms, sentence-transformers query p50 "
        f"{warm['st_query_ms']['p50']:.2f} ms ({warm['st_query_1_thread_ms']['p50']:.2f} ms on one thread)")
    return warm


def _scale(plan: Plan, work: Path, env, questions, log) -> dict[str, Any]:
    from .scale import run_scale

    rows = run_scale(list(plan.sizes), work=work, env=env, questions=questions[: plan.scale_questions], rounds=plan.scale_rounds,
                     onnx_cache=work / "index", log=log)
    return {"rows": rows}


def _concurrency(plan: Plan, env, questions, log) -> dict[str, Any]:
    from .concurrency import run_concurrency

    return run_concurrency(env, levels=list(plan.users), per_user=plan.per_user, questions=questions,
                           control_levels=() if plan.quick else (1, 32), alone=plan.per_user if plan.quick else 20, log=log)


def _api(plan: Plan, env, questions, log) -> dict[str, Any]:
    from .apiload import run_api

    return run_api(env, levels=list(plan.users), per_user=plan.per_user, questions=questions,
                   alone=plan.per_user if plan.quick else 20, control_levels=() if plan.quick else (1, 32),
                   reading_levels=() if plan.quick else (32, 64), log=log)
