"""The learned safety classifier only raises a decision: wired into the rails on the fake
embedder with scripted probabilities, a confident head turns a plain question into a crisis
takeover, a gentle 988 line or a medical reply, and an unsure head changes nothing."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from assistant.safety import InputRails

BARS = {"risk": 0.8, "clear": 0.9, "medical": 0.8, "topic": 0.5}


class Scripted:
    """A ``SafetyClassifier`` that gives the same probabilities to every window."""

    thresholds = BARS

    def __init__(self, **p: float):
        self.p = {"risk": 0.0, "clear": 0.0, "medical": 0.0, "topic": 0.5} | p

    def scores(self, vectors: np.ndarray, texts) -> dict[str, np.ndarray]:
        return {d: np.full(len(vectors), v) for d, v in self.p.items()}


def rails_with(fake_bot, **p: float) -> InputRails:
    base = fake_bot.rails
    return InputRails(base.policy, base.embedder, base.english, max_chars=base.max_chars, classifier=Scripted(**p))


QUESTION = "why do i cancel plans with friends i like"


def test_an_unsure_classifier_changes_nothing(fake_bot):
    without = fake_bot.rails.check(QUESTION)
    with_heads = rails_with(fake_bot, risk=0.5, clear=0.5, medical=0.5).check(QUESTION)

    assert (with_heads.category, with_heads.risk) == (without.category, without.risk) == (None, "none")


@pytest.mark.parametrize("p, category, risk", [
    ({"clear": 0.95, "risk": 0.95}, "crisis", "clear"),
    ({"risk": 0.85}, None, "possible"),
    ({"medical": 0.85}, "medical_advice", "none"),
])
def test_a_confident_head_raises_the_decision(fake_bot, p, category, risk):
    verdict = rails_with(fake_bot, **p).check(QUESTION)

    assert (verdict.category, verdict.risk) == (category, risk)
    assert any(r.reason.startswith("classifier:") for r in verdict.rails)


@pytest.mark.parametrize("message", ["thank you, goodbye", "thanks for the info, goodbye!", "ok bye"])
def test_a_sign_off_is_small_talk_however_the_heads_read_it(fake_bot, message):
    # greetings, thanks and sign-offs through and through: no risk on the heads or resemblance alone
    verdict = rails_with(fake_bot, risk=0.95, clear=0.95).check(message)

    assert (verdict.category, verdict.risk) == ("small_talk", "none")


def test_a_sign_off_after_a_message_of_risk_keeps_the_crisis_reply(fake_bot):
    from assistant.types import Turn

    rails = rails_with(fake_bot, risk=0.95, clear=0.95)
    earlier = [Turn("user", "i want to kill myself tonight"), Turn("assistant", "...")]

    assert rails.check("thank you, goodbye", earlier).category == "crisis"  # may be a farewell
    assert rails.check("goodbye everyone").category == "crisis"  # a written clear-risk pattern still decides


def test_the_classifier_never_lowers_a_pattern_decision(fake_bot):
    message = "i want to kill myself tonight"
    assert rails_with(fake_bot).check(message).category == "crisis"


@pytest.mark.parametrize("topic, in_scope", [(0.9, True), (0.1, False)])
def test_the_scope_head_says_whether_a_medical_question_is_within_the_article(fake_bot, topic, in_scope):
    verdict = rails_with(fake_bot, medical=0.85, topic=topic).check("should i stop my sertraline, i keep avoiding my friends")

    assert verdict.category == "medical_advice" and verdict.in_scope is in_scope


@pytest.mark.parametrize("message, medical", [
    ("i've had depression for years and lately i can't face my friends", False),  # tells, asks nothing
    ("i have had depression for years and lately i can't face my friends, what should i do", True),
    ("i've had depression for years. should i go back on my old pill", True),
    ("depression runs in families", True),  # no first person: not the person's own story
])
def test_a_telling_on_the_topic_is_no_medical_request_on_the_medical_head_alone(fake_bot, message, medical):
    floor = fake_bot.policy.thresholds.medical_telling_scope_floor
    verdict = rails_with(fake_bot, medical=0.95, topic=floor).check(message)

    assert (verdict.category == "medical_advice") is medical
    # read further from the topic, the medical head decides
    assert rails_with(fake_bot, medical=0.95, topic=floor - 0.1).check(message).category == "medical_advice"


def test_a_medical_question_outside_the_article_gets_no_article_lines(fake_bot):
    bot = copy.copy(fake_bot)
    bot.rails = rails_with(fake_bot, medical=0.85, topic=0.1)
    reply = bot.ask("i keep avoiding my friends and pushing people away, should i stop my sertraline")

    assert reply.category == "medical_advice" and reply.body == "" and reply.sources == ()
    assert reply.disclaimer in reply.answer and reply.contact in reply.answer


@pytest.mark.parametrize("medical, topic, declined", [(0.65, 0.4, True), (0.3, 0.4, False), (0.65, 0.9, False)])
def test_a_health_question_both_heads_put_outside_the_article_is_declined(fake_bot, medical, topic, declined):
    # the medical head leans toward it (under its bar, so no medical reply) and the scope head puts it
    # outside the article (under its bar, above the floor that declines on its own): out of scope
    t = fake_bot.policy.thresholds
    assert medical < BARS["medical"] and t.scope_head_floor < topic
    bot = copy.copy(fake_bot)
    bot.rails = rails_with(fake_bot, medical=medical, topic=topic)
    reply = bot.ask(QUESTION)

    assert (reply.category == "out_of_scope") is declined
    assert reply.disclaimer in reply.answer and reply.contact in reply.answer


def _draft(bot, verdict, relevance: float, question_match: float | None = None):
    from dataclasses import replace

    retrieval = bot.retriever.retrieve(QUESTION, ())
    retrieval = replace(retrieval, relevance=relevance,
                        confidence=retrieval.confidence if question_match is None else question_match)
    return bot.compose(verdict, retrieval)


def test_a_confident_scope_head_carries_a_weakly_matched_question_in(fake_bot):
    from assistant.types import Verdict

    t = fake_bot.policy.thresholds
    weak = (t.out_of_scope_relevance + t.topic_relevance) / 2  # below every exemplar-vote route
    assert _draft(fake_bot, Verdict(None, text=QUESTION, topic_margin=-0.1), weak).category == "out_of_scope"
    carried = Verdict(None, text=QUESTION, topic_margin=-0.1, in_scope=True, scope_score=0.9)
    assert _draft(fake_bot, carried, weak).category == "answered"
    # Below the floor of relevance, only with a close match to a question a passage answers.
    under = t.out_of_scope_relevance - 0.01
    assert _draft(fake_bot, carried, under, question_match=t.out_of_scope_question_match - 0.01).category == "out_of_scope"
    assert _draft(fake_bot, carried, under, question_match=t.out_of_scope_question_match).category == "answered"
    unsure = Verdict(None, text=QUESTION, topic_margin=-0.1, in_scope=False, scope_score=0.5)
    assert _draft(fake_bot, unsure, under, question_match=0.99).category == "out_of_scope"


def test_a_close_question_match_with_an_on_topic_vote_is_answered_under_the_relevance_floor(fake_bot):
    # a parent's post in words of its own: the scope head is unsure, the on-topic exemplars outvote the off-topic ones
    from dataclasses import replace

    from assistant.types import Verdict

    t = fake_bot.policy.thresholds
    under = t.out_of_scope_relevance - 0.01
    voted = Verdict(None, text=QUESTION, topic_margin=t.question_match_topic, in_scope=False, scope_score=0.4)
    assert _draft(fake_bot, voted, under, question_match=t.out_of_scope_question_match).category == "answered"
    assert _draft(fake_bot, voted, under, question_match=t.out_of_scope_question_match - 0.01).category == "out_of_scope"
    leaning = replace(voted, topic_margin=t.question_match_topic - 0.01)
    assert _draft(fake_bot, leaning, under, question_match=0.99).category == "out_of_scope"


def test_a_scope_head_far_below_its_bar_holds_back_a_weak_exemplar_vote(fake_bot):
    from assistant.types import Verdict

    t = fake_bot.policy.thresholds
    weak = (t.topic_relevance + t.in_scope_relevance) / 2  # in scope today by the exemplar vote alone
    voted = Verdict(None, text=QUESTION, topic_margin=t.strong_topic + 0.05)
    assert _draft(fake_bot, voted, weak).category == "answered"
    doubted = Verdict(None, text=QUESTION, topic_margin=t.strong_topic + 0.05, in_scope=False, scope_score=t.scope_head_floor / 2)
    assert _draft(fake_bot, doubted, weak).category == "out_of_scope"
    # A close article match still answers whatever the head says.
    assert _draft(fake_bot, doubted, t.in_scope_relevance + 0.05).category == "answered"


def test_a_takeover_on_exemplar_resemblance_alone_needs_the_risk_head(fake_bot):
    message = "I'm in the bathroom with a razor blade"  # an exemplar, matched by no written pattern
    floor = fake_bot.policy.thresholds.exemplar_clear_risk_floor
    assert floor > 0

    tier, hits = fake_bot.rails.risk(message)  # no classifier wired: the exemplar decides
    assert tier == "clear" and not any(h.reason.startswith("pattern:") for h in hits)
    assert rails_with(fake_bot, risk=floor).check(message).category == "crisis"
    doubted = rails_with(fake_bot, risk=floor / 2).check(message)
    assert (doubted.category, doubted.risk) == (None, "possible")  # the gentle 988 line, then the answer
    assert rails_with(fake_bot, risk=floor / 2, clear=0.95).check(message).category == "crisis"


def test_a_longer_message_needs_a_higher_risk_head_for_a_takeover_on_resemblance_alone(fake_bot):
    t = fake_bot.policy.thresholds
    at_least, floor = max(t.exemplar_clear_risk_floor_by_length.items())
    assert floor > t.exemplar_clear_risk_floor
    # the same exemplar, inside a story of at least that many words
    message = "I'm in the bathroom with a razor blade. " + " ".join(["Work has been long and tiring this month."] * 4)
    assert len(message.split()) >= at_least
    short = "I'm in the bathroom with a razor blade"
    between = (floor + t.exemplar_clear_risk_floor) / 2

    assert rails_with(fake_bot, risk=between).check(short).category == "crisis"
    doubted = rails_with(fake_bot, risk=between).check(message)
    assert (doubted.category, doubted.risk) == (None, "possible")  # the gentle 988 line, then the answer
    assert rails_with(fake_bot, risk=floor).check(message).category == "crisis"


def exemplar_takeover_tier(rails, similarity: float, n_words: int, whole: float = 0.95, extra=(), risk: float = 0.95,
                           medical: float = 0.0) -> str:
    """The tier ``_learned`` gives a clear-risk takeover on one exemplar resemblance (plus ``extra`` hits),
    with a risk head of ``risk`` on the windows and ``whole`` on the whole message (and a medical head of ``medical``)."""
    from assistant.similarity import Similarities
    from assistant.types import RailHit

    labels = ("crisis_clear", "on_topic")
    sims = Similarities({l: np.array([0.0]) for l in labels}, {l: ["x"] for l in labels})
    sims.learned = {"risk": risk, "clear": 0.0, "medical": medical, "topic": 0.5, "risk_whole": whole}
    hits = [RailHit("crisis_clear", "exemplar:i'm going to off myself", similarity), *extra]
    return rails._learned("clear", hits, sims, n_words)[0]


def test_a_long_message_taken_over_on_a_modest_resemblance_must_also_read_as_risk_whole(fake_bot):
    """One sentence of a long story, read alone ("I don't get why I do this to myself"), can look
    like a disclosure: from ``exemplar_clear_whole_from_words`` words, a takeover on a resemblance
    under ``exemplar_clear_strong_similarity`` also needs the risk head on the whole message."""
    from assistant.types import RailHit

    t = fake_bot.policy.thresholds
    rails = rails_with(fake_bot)
    modest = t.exemplar_clear_strong_similarity - 0.05

    def tier(whole: float, n_words: int, similarity: float = modest) -> str:
        return exemplar_takeover_tier(rails, similarity, n_words, whole=whole)

    long_, short = t.exemplar_clear_whole_from_words, t.exemplar_clear_whole_from_words - 1
    low, high = t.exemplar_clear_whole_risk_floor - 0.1, t.exemplar_clear_whole_risk_floor
    assert tier(low, long_) == "possible"  # the gentle 988 line, then the answer
    assert tier(high, long_) == "clear"
    assert tier(low, short) == "clear"  # a shorter message is judged by its windows alone
    assert tier(low, long_, similarity=t.exemplar_clear_strong_similarity) == "clear"  # a close resemblance stands
    # a time, means or decision that escalated the resemblance confirms it: "... doesn't matter, I won't
    # be around next week anyway" after a question stays a takeover however the whole message reads
    next_week = (RailHit("crisis_clear", "escalated:pattern:time_soon", 1.0),)
    assert exemplar_takeover_tier(rails, modest, long_, whole=low, extra=next_week) == "clear"


def test_a_medical_looking_request_taken_over_on_resemblance_must_read_as_risk_whole_even_when_escalated(fake_bot):
    """In a long post about a medication or an illness, "pills" escalates one sentence that resembles an
    overdose exemplar in wording only: a message the medical head reads as a medical request needs the risk
    head on the whole message at ``exemplar_clear_medical_whole_floor`` for a takeover, escalated or not."""
    from assistant.types import RailHit

    t = fake_bot.policy.thresholds
    assert t.exemplar_clear_medical_whole_floor > 0  # else this test says nothing
    rails = rails_with(fake_bot)
    pills = (RailHit("crisis_clear", "escalated:pattern:means", 1.0),)
    close, long_ = t.exemplar_clear_strong_similarity + 0.05, 60
    low, high = t.exemplar_clear_medical_whole_floor - 0.05, t.exemplar_clear_medical_whole_floor

    def tier(whole: float, medical: float = BARS["medical"], extra=pills) -> str:
        return exemplar_takeover_tier(rails, close, long_, whole=whole, extra=extra, medical=medical)

    assert tier(low) == "possible"  # the gentle 988 line, with the medical reply
    assert tier(low, extra=()) == "possible"
    assert tier(high) == "clear"
    assert tier(low, medical=BARS["medical"] / 2) == "clear"  # not read as medical: the escalator confirms it


def test_a_resemblance_escalated_by_a_time_word_needs_the_risk_head_at_its_floor(fake_bot):
    """"im not going to dinner tonight" is near "tonight is the night" in wording, and "tonight"
    escalates it: with no written risk pattern the takeover needs the learned risk head at
    ``exemplar_escalated_risk_floor``, else the message keeps the gentle 988 line."""
    from assistant.types import RailHit

    t = fake_bot.policy.thresholds
    assert t.exemplar_escalated_risk_floor > t.exemplar_clear_risk_floor  # else this test says nothing
    rails = rails_with(fake_bot)
    tonight = (RailHit("crisis_clear", "escalated:pattern:time_soon", 1.0),)
    close = t.exemplar_clear_short_similarity  # close enough for a short message on its own

    def tier(risk: float, extra=tonight) -> str:
        return exemplar_takeover_tier(rails, close, 6, extra=extra, risk=risk)

    assert tier(t.exemplar_escalated_risk_floor - 0.05) == "possible"
    assert tier(t.exemplar_escalated_risk_floor) == "clear"
    assert tier(t.exemplar_escalated_risk_floor - 0.05, extra=()) == "clear"  # without the escalator, its usual floor


def test_a_short_message_taken_over_on_resemblance_alone_must_resemble_closely(fake_bot):
    """A few words resemble an exemplar by a word or two ("what is my plan for the day"): under
    ``exemplar_clear_short_below_words`` words, a takeover on resemblance alone needs the exemplar
    resemblance at ``exemplar_clear_short_similarity``; an escalator pattern still decides."""
    from assistant.types import RailHit

    t = fake_bot.policy.thresholds
    rails = rails_with(fake_bot)

    def tier(similarity: float, n_words: int, *extra: RailHit) -> str:
        return exemplar_takeover_tier(rails, similarity, n_words, extra=extra)

    short = t.exemplar_clear_short_below_words - 1
    loose, close = t.exemplar_clear_short_similarity - 0.03, t.exemplar_clear_short_similarity
    assert tier(loose, short) == "possible"  # the gentle 988 line, then the answer
    assert tier(close, short) == "clear"
    assert tier(loose, t.exemplar_clear_short_below_words) == "clear"  # from that length, the other checks judge
    assert tier(loose, short, RailHit("crisis_clear", "escalated:pattern:tonight", 1.0)) == "clear"


@pytest.mark.parametrize("sentences", [3, 12])  # a short message is one of its own windows; a long one is not
def test_the_whole_message_risk_is_read_from_the_message_itself_not_its_last_window(fake_bot, sentences):
    class ByLength:  # the longest text judged (the whole message) scores 0.9, every shorter window 0.1
        thresholds = BARS

        def scores(self, vectors, texts):
            longest = max(len(t) for t in texts)
            return {d: np.array([0.9 if len(t) == longest else 0.1 for t in texts]) for d in ("risk", "clear", "medical", "topic")}

    base = fake_bot.rails
    rails = InputRails(base.policy, base.embedder, base.english, max_chars=base.max_chars, classifier=ByLength())
    message = " ".join(["Work has been long and tiring this month."] * (sentences - 1) + ["I keep turning people down."])
    sims, _ = rails._similarities(message)
    assert sims.learned["risk_whole"] == pytest.approx(0.9)


def test_the_heads_raise_no_tier_on_a_time_word_alone(fake_bot):
    """A time qualifies a risk signal but is none itself: the heads raise a tier, and count for the
    crisis reply to a short unanswered message, only on what they read without the time words."""
    class TimeIsRisky:  # a text with "tonight" in it scores 0.95 on every head, any other 0.1
        thresholds = BARS

        def scores(self, vectors, texts):
            return {d: np.array([0.95 if "tonight" in t else 0.1 for t in texts]) for d in ("risk", "clear", "medical", "topic")}

    base = fake_bot.rails
    rails = InputRails(base.policy, base.embedder, base.english, max_chars=base.max_chars, classifier=TimeIsRisky())
    message = "my cousin and i are baking bread tonight"
    verdict = rails.check(message)
    assert verdict.risk == rails_with(fake_bot, risk=0.1, clear=0.1).check(message).risk  # what the words alone give
    assert verdict.category != "crisis" and not verdict.risk_head and verdict.clear_score == pytest.approx(0.1)
    assert rails.check("i want to die tonight").category == "crisis"  # a written pattern still decides


def test_the_risk_heads_read_a_clause_of_a_word_or_two_only_within_its_message(fake_bot):
    class ShortIsRisky:  # every text of one or two words scores 0.95, every longer one 0.1
        thresholds = BARS

        def scores(self, vectors, texts):
            return {d: np.array([0.95 if len(t.split()) <= 2 else 0.1 for t in texts])
                    for d in ("risk", "clear", "medical", "topic")}

    base = fake_bot.rails
    rails = InputRails(base.policy, base.embedder, base.english, max_chars=base.max_chars, classifier=ShortIsRisky())
    sims, pieces = rails._similarities("my brother says i never call him anymore. he's right. what should i do")
    assert "he's right" in pieces  # the clause is still a window (the exemplars and patterns read it)
    assert sims.learned["risk"] == sims.learned["clear"] == pytest.approx(0.1)
    assert rails._similarities("kill me")[0].learned["risk"] == pytest.approx(0.95)  # a short message is read whole


def test_a_takeover_on_resemblance_alone_of_a_message_read_as_medical_needs_a_higher_risk_head(fake_bot):
    message = "I'm in the bathroom with a razor blade"  # an exemplar, matched by no written pattern
    floor = fake_bot.policy.thresholds.exemplar_clear_medical_risk_floor
    assert floor > fake_bot.policy.thresholds.exemplar_clear_risk_floor
    medical = BARS["medical"]

    assert rails_with(fake_bot, risk=floor, medical=medical).check(message).category == "crisis"
    doubted = rails_with(fake_bot, risk=floor - 0.05, medical=medical).check(message)
    assert doubted.category != "crisis" and doubted.risk == "possible"  # 988 stays, with the medical reply
    assert rails_with(fake_bot, risk=floor - 0.05, medical=medical / 2).check(message).category == "crisis"
    assert rails_with(fake_bot, risk=floor - 0.05, medical=medical, clear=0.95).check(message).category == "crisis"


def test_a_medical_reply_on_exemplar_resemblance_alone_needs_the_medical_head(fake_bot):
    floor = fake_bot.policy.thresholds.exemplar_medical_floor
    assert floor > 0
    rails = fake_bot.rails
    # a medical exemplar that no written pattern catches: the exemplar alone decides without a classifier
    message = next(m for m in fake_bot.policy.exemplars["medical"]
                   if rails.check(m).category == "medical_advice"
                   and all(h.reason.startswith("exemplar:") for h in rails.check(m).rails if h.rail == "medical")
                   and rails_with(fake_bot, risk=0.0).check(m).risk == "none")
    assert rails_with(fake_bot, medical=floor).check(message).category == "medical_advice"
    assert rails_with(fake_bot, medical=floor / 2).check(message).category != "medical_advice"


def test_a_short_risky_message_the_article_does_not_answer_gets_the_crisis_reply(fake_bot):
    from assistant.types import RailHit, Verdict

    t = fake_bot.policy.thresholds
    weak = (t.out_of_scope_relevance + t.weak_evidence_relevance) / 2
    asked = "how many of these would it take"

    clear = t.unanswered_risk_clear_floor

    def draft(text=asked, relevance=weak, risk_head=True, rails=(), topic=-0.1, clear_score=clear, match=weak):
        verdict = Verdict(None, "possible", rails, text=text, topic_margin=topic, risk_head=risk_head, clear_score=clear_score)
        return _draft(fake_bot, verdict, relevance, question_match=match)

    assert draft().category == "crisis"  # resources first, no unrelated article lines
    assert draft(risk_head=False).category != "crisis"  # the risk head does not agree: look-alikes
    assert draft(clear_score=clear - 0.05).category != "crisis"  # hopelessness with no wish to die stays gentle
    answered = max(t.in_scope_relevance, t.weak_evidence_relevance) + 0.1
    assert draft(relevance=answered, topic=t.strong_topic + 0.05).category == "answered"  # the article answers it
    # ... or a question a passage answers, in other words: not taken over (the gentle 988 line stays)
    assert draft(match=t.unanswered_risk_question_match).category != "crisis"
    long_story = " ".join([asked] * (t.unanswered_risk_max_words // 6 + 1))
    assert draft(text=long_story).category != "crisis"  # a story, which the article may still speak to
    carried = (RailHit("crisis_history", "earlier message showed possible risk"),)
    assert draft(rails=carried).category != "crisis"  # risk from earlier turns: the question may be ordinary
    # no word of death, harm, means or an ending: the tier came from a reading of harmless words
    assert draft(text="freeze my account for me").category != "crisis"
    assert draft(text="what can i use that won't leave scars").category == "crisis"  # a means question names harm
    assert draft(text="i've made up my mind, i just wanted someone to know").category == "crisis"  # a decision


def test_a_look_alike_of_risk_that_the_heads_place_elsewhere_is_declined_not_quoted_at(fake_bot):
    from assistant.types import Verdict

    t = fake_bot.policy.thresholds
    low = (t.out_of_scope_relevance + t.topic_relevance) / 2  # in scope today only because of the risk

    def category(risk_head):
        verdict = Verdict(None, "possible", text=QUESTION, topic_margin=-0.1, in_scope=False, scope_score=0.1,
                          risk_head=risk_head, clear_score=0.0)
        return _draft(fake_bot, verdict, low).category

    assert category(False) == "out_of_scope"  # "what is an isopropanol overdose?": the gentle line, no quotes
    assert category(True) == "answered"  # someone who may be at risk still gets the article's words


def test_a_possible_risk_exemplar_must_beat_the_on_topic_ones_unless_the_risk_head_agrees(fake_bot):
    """"why does hanging out feel so exhausting" is near "I'm exhausted with living" in wording,
    and nearer still to the on-topic questions: no 988 line unless the risk head reaches its bar."""
    import numpy as np

    from assistant.similarity import Similarities

    t = fake_bot.policy.thresholds
    labels = ("crisis_clear", "crisis_possible", "on_topic", "off_topic", "benign_lookalike", "small_talk", "medical")
    score = {label: 0.0 for label in labels} | {"crisis_possible": t.crisis_possible_similarity + 0.02,
                                                  "on_topic": t.crisis_possible_similarity + 0.1}

    def tier(risk: float | None) -> str:
        rails = fake_bot.rails if risk is None else rails_with(fake_bot, risk=risk)
        sims = Similarities({l: np.array([v]) for l, v in score.items()}, {l: [f"nearest {l}"] for l in labels})
        if risk is not None:
            sims.learned = {"risk": risk, "clear": 0.0, "medical": 0.0, "topic": 0.5}
        return rails._risk(QUESTION, sims)[0]

    assert tier(None) == "possible"  # no classifier wired: the exemplar alone gives the gentle line
    assert tier(BARS["risk"] + 0.05) == "possible"
    assert tier(BARS["risk"] - 0.3) == "none"


def test_the_gentle_line_on_exemplar_resemblance_alone_needs_the_risk_head_at_its_floor(fake_bot):
    """"what can i do today" is near "making sure i dont wake up tomorrow" in wording only: with the
    learned risk head under ``exemplar_possible_risk_floor`` a resemblance alone gives no 988 line;
    a written pattern still does, whatever the head says."""
    floor = fake_bot.policy.thresholds.exemplar_possible_risk_floor
    assert 0 < floor < BARS["risk"]
    resembles = "im scared of my own thoughts lately"  # an exemplar, matched by no written pattern
    tier, hits = fake_bot.rails.risk(resembles)  # no classifier wired: the exemplar alone decides
    assert tier == "possible" and all(h.reason.startswith(("exemplar:", "near-clear exemplar:")) for h in hits)

    assert rails_with(fake_bot, risk=floor).check(resembles).risk == "possible"
    assert rails_with(fake_bot, risk=floor - 0.05).check(resembles).risk == "none"
    written = "everyone would be better off without me"
    assert any(h.reason.startswith("pattern:") for h in fake_bot.rails.risk(written)[1])
    assert rails_with(fake_bot, risk=0.0).check(written).risk != "none"


@pytest.mark.parametrize("medical, relevance_share, declined", [(0.5, 0.9, True), (0.1, 0.9, False), (0.5, 1.1, False)])
def test_a_health_question_the_article_matches_only_weakly_is_declined(fake_bot, medical, relevance_share, declined):
    # the medical head leans toward it (under its bar) and the closest lines are weak evidence: they would
    # answer another question ("can stress cause hair loss" got the reasons people withdraw)
    from assistant.types import Verdict

    t = fake_bot.policy.thresholds
    assert t.weak_health_medical_floor <= 0.5 < BARS["medical"] and t.weak_health_medical_floor > 0.1
    verdict = Verdict(None, text=QUESTION, topic_margin=0.2, in_scope=True, scope_score=0.9, medical_score=medical)
    relevance = t.weak_evidence_relevance * relevance_share

    assert (_draft(fake_bot, verdict, relevance, question_match=relevance).category == "out_of_scope") is declined
    # someone who may be at risk keeps the article's words (and the crisis line)
    at_risk = Verdict(None, text=QUESTION, risk="possible", risk_head=True, topic_margin=0.2, in_scope=True,
                      scope_score=0.9, medical_score=medical)
    assert _draft(fake_bot, at_risk, relevance, question_match=relevance).category == "answered"


@pytest.mark.parametrize("text, scope, thanked", [
    ("my old cat passed away last night", 0.6, True),  # tells of the person's own life, near the topic
    ("my old cat passed away last night", 0.05, False),  # the scope head reads it far from the topic
    ("how do i find a vet for my old cat?", 0.6, False),  # a request, not a telling
    ("so what do i do now", 0.6, False),  # a question after a word of acknowledgement, though with no question mark
    ("the weather has been grey for weeks", 0.6, False),  # not about the person
])
def test_a_declined_message_that_tells_of_the_persons_life_is_thanked_first(fake_bot, text, scope, thanked):
    """"my dog died" is outside the article, but a person told it: the out-of-scope reply opens
    by thanking them (wording.out_of_scope_personal); a request or a remark is declined as before."""
    from assistant.types import Verdict

    t, w = fake_bot.policy.thresholds, fake_bot.policy.wording
    verdict = Verdict(None, text=text, topic_margin=-0.3, in_scope=False, scope_score=scope)
    draft = _draft(fake_bot, verdict, t.out_of_scope_relevance / 2, question_match=0.0)
    assert draft.category == "out_of_scope" and " ".join(w.out_of_scope.split()) in draft.lead
    assert draft.lead.startswith(w.out_of_scope_personal) is thanked
    assert bool(w.out_of_scope_personal) and draft.suggestions
