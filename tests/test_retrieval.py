"""Reading a message as a query (queries.py) and the conversation rules of retrieval.py: what
counts as a follow-up, which list item "the second one" means, what the last reply already said,
and that a story told in several sentences is searched sentence by sentence too."""

from __future__ import annotations

import pytest

from assistant.queries import is_follow_up, ordinal, said_in, sentences
from assistant.text import Speller
from assistant.types import Turn

LOW = "Low self-worth: You may feel like a burden, unworthy of love or care."
TIRED = "Crushing fatigue: Just responding to a friend might feel like climbing a mountain."


@pytest.mark.parametrize("message", ["is that normal?", "so how do I fix it?", "what was the second reason again",
                                     "and the last one?", "more please"])
def test_a_message_leaning_on_the_last_turn_is_a_follow_up(message):
    assert is_follow_up(message)


@pytest.mark.parametrize("message", ["why does depression make me avoid my friends even when I miss them",
                                     "what are some small steps I could take to reconnect with my family"])
def test_a_question_that_stands_alone_is_not_a_follow_up(message):
    assert not is_follow_up(message)


@pytest.mark.parametrize("message, expected", [("what was the second reason", 2), ("tell me about the first one", 1),
                                               ("the last option?", -1), ("the 3rd item please", 3)])
def test_an_ordinal_pointing_into_the_last_reply_is_read(message, expected):
    assert ordinal(message) == expected


@pytest.mark.parametrize("message", ["the first time I cancelled plans", "last week I ignored everyone", "why do I isolate"])
def test_an_ordinal_that_points_at_nothing_is_ignored(message):
    assert ordinal(message) is None


def test_a_reply_conveys_a_unit_by_its_label_or_most_of_its_words():
    assert said_in("It lists low self-worth and distorted thoughts.", LOW, "low self worth")
    assert said_in("You may feel like a burden, unworthy of care.", LOW, "")
    assert not said_in("It lists distorted thoughts.", LOW, "low self worth")


def test_only_a_message_of_several_sentences_is_split():
    assert sentences("why do I push people away?") == []
    story = "My brother stopped calling me. He says he is fine. Why would he pull away from us?"
    assert sentences(story) == ["My brother stopped calling me.", "He says he is fine.", "Why would he pull away from us?"]


# -- with the real model ----------------------------------------------------------------------

REPLY = ("The article lists common reasons: fear of rejection or judgment, guilt and shame, "
         "overwhelm and exhaustion, and need for control.")


def _texts(bot, question, history=()):
    return [p.text for p in bot.retriever.retrieve(question, history).passages]


@pytest.mark.integration
@pytest.mark.parametrize("question, label", [("and the second reason?", "Guilt and shame"),
                                             ("what was the last one again", "Need for control")])
def test_an_ordinal_follow_up_ranks_the_item_it_points_at_first(real_bot, question, label):
    history = (Turn("user", "why do people with depression isolate?"), Turn("assistant", REPLY))
    assert _texts(real_bot, question, history)[0].startswith(label)


@pytest.mark.integration
def test_a_follow_up_naming_an_item_of_the_last_reply_is_not_pushed_down(real_bot):
    history = (Turn("user", "how does depression change the way I feel?"),
               Turn("assistant", "It lists low self-worth, distorted thoughts, emotional numbness and crushing fatigue."))
    assert any(t.startswith("Crushing fatigue") for t in _texts(real_bot, "tell me more about the fatigue", history)[:3])


@pytest.mark.integration
def test_after_a_lead_in_a_vague_follow_up_gets_the_list_it_leads_into(real_bot):
    lead = "It’s okay to take tiny steps. Consider:"
    history = (Turn("user", "how do I start healing?"), Turn("assistant", f"Healing doesn’t mean flipping a switch. {lead}"))
    top = _texts(real_bot, "like what?", history)[:3]
    items = {u.text for u in real_bot.retriever.units if u.kind == "item" and u.lead_in == "Consider:"}
    assert items, "the article's small-steps list should have the lead-in 'Consider:'"
    assert sum(t in items for t in top) >= 2


@pytest.mark.integration
def test_a_story_in_several_sentences_still_finds_its_passage(real_bot):
    story = ("Last month I stopped answering my best friend. I read her texts and just leave them. "
             "Every reply feels like so much work. Why is it this hard?")
    assert TIRED in _texts(real_bot, story)[:3] or any("energy" in t for t in _texts(real_bot, story)[:3])


def test_chat_spellings_are_read_as_words_before_typo_correction():
    speller = Speller({"everyone", "people", "ghost", "ignore"}, set())

    assert speller.correct("y do u ignore ppl") == "why do you ignore people"
    assert speller.correct("y do i ghost evry1") == "why do i ghost everyone"
    assert speller.correct("you're fine") == "you're fine"  # only whole tokens


def test_ranking_only_the_valid_scores_gives_the_order_of_a_full_stable_sort():
    """Fusion sorts only the scored units (flat at 100k chunks); the order must not change."""
    import numpy as np

    from assistant.retrieval import _ranked, _rrf

    rng = np.random.default_rng(3)
    for _ in range(50):
        scores = rng.integers(-1, 6, size=300).astype(np.float32)  # many ties, some invalid
        valid = scores > -1
        full = np.argsort(-scores, kind="stable")
        assert _ranked(scores, valid).tolist() == [i for i in full if valid[i]]
        rrf = _rrf(scores, valid)
        assert (rrf[~valid] == 0).all() and np.argsort(-rrf, kind="stable")[: valid.sum()].tolist() == [i for i in full if valid[i]]
