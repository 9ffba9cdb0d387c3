"""The keyword index (bm25.py): BM25 over each unit's text, lead-in and questions, stemmed."""

from __future__ import annotations

from assistant.bm25 import KeywordIndex
from assistant.types import Unit

UNITS = [Unit("a#0", "a.md", "Guilt and shame: You feel you let everyone down.", "", 0, 0, "item", "Reasons include:"),
         Unit("a#1", "a.md", "Small steps help you reconnect.", "", 1, 1, "sentence", questions=("how do I start healing?",)),
         Unit("a#2", "a.md", "Fatigue makes every reply feel like work.", "", 2, 2, "sentence")]


def test_the_unit_sharing_the_querys_stems_scores_highest():
    scores = KeywordIndex(UNITS).scores("so much guilt and shame")

    assert scores.shape == (3,) and scores.argmax() == 0 and scores[1] == scores[2] == 0


def test_a_units_questions_and_lead_in_are_searched_too():
    index = KeywordIndex(UNITS)

    assert index.scores("healing").argmax() == 1
    assert index.scores("reasons").argmax() == 0


def test_a_query_of_stop_words_only_scores_nothing():
    assert not KeywordIndex(UNITS).scores("what is the").any()
