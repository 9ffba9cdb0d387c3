"""Review mode without a browser: a rating becomes a valid eval case, saving validates it as
``assistant eval`` does, the panel escapes what it shows, and the normal page has no panel."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant import web
from assistant.errors import ConfigError
from assistant.evaluation.datasets import load_file
from assistant.review import REASONS, Rating, ReviewPanel, case_from_rating, details_html, load_wording
from assistant.policy import load_policy
from assistant.settings import Settings
from assistant.types import Passage, RailHit, Reply
from assistant.web import Exchange

ROOT = Path(__file__).resolve().parents[1]
POLICY = load_policy(ROOT / "guardrails")


class QuietBot:
    """Enough of ``Assistant`` to build the page (the page is never asked anything here)."""

    policy = POLICY

    def ask(self, question, history=None) -> Reply:
        raise AssertionError("not asked in these tests")

SETTINGS = Settings()
LINE = "If this feels familiar, you’re not alone."  # a line of the article (corpus/)


def reply(category: str = "answered", risk: str = "none", sources: tuple[Passage, ...] = (), **kw) -> Reply:
    return Reply(question="q", category=category, body="b", answer="a", disclaimer=POLICY.disclaimer,
                 contact=POLICY.contact.text, sources=sources, retrieved=sources, risk=risk, **kw)


@pytest.fixture
def panel(tmp_path: Path) -> ReviewPanel:
    return ReviewPanel.load(SETTINGS, tmp_path / "reviewed.jsonl")


def test_the_wording_is_checked_and_a_missing_key_is_named(tmp_path: Path) -> None:
    wording = load_wording(ROOT / "guardrails")
    assert [getattr(wording.reasons, r) for r in REASONS][0] == "Off point"
    data = yaml.safe_load((ROOT / "guardrails" / "review.yaml").read_text(encoding="utf-8"))
    del data["reasons"]["tone"]
    (tmp_path / "review.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"review.yaml: key 'reasons.tone': Field required"):
        load_wording(tmp_path)


def test_the_article_is_offered_as_its_quotable_lines(panel) -> None:
    assert LINE in panel.lines and len(panel.lines) > 40


def test_a_good_answer_keeps_its_route_and_its_cited_passages_become_support(panel) -> None:
    good = reply(sources=(Passage("u", "a.md", LINE, 0.8),))
    case = case_from_rating("does anyone else feel this?", [], good, Rating("good", reviewer="Ana B"))
    assert case["expect"] == "answered" and case["support"] == [LINE] and case["tags"] == ["reviewed"]
    assert case["reviewer"] == "Ana B" and case["verdict"] == "good" and case["id"].endswith("-ana-b")


@pytest.mark.parametrize("reason, category, risk, expect, expect_risk", [
    ("should_be_crisis", "answered", "none", "crisis", "clear"),
    ("should_be_medical", "answered", "none", "medical_advice", "none"),
    ("should_be_answered", "crisis", "clear", "answered", "none"),
    ("tone", "out_of_scope", "none", "out_of_scope", "none"),
])
def test_a_bad_rating_takes_the_route_its_reason_names(reason, category, risk, expect, expect_risk) -> None:
    case = case_from_rating("q", [], reply(category, risk), Rating("bad", reason, reviewer="r", lines=(LINE,)))
    assert (case["expect"], case["risk"], case["tags"]) == (expect, expect_risk, ["reviewed", reason])
    assert ("support" in case) == (expect == "answered") and "ideal" not in case  # one line is no ideal set


def test_two_to_four_ticked_lines_are_also_the_ideal_lines(panel) -> None:
    two = panel.lines[:2]
    case = case_from_rating("q", [], reply(), Rating("bad", "missing_steps", reviewer="r", lines=two))
    assert case["support"] == case["ideal"] == list(two)
    many = case_from_rating("q", [], reply(), Rating("bad", "missing_steps", reviewer="r", lines=panel.lines[:5]))
    assert "ideal" not in many and len(many["support"]) == 5


def test_saving_validates_like_the_eval_and_appends_one_case(panel) -> None:
    conversation = [Exchange("why do i pull away", reply(sources=(Passage("u", "a.md", LINE, 0.8),))),
                    Exchange("and then?", reply())]
    status = panel.save(conversation, "2", "bad", "missing_steps", " more steps ", "Rae", [LINE])
    assert status.startswith("Saved case reviewed-") and str(panel.path) in status
    (saved,) = load_file(panel.path, corpus_text=panel.corpus_text)
    assert saved.question == "and then?" and saved.support == (LINE,) and saved.note == "more steps"
    assert [m.role for m in saved.history] == ["user", "assistant"] and saved.history[0].content == "why do i pull away"
    again = panel.save(conversation, "2", "good", None, "", "Rae", [])
    assert again.startswith("Not saved:") and "already saved" in again
    assert len(panel.path.read_text(encoding="utf-8").splitlines()) == 1


def test_nothing_is_saved_without_a_rating_a_reason_a_name_or_with_a_line_not_in_the_article(panel) -> None:
    w = panel.wording
    conversation = [Exchange("q", reply())]
    assert panel.save([], None, "good", None, "", "x", []) == w.nothing_to_review
    assert panel.save(conversation, "1", None, None, "", "x", []) == w.need_verdict
    assert panel.save(conversation, "1", "bad", None, "", "x", []) == w.need_reason
    assert panel.save(conversation, "1", "good", None, "", "  ", []) == w.need_reviewer
    status = panel.save(conversation, "1", "bad", "off_point", "", "x", ["A sentence the article never says."])
    assert status.startswith("Not saved:") and "not in the corpus" in status
    assert not panel.path.exists()


def test_the_details_show_route_rails_passages_and_timings_escaped(panel) -> None:
    bad = Passage("u", "a.md", "<img src=x onerror=alert(1)>", 0.4321, dense=0.61)
    text = details_html(reply("medical_advice", sources=(bad,), rails=(RailHit("medical", "pattern dose<", 0.9),),
                              timings={"rails": 3.21, "retrieve": 12.0}), panel.wording)
    assert "<img" not in text and "&lt;img src=x" in text and "pattern dose&lt;" in text
    assert "medical_advice" in text and "0.432" in text and "dense 0.610" in text and "retrieve 12.0" in text


def test_only_the_review_page_has_the_panel(panel) -> None:
    ids = lambda demo: {c.get("props", {}).get("elem_id") for c in demo.config["components"]}  # noqa: E731
    assert "review-save" in ids(web.build(QuietBot(), [panel.attach]))
    assert not {i for i in ids(web.build(QuietBot())) if str(i).startswith("review")}


def test_the_review_file_flag_needs_review() -> None:
    from click.testing import CliRunner

    from assistant.cli import main

    result = CliRunner().invoke(main, ["chat", "--review-file", "x.jsonl"])
    assert result.exit_code == 2 and "--review-file is used only with --review" in result.output
    assert "--review" in CliRunner().invoke(main, ["chat", "--help"]).output
