"""The reply as data and its three forms: Markdown (``Reply.answer``), plain text and page HTML.

Every form puts crisis help first and ends with the contact and then the disclaimer, on every
path (answers, refusals, crisis, errors); one source entry per article, titled from its front
matter; page words come from ``guardrails/page.yaml`` and a bad entry names file and key.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
import yaml

from assistant.chunking import chunk_document
from assistant.compose import render
from assistant.corpus import read_document
from assistant.errors import ConfigError
from assistant.finish import finish
from assistant.policy import load_policy
from assistant.reply import references, render_text
from assistant.reply_html import reply_html
from assistant.types import CATEGORIES, Draft, Passage, RailHit

ROOT = Path(__file__).resolve().parents[1]
POLICY = load_policy(ROOT / "guardrails")
WORDS = POLICY.page.reply
A = "why-depression-makes-you-push-people-away.md"
TITLE = "Why Depression Makes You Push People Away—Even When You Want Them Close"


def passage(n: int, text: str, *, source: str = A, kind: str = "sentence", section: int = 1, title: str = TITLE,
            publisher: str = "THIRA Health", lead_in: str = "") -> Passage:
    return Passage(f"p{n}", source, text, 1.0, section=section, position=n, kind=kind, lead_in=lead_in, title=title,
                   publisher=publisher)


ONE = passage(1, "You might crave closeness.")
TWO = passage(2, "But you still shut people out.")  # same paragraph as ONE: one line
ITEM = passage(3, "Low self-worth: You may feel like a burden.", kind="item", section=2, lead_in="Its impact often includes:")
OTHER = passage(1, "A line of another article.", source="your-other-article.md", title="", publisher="")


def answered(*passages: Passage, **kw):
    return finish(Draft("answered", segments=render(list(passages)), lead="Here is what the article says:"), POLICY,
                  question="q", **kw)


def html_text(markup: str) -> str:
    spaced = re.sub(r"</(p|li|blockquote|summary|ul|div|details)>", " ", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", spaced))


def forms(reply) -> dict[str, str]:
    return {"markdown": reply.answer, "text": render_text(reply.content, WORDS),
            "html": html_text(reply_html(reply.content, POLICY))}


def squash(text: str) -> str:
    return " ".join(text.replace("_", " ").split())


# -- structure -------------------------------------------------------------------------------


def test_sentences_of_one_paragraph_read_as_one_line_and_items_stay_items():
    reply = answered(ITEM, TWO, ONE)  # chosen best first; the body is in article order
    assert [s.kind for s in reply.content.body] == ["line", "item"]
    assert [[q.n for q in s.quotes] for s in reply.content.body] == [[1, 2], [3]]
    assert reply.body == f"{ONE.text} [1] {TWO.text} [2]\n\n- {ITEM.text} [3]"  # another block: set apart
    assert reply.sources == (ONE, TWO, ITEM)


def test_a_supporting_line_after_a_list_is_its_own_paragraph_not_part_of_the_last_item():
    lead_in = passage(4, "Consider:", section=3)
    item = passage(5, "Writing it out: Journaling can help.", kind="item", section=3, lead_in="Consider:")
    support = passage(6, "Reaching out may feel terrifying.", section=5)
    reply = answered(lead_in, item, support)
    # in Markdown a line right under "- item" would continue that item
    assert reply.body == f"{lead_in.text} [1]\n- {item.text} [2]\n\n{support.text} [3]"


def test_a_list_lead_in_shares_the_number_of_the_sentence_before_it_in_every_form():
    steps = passage(4, "It’s okay to take tiny steps.", section=3)
    consider = passage(5, "Consider:", section=3)
    item = passage(6, "Low-pressure communication: Sending a short text or a heart emoji counts.", kind="item", section=3,
                   lead_in="It’s okay to take tiny steps. Consider:")
    reply = answered(steps, consider, item)
    assert reply.body == f"{steps.text} {consider.text} [1]\n- {item.text} [2]"
    assert [line["n"] for line in reply.content.references[0].to_dict()["lines"]] == [1, 2]
    assert reply.content.references[0].to_dict()["lines"][0]["text"] == f"{steps.text} {consider.text}"
    for form in forms(reply).values():
        assert "Consider: [1]" in squash(form) and "[3]" not in form
    alone = answered(consider, item)  # no sentence before it in the reply: it is numbered as a line of its own
    assert alone.body == f"{consider.text} [1]\n- {item.text} [2]"


def test_one_reference_per_article_in_order_of_first_citation():
    refs = references(render([ONE, OTHER, TWO]))
    assert [(r.title, r.publisher, [q.n for q in r.quotes]) for r in refs] == [
        (TITLE, "THIRA Health", [1, 2]), ("Your other article", "", [3])]  # no front-matter title: the file name stands in


def test_dropped_lines_leave_the_rest_numbered_from_one(fake_bot):
    made_up = passage(1, "Depression is caused by a lack of willpower.")
    real = passage(2, "You want someone to reach out—but you ignore their message.", kind="item")
    reply = finish(Draft("answered", segments=render([made_up, real])), POLICY, question="q", allowed=fake_bot.allowed_sentences)
    assert reply.body == f"- {real.text} [1]" and reply.sources == (real,)
    assert [q.n for r in reply.content.references for q in r.quotes] == [1]
    assert any(h.rail == "grounding" for h in reply.rails)


# -- the three forms ---------------------------------------------------------------------------


def test_text_forms_name_each_article_once_with_its_citation_marks():
    reply = answered(ONE, TWO, OTHER)
    line = f"Sources: [1] [2] {TITLE}, THIRA Health · [3] Your other article"
    assert line in reply.answer.split("\n\n")
    assert line in render_text(reply.content, WORDS).split("\n\n")
    assert reply.answer.count(A) == 0  # the file name is no longer shown


def test_markdown_marks_only_the_resource_names_and_the_disclaimer_and_plain_text_has_none():
    reply = finish(Draft("crisis"), POLICY, question="q")
    text = render_text(reply.content, WORDS)
    assert "**988 Suicide & Crisis Lifeline**" in reply.answer and f"_{POLICY.disclaimer}_" in reply.answer
    assert "**" not in text and f"_{POLICY.disclaimer}_" not in text and text.endswith(POLICY.disclaimer)
    assert text == reply.answer.replace("**", "").replace(f"_{POLICY.disclaimer}_", POLICY.disclaimer)


def test_page_html_has_one_sources_box_per_article_with_the_quoted_lines_under_it():
    markup = reply_html(answered(ONE, ITEM, OTHER).content, POLICY)
    boxes = re.findall(r'<details class="citation">.*?</details>', markup)
    assert len(boxes) == 2
    assert f"<cite>{html.escape(TITLE)}</cite>" in boxes[0] and '<span class="publisher">THIRA Health</span>' in boxes[0]
    assert boxes[0].count("<blockquote>") == 2 and '<span class="ref-n">[2]</span>' in boxes[0]
    assert '<span class="lead-in">Its impact often includes:</span>' in boxes[0]
    assert "<cite>Your other article</cite>" in boxes[1] and boxes[1].count("<blockquote>") == 1
    assert POLICY.page.page.sources_heading in markup


def test_every_block_of_the_page_form_is_one_html_element_without_blank_lines():
    markup = reply_html(finish(Draft("crisis"), POLICY, question="q").content, POLICY)
    for block in markup.split("\n\n"):
        assert block.startswith("<") and "\n" not in block


@pytest.mark.parametrize("make", [
    lambda: answered(ONE, ITEM, first_turn=True),
    lambda: answered(ONE, risk="possible"),
    lambda: finish(Draft("crisis"), POLICY, question="I want to end it"),
    lambda: finish(Draft("medical_advice", lead="lead\n\nshare", segments=render([ONE])), POLICY, question="q"),
    *[lambda c=c: finish(Draft(c, lead="A lead."), POLICY, question="q") for c in CATEGORIES],
    lambda: finish(Draft("invalid", lead=POLICY.wording.error), POLICY, question="q", error="RuntimeError"),
], ids=["answer", "possible-risk", "crisis", "medical", *CATEGORIES, "error"])
def test_crisis_help_first_then_contact_and_disclaimer_last_in_every_form(make):
    reply = make()
    for name, text in forms(reply).items():
        text = squash(text)
        contact, disclaimer = squash(POLICY.contact.text), squash(POLICY.disclaimer)
        assert text.endswith(f"{contact} {disclaimer}"), name
        if reply.content.crisis is not None:
            assert text.startswith(squash(reply.content.crisis.opening)) or \
                text.startswith(f"{POLICY.page.page.crisis_label} {squash(reply.content.crisis.opening)}"), name


def test_an_error_reply_from_the_pipeline_is_rendered_like_any_other(fake_bot, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("exploded")

    monkeypatch.setattr(fake_bot.retriever, "retrieve", broken)
    reply = fake_bot.ask("why do I ignore messages?")
    assert reply.error
    for name, text in forms(reply).items():
        assert squash(text).endswith(f"{squash(POLICY.contact.text)} {squash(POLICY.disclaimer)}"), name
        assert "exploded" not in text


def test_a_possible_risk_reply_opens_with_the_gentle_line_in_every_form():
    reply = answered(ONE, risk="possible")
    assert reply.answer.startswith(reply.crisis) and reply.crisis == " ".join(POLICY.crisis.possible.split())
    assert html_text(reply_html(reply.content, POLICY)).split(POLICY.page.page.crisis_label, 1)[1].strip() \
        .startswith(reply.crisis[:40])


# -- titles from front matter ----------------------------------------------------------------


def test_units_carry_the_articles_front_matter_title_and_publisher():
    doc = read_document(ROOT / "corpus" / A, ROOT / "corpus")
    units = chunk_document(doc)
    assert {(u.title, u.publisher) for u in units} == {(TITLE, "THIRA Health")}


def test_retrieved_passages_carry_the_title_into_the_reply(fake_bot):
    reply = fake_bot.ask("why do I ignore messages from people I care about?")
    assert reply.category == "answered" and reply.sources
    assert {(p.title, p.publisher) for p in reply.sources} == {(TITLE, "THIRA Health")}
    assert [r.title for r in reply.content.references] == [TITLE]


# -- page words live in guardrails/page.yaml ---------------------------------------------------


def test_the_page_title_and_labels_come_from_page_yaml():
    assert POLICY.page.title and "Call {number}" == POLICY.page.page.call and POLICY.page.reply.sources_label == "Sources:"


@pytest.mark.parametrize("key, value, message", [
    ("page.call", "Call now", "key 'page.call': Value error, must contain {number}"),
    ("reply.reference", "{numbers} {title} {year}", "key 'reply.reference': Value error, unknown placeholder(s) ['year']"),
    ("page.send", None, "key 'page.send'"),
    ("title", "", "key 'title'"),
])
def test_a_bad_page_entry_names_the_file_and_the_key(tmp_path, key, value, message):
    folder = tmp_path / "guardrails"
    shutil.copytree(ROOT / "guardrails", folder)
    data = yaml.safe_load((folder / "page.yaml").read_text(encoding="utf-8"))
    *parents, last = key.split(".")
    node = data
    for k in parents:
        node = node[k]
    if value is None:
        del node[last]
    else:
        node[last] = value
    (folder / "page.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(folder)
    assert "page.yaml" in str(err.value) and message in str(err.value)


def test_an_index_written_before_titles_were_stored_still_gives_a_titled_reference():
    from assistant.store.rows import unit_from_row

    old_row = {"unit_id": "u1", "source": A, "text": ONE.text, "section": 1, "position": 1, "kind": "sentence",
               "lead_in": "", "context": ONE.text, "questions": "[]"}
    unit = unit_from_row(old_row)
    assert (unit.title, unit.publisher) == ("", "")
    reply = answered(passage(1, unit.text, title=unit.title, publisher=unit.publisher))
    assert "Sources: [1] Why depression makes you push people away" in reply.answer


def test_a_changed_chunker_rebuilds_an_older_index():
    from assistant.chunking import CHUNKER_VERSION
    from assistant.indexing import plan_ingest

    old = {"version": 1, "chunker": "units-v2", "model_sha256": "m", "files": {A: "h"}}
    wanted = {"version": 1, "chunker": CHUNKER_VERSION, "model_sha256": "m"}
    assert CHUNKER_VERSION != "units-v2"
    assert plan_ingest(old, wanted, [], [], rebuild=False).rebuild


@pytest.mark.parametrize("question, line", [
    ("my friend stopped answering everyone and i think she's struggling. how can i help her?", "possible_other"),
    ("how can i help myself when everything feels this heavy", "possible"),
])
def test_a_gentle_line_raised_by_the_learned_head_is_worded_for_whom_the_question_is_about(question, line):
    reply = finish(Draft("answered", lead="Here is what the article says:"), POLICY, question=question, risk="possible",
                   rails=(RailHit("crisis_possible", "classifier:risk", 0.8),))

    assert reply.crisis == " ".join(getattr(POLICY.crisis, line).split())
    assert "988" in reply.crisis and "911" in reply.crisis
