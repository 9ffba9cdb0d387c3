"""The conversation rules of retrieval.py, on a fake store and the hash embedder (fast) and with
the real model: which list item "the second one" lifts, what the last reply already said, that a
story told in several sentences is searched sentence by sentence too, and which retrievers each
mode runs."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embeddings import HashEmbedder
from assistant.queries import QueryReader
from assistant.retrieval import HybridRetriever
from assistant.settings import ROOT
from assistant.store import Hit
from assistant.text import Speller
from assistant.types import Turn, Unit

LOW = "Low self-worth: You may feel like a burden, unworthy of love or care."
TIRED = "Crushing fatigue: Just responding to a friend might feel like climbing a mountain."
LEAD = "Common reasons people pull away include:"
ITEMS = ["Fear of rejection: You expect people to judge you.", "Guilt and shame: You feel you let everyone down.",
         "Overwhelm and exhaustion: Every reply feels like work.", "Need for control: Hiding feels safer than explaining."]
UNITS = [Unit("a#0", "a.md", "Depression can make you pull away from the people you love.", "", 0, 0, "sentence"),
         Unit("a#1", "a.md", LEAD, "", 1, 1, "sentence"),
         *[Unit(f"a#{i + 2}", "a.md", t, t, 1, i + 2, "item", LEAD) for i, t in enumerate(ITEMS)],
         Unit("a#6", "a.md", "Small steps, like one text a day, help you reconnect.", "", 2, 6, "sentence")]


class VectorListStore:
    """Exact cosine search over the units' own texts (hash vectors); records every query."""

    def __init__(self, units=UNITS):
        self._units = list(units)
        self._vectors = HashEmbedder().encode([u.text for u in self._units])
        self.queries = 0

    def units(self):
        return self._units

    def query(self, vector, n):
        self.queries += 1
        sims = self._vectors @ vector
        return [Hit(self._units[i].id, float(sims[i])) for i in np.argsort(-sims, kind="stable")[:n]]

    def close(self):
        pass


class Refuses:
    """An embedder that must not be called."""

    def __getattr__(self, name):
        raise AssertionError(f"{name} called")


def retriever(store=None, embedder=None, mode="hybrid", top_k=4):
    store = store or VectorListStore()
    return HybridRetriever(store, embedder or HashEmbedder(), reader=QueryReader.load(ROOT / "guardrails"), mode=mode, top_k=top_k)


def test_dense_ranking_follows_the_stores_similarities():
    result = retriever(mode="dense").retrieve("why does fear of rejection make me hide")

    assert result.passages[0].text == ITEMS[0]
    assert result.relevance == pytest.approx(max(p.dense for p in result.passages))
    assert [p.score for p in result.passages] == sorted((p.score for p in result.passages), reverse=True)


def test_keyword_mode_neither_embeds_nor_searches_the_store():
    store = VectorListStore()
    keyword = retriever(store=store, embedder=Refuses(), mode="keyword")

    result = keyword.retrieve("guilt and shame")

    assert result.passages[0].text == ITEMS[1] and result.passages[0].dense is None and store.queries == 0
    assert keyword.query_texts("guilt and shame") == ()


def test_hybrid_mode_embeds_the_corrected_question_it_reports():
    hybrid = retriever()

    assert hybrid.query_texts("why do I feel gilt") == (hybrid.retrieve("why do I feel gilt").query,)


def test_a_follow_up_is_read_with_the_previous_question():
    history = (Turn("user", "why do people with depression pull away?"), Turn("assistant", "Depression can make you pull away."))

    result = retriever().retrieve("is that normal?", history)

    assert result.follow_up and result.query.endswith("| why do people with depression pull away?")
    assert not retriever().retrieve("is that normal?").follow_up


@pytest.mark.parametrize("question, item", [("and the second one?", 1), ("what was the last reason again", 3)])
def test_the_item_an_ordinal_points_at_ranks_first(question, item):
    history = (Turn("user", "why do people pull away?"),
               Turn("assistant", "Fear of rejection, guilt and shame, overwhelm and exhaustion, and need for control."))

    assert retriever().retrieve(question, history).passages[0].text == ITEMS[item]


def test_what_the_last_reply_said_ranks_lower_unless_the_question_names_it_again():
    asked = Turn("user", "why do people pull away?")
    said = Turn("assistant", "Depression can make you pull away from the people you love.")

    def score(question, reply):
        passages = retriever(top_k=len(UNITS)).retrieve(question, (asked, Turn("assistant", reply))).passages
        return next(p.score for p in passages if p.id == UNITS[0].id)

    assert score("what else is there?", said.content) < score("what else is there?", "I see.")
    assert score("more about depression and love?", said.content) == score("more about depression and love?", "I see.")


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
    assert speller.correct("wat shud i txt my frnd") == "what should i text my friend"
    assert speller.correct("i h8 that i cant reply l8r") == "i hate that i can't reply later"


def test_a_known_word_in_another_form_is_no_typo_but_a_misspelling_is_still_fixed():
    speller = Speller({"sabotage", "staging", "burden", "burning", "answered", "hurting", "suicide", "myself"}, set())

    # "correcting" these to a near spelling would change what was said
    assert speller.correct("sabotaging myself") == "sabotaging myself"
    assert speller.correct("burdening them") == "burdening them"
    assert speller.correct("unanswered texts") == "unanswered texts"
    # typos, of the same word or another, are fixed as before
    assert speller.correct("hurtting myslef") == "hurting myself"
    assert speller.correct("sucide") == "suicide"


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
