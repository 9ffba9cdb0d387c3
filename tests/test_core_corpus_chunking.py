"""The corpus keeps the article word for word, and chunking turns it into quotable units with
stable ids, list items that keep their lead-in, and texts copied exactly from the file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


from assistant.chunking import chunk_document
from assistant.corpus import read_corpus, read_document
from assistant.text import split_sentences

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
# The article as it was published, plain text, one paragraph or item a line: what corpus/ must keep word for word.
ORIGINAL = Path(__file__).resolve().parent / "fixtures" / "original"


def corpus_units():
    docs, problems = read_corpus(CORPUS)
    assert docs and not problems, problems
    return docs, [u for d in docs for u in chunk_document(d)]


def test_every_line_of_the_original_article_is_in_the_corpus_verbatim():
    originals = sorted(ORIGINAL.glob("*.txt"))
    assert originals, f"the original article is missing from {ORIGINAL}"
    for original in originals:
        markdown = (CORPUS / f"{original.stem}.md").read_text(encoding="utf-8")
        lines = [line.strip() for line in original.read_text(encoding="utf-8").splitlines() if line.strip()]
        missing = [line for line in lines if line not in markdown]
        assert not missing, f"{original.name}: lines changed or dropped in corpus/: {missing}"


def test_every_sentence_of_the_original_article_can_be_quoted_from_a_unit():
    originals = sorted(ORIGINAL.glob("*.txt"))
    assert originals, f"the original article is missing from {ORIGINAL}"
    docs, units = corpus_units()
    titles = {d.title for d in docs}
    texts = [u.text for u in units]
    for original in originals:
        lines = [line.strip() for line in original.read_text(encoding="utf-8").splitlines() if line.strip()]
        sentences = [s for line in lines if line not in titles for s in split_sentences(line)]
        unquotable = [s for s in sentences if not any(s in t for t in texts)]
        assert not unquotable, f"no unit carries: {unquotable}"


def test_every_unit_text_is_copied_exactly_from_its_file():
    docs, units = corpus_units()
    raw = {d.source: (CORPUS / d.source).read_text(encoding="utf-8") for d in docs}

    assert len(units) > 40
    for unit in units:
        assert unit.text in raw[unit.source], unit.text


def test_list_items_keep_their_lead_in():
    _, units = corpus_units()
    by_text = {u.text: u for u in units}

    item = by_text["You want someone to reach out—but you ignore their message."]
    assert item.kind == "item"
    assert item.lead_in == "It creates a confusing emotional tug-of-war:"
    assert item.lead_in in item.context and item.text in item.context, "the item is embedded with its lead-in"
    for unit in units:
        if unit.kind == "item":
            assert unit.lead_in.endswith(":"), f"item without its lead-in: {unit.text}"


def test_a_sentence_carries_its_neighbours_as_context():
    _, units = corpus_units()
    by_text = {u.text: u for u in units}

    unit = by_text["It’s a protective instinct shaped by pain and fear."]
    for neighbour in ("Pushing people away isn’t selfish.", unit.text,
                      "Here are some common reasons people with depression isolate themselves:"):
        assert neighbour in unit.context


# -- ids ----------------------------------------------------------------------------------------

_IDS_SCRIPT = (
    "from pathlib import Path; from assistant.corpus import read_corpus; from assistant.chunking import chunk_corpus; "
    "print(' '.join(u.id for u in chunk_corpus(read_corpus(Path({corpus!r}))[0])))"
)


def test_unit_ids_are_the_same_in_another_process():
    _, units = corpus_units()
    script = _IDS_SCRIPT.format(corpus=str(CORPUS))
    env = {**os.environ, "PYTHONHASHSEED": "12345"}

    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout

    assert out.split() == [u.id for u in units]
    assert len({u.id for u in units}) == len(units), "ids must be unique"


def test_changing_one_sentence_changes_only_its_id(tmp_path):
    source = CORPUS / "why-depression-makes-you-push-people-away.md"
    before = chunk_document(read_document(source, CORPUS))
    edited = tmp_path / source.name
    edited.write_text(source.read_text(encoding="utf-8").replace("It’s okay to take tiny steps.", "It’s okay to take small steps."),
                      encoding="utf-8")

    after = chunk_document(read_document(edited, tmp_path))

    assert len(after) == len(before)
    changed = [(b.text, a.text) for b, a in zip(before, after) if b.id != a.id]
    assert changed == [("It’s okay to take tiny steps.", "It’s okay to take small steps.")]


# -- plain-text articles ----------------------------------------------------------------------

TXT = """Why small steps matter

Reaching out can feel hard. Small steps help you start again.
A few ideas to try:
Send one short message.
Take a walk with a friend.

It gets easier with practice.
"""


def test_a_txt_file_is_read_and_chunked_with_its_list(tmp_path):
    (tmp_path / "steps.txt").write_text(TXT, encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")

    docs, problems = read_corpus(tmp_path)
    units = chunk_document(docs[0])

    assert [d.source for d in docs] == ["steps.txt"]
    assert [p.source for p in problems] == ["notes.pdf"], "other file types are reported, not read"
    texts = [u.text for u in units]
    assert "Small steps help you start again." in texts
    assert "It gets easier with practice." in texts
    items = [u for u in units if u.kind == "item"]
    assert [u.text for u in items] == ["Send one short message.", "Take a walk with a friend."]
    assert all(u.lead_in == "A few ideas to try:" for u in items)
    assert all(u.text in TXT for u in units)


def test_an_unreadable_file_is_reported_by_name_and_others_still_read(tmp_path):
    (tmp_path / "good.txt").write_text("Depression can make people withdraw.\n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 talk.".encode("latin-1"))
    (tmp_path / "empty.md").write_text("---\ntitle: Empty\n---\n\n", encoding="utf-8")

    docs, problems = read_corpus(tmp_path)

    assert [d.source for d in docs] == ["good.txt"]
    reasons = {p.source: p.reason for p in problems}
    assert set(reasons) == {"latin1.txt", "empty.md"}
    assert "UTF-8" in reasons["latin1.txt"] and "empty" in reasons["empty.md"]
