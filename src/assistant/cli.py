"""The ``assistant`` command: ingest, ask, chat, eval, bench.

Errors are turned into one friendly line (no tracebacks); ``--json`` output always follows the
documented contract. Heavy libraries are imported inside the commands that need them, so
``assistant ask`` never loads gradio.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .errors import AssistantError


def _settings(**overrides: Any):
    from .settings import Settings

    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _dumps(obj: dict) -> str:
    """One JSON line; text that cannot be written as UTF-8 (lone surrogates from a JSON escape
    or an undecodable argument) is written with ASCII escapes instead of crashing the batch."""
    text = json.dumps(obj, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(obj)
    return text


def _fail(exc: Exception) -> None:
    click.secho(f"Error: {exc}", fg="red", err=True)
    sys.exit(2)


class LazyGroup(click.Group):
    """Subcommands that live in heavier modules are imported only when used."""

    lazy = {"eval": ("assistant.evaluation.command", "eval_command"), "bench": ("assistant.benchmarking.command", "bench_command"),
            "rails": ("assistant.classifier.build", "rails_command")}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx, name):
        if name in self.lazy:
            import importlib

            module, attr = self.lazy[name]
            try:
                return getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                raise click.ClickException(f"`assistant {name}` is not available ({exc}); run `make setup`.") from None
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="assistant")
def main() -> None:
    """Answers questions about why depression makes people push others away, only from the
    articles in corpus/, with citations, a disclaimer and the professional contact."""


@main.command()
@click.option("--rebuild", is_flag=True, help="Rebuild the whole index (e.g. after a corrupted index).")
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False), help="Corpus folder [env ASSISTANT_CORPUS_DIR].")
@click.option("--index", "index_dir", type=click.Path(file_okay=False), help="Index folder [env ASSISTANT_INDEX_DIR].")
def ingest(rebuild: bool, corpus_dir: str | None, index_dir: str | None) -> None:
    """Chunk the corpus and bring the Chroma index up to date (only what changed is embedded)."""
    from .embeddings import SentenceTransformerEmbedder, default_model_dir
    from .indexing import ingest as run_ingest

    try:
        settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir)
        embedder = SentenceTransformerEmbedder(settings.model_dir or default_model_dir(), settings.model_sha256)
        report = run_ingest(settings, embedder, rebuild=rebuild)
    except AssistantError as exc:
        _fail(exc)
    click.echo(report.summary())


def _load():
    from .assistant import Assistant

    return Assistant.load()


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the documented contract).")
@click.option("--jsonl", "jsonl", type=click.File("r", encoding="utf-8", errors="replace"),
              help='Read JSON lines {"id", "question", "history"} from FILE ("-" for stdin); write one JSON object per line.')
def ask(question: str | None, as_json: bool, jsonl) -> None:
    """Ask one QUESTION (or a batch with --jsonl)."""
    if jsonl is None and question is None:
        raise click.UsageError('Give a QUESTION, e.g. assistant ask "why do I ignore messages?", or --jsonl FILE.')
    try:
        bot = _load()
    except AssistantError as exc:
        _fail(exc)
    if jsonl is not None:
        sys.exit(_ask_batch(bot, jsonl))
    reply = bot.ask(question)
    if as_json:
        click.echo(_dumps(reply.to_dict()))
    else:
        click.echo(reply.answer)


def _not_json(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    # 1e400 reads as infinity, which would make the output line invalid JSON.
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is too large a number")
    return value


def _ask_batch(bot, lines) -> int:
    """One output object per input line, in order; a bad line gets an error object, exit 1 at the end."""
    failed = False
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = None
        try:
            item = json.loads(line, parse_constant=_not_json, parse_float=_finite)
            if not isinstance(item, dict) or not isinstance(item.get("question"), str):
                raise ValueError('each line must be a JSON object with a string "question"')
        except (ValueError, RecursionError) as exc:
            failed = True
            reply = bot.ask("", id=item.get("id") if isinstance(item, dict) else None)
            out = {**reply.to_dict(), "category": "invalid", "error": f"line {n}: {exc}"}
            click.echo(_dumps(out))
            continue
        reply = bot.ask(item["question"], item.get("history"), id=item.get("id"))
        failed |= reply.error is not None
        click.echo(_dumps(reply.to_dict()))
    return 1 if failed else 0


@main.command()
@click.option("--host", default=None, help="Address to bind [env ASSISTANT_HOST, default 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [env ASSISTANT_PORT, default 7860].")
@click.option("--review", is_flag=True,
              help="For evaluators: a panel under the chat to inspect a reply, rate it and save it as an eval case.")
@click.option("--review-file", type=click.Path(dir_okay=False), default=None,
              help="Where --review appends saved cases [default evals/reviewed.jsonl].")
def chat(host: str | None, port: int | None, review: bool, review_file: str | None) -> None:
    """Serve the chat page (http://127.0.0.1:7860 by default)."""
    from pathlib import Path

    from .web import serve

    if review_file and not review:
        raise click.UsageError("--review-file is used only with --review.")
    try:
        settings = _settings(host=host, port=port)
        extras = []
        if review:
            from .review import ReviewPanel

            extras.append(ReviewPanel.load(settings, Path(review_file) if review_file else None).attach)
        serve(settings, extras)
    except AssistantError as exc:
        _fail(exc)


if __name__ == "__main__":  # pragma: no cover
    main()
