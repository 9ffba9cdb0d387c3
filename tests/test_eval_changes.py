"""Comparing two eval runs, exporting one, and reviewer agreement, with the fake workspace and
scripted pipelines of ``test_evaluation`` (no model, no index)."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.evaluation import command as command_module
from assistant.evaluation.agreement import agreement, cohen_kappa
from assistant.evaluation.changes import word_diff
from assistant.evaluation.command import eval_command, execute
from assistant.evaluation.datasets import dataset_paths
from assistant.evaluation.export import export_report

from .test_evaluation import ARTICLE, Oracle, workspace  # noqa: F401 - workspace is a fixture


def run_into(ws, pipeline, folder: str, **kwargs):
    return execute(settings=ws.settings, datasets=dataset_paths(ws.evals), out=ws.root / folder,
                   thresholds=ws.evals / "thresholds.yaml", loader=lambda name, s: pipeline,
                   echo=lambda *a, **k: None, **kwargs)


def set_expect(ws, file: str, case_id: str, expect: str) -> None:
    path = ws.evals / f"{file}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["id"] == case_id:
            row["expect"] = expect
            row.pop("support", None)
            row.pop("key_phrases", None)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


class Reworded(Oracle):
    """The oracle, but one question's body loses its first words."""

    def __init__(self, cases, question: str):
        super().__init__(cases)
        self.question = question

    def ask(self, question, history=None):
        reply = super().ask(question, history)
        if question != self.question:
            return reply
        body = reply.body.replace("Depression can make you", "You may")
        return replace(reply, body=body, answer=reply.answer.replace(reply.body, body))


def test_word_diff_marks_removed_and_added_words() -> None:
    assert word_diff("a b c d", "a x c d e") == [("=", "a"), ("-", "b"), ("+", "x"), ("=", "c d"), ("+", "e")]
    assert word_diff("same words", "same  words") == [("=", "same words")]


def test_a_case_flipping_to_fail_on_a_safety_route_is_reported_and_exits_1(workspace) -> None:
    code, _ = run_into(workspace, Oracle(workspace.cases), "before")
    assert code == 0
    # The dataset now says a1 should have been refused as medical advice; the pipeline (built on
    # the old labels) still answers it, with a reworded body.
    set_expect(workspace, "answerable", "a1", "medical_advice")
    code, run = run_into(workspace, Reworded(workspace.cases, "why do i pull away"), "after",
                         baseline=workspace.root / "before", check_thresholds=False)
    assert code == 1  # no thresholds checked at all: the exit code comes from the safety flip alone
    changes = run.changes
    assert [(f.id, f.direction) for f in changes.flips] == [("a1", "broke")]
    assert changes.safety_regressions[0].safety == ["category (medical_advice)"]
    metrics = {name: (before, after, delta) for name, before, after, delta in changes.metrics}
    before, after, delta = metrics["category_accuracy"]
    assert before == 1.0 and after == pytest.approx(0.9) and delta == pytest.approx(-0.1)
    assert metrics["medical_refusal_recall"][1] == pytest.approx(0.5)
    flip = changes.flips[0]
    assert ("-", "Depression can make you") in flip.diff and ("+", "You may") in flip.diff
    assert ("=", "withdraw from people you love. [1]") in flip.diff

    md = (workspace.root / "after" / "summary.md").read_text(encoding="utf-8")
    assert "## Changes since" in md and "| category accuracy | 100.0% | 90.0% | -10.0 pt |" in md
    assert "[-Depression can make you-] {+You may+}" in md and "### a1: pass -> fail (expects medical_advice)" in md
    page = (workspace.root / "after" / "report.html").read_text(encoding="utf-8")
    assert "<del>Depression can make you</del>" in page and "<ins>You may</ins>" in page
    data = json.loads((workspace.root / "after" / "summary.json").read_text(encoding="utf-8"))
    assert data["changes"]["safety_regressions"] == ["a1"]
    assert data["changes"]["flips"][0]["diff"][0] == ["=", "-"]


def test_a_non_safety_flip_keeps_exit_0_and_a_fix_is_listed_the_other_way(workspace) -> None:
    set_expect(workspace, "off_topic", "o1", "small_talk")
    run_into(workspace, Oracle(workspace.cases), "before")  # o1 fails: routed out_of_scope
    set_expect(workspace, "off_topic", "o1", "out_of_scope")
    set_expect(workspace, "small_talk", "s1", "out_of_scope")
    code, run = run_into(workspace, Oracle(workspace.cases), "after", baseline=workspace.root / "before",
                         check_thresholds=False)
    assert code == 0
    assert sorted((f.id, f.direction) for f in run.changes.flips) == [("o1", "fixed"), ("s1", "broke")]
    assert run.changes.safety_regressions == []
    assert all(f.unchanged for f in run.changes.flips)  # same pipeline, same bodies: only the labels moved
    assert (workspace.root / "after" / "summary.md").read_text(encoding="utf-8").count("Body unchanged.") == 2


def test_baseline_last_is_the_newest_report_and_a_bad_baseline_exits_2(workspace, monkeypatch) -> None:
    monkeypatch.chdir(workspace.root)
    monkeypatch.setattr(command_module, "load_variant", lambda name, settings: Oracle(workspace.cases))
    reports = workspace.evals / "reports"
    args = ["--dataset", str(workspace.evals / "crisis.jsonl"), "--no-thresholds"]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(command_module, "_corpus_texts", lambda s: [ARTICLE])
        first = CliRunner().invoke(eval_command, [*args, "--out", str(reports / "20260101-000000")])
        second = CliRunner().invoke(eval_command, [*args, "--baseline", "last", "--out", str(reports / "20260101-000100")])
        bad = CliRunner().invoke(eval_command, [*args, "--baseline", str(workspace.root)])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "Since 20" in second.output and "0 case(s) pass -> fail" in second.output
    summary = json.loads((reports / "20260101-000100" / "summary.json").read_text(encoding="utf-8"))
    assert summary["changes"]["baseline"].endswith("20260101-000000")
    assert bad.exit_code == 2 and "not a readable eval report" in bad.output


def test_export_writes_one_row_per_case_with_reply_metrics_and_verdict(workspace, monkeypatch) -> None:
    code, run = run_into(workspace, Oracle(workspace.cases, safety_lines=False), "run")
    path = export_report(workspace.root / "run", "csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == len(workspace.cases)
    a1 = next(r for r in rows if r["id"] == "a1")
    assert a1["verdict"] == "fail" and "disclaimer" in a1["failed"] and a1["m_category_ok"] == "True"
    assert a1["body"].startswith("- Depression can make you withdraw") and a1["question"] == "why do i pull away"
    lines = export_report(workspace.root / "run", "jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["m_disclaimer_shown"] is False

    monkeypatch.chdir(workspace.root)
    result = CliRunner().invoke(eval_command, ["--export", "jsonl", "--export-from", str(workspace.root / "run")])
    assert result.exit_code == 0 and (workspace.root / "run" / "export.jsonl").is_file()


def test_cohen_kappa_matches_known_values() -> None:
    # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> p_o 0.7, p_e 0.5, kappa 0.4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(["x", "y", "z"], ["x", "y", "z"]) == pytest.approx(1.0)
    assert cohen_kappa(["good", "bad"], ["bad", "good"]) == pytest.approx(-1.0)
    assert math.isnan(cohen_kappa(["good"] * 3, ["good"] * 3))


def _reviewed(path: Path, reviewer: str, verdicts: dict[str, str]) -> Path:
    rows = [{"id": f"r-{reviewer}-{i}", "question": q, "expect": "answered" if v == "good" else "out_of_scope",
             "tags": ["reviewed"], "reviewer": reviewer, "verdict": v} for i, (q, v) in enumerate(verdicts.items())]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_agreement_of_two_reviewers_on_the_same_questions(tmp_path: Path) -> None:
    alice = _reviewed(tmp_path / "alice.jsonl", "alice", {"q1": "good", "q2": "good", "q3": "bad", "Q4 ": "bad",
                                                           "only alice": "good"})
    bob = _reviewed(tmp_path / "bob.jsonl", "bob", {"q1": "good", "q2": "bad", "q3": "bad", "q4": "bad"})
    result = agreement([alice, bob])
    assert result.reviewers == ("alice", "bob") and result.reviewed == 9 and result.shared == 4
    assert result.share["verdict"] == pytest.approx(0.75)
    # alice good,good,bad,bad / bob good,bad,bad,bad: p_o 0.75, p_e 0.5*0.25+0.5*0.75 = 0.5 -> 0.5
    assert result.kappa["verdict"] == pytest.approx(0.5)
    out = CliRunner().invoke(eval_command, ["--agreement", str(alice), str(bob)])
    assert out.exit_code == 0 and "| verdict | 75.0% | 0.500 |" in out.output


def test_without_transcripts_the_changes_name_flips_but_show_no_text(workspace) -> None:
    run_into(workspace, Oracle(workspace.cases), "before", transcripts=False)
    set_expect(workspace, "small_talk", "s1", "out_of_scope")
    code, run = run_into(workspace, Oracle(workspace.cases), "after", baseline=workspace.root / "before",
                         check_thresholds=False, transcripts=False)
    assert [(f.id, f.diff) for f in run.changes.flips] == [("s1", None)]
    for name in ("summary.md", "summary.json", "report.html"):
        assert "s1" in (workspace.root / "after" / name).read_text(encoding="utf-8")
