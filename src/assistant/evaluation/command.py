"""``assistant eval``: run labelled cases through the real pipeline, write a report, check thresholds.

Exit codes: 0 all thresholds met; 1 a threshold was missed (each one is named); 2 the run
could not start (bad dataset line, bad thresholds file, missing model or index).

Example::

    assistant eval --only crisis
    assistant eval --compare naive --compare dense
    assistant eval --dataset my_cases.jsonl --no-thresholds
    assistant eval --only crisis --baseline last --export csv
    assistant eval --agreement evals/reviewed.jsonl

With ``--baseline`` the report gains a "changes" section, and a case that flips from pass to
fail on a safety check exits 1 even while every threshold is met.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable

import click

from ..errors import AssistantError
from ..settings import ROOT, Settings
from .agreement import agreement
from .changes import BaselineError, load_baseline, resolve_baseline
from .changes import compare as compare_runs
from .datasets import DatasetError, dataset_paths, load_cases, quick, select
from .export import FORMATS, export_report
from .metrics import EvalContext
from .report import timestamp, write_report
from .run import DISPLAY, Run, figures_table
from .runner import Pipeline, run_cases
from .summary import summarize
from .thresholds import check, load_thresholds

VARIANTS = ("naive", "dense", "today", "nearest")
QUICK_PER_GROUP = 3


class SetupError(click.ClickException):
    """The run could not start; exit code 2 so CI can tell it from a missed threshold."""

    exit_code = 2


def default_evals_dir() -> Path:
    """``./evals`` when run from a checkout's root, else the project's own ``evals/``."""
    here = Path.cwd() / "evals"
    return here if here.is_dir() else ROOT / "evals"


def load_variant(name: str, settings: Settings) -> Pipeline:
    """Build one pipeline: ``ours`` (the assistant as configured), ``dense`` (dense retrieval
    only), ``naive`` (the LangChain tutorial recipe), ``today`` (ours with the earlier, frozen
    composition) or ``nearest`` (ours quoting the single block nearest to the question)."""
    if name == "naive":
        from .naive import NaiveRAG

        return NaiveRAG.build(settings)
    from ..assistant import Assistant

    if name == "dense":
        return Assistant.load(settings.model_copy(update={"retrieval_mode": "dense"}))
    bot = Assistant.load(settings)
    if name in ("today", "nearest"):
        from .baselines import NearestBlockComposer, TodayComposer

        bot.composer = (TodayComposer(bot.policy, settings.max_body_words) if name == "today"
                        else NearestBlockComposer(bot.policy, bot.retriever.units, bot.embedder.encode))
    return bot


def _corpus_docs(settings: Settings) -> list[tuple[str, str]]:
    """``(source, body)`` of every readable article."""
    from ..corpus import read_corpus

    docs, _problems = read_corpus(settings.corpus_dir)
    if not docs:
        raise SetupError(f"No readable articles in {settings.corpus_dir}; groundedness cannot be measured.")
    return [(d.source, d.text) for d in docs]


def _corpus_texts(settings: Settings) -> list[str]:
    return [text for _source, text in _corpus_docs(settings)]


def execute(*, settings: Settings | None = None, datasets: Iterable[Path] = (), only: Iterable[str] = (),
            compare: Iterable[str] = (), out: Path | None = None, thresholds: Path | None = None,
            check_thresholds: bool = True, quick_run: bool = False, transcripts: bool = True,
            progress: bool = False, loader: Callable[[str, Settings], Pipeline] | None = None,
            baseline: str | Path | None = None, echo: Callable[..., None] = click.echo,
            generalisation: bool = False) -> tuple[int, Run]:
    """The whole eval as a function (the click command is a thin shell around it).

    Returns the exit code and the run. Setup problems raise ``SetupError``."""
    settings = settings or Settings()
    build = loader or load_variant
    evals_dir = default_evals_dir()
    try:
        base = load_baseline(resolve_baseline(baseline, evals_dir / "reports")) if baseline else None
        corpus = _corpus_texts(settings)
        paths = list(datasets) or dataset_paths(evals_dir)
        cases = select(load_cases(paths, corpus_text="\n".join(corpus)), only)
        if quick_run:
            cases = quick(cases, QUICK_PER_GROUP)
        if not cases:
            raise SetupError(f"No case matches --only {' '.join(only)}; use a file name, category, risk tier, tag or id.")
        bars = load_thresholds(thresholds or evals_dir / "thresholds.yaml") if check_thresholds else []
        ours = build("ours", settings)
        from ..corpus import read_block_kinds
        from .quality import QualityContext

        quality = QualityContext.build(_corpus_docs(settings), read_block_kinds(settings.corpus_dir), ours.policy)  # type: ignore[attr-defined]
        ctx = EvalContext.build(ours.policy, corpus, encode=ours.embedder.encode, quality=quality)  # type: ignore[attr-defined]
        results = {"ours": run_cases(ours, cases, ctx, label="ours", progress=progress)}
        for name in dict.fromkeys(compare):
            if name != "ours":
                results[name] = run_cases(build(name, settings), cases, ctx, label=name, progress=progress)
    except (AssistantError, DatasetError, BaselineError) as exc:
        raise SetupError(str(exc)) from None
    summaries = {label: summarize(label, rs) for label, rs in results.items()}
    created = timestamp()
    meta = {"created": created, "datasets": [Path(p).name for p in paths], "only": list(only), "quick": quick_run,
            "variants": list(results), "transcripts": transcripts, "retrieval_mode": settings.retrieval_mode,
            "policy": getattr(getattr(ours, "policy", None), "fingerprint", None)}
    if generalisation:
        meta.update(_generalisation(settings, ours, echo))
    run = Run(results, summaries, check(summaries["ours"].figures, bars), meta, transcripts)
    if base is not None:
        run = replace(run, changes=compare_runs(base, run))
    folder = out or evals_dir / "reports" / created
    files = write_report(run, folder)
    print_summary(run, echo)
    echo(f"Report: {files['report.html']}")
    regressions = run.changes.safety_regressions if run.changes is not None else []
    return (0 if run.passed and not regressions else 1), run


def _generalisation(settings: Settings, ours: Pipeline, echo: Callable[..., None]) -> dict:
    """The safety classifier's dev and leave-one-source-out table for the report, when its
    training data is on this machine (cached under the index folder)."""
    from ..classifier import LinearHeads
    from .generalisation import generalisation

    classifier = getattr(getattr(ours, "rails", None), "classifier", None)
    if not isinstance(classifier, LinearHeads):
        return {}
    table = generalisation(settings, ours.embedder, classifier.thresholds, default_evals_dir())  # type: ignore[attr-defined]
    if table is None:
        echo(f"Generalisation table skipped: no training data at {settings.training_data} (set ASSISTANT_TRAINING_DATA).")
        return {}
    return {"generalisation": table.to_dict(), "generalisation_md": table.markdown()}


def print_summary(run: Run, echo: Callable[..., None] = click.echo) -> None:
    """The console table (the same as summary.md's) and each missed threshold by name."""
    header, rows = figures_table(run)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    echo(line(header))
    echo(line(["-" * w for w in widths]))
    for cells in rows:
        echo(line(cells))
    if run.meta.get("generalisation_md"):
        echo("\nSafety classifier on held-out training data (recall and false alarms; dev split and leave-one-source-out):")
        echo(run.meta["generalisation_md"])
    missed = [c for c in run.checks if c.ok is False]
    unmeasured = [c for c in run.checks if c.ok is None]
    if unmeasured:
        echo(f"Not measured in this run: {', '.join(c.threshold.name for c in unmeasured)}")
    if missed:
        echo(click.style(f"{len(missed)} threshold(s) missed ({DISPLAY['ours']}):", fg="red", bold=True), err=True)
        for c in missed:
            echo(click.style(f"  {c.message()}", fg="red"), err=True)
    elif run.checks:
        echo(click.style("All thresholds met.", fg="green"))
    if run.changes is not None:
        flips = run.changes.flips
        echo(f"Since {run.changes.created}: {sum(f.direction == 'broke' for f in flips)} case(s) pass -> fail, "
             f"{sum(f.direction == 'fixed' for f in flips)} fail -> pass (details in the report's changes section).")
        for f in run.changes.safety_regressions:
            echo(click.style(f"  safety regression: {f.id} now fails {', '.join(f.safety)}", fg="red"), err=True)


@click.command("eval")
@click.option("--dataset", "datasets", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A JSON Lines file of cases (repeatable). Default: every evals/*.jsonl.")
@click.option("--only", multiple=True, metavar="TEXT",
              help="Keep cases whose file name, expected category, risk tier, tag or id is TEXT (repeatable).")
@click.option("--compare", multiple=True, type=click.Choice(VARIANTS),
              help="Also run the same cases through this variant and show it side by side (repeatable).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), envvar="ASSISTANT_EVAL_OUT",
              help="Report folder. Default: evals/reports/<timestamp>/.")
@click.option("--thresholds", "thresholds_file", type=click.Path(dir_okay=False, path_type=Path),
              envvar="ASSISTANT_EVAL_THRESHOLDS", help="Thresholds file. Default: evals/thresholds.yaml.")
@click.option("--no-thresholds", is_flag=True, help="Report only; do not fail on missed thresholds.")
@click.option("--quick", "quick_run", is_flag=True, envvar="ASSISTANT_EVAL_QUICK",
              help=f"CI subset: the first {QUICK_PER_GROUP} cases of each file and expected category.")
@click.option("--transcripts/--no-transcripts", default=True, show_default=True,
              help="Write questions and answers into the report (eval cases are our own test data).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr. Default: when stderr is a terminal.")
@click.option("--baseline", metavar="DIR|last",
              help="Compare with an earlier report folder (or 'last'): metric deltas, flipped cases, reply diffs.")
@click.option("--export", "export_format", type=click.Choice(FORMATS),
              help="Also write the run as one row per case (reply, metrics, verdict) to export.csv or export.jsonl.")
@click.option("--export-from", metavar="DIR|last",
              help="With --export: export this earlier report folder (or 'last') instead of making a run.")
@click.option("--agreement", "agreement_files", is_flag=True,
              help="Measure reviewer agreement on the reviewed-case FILES given as arguments; makes no run.")
@click.option("--generalisation/--no-generalisation", default=True, show_default=True,
              help="Add the safety classifier's dev and leave-one-source-out table (needs ASSISTANT_TRAINING_DATA).")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def eval_command(ctx: click.Context, datasets: tuple[Path, ...], only: tuple[str, ...], compare: tuple[str, ...],
                 out: Path | None, thresholds_file: Path | None, no_thresholds: bool, quick_run: bool,
                 transcripts: bool, progress: bool | None, baseline: str | None, export_format: str | None,
                 export_from: str | None, generalisation: bool, agreement_files: bool, files: tuple[Path, ...]) -> None:
    """Run labelled cases through the assistant and write a report to evals/reports/.

    Exits 1 naming each missed threshold in evals/thresholds.yaml (or a case that flipped from
    pass to fail on a safety check since --baseline), 2 if the run cannot start."""
    if files and not agreement_files:
        raise click.UsageError("FILES are read only with --agreement; pass datasets with --dataset FILE.")
    if agreement_files:
        ctx.exit(_agreement(files))
    if export_from:
        if not export_format:
            raise click.UsageError("--export-from needs --export csv or --export jsonl.")
        try:
            folder = resolve_baseline(export_from, default_evals_dir() / "reports")
        except BaselineError as exc:
            raise SetupError(str(exc)) from None
        ctx.exit(_export(folder, export_format))
    settings = ctx.find_object(Settings) or Settings()
    code, run = execute(
        settings=settings, datasets=datasets, only=only, compare=compare, out=out, thresholds=thresholds_file,
        check_thresholds=not no_thresholds, quick_run=quick_run, transcripts=transcripts,
        progress=sys.stderr.isatty() if progress is None else progress, baseline=baseline,
        generalisation=generalisation and not only and not quick_run,
    )
    if export_format:
        _export(out or default_evals_dir() / "reports" / run.meta["created"], export_format)
    ctx.exit(code)


def _export(folder: Path, fmt: str) -> int:
    try:
        click.echo(f"Export: {export_report(folder, fmt)}")
    except ValueError as exc:
        raise SetupError(str(exc)) from None
    return 0


def _agreement(files: tuple[Path, ...]) -> int:
    if not files:
        raise click.UsageError("--agreement needs one or more reviewed-case files, e.g. evals/reviewed.jsonl.")
    try:
        click.echo(agreement(files).markdown(), nl=False)
    except DatasetError as exc:
        raise SetupError(str(exc)) from None
    return 0
