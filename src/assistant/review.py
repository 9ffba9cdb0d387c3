"""Review mode of the chat page (``assistant chat --review``): judge a reply, save it as an eval case.

For evaluators only; the normal page never builds it. Under the chat a panel shows, for the
reply picked, why it took its route (category, risk tier, the rails that fired and why), the
passages retrieved with their scores and the stage timings. The evaluator rates it good or bad
with a reason, a note and their name, and for a bad answer ticks the article lines it should
have quoted. Save turns that into one case of the eval schema, validated by the same code as
``assistant eval``'s datasets, and appends it to the review file. Nothing else is written:
message text goes only into that file, and only when Save is pressed. The wording is
``guardrails/review.yaml``.

Example::

    panel = ReviewPanel.load(settings, Path("evals/reviewed.jsonl"))
    serve(settings, extras=[panel.attach])
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .errors import ConfigError
from .policy import Text, _read_yaml, _validate
from .settings import ROOT, Settings
from .types import Reply

DEFAULT_PATH = ROOT / "evals" / "reviewed.jsonl"
# A bad rating with one of these reasons says which route the reply should have taken.
REASON_ROUTES = {"should_be_crisis": "crisis", "should_be_medical": "medical_advice", "should_be_answered": "answered"}
REASONS = ("off_point", "missing_steps", "filler", "should_be_crisis", "should_be_medical", "should_be_answered", "tone")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DetailWording(_Strict):
    category: Text
    risk: Text
    rails: Text
    no_rails: Text
    passages: Text
    no_passages: Text
    score: Text
    timings: Text


class Verdicts(_Strict):
    good: Text
    bad: Text


class Reasons(_Strict):
    off_point: Text
    missing_steps: Text
    filler: Text
    should_be_crisis: Text
    should_be_medical: Text
    should_be_answered: Text
    tone: Text


class ReviewWording(_Strict):
    """``guardrails/review.yaml``: every label and message of the review panel."""

    title: Text
    intro: Text
    pick: Text
    details: DetailWording
    verdict: Text
    verdicts: Verdicts
    reason: Text
    reasons: Reasons
    note: Text
    reviewer: Text
    lines: Text
    save: Text
    saved: Text
    nothing_to_review: Text
    need_verdict: Text
    need_reason: Text
    need_reviewer: Text
    not_saved: Text


def load_wording(folder: Path) -> ReviewWording:
    path = Path(folder) / "review.yaml"
    return _validate(ReviewWording, path, _read_yaml(path))  # type: ignore[return-value]


@dataclass(frozen=True)
class Rating:
    """What the evaluator decided about one reply."""

    verdict: Literal["good", "bad"]
    reason: str = ""  # one of REASONS; required for a bad rating
    note: str = ""
    reviewer: str = ""
    lines: tuple[str, ...] = ()  # article lines the reply should have quoted


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:24] or "anon"


def case_from_rating(question: str, history: list[dict[str, str]], reply: Reply, rating: Rating) -> dict[str, Any]:
    """One eval case (a dict in the dataset schema) from a reply and its rating.

    A good reply keeps its route and risk, and an answer's cited passages become its support.
    A bad one takes the route its reason names, if any, and the ticked lines as support; two
    to four ticked lines are also its ``ideal`` (the lines a good reply quotes)."""
    expect = reply.category
    support: tuple[str, ...] = tuple(p.text for p in reply.sources)
    risk = reply.risk
    if rating.verdict == "bad":
        expect = REASON_ROUTES.get(rating.reason, reply.category)
        support = rating.lines
        if expect == "crisis" and risk == "none":
            risk = "clear"
        elif expect != "crisis" and reply.category == "crisis":
            risk = "none"  # the reviewer says the takeover was a false alarm
    if expect != "answered":
        support = ()
    key = hashlib.sha256(json.dumps([question, history], ensure_ascii=False).encode()).hexdigest()[:10]
    case: dict[str, Any] = {"id": f"reviewed-{key}-{_slug(rating.reviewer)}", "question": question, "expect": expect}
    if history:
        case["history"] = history
    if support:
        case["support"] = list(dict.fromkeys(support))
        if rating.verdict == "bad" and 2 <= len(case["support"]) <= 4:
            case["ideal"] = case["support"]
    case.update({"risk": risk, "tags": ["reviewed"] + ([rating.reason] if rating.reason else []),
                 "note": rating.note.strip(), "reviewer": rating.reviewer.strip(), "verdict": rating.verdict})
    return case


def save_case(path: Path, case: dict[str, Any], corpus_text: str):
    """Validate ``case`` as ``assistant eval`` does (schema, support in the corpus, id unique in
    the file) and append it to ``path``. Returns the validated ``Case``; raises ``DatasetError``."""
    from .evaluation.datasets import DatasetError, load_file, validate_case
    from .evaluation.textnorm import squash

    path = Path(path)
    existing = load_file(path, corpus_text) if path.exists() else []
    line = len(path.read_text(encoding="utf-8").splitlines()) + 1 if path.exists() else 1
    validated = validate_case(case, f"{path}:{line}", file=path.stem, line=line, squashed_corpus=squash(corpus_text))
    if any(c.id == validated.id for c in existing):
        raise DatasetError(f"{path}: this reviewer already saved a case for this question ({validated.id}).")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    return validated


# -- the panel's HTML ---------------------------------------------------------------------------


def details_html(reply: Reply, w: ReviewWording) -> str:
    """Why the reply took its route, what was retrieved and how long each stage took; all escaped."""
    e = lambda v: html.escape(str(v), quote=True)  # noqa: E731
    d = w.details
    rails = "".join(f"<li><code>{e(r.rail)}</code>: {e(r.reason)}"
                    + (f" ({d.score} {r.score:.3f})" if r.score is not None else "") + "</li>" for r in reply.rails)
    passages = "".join(
        f'<li><span class="score">{e(d.score)} {p.score:.3f}</span>'
        + "".join(f" · {name} {v:.3f}" for name, v in (("dense", p.dense), ("keyword", p.keyword), ("question", p.question))
                  if v is not None)
        + f"<br>{e(p.text)}</li>" for p in reply.retrieved)
    timings = " · ".join(f"{e(k)} {v:.1f}" for k, v in reply.timings.items())
    return (f'<div class="review-details"><p><strong>{e(d.category)}:</strong> <code>{e(reply.category)}</code> · '
            f"<strong>{e(d.risk)}:</strong> <code>{e(reply.risk)}</code></p>"
            f"<p><strong>{e(d.rails)}</strong></p>" + (f"<ul>{rails}</ul>" if rails else f"<p>{e(d.no_rails)}</p>")
            + f"<p><strong>{e(d.passages)}</strong></p>"
            + (f'<ol class="passages">{passages}</ol>' if passages else f"<p>{e(d.no_passages)}</p>")
            + f"<p><strong>{e(d.timings)}:</strong> {timings}</p></div>")


PANEL_CSS = """
.review-details { font-size: 0.9rem; }
.review-details ol.passages li { margin: 0.2rem 0 0.4rem; }
.review-details .score { font-variant-numeric: tabular-nums; color: var(--body-text-color-subdued); }
"""
# The article is long: its lines scroll inside the panel instead of pushing Save off screen.
PAGE_STYLE = "<style>#review-lines .wrap { max-height: 16rem; overflow-y: auto; }</style>"


# -- the panel ----------------------------------------------------------------------------------


class ReviewPanel:
    """The review controls under the chat; ``attach`` is the page's extension hook."""

    def __init__(self, wording: ReviewWording, lines: tuple[str, ...], corpus_text: str, path: Path):
        self.wording, self.lines, self.corpus_text, self.path = wording, lines, corpus_text, Path(path)

    @classmethod
    def load(cls, settings: Settings, path: Path | None = None) -> "ReviewPanel":
        """Wording from the guardrails folder, the article as lines (its quotable units, in order)."""
        from .chunking import chunk_corpus
        from .corpus import read_corpus

        docs, _problems = read_corpus(settings.corpus_dir)
        if not docs:
            raise ConfigError(f"{settings.corpus_dir}: no readable article to show as lines.")
        lines = tuple(u.text for u in chunk_corpus(docs) if u.kind != "title")
        return cls(load_wording(settings.guardrails_dir), lines, "\n".join(d.text for d in docs), path or DEFAULT_PATH)

    def choices(self, conversation: list) -> list[tuple[str, str]]:
        return [(f"{n}. {ex.question[:70]}", str(n)) for n, ex in enumerate(conversation, start=1) if ex.reply is not None]

    def show(self, conversation: list, picked: str | None = None) -> str:
        done = [ex for ex in conversation if ex.reply is not None]
        if not done:
            return f"<p>{html.escape(self.wording.nothing_to_review)}</p>"
        n = int(picked) if picked and picked.isdigit() and 0 < int(picked) <= len(conversation) else len(conversation)
        ex = conversation[n - 1]
        return details_html(ex.reply, self.wording) if ex.reply is not None else details_html(done[-1].reply, self.wording)

    def save(self, conversation: list, picked: str | None, verdict: str | None, reason: str | None, note: str,
             reviewer: str, lines: list[str] | None) -> str:
        """Validate and append the case; the status line says what happened."""
        from .evaluation.datasets import DatasetError
        from .web import turns

        w = self.wording
        if not any(ex.reply is not None for ex in conversation):
            return w.nothing_to_review
        if verdict not in ("good", "bad"):
            return w.need_verdict
        if verdict == "bad" and reason not in REASONS:
            return w.need_reason
        if not (reviewer or "").strip():
            return w.need_reviewer
        n = int(picked) if picked and picked.isdigit() else len(conversation)
        n = n if 0 < n <= len(conversation) and conversation[n - 1].reply is not None else len(conversation)
        ex = conversation[n - 1]
        rating = Rating(verdict, reason or "", note or "", reviewer, tuple(lines or ()) if verdict == "bad" else ())
        case = case_from_rating(ex.question, turns(conversation[: n - 1]), ex.reply, rating)
        try:
            saved = save_case(self.path, case, self.corpus_text)
        except DatasetError as exc:
            return w.not_saved.format(problem=exc)
        return w.saved.format(id=saved.id, path=self.path)

    def attach(self, events) -> None:
        """Add the panel to the page being built (``web.build``'s extras hook, given ``PageEvents``)."""
        import gradio as gr

        conversation = events.conversation
        w = self.wording
        with gr.Accordion(w.title, open=True, elem_id="review"):
            gr.HTML(PAGE_STYLE, js_on_load=None, padding=False)
            gr.Markdown(w.intro)
            pick = gr.Dropdown(choices=[], label=w.pick, elem_id="review-pick", interactive=True)
            details = gr.HTML(self.show([]), css_template=PANEL_CSS, js_on_load=None, elem_id="review-panel")
            with gr.Row():
                verdict = gr.Radio([(w.verdicts.good, "good"), (w.verdicts.bad, "bad")], label=w.verdict,
                                   elem_id="review-verdict")
                reason = gr.Dropdown([(getattr(w.reasons, r), r) for r in REASONS], value=None, label=w.reason,
                                     elem_id="review-reason")
            with gr.Row():
                note = gr.Textbox(label=w.note, lines=1, elem_id="review-note")
                reviewer = gr.Textbox(label=w.reviewer, lines=1, elem_id="review-reviewer")
            lines = gr.CheckboxGroup(list(self.lines), label=w.lines, visible=False, elem_id="review-lines")
            save = gr.Button(w.save, variant="secondary", elem_id="review-save")
            status = gr.Markdown(elem_id="review-status")

        def refreshed(conv: list):
            choices = self.choices(conv)
            return gr.update(choices=choices, value=choices[-1][1] if choices else None), self.show(conv), ""

        for event in events.changed:
            event.then(refreshed, [conversation], [pick, details, status], queue=False, api_visibility="private")
        pick.input(self.show, [conversation, pick], [details], queue=False, api_visibility="private")
        verdict.change(lambda v: gr.update(visible=v == "bad"), [verdict], [lines], queue=False,
                       api_visibility="private")
        save.click(self.save, [conversation, pick, verdict, reason, note, reviewer, lines], [status],
                   api_visibility="private")
