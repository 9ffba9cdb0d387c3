"""Eval cases as data: one JSON object per line in ``evals/*.jsonl``, validated on load.

A malformed line stops the run with an error that names the file and the line, so a typo in a
dataset can never silently shrink the test set. Support strings are checked against the corpus
when it is given: a support sentence that is not in the article could never be retrieved, and
would only make the figures look worse for a reason nobody can fix in the pipeline.

Example::

    cases = load_cases(dataset_paths(Path("evals")), corpus_text=corpus)
    crisis = select(cases, only=["crisis"])
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Annotated, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from ..errors import ConfigError
from .textnorm import squash

NonEmpty = Annotated[str, StringConstraints(min_length=1)]
Category = Literal["answered", "out_of_scope", "medical_advice", "crisis", "small_talk", "invalid"]
# The kinds of ask the answer-quality set labels (evals/README.md, "Answer quality").
AskKind = Literal["cause", "what_to_do", "help_someone", "normal", "hope", "treatment", "symptoms", "push_pull", "more"]


class DatasetError(ConfigError):
    """A dataset file cannot be used; the message names the file and line."""


class Message(BaseModel):
    """One earlier turn of the conversation the question belongs to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["user", "assistant"]
    content: str


class Case(BaseModel):
    """One labelled question. ``file`` and ``line`` are filled in by the loader, not the data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: NonEmpty
    question: str  # may be empty or blank: that is what the invalid-input cases test
    history: tuple[Message, ...] = ()
    expect: Category
    support: tuple[NonEmpty, ...] = ()
    kind: AskKind | None = None  # what the message asks for (answer-quality cases)
    ideal: tuple[NonEmpty, ...] = Field((), max_length=4)  # the article lines a good reply quotes
    key_phrases: tuple[NonEmpty, ...] = ()
    risk: Literal["none", "possible", "clear"] = "none"
    tags: tuple[NonEmpty, ...] = ()
    note: str = ""
    reviewer: str = ""  # who judged the reply (cases saved by the page's review mode)
    verdict: Literal["good", "bad"] | None = None  # their rating of the reply they saw
    file: str = Field("", exclude=True)
    line: int = Field(0, exclude=True)

    @model_validator(mode="after")
    def _support_only_for_answers(self) -> "Case":
        if self.support and self.expect != "answered":
            raise ValueError("'support' is only meaningful for cases that expect 'answered'")
        if self.ideal and self.expect != "answered":
            raise ValueError("'ideal' is only meaningful for cases that expect 'answered'")
        if self.ideal and len(self.ideal) < 2:
            raise ValueError("'ideal' lists 2 to 4 article lines")
        return self

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def history_dicts(self) -> list[dict[str, str]]:
        """The history in the shape ``Assistant.ask`` takes."""
        return [{"role": m.role, "content": m.content} for m in self.history]


def dataset_paths(folder: Path) -> list[Path]:
    """Every ``*.jsonl`` file directly in ``folder``, sorted (reports live in a subfolder)."""
    paths = sorted(Path(folder).glob("*.jsonl"))
    if not paths:
        raise DatasetError(f"{folder}: no *.jsonl datasets found; pass --dataset FILE or add cases to evals/.")
    return paths


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(line)"
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        problems.append(f"field '{key}': {msg}")
    return "; ".join(problems)


def load_file(path: Path, corpus_text: str | None = None) -> list[Case]:
    """Read and validate one JSON Lines file; blank lines are allowed, anything else must be a case."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot be read ({exc.__class__.__name__}: {exc}).") from None
    corpus = squash(corpus_text) if corpus_text is not None else None
    cases: list[Case] = []
    for number, text in enumerate(raw.splitlines(), start=1):
        if not text.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}).") from None
        cases.append(validate_case(data, where, file=path.stem, line=number, squashed_corpus=corpus))
    return cases


def validate_case(data: object, where: str, *, file: str = "", line: int = 0,
                  squashed_corpus: str | None = None) -> Case:
    """One case from its JSON object, checked as ``load_file`` checks each line (``where`` names it
    in the error); support strings must be in ``squashed_corpus`` when it is given."""
    if not isinstance(data, dict):
        raise DatasetError(f"{where}: a case must be a JSON object, got {type(data).__name__}.")
    try:
        case = Case.model_validate({**data, "file": file, "line": line})
    except ValidationError as exc:
        raise DatasetError(f"{where}: {_describe(exc)}.") from None
    if squashed_corpus is not None:
        for field, strings in (("support", case.support), ("ideal", case.ideal)):
            for s in strings:
                if squash(s) not in squashed_corpus:
                    raise DatasetError(f"{where}: {field} string is not in the corpus: {s[:80]!r}.")
    return case


def load_cases(paths: Iterable[Path], corpus_text: str | None = None) -> list[Case]:
    """Load several files; ids must be unique across all of them (reports are keyed by id)."""
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in paths:
        for case in load_file(path, corpus_text):
            if case.id in seen:
                raise DatasetError(f"{path}:{case.line}: duplicate id {case.id!r} (first at {seen[case.id]}).")
            seen[case.id] = f"{path}:{case.line}"
            cases.append(case)
    return cases


def select(cases: list[Case], only: Iterable[str] = ()) -> list[Case]:
    """Keep cases whose file stem, expected category, risk tier, a tag or the id is in ``only``."""
    wanted = {w.strip().lower() for w in only if w.strip()}
    if not wanted:
        return list(cases)
    return [c for c in cases if wanted & {c.file.lower(), c.expect, c.id.lower(), *(t.lower() for t in c.tags)}
            or (c.risk != "none" and c.risk in wanted)]


def quick(cases: list[Case], per_group: int = 4) -> list[Case]:
    """A small subset for CI: the first ``per_group`` cases of every (file, expected category)
    pair, so each file and each category stays represented."""
    groups: "OrderedDict[tuple[str, str], list[Case]]" = OrderedDict()
    for c in cases:
        groups.setdefault((c.file, c.expect), []).append(c)
    keep = {id(c) for group in groups.values() for c in group[:per_group]}
    return [c for c in cases if id(c) in keep]
