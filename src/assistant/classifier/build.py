"""``assistant rails`` / ``make rails``: rebuild the classifier artifact and print how it generalises.

Reads the public training set (``--data`` or ``ASSISTANT_TRAINING_DATA``) and the team's
messages in ``guardrails/training/``, drops eval near-copies, embeds with the query embedder
(cached), trains, writes ``guardrails/classifier/`` and prints the generalisation table.
``--report`` prints the table of the shipped artifact without training.

Example::

    assistant rails --data ../shared/data/safety_train.jsonl
    assistant rails --report
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import AssistantError


def _embedder(settings):
    from ..assistant import load_query_embedder
    from ..embeddings import default_model_dir

    return load_query_embedder(settings, settings.model_dir or default_model_dir())


@click.command("rails")
@click.option("--data", "data", type=click.Path(dir_okay=False, path_type=Path), envvar="ASSISTANT_TRAINING_DATA",
              help="Public training set [env ASSISTANT_TRAINING_DATA, default ../shared/data/safety_train.jsonl].")
@click.option("--report", is_flag=True, help="Only print the generalisation table of the shipped artifact.")
@click.option("--pipeline", is_flag=True, help="Only print the whole assistant's table: every message answered "
              "with heads trained without its source (minutes).")
@click.option("--only", default="", metavar="NAMES",
              help="With --pipeline: only these plans (comma-separated: dev, a source key).")
def rails_command(data: Path | None, report: bool, pipeline: bool, only: str) -> None:
    """Train the safety classifier and write guardrails/classifier/ (deterministic: same bytes twice)."""
    from ..evaluation.command import default_evals_dir
    from ..evaluation.generalisation import build_table, generalisation, held_out
    from ..settings import Settings
    from . import artifact_dir, load_classifier, training_paths
    from .data import TrainingData
    from .train import fit, write_artifact

    try:
        settings = Settings(**({"training_data": data} if data else {}))
        embedder = _embedder(settings)
        if report:
            heads = load_classifier(settings, model_sha256=embedder.model_sha256)
            table = generalisation(settings, embedder, heads.thresholds, default_evals_dir())
            if table is None:
                raise click.ClickException(f"{settings.training_data}: training data not found; pass --data.")
            click.echo(table.markdown())
            return
        training = TrainingData.load(training_paths(settings), evals_dir=default_evals_dir())
        click.echo(f"{len(training)} training messages; {training.dropped} dropped as near-copies of eval questions.")
        X = training.embed(embedder, cache_dir=settings.index_dir)
        if pipeline:
            _pipeline_table(settings, embedder, training, X, [n for n in only.split(",") if n])
            return
        held = held_out(training, X, settings.index_dir)
        heads = fit(training, X, held)
        manifest = write_artifact(artifact_dir(settings), heads, training, model_sha256=embedder.model_sha256)
        click.echo(f"Wrote {artifact_dir(settings)} (weights {manifest['weights_sha256'][:12]}, thresholds {manifest['thresholds']}).")
        click.echo(build_table(training.labels, training.targets(), held, heads.thresholds, training.dropped).markdown())
    except AssistantError as exc:
        raise click.ClickException(str(exc)) from None


def _pipeline_table(settings, embedder, training, X, only: list[str]) -> None:
    """``--pipeline``: the whole assistant over every labelled message, per source left out."""
    from ..assistant import Assistant
    from ..evaluation.pipeline import PipelineTable, run

    assistant = Assistant.load(settings, embedder=embedder).warm()
    progress = lambda name, n: click.echo(f"  {name}: {n} messages answered", err=True)  # noqa: E731
    click.echo(PipelineTable.of(run(assistant, training, X, only=only, progress=progress)).markdown())
