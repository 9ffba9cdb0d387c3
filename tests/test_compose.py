"""The composer on deterministic fakes: a small hand-made article, hand-set retrieval scores and
the real policy (its answer kinds, cues and leads). No model, no index."""

from __future__ import annotations

from pathlib import Path

from typing import Sequence

import pytest

from assistant.compose import BlockComposer, read_ask, render
from assistant.medical_reply import compose_medical
from assistant.reply import body_text
from assistant.policy import load_policy
from assistant.types import Passage, Retrieval, Turn, Unit, Verdict

ROOT = Path(__file__).resolve().parents[1]
POLICY = load_policy(ROOT / "guardrails")
SOURCE = "mini.md"

# (section, kind, text): a paragraph, a list with its lead-in paragraph, and so on, in article order.
ARTICLE = [
    (1, "sentence", "Withdrawing from people you love is a common part of low mood."),
    (1, "sentence", "Many people know this pull all too well."),
    (2, "sentence", "Low mood changes how you see yourself."),
    (2, "sentence", "Its effects include:"),
    (2, "item", "Tiredness: Even a short reply can feel like a climb."),
    (2, "item", "Self-doubt: You may feel you are too much for others."),
    (2, "item", "Numbness: It can be hard to feel close to anyone."),
    (3, "sentence", "Pulling away is not selfish."),
    (3, "sentence", "It is a way of protecting yourself."),
    (4, "sentence", "Change comes slowly."),
    (4, "sentence", "Small steps are fine."),
    (4, "sentence", "Try:"),
    (4, "item", "A short text: One line or an emoji counts."),
    (4, "item", "A check-in: Tell one person you are struggling."),
    (4, "item", "Writing: A journal helps sort out big thoughts."),
    (4, "item", "Professional help: A counsellor can help you through it."),
    (5, "sentence", "There is a way through this, and it gets easier with support."),
]
KINDS = {SOURCE: (("Withdrawing from people", ("context",)), ("Low mood changes", ("symptoms",)),
                  ("Pulling away is not selfish", ("reassurance",)), ("Change comes slowly", ("steps",)),
                  ("There is a way through", ("hope",)))}


def article(rows: list[tuple[int, str, str]], prefix: str) -> list[Unit]:
    """A made-up article from (block, kind, text) rows; unit ids are ``prefix`` and the position."""
    return [Unit(f"{prefix}{i}", SOURCE, text, text, section, i, kind) for i, (section, kind, text) in enumerate(rows)]


def scored(units: list[Unit], by_start: dict[str, float]) -> dict[str, float]:
    """Retrieval scores keyed by unit id, given by the opening words of each scored unit."""
    return {u.id: score for start, score in by_start.items() for u in units if u.text.startswith(start)}


UNITS = article(ARTICLE, "u")
BY_TEXT = {u.text: u for u in UNITS}


def retrieval(scores: dict[str, float], query: str, relevance: float = 0.8, follow_up: bool = False) -> Retrieval:
    """Passages for the units whose opening words are keys of ``scores``, best first."""
    chosen = []
    for start, score in scores.items():
        unit = next(u for u in UNITS if u.text.startswith(start))
        chosen.append(Passage(unit.id, SOURCE, unit.text, score, unit.section, unit.position, unit.kind))
    chosen.sort(key=lambda p: -p.score)
    return Retrieval(tuple(chosen), query, relevance, follow_up=follow_up, confidence=relevance)


def compose(message: str, scores: dict[str, float], turns: tuple[Turn, ...] = (), max_words: int = 90, risk: str = "none"):
    composer = BlockComposer(POLICY, lambda: UNITS, KINDS, max_words)
    return composer.answer(Verdict(None, risk=risk, text=message), retrieval(scores, message, follow_up=bool(turns)), turns)


def blocks_of(draft) -> set[int]:
    return {p.section for p in draft.sources}


def units_of(*rows: tuple[str, str, int, str]) -> list[Unit]:
    """A made-up article in order: (id, text, block, kind) per unit."""
    return [Unit(id, SOURCE, text, "", block, n, kind) for n, (id, text, block, kind) in enumerate(rows)]


def found_in(units: list[Unit], scores: dict[str, float], message: str, follow_up: bool = False) -> Retrieval:
    """A retrieval for ``message`` that scores the units whose ids are keys of ``scores``, best first."""
    passages = tuple(sorted((Passage(u.id, u.source, u.text, scores[u.id], u.section, u.position, u.kind) for u in units
                             if u.id in scores), key=lambda p: -p.score))
    return Retrieval(passages, message, 0.8, follow_up=follow_up, confidence=0.8)


def answer_from(units: list[Unit], kinds, scores: dict[str, float], message: str, max_words: int = 90,
                turns: Sequence[Turn] = ()):
    """The composer's draft for ``message`` over an article of its own (``units``), the retrieval
    scoring the units whose ids are keys of ``scores`` (a follow-up when there are ``turns``); and
    the texts it quotes, in order."""
    composer = BlockComposer(POLICY, lambda: units, kinds, max_words)
    draft = composer.answer(Verdict(None, text=message), found_in(units, scores, message, follow_up=bool(turns)), turns)
    return draft, [q.passage.text for s in draft.segments for q in s.quotes]


def test_a_list_is_quoted_with_its_lead_in_in_article_order() -> None:
    draft = compose("how can i start talking to my friends again?",
                    {"A check-in": 0.9, "A short text": 0.8, "Writing": 0.6, "Small steps": 0.3})

    lines = body_text(draft.segments).splitlines()
    assert lines[0].startswith("Small steps are fine.") and "Try:" in lines[0]  # the lead-in opens the answer
    # the whole list, in article order, whatever the retrieval ranked first
    assert [line.split(":")[0] for line in lines[1:]] == ["- A short text", "- A check-in", "- Writing", "- Professional help"]
    assert draft.lead == POLICY.answers.kinds["what_to_do"].lead


def test_a_list_is_quoted_whole_and_its_weakest_items_leave_only_to_fit_the_budget() -> None:
    scores = {"A check-in": 0.9, "A short text": 0.85, "Professional help": 0.2}
    whole = body_text(compose("tell me about texting people", scores).segments)
    assert all(item in whole for item in ("A short text", "A check-in", "Writing", "Professional help"))

    # with room for a supporting line only without them, the items the retrieval ranks lowest make way
    tight = compose("how do i help my brother, he is so tired around people", {"Tiredness": 0.9, "Pulling away is not selfish": 0.5},
                    max_words=42)
    body = body_text(tight.segments)
    assert "Tiredness" in body and "Pulling away is not selfish." in body and body.count("\n- ") == 2  # of 3


def test_the_kind_asked_for_wins_over_a_closer_worded_block() -> None:
    # "what can I do?": the steps answer it, though the symptoms list shares more of its words
    draft = compose("i'm so tired all the time, what can i do?",
                    {"Tiredness": 0.9, "Self-doubt": 0.5, "A short text": 0.5, "A check-in": 0.45})

    body = body_text(draft.segments)
    assert body.startswith("Small steps are fine. Try:") and "Self-doubt" not in body
    # the closest line may follow the steps, and then the steps lead gives way to the default one
    assert draft.lead == POLICY.answers.kinds["default" if "Tiredness" in body else "what_to_do"].lead


def test_a_short_paragraph_is_quoted_whole() -> None:
    draft = compose("is pulling away selfish?", {"Pulling away is not selfish": 0.9})

    assert "Pulling away is not selfish." in body_text(draft.segments) and "It is a way of protecting yourself." in body_text(draft.segments)


def test_a_steps_lead_never_goes_over_a_description() -> None:
    # "what can I do" when only the description scored: the answer quotes it, under the lead of
    # what it does answer (how low mood affects you), never the steps lead
    draft = compose("what can i do about it?", {"Self-doubt": 0.9, "Tiredness": 0.8, "Low mood changes": 0.7})

    assert blocks_of(draft) == {2} and draft.lead != POLICY.answers.kinds["what_to_do"].lead
    assert draft.lead == POLICY.answers.kinds["symptoms"].lead


def test_an_answer_to_no_recognised_ask_gets_the_lead_of_what_it_quotes_or_the_default() -> None:
    steps = compose("texting people", {"A short text": 0.9, "A check-in": 0.85})
    opening = compose("pulling away", {"Withdrawing from people": 0.9, "Many people know": 0.8})

    assert blocks_of(steps) == {4} and steps.lead == POLICY.answers.kinds["what_to_do"].lead
    assert blocks_of(opening) == {1} and opening.lead == POLICY.answers.kinds["default"].lead  # no lead is about "context"


def test_the_lead_falls_back_when_a_supporting_line_is_of_another_kind() -> None:
    # no kind was asked for, so the retrieval's best line from the description may support the steps
    draft = compose("tell me about reaching out", {"Numbness": 1.0, "A check-in": 0.95, "A short text": 0.9})

    assert blocks_of(draft) == {2, 4}
    assert draft.lead == POLICY.answers.kinds["default"].lead


def test_a_short_paragraph_the_lead_is_true_of_completes_the_block_whole() -> None:
    # how to help someone: the symptoms list answers it, and the short reassuring paragraph among the
    # runners-up goes with it whole, not a lone line the retrieval ranks well below its best
    draft = compose("how do i help my brother, he is so tired around people",
                    {"Tiredness": 0.9, "Self-doubt": 0.6, "Pulling away is not selfish": 0.5})

    body = body_text(draft.segments)
    assert blocks_of(draft) == {2, 3} and body.endswith("Pulling away is not selfish. [5] It is a way of protecting yourself. [6]")
    assert draft.lead == POLICY.answers.kinds["help_someone"].lead


def test_a_line_near_the_retrievals_best_keeps_its_place_over_a_short_paragraph() -> None:
    # a message that names no kind of ask: no lead to keep true, so the line near the best stays
    draft = compose("so tired around people lately", {"Tiredness": 0.9, "Many people know": 0.88,
                                                      "Pulling away is not selfish": 0.5})

    assert blocks_of(draft) == {1, 2} and "Pulling away" not in body_text(draft.segments)


def test_tell_me_more_gets_the_next_block_never_a_repeat() -> None:
    first = compose("why do i pull away from people?", {"Pulling away is not selfish": 0.9, "It is a way": 0.8, "Self-doubt": 0.5})
    turns = (Turn("user", "why do i pull away from people?"), Turn("assistant", f"{first.lead}\n{body_text(first.segments)}"))

    more = compose("tell me more", {"Pulling away is not selfish": 0.9, "It is a way": 0.8, "Self-doubt": 0.5,
                                    "Tiredness": 0.4}, turns)

    assert more.category == "answered" and body_text(more.segments)
    quoted_before = {p.text for p in first.sources}
    # nothing said again but the lead-in of a list whose remaining items follow it
    lead_ins = {u.text for u in UNITS if u.kind == "sentence" and u.section in {p.section for p in more.sources if p.kind == "item"}}
    assert quoted_before & {p.text for p in more.sources} <= lead_ins
    assert {p.text for p in more.sources} - quoted_before
    assert more.lead == POLICY.answers.kinds["more"].lead


def test_a_follow_up_keeps_the_lead_of_what_it_asks_now_over_a_line_from_the_question_before() -> None:
    # "so what can I do?" after a "why": retrieved with the earlier question, the symptom line scores
    # near the best, but the steps answer what is asked now, under their own lead
    turns = (Turn("user", "why am i so tired around people?"), Turn("assistant", "Low mood changes how you see yourself. [1]"))
    scores = {"A short text": 0.9, "A check-in": 0.85, "Tiredness": 0.88}

    follow_up = compose("so what can i do?", scores, turns)
    fresh = compose("so what can i do?", scores)

    assert blocks_of(follow_up) == {4} and follow_up.lead == POLICY.answers.kinds["what_to_do"].lead
    # asked on its own too: a line that would change the lead and repeats none of the person's words stays out
    assert blocks_of(fresh) == {4} and fresh.lead == POLICY.answers.kinds["what_to_do"].lead


def test_a_line_that_would_change_the_asks_lead_goes_with_the_answer_only_when_it_repeats_the_persons_words() -> None:
    scores = {"A short text": 0.9, "A check-in": 0.85, "Tiredness": 0.88}

    echoed = compose("how can i cope when replying to even a short message is impossible?", scores)
    other = compose("how can i cope with all this?", scores)

    # "short" and "replying" (as "reply") are the person's own words: the line goes with the steps,
    # and the lead falls back to one true of both blocks
    assert blocks_of(echoed) == {2, 4} and echoed.lead != POLICY.answers.kinds["what_to_do"].lead
    assert blocks_of(other) == {4} and other.lead == POLICY.answers.kinds["what_to_do"].lead


def test_a_follow_up_answered_by_the_kind_it_asks_for_is_not_weak_evidence() -> None:
    weak = POLICY.thresholds.weak_evidence_relevance - 0.1  # a few words of a follow-up match little
    turns = (Turn("user", "why do i pull away from people?"), Turn("assistant", "Pulling away is not selfish. [1]"))
    steps = {"Small steps are fine": 0.5, "A short text": 0.45, "A check-in": 0.4}

    def draft(message, follow_up):
        composer = BlockComposer(POLICY, lambda: UNITS, KINDS, 90)
        found = retrieval(steps, message, relevance=weak, follow_up=follow_up)
        return composer.answer(Verdict(None, text=message), found, turns if follow_up else ())

    assert draft("ok so what can i do about it", True).lead == POLICY.answers.kinds["what_to_do"].lead
    # a first question matched this weakly still says so
    assert draft("what can i do about my landlord", False).lead == " ".join(POLICY.wording.weak_evidence.split())


def test_what_else_after_part_of_a_list_gives_the_rest_of_it() -> None:
    turns = (Turn("user", "how do i reconnect"),
             Turn("assistant", "Small steps are fine. Try: [1]\n- A short text: One line or an emoji counts. [2]\n"
                               "- A check-in: Tell one person you are struggling. [3]"))

    more = compose("what else", {"A short text": 0.9, "A check-in": 0.8, "Writing": 0.5, "Professional help": 0.45,
                                 "Pulling away is not selfish": 0.44}, turns)

    assert "Writing: A journal" in body_text(more.segments) and "A short text" not in body_text(more.segments) and "A check-in" not in body_text(more.segments)
    assert body_text(more.segments).startswith("Small steps are fine. Try:")  # the rest of a list keeps its lead-in


def test_more_after_all_but_one_item_of_a_list_also_gives_the_block_after_it() -> None:
    turns = (Turn("user", "what does low mood do to you"),
             Turn("assistant", "Low mood changes how you see yourself. Its effects include: [1]\n"
                               "- Tiredness: Even a short reply can feel like a climb. [2]\n"
                               "- Self-doubt: You may feel you are too much for others. [3]"))
    scores = {"Tiredness": 0.9, "Self-doubt": 0.8, "Numbness": 0.6, "Pulling away is not selfish": 0.3, "Change comes slowly": 0.2}

    more = compose("tell me more", scores, turns)

    said = body_text(more.segments)
    assert "Numbness" in said and "Tiredness" not in said and "Self-doubt" not in said
    # one item is thin: the article goes on with the next block, and no line from a third place
    assert "Pulling away is not selfish." in said and blocks_of(more) == {2, 3}


def test_a_second_more_leans_on_the_question_and_repeats_neither_reply() -> None:
    scores = {"Pulling away is not selfish": 0.9, "It is a way": 0.85, "Self-doubt": 0.6, "Tiredness": 0.55,
              "There is a way through": 0.5, "Withdrawing from people": 0.45}
    first = compose("why do i pull away from people?", scores)
    turns = (Turn("user", "why do i pull away from people?"), Turn("assistant", body_text(first.segments)))
    second = compose("tell me more", scores, turns)
    turns += (Turn("user", "tell me more"), Turn("assistant", body_text(second.segments)))

    third = compose("what else", scores, turns)

    quoted = [{p.text for p in d.sources} for d in (first, second, third)]
    # nothing said again but the lead-in of a list whose remaining items follow it
    lead_ins = {u.text for u in UNITS if u.kind == "sentence" and u.section in {p.section for p in third.sources if p.kind == "item"}}
    assert third.category == "answered" and quoted[2] - lead_ins and quoted[2] & (quoted[0] | quoted[1]) <= lead_ins
    assert len(blocks_of(third)) <= 2 and len(blocks_of(second)) <= 2  # whole blocks, never a stray line
    assert third.lead == POLICY.answers.kinds["more"].lead


def test_the_body_stays_within_the_word_budget() -> None:
    long_item = "Long: " + " ".join(["word"] * 40)
    units = UNITS[:12] + [Unit(f"l{i}", SOURCE, f"{long_item} {i}.", "", 4, 100 + i, "item") for i in range(6)]
    composer = BlockComposer(POLICY, units, KINDS, 90)
    passages = tuple(Passage(u.id, SOURCE, u.text, 1.0 - 0.01 * i, u.section, u.position, u.kind)
                     for i, u in enumerate(units[12:]))
    draft = composer.answer(Verdict(None, text="what can i do?"), Retrieval(passages, "what can i do?", 0.8, confidence=0.8))

    assert body_text(draft.segments) and len(" ".join(p.text for p in draft.sources).split()) <= 120


def test_the_reply_draws_on_at_most_two_blocks_however_spread_the_scores() -> None:
    draft = compose("why do i feel like this", {"Tiredness": 0.9, "Pulling away is not selfish": 0.88, "A check-in": 0.87,
                                               "There is a way": 0.86, "Withdrawing from": 0.85})

    assert 1 <= len(blocks_of(draft)) <= 2


def test_a_line_the_policy_avoids_for_someone_at_risk_is_never_quoted() -> None:
    draft = compose("why do i feel like this", {"Self-doubt": 0.9, "Tiredness": 0.8}, risk="possible")
    safe = compose("why do i feel like this", {"Self-doubt": 0.9, "Tiredness": 0.8})
    avoid = POLICY.crisis.avoid_quoting[0]

    # the real policy avoids "They're better off without me": prove the filter with that line in a unit
    units = UNITS + [Unit("risky", SOURCE, f"Guilt: “{avoid}.”", "", 2, 7, "item")]
    composer = BlockComposer(POLICY, units, KINDS, 90)
    passages = (Passage("risky", SOURCE, units[-1].text, 0.95, 2, 7, "item"),
                Passage("u5", SOURCE, UNITS[5].text, 0.9, 2, 5, "item"), Passage("u4", SOURCE, UNITS[4].text, 0.8, 2, 4, "item"))
    at_risk = composer.answer(Verdict(None, risk="possible", text="why"), Retrieval(passages, "why", 0.8, confidence=0.8))
    no_risk = composer.answer(Verdict(None, text="why"), Retrieval(passages, "why", 0.8, confidence=0.8))

    assert body_text(draft.segments) == body_text(safe.segments)
    assert avoid not in body_text(at_risk.segments) and avoid in body_text(no_risk.segments)


def test_a_common_block_must_win_by_a_margin() -> None:
    policy = POLICY.__class__.__new__(POLICY.__class__)
    policy.__dict__.update(POLICY.__dict__)
    policy.file = POLICY.file.model_copy(update={"answers": POLICY.answers.model_copy(
        update={"common": ["Withdrawing from people"], "common_margin": 0.3})})
    policy.__dict__.pop("answer_cues", None)
    scores = {"Withdrawing from": 0.9, "There is a way": 0.8}

    narrow = BlockComposer(policy, UNITS, KINDS, 90).answer(Verdict(None, text="hm"), retrieval(scores, "hm"))
    plain = BlockComposer(POLICY, UNITS, KINDS, 90).answer(Verdict(None, text="hm"), retrieval(scores, "hm"))

    assert blocks_of(plain) >= {1} and 1 not in blocks_of(narrow)


@pytest.mark.parametrize("message, kind", [
    ("y do i keep doing this", "default"),  # chat spelling: the composer reads retrieval's corrected text, not this
    ("why do i keep cancelling plans", "cause"),
    ("how do i start replying to texts again", "what_to_do"),
    ("got any other suggestions for me", "what_to_do"),
    # asked whether anything at all would help: the steps, not the default lead over the symptoms
    ("is there something i could try when texting back feels impossible?", "what_to_do"),
    ("are there things that help when you cant face anyone", "what_to_do"),
    ("what could a person in my situation do", "what_to_do"),
    ("is there anything i could have done differently", "default"),  # looks back: asks no steps
    ("should i text my cousin that i'm having a hard time", "what_to_do"),  # whether to reach out: the check-ins
    ("is it alright to tell my roommate i need a quiet week", "what_to_do"),  # whether to say so: the check-ins
    ("do other people with depression go through this", "normal"),  # is it common
    ("does depression make you lose interest in hugs", "symptoms"),  # what depression does
    ("is it selfish to avoid everyone", "normal"),
    ("is it ok to take a break from people when depressed", "normal"),
    ("is it bad that i feel relieved when plans get cancelled", "normal"),
    ("will this ever get better", "hope"),
    ("do u think things can change for someone like me", "hope"),  # whether it can change, not why it happens
    ("i cancel everything lately. will the heaviness eventually fade?", "hope"),
    ("what is depression", "symptoms"),  # what it is and does, not the treatment list that names it most often
    ("what does depression feel like", "symptoms"),
    ("honestly nothing can fix this", "hope"),  # hopelessness is answered with the article's hope
    ("everything feels pointless", "hope"),
    ("what's the point of reaching out if nobody cares", "hope"),  # answered with the article's hope, not a collage
    ("what kinds of treatment are there", "treatment"),
    ("my brother stopped calling us. how can i help him?", "help_someone"),
    ("how can i support a friend who keeps cancelling on me", "help_someone"),
    ("how do i be there for my little sister when she's low", "help_someone"),
    ("how do i reach my old friends again", "what_to_do"),
    ("is it weird to want company and avoid it", "push_pull"),  # the contradiction itself, before "is it weird"
    ("tell me more", "more"),
    ("and?", "more"),
    ("I stopped going out in March. My friends text and I leave them on read. I used to be fun. Will it always be like this?",
     "hope"),
    ("I stopped going out in March. My friends text and I leave them on read. I used to be the fun one.", "cause"),
    # a question that names no kind of its own is refined by what the rest of the message is about
    ("I live in Seattle and I think I need a proper program, not a weekly chat. Where do I even start?", "treatment"),
    ("My sister won't leave her room and I want to support her. What do I do?", "help_someone"),
    ("I barely leave bed and I miss my friends. Where do I even begin?", "what_to_do"),
    ("I feel numb all the time. What do I do?", "what_to_do"),  # only treatment or help for someone refine it
    ("how can i be there for her?", "help_someone"),
    ("and if that doesnt work?", "treatment"),  # the article's next step after its small ones: more structured support
    ("what if none of that helps", "treatment"),
    ("i havent talked to my best friend in months and she keeps texting. how do i reach out to her?", "what_to_do"),
    ("my son is 15 and hides in his room all day and wont talk to us. what do we do", "help_someone"),  # "we" asks too
    ("my daughter is 16 and hides in her room all day. what should we do as parents?", "help_someone"),
    ("what should i say to a friend who isolates herself", "help_someone"),
    ("i hide in my room all day, what should i do", "what_to_do"),  # the one who hides is asking
    # a story that says it helped someone asks nothing about helping them
    ("My father died last year. We had to sell our home. I lived with my parents to help them because they are ill. "
     "It has been an ongoing struggle", "cause"),
    # "talk to them" is said of oneself too: only "how do i talk to him/her" asks how to reach someone else
    ("i miss my friends but i cant talk to them", "default"),
    ("how do i talk to them about my depression", "what_to_do"),
    ("my husband is depressed how do i talk to him", "help_someone"),
    ("how can i talk to her when she shuts me out", "help_someone"),
    ("we keep fighting about me never going out, what should we do", "what_to_do"),
    # someone close is the one withdrawing: how to help them, not the small steps written for oneself
    ("my best friend is depressed and ignores me what do i do", "help_someone"),
    ("my husband shuts me out since he got depressed", "help_someone"),
    ("my roommate barely leaves his room. what should i do", "help_someone"),
    ("my sister hasnt talked to me in weeks and i think shes depressed", "help_someone"),
    ("he's been so withdrawn lately, what should i do", "help_someone"),
    ("what should i say to a friend who's pulling away", "help_someone"),
    ("my teen barely leaves her room anymore. what can i do as a parent?", "help_someone"),
    ("she doesn't want to see anyone anymore. what should i do", "help_someone"),
    ("Since the fall she's been staying in her room and skipping classes. What can I do?", "help_someone"),
    ("i've been ignoring my sister and now she's been barely talking to me. what do i do", "what_to_do"),
    ("i ignored my boyfriend for a week and now he's upset. what do i do", "what_to_do"),  # his reaction, not his withdrawal
    ("how do i text someone who's been ignoring me because they're depressed", "help_someone"),
    ("what are the signs someone is pushing you away", "symptoms"),
    ("how do i know if i'm pushing people away", "symptoms"),  # telling whether is reading signs, not a step
    ("how do i tell my friends im depressed", "what_to_do"),
    ("my sister barely leaves her room. what sorts of places help with this?", "treatment"),  # a named ask stands
    ("my therapist says i isolate. what does that even mean", "cause"),  # lower case after the stop: still two sentences
    ("i keep ignoring texts. i feel bad. i used to be the one who planned everything", "cause"),  # a story, typed fast
    ("what's the difference between needing alone time and isolating", "symptoms"),
    ("do people with depression push away their partners", "cause"),
    ("is it common to ignore texts when depressed", "normal"),
    ("my friend said she wants to kill herself, what do i do", "help_someone"),  # what they told about themselves
    ("my mom said i'm always on my phone, what do i do", "what_to_do"),
    ("my mom says she's worried about me", "default"),  # worried is no withdrawal
    ("my husband is depressed and distant, is he just being rude?", "normal"),  # the not-a-failing lines answer it
    # calling oneself lazy or selfish asks whether it is a failing
    ("i think im just lazy", "normal"),
    ("i'm so selfish for ignoring everyone", "normal"),
    # the small steps feel out of reach: where more support is found
    ("but what if i can't even do that", "treatment"),
    ("i cant manage any of that", "default"),  # a statement, not the "what if" that asks
    # asking for advice is asking what to do
    ("any advice?", "what_to_do"),
    ("i need some advice, i keep ghosting everyone", "what_to_do"),
    ("my friends keep inviting me out and i keep saying no, how do i start saying yes again?", "what_to_do"),
    ("why does my husband ignore me", "cause"),  # a cue named the ask: why, answered with the reasons
    # "help me" asks what to do only when the person asks it, not when others try to help
    ("why do i feel guilty when people try to help me", "cause"),
    ("why do i push them away when they help me", "cause"),
    ("please help me i keep ignoring everyone", "what_to_do"),
    ("i haven't left my room in days and my mom keeps knocking. i don't know what to say to her", "what_to_do"),
    # whether a small step helps asks what to do, even after a story that names a therapist
    ("my therapist suggested i text one person a day. it feels pointless. does that kind of thing actually help?", "what_to_do"),
    ("does journaling actually help", "what_to_do"),
    ("is it okay to just text a heart emoji", "what_to_do"),  # whether a small step will do, not whether one is a failing
    ("is it okay that i avoid everyone", "normal"),
    # what someone did not know how to say is what happened, not a request for steps
    ("my friend asked why i never told her. i thought she'd think less of me. i didn't know how to say it.", "cause"),
    # how to reach the publisher, not a friend or a crisis line
    ("what is the phone number", "contact"),
    ("can i reach thira by phone", "contact"),
    ("is thira a real clinic", "contact"),
    ("what sort of programs does thira run", "treatment"),  # what thira offers: the kinds of structured support
    ("does thira offer anything for teenagers", "treatment"),
    ("what's the number for the suicide hotline", "default"),
    ("what's the phone number for pizza hut", "default"),
    ("how do i contact my friends again after ghosting them", "what_to_do"),
    # a story told about someone close ("he", "she" more often than "i") that asks what to do: how to help them
    ("my brother is 19 and he hardly leaves the house anymore. he skips every family dinner and he says he's fine. "
     "how can we help", "help_someone"),
    ("my dad lost his job in spring. since then he sits in the garage most evenings and he snaps when we ask. what should we do",
     "help_someone"),
    ("my roommate thinks i hate her because she never sees me. she keeps knocking. what should i do", "what_to_do"),
    ("my girlfriend says i'm distant. i know i am. i never text back. what do i do", "what_to_do"),
    # a question in quotation marks is someone else's: the person's ask is what they say around it
    ("today she texted 'did i do something wrong?' and i just stared at it. i want to reply but i don't know how to say it",
     "what_to_do"),
    ("my sister keeps asking “is it something i said?”. i don't know what to tell her", "what_to_do"),
    ("he said 'what's wrong with you?' and i walked out. is it normal to shut down like that?", "normal"),
    # asks about the article itself
    ("what is this article about", "overview"),
    ("can you summarize it", "overview"),
    ("what does the article say about guilt", "default"),
    # whether it is only depression asks about the cause, though the story names a therapist
    ("my doctor told me it's only depression. was that all there is to it?", "cause"),
    # where to find help nearby: the article's kinds of support and its note on Seattle
    ("is there any help around here", "treatment"),
    ("counselors in my town?", "treatment"),
    # who is behind the article
    ("who wrote this", "source"),
    ("where does this info come from", "source"),
    ("who wrote to you about me", "default"),
    # a bare "how?" asks how to get there ("there is a way through that pain"), not how it happens
    ("how", "what_to_do"),
    ("but how though?", "what_to_do"),
    ("so how do you tell if a friend is depressed", "symptoms"),
    # explaining it to someone: what depression does, not the small steps
    ("how can i explain depression to my grandparents", "symptoms"),
    ("my coworkers think i'm flaky. i don't know how to explain it to them", "symptoms"),
    ("how do i reach back out after months", "what_to_do"),
    ("can you explain that", "default"),
    # what a therapist said is the story; the question is the ask ("my therapist says i isolate, how do i stop" got the
    # treatment list)
    ("my therapist told me i shut people out, how do i quit doing that", "what_to_do"),
    ("my therapist thinks i withdraw from everyone, why would i do that", "cause"),
    ("my therapist wants me to look at a day program", "treatment"),
])
def test_the_ask_is_read_from_the_last_question_or_the_gist(message: str, kind: str) -> None:
    assert read_ask(message, POLICY).kind == kind


@pytest.mark.parametrize("context, kind", [
    ("my boyfriend has depression and he stopped texting me", "help_someone"),  # who it is about carries over
    ("i keep cancelling on my friends", "what_to_do"),
    ("", "what_to_do"),
    ("my husband has been depressed for months and he barely talks to me\nwhy is he doing this\ntell me more", "help_someone"),
])
def test_a_follow_up_is_read_as_about_the_person_the_message_it_leans_on_was_about(context: str, kind: str) -> None:
    assert read_ask("so what do i do?", POLICY, context=context).kind == kind


def test_a_follow_up_is_about_whoever_the_conversation_named_not_only_its_last_question() -> None:
    turns = (Turn("user", "my husband has been depressed for months and he barely talks to me"), Turn("assistant", "..."),
             Turn("user", "why is he doing this"), Turn("assistant", "..."))

    draft = compose("what can i do", {"Low mood changes": 0.9, "A short text": 0.8}, turns)
    # how to help him, not the small steps written for the one who withdraws
    assert draft.lead == POLICY.answers.kinds["help_someone"].lead and blocks_of(draft) == {2}


@pytest.mark.parametrize("context, kind", [
    ("my girlfriend has depression and she stopped replying to me", "help_someone"),  # why she withdraws, not reassurance for the writer
    ("i keep ignoring my friends", "fault"),
])
def test_whether_it_is_my_fault_is_about_the_person_the_conversation_is_about(context: str, kind: str) -> None:
    assert read_ask("is it my fault?", POLICY, context=context).kind == kind
    assert POLICY.answers.kinds["fault"].lead == POLICY.answers.kinds["normal"].lead  # for oneself: not a failing


def test_render_keeps_list_items_as_items_in_article_order() -> None:
    passages = [Passage(u.id, SOURCE, u.text, 1.0, u.section, u.position, u.kind) for u in (UNITS[16], UNITS[11], UNITS[12])]

    segments = render(passages)

    assert [s.kind for s in segments] == ["line", "item", "line"]
    assert [(q.n, q.passage.position) for s in segments for q in s.quotes] == [(1, 11), (2, 12), (3, 16)]


def test_a_supporting_line_follows_the_block_it_supports_and_is_no_bullet_of_its_list() -> None:
    as_passage = lambda u: Passage(u.id, SOURCE, u.text, 1.0, u.section, u.position, u.kind)  # noqa: E731
    block = [as_passage(UNITS[i]) for i in (11, 12, 13)]  # "Try:" list, after the symptoms list in the article
    support = [as_passage(UNITS[5])]  # an item of the earlier list

    segments = render(block, then=support)

    assert [s.kind for s in segments] == ["line", "item", "item", "line"]
    assert segments[-1].text == UNITS[5].text and [q.n for s in segments for q in s.quotes][-1] == 4


def test_the_composer_puts_the_answering_block_before_its_support() -> None:
    draft = compose("tell me about reaching out again", {"A short text": 0.9, "A check-in": 0.8, "Writing": 0.7,
                                                         "Tiredness": 0.85})
    positions = [q.passage.position for s in draft.segments for q in s.quotes]

    # The steps list in article order, then the symptom line the article has earlier.
    assert positions[-1] == 4 and positions[:-1] == sorted(positions[:-1]) and min(positions[:-1]) > 4


def test_the_medical_reply_quotes_a_sentence_with_the_one_it_leans_on() -> None:
    found = retrieval({"It is a way of protecting": 0.9, "Numbness": 0.85}, "is that depression?")
    composer = BlockComposer(POLICY, lambda: UNITS, KINDS, 90)

    quoted = body_text(compose_medical(found, POLICY, 90, composer.with_antecedents).segments)

    assert quoted.index("Pulling away is not selfish.") < quoted.index("It is a way of protecting yourself.")  # what "It" is


def test_the_medical_reply_quotes_a_list_item_as_a_line_not_as_a_bullet_without_its_list() -> None:
    draft = compose_medical(retrieval({"Numbness": 0.9, "Withdrawing from people": 0.85}, "is that depression?"), POLICY, 90)

    lines = body_text(draft.segments).splitlines()
    assert draft.category == "medical_advice" and any(line.startswith("Numbness:") for line in lines)
    assert not any(line.startswith("- ") for line in lines)


def test_the_medical_reply_quotes_an_item_that_is_only_a_phrase_under_the_sentence_that_opens_its_list() -> None:
    # "Inpatient treatment depression programs for safety and stabilization." alone says nothing of what it is
    units = [Unit("t0", SOURCE, "For deeper lows, more structure can help.", "", 1, 0, "sentence"),
             Unit("t1", SOURCE, "These options include:", "", 1, 1, "sentence"),
             Unit("t2", SOURCE, "Residential programmes for safety and a steady routine.", "", 1, 2, "item")]
    composer = BlockComposer(POLICY, lambda: units, {SOURCE: (("For deeper", ("treatment",)),)}, 90)
    found = Retrieval((Passage("t2", SOURCE, units[2].text, 0.9, 1, 2, "item"),), "do i need residential care", 0.8,
                      confidence=0.8)

    lines = body_text(compose_medical(found, POLICY, 90, composer.with_antecedents).segments).splitlines()
    assert lines[0].startswith("For deeper lows, more structure can help. These options include:")
    assert lines[1].startswith("- Residential programmes")  # an item of the list it opens


def test_the_lead_in_of_an_excerpt_item_does_not_take_the_place_of_a_second_line() -> None:
    units = [Unit("t0", SOURCE, "For deeper lows, more structure can help.", "", 1, 0, "sentence"),
             Unit("t1", SOURCE, "These options include:", "", 1, 1, "sentence"),
             Unit("t2", SOURCE, "Residential programmes for safety and a steady routine.", "", 1, 2, "item"),
             Unit("t3", SOURCE, "Care close to home can be a next step.", "", 2, 0, "sentence")]
    composer = BlockComposer(POLICY, lambda: units, {SOURCE: (("For deeper", ("treatment",)),)}, 90)
    found = Retrieval((Passage("t2", SOURCE, units[2].text, 0.9, 1, 2, "item"),
                       Passage("t3", SOURCE, units[3].text, 0.85, 2, 0, "sentence")),
                      "is there treatment near me", 0.8, confidence=0.8)

    quoted = body_text(compose_medical(found, POLICY, 90, composer.with_antecedents).segments)
    assert "Residential programmes" in quoted and "Care close to home" in quoted


def test_the_medical_reply_never_shares_a_framing_line_that_fits_any_question() -> None:
    units = units_of(("f0", "If this sounds like you, you are not alone.", 1, "sentence"),
                     ("c0", "This is not a flaw of character.", 2, "sentence"))
    composer = BlockComposer(POLICY, lambda: units, {SOURCE: (("If this sounds", ("framing",)), ("This is not", ("reassurance",)))}, 90)
    found = found_in(units, {"f0": 0.9, "c0": 0.8}, "is this depression")

    quoted = body_text(compose_medical(found, POLICY, 90, composer.with_antecedents).segments)
    assert "not alone" not in quoted and "This is not a flaw of character." in quoted


def test_a_supporting_sentence_that_leans_on_the_one_before_it_comes_with_it() -> None:
    draft = compose("what can i do about pulling away?",
                    {"A short text": 0.9, "It is a way of protecting": 0.88, "A check-in": 0.8, "Small steps": 0.3})

    body = body_text(draft.segments)
    assert "It is a way of protecting yourself." in body
    assert "Pulling away is not selfish. [" in body  # what "It" is, in the same line, before it
    assert body.index("Pulling away is not selfish.") < body.index("It is a way of protecting yourself.")


def test_an_article_without_block_kinds_is_not_passed_over_for_blocks_that_have_them() -> None:
    # a second article with no blocks.yaml: its blocks have no kinds, so none is "preferred" by the ask
    sleep = Unit("s0", "sleep.md", "Poor sleep and low mood feed each other.", "", 1, 0, "sentence")
    scores = {sleep.id: 0.9, BY_TEXT["Low mood changes how you see yourself."].id: 0.7}

    draft, _ = answer_from([*UNITS, sleep], KINDS, scores, "why can't i sleep when my mood is low?")

    assert draft.sources[0].source == "sleep.md"  # the best match leads, under a lead that claims nothing of it
    assert draft.lead == POLICY.answers.kinds["default"].lead


def test_a_lists_lead_in_that_leans_back_comes_with_what_it_leans_on() -> None:
    units = units_of(("r0", "Pulling away is not selfish.", 1, "sentence"),
                     ("r1", "It is a way to stay safe when everything hurts.", 1, "sentence"),
                     ("r2", "Common reasons include:", 1, "sentence"),
                     ("r3", "Fear: They might leave if they knew.", 1, "item"),
                     ("r4", "Exhaustion: Company takes energy you do not have.", 1, "item"))
    scores = {"r3": 0.9, "r4": 0.8, "r1": 0.7, "r2": 0.3, "r0": 0.05}

    _, quoted = answer_from(units, {SOURCE: (("Pulling away", ("reasons",)),)}, scores, "why do i pull away")

    assert quoted[:3] == [units[0].text, units[1].text, units[2].text]  # what "It" is, then the lead-in, then the items


def test_a_sentence_whose_second_word_points_back_is_quoted_with_the_one_before_it() -> None:
    units = [Unit("q0", SOURCE, "Reaching out can feel frightening at first.", "", 1, 0, "sentence"),
             Unit("q1", SOURCE, "Support makes the way back possible.", "", 1, 1, "sentence"),
             Unit("q2", SOURCE, "Pulling back is a symptom, not a failing.", "", 2, 2, "sentence"),
             Unit("q3", SOURCE, "Noticing them is where the way back begins.", "", 2, 3, "sentence")]
    kinds = {SOURCE: (("Reaching out", ("hope",)), ("Pulling back", ("reassurance",)))}

    _, quoted = answer_from(units, kinds, {"q1": 0.9, "q0": 0.5, "q3": 0.86, "q2": 0.1}, "is a way back even possible", 60)

    assert units[3].text in quoted  # near the best, so it supports the answer ...
    assert quoted.index(units[2].text) == quoted.index(units[3].text) - 1  # ... with what "them" is, right before it


def test_a_long_paragraph_quotes_each_sentence_once_with_what_it_leans_on() -> None:
    units = [Unit("p0", SOURCE, "Some days are long and heavy.", "", 1, 0, "sentence"),
             Unit("p1", SOURCE, "It can feel as if no one would understand what it is like to be you right now.", "", 1, 1, "sentence"),
             Unit("p2", SOURCE, "And that feeling makes every message harder to answer than the one before it.", "", 1, 2, "sentence"),
             Unit("p3", SOURCE, "Many people who live with low mood describe exactly this weight in their own words.", "", 1, 3, "sentence"),
             Unit("p4", SOURCE, "Naming it out loud, even to one person, can make it a little lighter to carry.", "", 1, 4, "sentence")]
    scores = {"p2": 0.9, "p1": 0.8, "p0": 0.7, "p4": 0.1}

    _, quoted = answer_from(units, {SOURCE: (("Some days", ("context",)),)}, scores, "why is answering so hard", 60)

    assert len(quoted) == len(set(quoted))  # no sentence twice
    assert quoted[:3] == [units[0].text, units[1].text, units[2].text]  # "And that feeling" with all it leans on, in order


# A list, the short paragraph that points back at it, then a list of another kind.
FOLLOWED = [
    (1, "sentence", "Pulling away has reasons."),
    (1, "sentence", "Common ones:"),
    (1, "item", "Fear: They might leave if they knew."),
    (1, "item", "Exhaustion: Company takes energy you do not have."),
    (2, "sentence", "These reactions are not failures, they are symptoms."),
    (3, "sentence", "Help comes in many forms:"),
    (3, "item", "Residential care: safety and a steady routine."),
    (3, "item", "Day programmes: daily support."),
]
FOLLOWED_KINDS = {SOURCE: (("Pulling away has reasons", ("reasons",)), ("These reactions", ("reassurance",)),
                           ("Help comes", ("treatment",)))}
FOLLOWED_UNITS = article(FOLLOWED, "f")


def compose_followed(message: str, scores: dict[str, float]):
    return answer_from(FOLLOWED_UNITS, FOLLOWED_KINDS, scored(FOLLOWED_UNITS, scores), message)[0]


def test_the_paragraph_that_points_back_at_the_block_goes_with_it_over_a_stray_line_of_another_kind() -> None:
    # "is it selfish": the reasons answer it; the treatment item ranks near the retrieval's best but says nothing
    # the person said and would turn the lead to the default, so the article's own next words go instead
    draft = compose_followed("is it selfish that i keep cancelling on my sister",
                             {"Exhaustion": 1.0, "Residential care": 0.95, "Fear": 0.7})

    body = body_text(draft.segments)
    assert blocks_of(draft) == {1, 2} and body.endswith("These reactions are not failures, they are symptoms. [4]")
    assert draft.lead == POLICY.answers.kinds["normal"].lead


def test_a_why_question_gets_the_reasons_without_the_reassurance_that_follows_them() -> None:
    # "These reactions are not failures" reassures; it says nothing of why, so it is no part of the
    # answer under "why this happens" (and the stray treatment line would change that lead)
    draft = compose_followed("why do i keep cancelling on my sister", {"Exhaustion": 1.0, "Residential care": 0.95, "Fear": 0.7})

    assert blocks_of(draft) == {1} and draft.lead == POLICY.answers.kinds["cause"].lead


def test_tell_me_more_after_a_block_the_article_follows_with_a_short_paragraph_goes_on_past_it() -> None:
    # "These reactions are not failures, they are symptoms." alone was the whole reply to "tell me more"
    # after the reasons; the article goes on past it
    first = [Turn("user", "why do i keep cancelling on my sister"),
             Turn("assistant", "Pulling away has reasons. Common ones: Fear: They might leave if they knew. "
                               "Exhaustion: Company takes energy you do not have.")]
    scores = scored(FOLLOWED_UNITS, {"Exhaustion": 1.0, "Fear": 0.7, "These reactions": 0.3, "Help comes": 0.2})
    _, quoted = answer_from(FOLLOWED_UNITS, FOLLOWED_KINDS, scores, "tell me more", turns=first)

    assert "Help comes in many forms:" in quoted and "Fear: They might leave if they knew." not in quoted


def test_a_stray_line_that_echoes_the_persons_own_words_keeps_its_place() -> None:
    draft = compose_followed("why do i keep cancelling, would residential care with a steady routine help",
                             {"Exhaustion": 1.0, "Residential care": 0.95, "Fear": 0.7})

    assert blocks_of(draft) == {1, 3} and "These reactions" not in body_text(draft.segments)


def test_a_paragraph_that_names_what_the_block_before_said_is_quoted_after_it_not_beside_a_stray_line() -> None:
    # "These reactions are not failures" with a line of a third block would point at nothing
    draft = compose_followed("cancelling plans all the time", {"These reactions": 1.0, "Residential care": 0.95, "Fear": 0.5})

    body = body_text(draft.segments)
    assert blocks_of(draft) == {1, 2} and body.startswith("Pulling away has reasons.")
    assert body.endswith("These reactions are not failures, they are symptoms. [4]")


def test_a_follow_ups_supporting_line_is_never_one_an_earlier_reply_quoted() -> None:
    units = units_of(("r0", "Pulling away has reasons:", 1, "sentence"),
                     ("r1", "Fear: They might leave if they knew.", 1, "item"),
                     ("r2", "Exhaustion: Company takes energy you do not have.", 1, "item"),
                     ("a0", "Nobody is broken for pulling away.", 2, "sentence"),
                     ("b0", "Hurting is not the same as failing.", 3, "sentence"))
    kinds = {SOURCE: (("Pulling away", ("reasons",)), ("Nobody", ("reassurance",)), ("Hurting", ("reassurance",)))}
    scores = {"r1": 1.0, "r2": 0.9, "a0": 0.95, "b0": 0.93}
    earlier = [Turn("user", "is it bad that i hide"), Turn("assistant", "The article says: Nobody is broken for pulling away. [1]")]

    _, fresh = answer_from(units, kinds, scores, "is that normal though", turns=earlier)
    _, again = answer_from(units, kinds, scores, "is that normal though", turns=earlier[:1])
    assert units[3].text in again and units[3].text not in fresh and units[4].text in fresh


def test_a_list_item_that_is_only_a_phrase_is_never_quoted_away_from_its_list() -> None:
    # "Inpatient treatment depression programs for safety and stabilization." alone, under a hope
    # answer, says nothing of what it is; a labelled item ("Fear: ...") or one with a subject may stand alone
    units = units_of(("h0", "There is a way through this.", 1, "sentence"),
                     ("t0", "Options include:", 2, "sentence"),
                     ("t1", "Residential programmes for safety and a steady routine.", 2, "item"),
                     ("t2", "You can ask a doctor about day programmes.", 2, "item"),
                     ("t3", "Fear of rejection or judgment: They might leave.", 2, "item"))
    kinds = {SOURCE: (("There is a way", ("hope",)), ("Options include", ("treatment",)))}

    _, quoted = answer_from(units, kinds, {"h0": 1.0, "t1": 0.98}, "is there a way through", 60)
    assert quoted == [units[0].text]
    _, quoted = answer_from(units, kinds, {"h0": 1.0, "t2": 0.98}, "is there a way through", 60)
    assert quoted == [units[0].text, units[3].text]
    _, quoted = answer_from(units, kinds, {"h0": 1.0, "t3": 0.98}, "is there a way through", 60)
    assert quoted == [units[0].text, units[4].text]  # a label of five words is a label


def test_the_paragraph_after_a_block_goes_with_it_only_when_it_points_back_and_the_lead_is_true_of_it() -> None:
    # a steps ask: "These reactions..." is reassurance, which the steps lead is not true of
    draft = compose_followed("how do i stop cancelling", {"Exhaustion": 1.0, "Fear": 0.7})
    assert "These reactions" not in body_text(draft.segments)
    # the treatment list is last: nothing points back at it
    draft = compose_followed("what kinds of care are there", {"Day programmes": 1.0, "Residential care": 0.9})
    assert blocks_of(draft) == {3}


def test_the_closing_notice_answers_only_when_it_clearly_beats_the_rest() -> None:
    # every reply already closes with the disclaimer and the contact: the notice that says the same
    # ("Remember: ... You can call us ...") is quoted only when it wins by the margin of margin_kinds
    units = [Unit("r0", SOURCE, "Pulling away protects you from more hurt.", "", 1, 0, "sentence"),
             Unit("n0", SOURCE, "Remember: this is general information, not medical advice.", "", 2, 1, "sentence"),
             Unit("n1", SOURCE, "You can call us for help any time.", "", 2, 2, "sentence")]
    kinds = {SOURCE: (("Pulling away", ("reasons",)), ("Remember", ("notice",)))}
    assert "notice" in POLICY.answers.margin_kinds
    edge = 1 + POLICY.answers.common_margin / 2

    _, quoted = answer_from(units, kinds, {"n1": edge * 0.5, "r0": 0.5}, "pulling away from everyone", 60)
    assert quoted[0] == units[0].text
    _, quoted = answer_from(units, kinds, {"n1": 1.0, "r0": 0.2}, "pulling away from everyone", 60)
    assert quoted[0] == units[1].text
    # a line of it may still support an answer ("You can contact THIRA Health at ..."), unlike a framing line
    assert "notice" not in POLICY.answers.no_support_kinds and "framing" in POLICY.answers.no_support_kinds
    _, quoted = answer_from(units, kinds, {"r0": 1.0, "n1": 0.95}, "pulling away from everyone", 60)
    assert quoted == [units[0].text, units[2].text]


def test_a_block_that_points_back_comes_after_the_block_it_points_at_when_nothing_supports_it() -> None:
    # "These symptoms make it incredibly difficult..." quoted alone leaves "these symptoms" unsaid
    units = [Unit("s0", SOURCE, "Low mood changes how you relate to others. It often brings:", "", 1, 0, "sentence"),
             Unit("s1", SOURCE, "Fatigue: Replying takes everything you have.", "", 1, 1, "item"),
             Unit("s2", SOURCE, "Numbness: Little reaches you.", "", 1, 2, "item"),
             Unit("s3", SOURCE, "These changes make friendships hard to keep, even close ones.", "", 2, 3, "sentence"),
             Unit("h0", SOURCE, "Small steps are fine.", "", 3, 4, "sentence")]
    kinds = {SOURCE: (("Low mood", ("symptoms",)), ("These changes", ("symptoms",)), ("Small steps", ("steps",)))}

    _, quoted = answer_from(units, kinds, {"s3": 1.0, "s1": 0.3, "s2": 0.2}, "what does low mood do to friendships", 60)
    assert quoted == [units[0].text, units[1].text, units[2].text, units[3].text]  # the article's passage, in order


TRIMMED = [
    (1, "sentence", "Pulling away has reasons."),
    (1, "sentence", "Common ones:"),
    (1, "item", "Fear: They might leave if they knew."),
    (1, "item", "Exhaustion: Company takes energy you do not have."),
    (1, "item", "Shame: You feel you drag people down."),
    (2, "sentence", "These reactions are not failures, they are symptoms."),
    (3, "sentence", "Low mood drains the energy that every conversation with a friend takes."),
]
TRIMMED_KINDS = {SOURCE: (("Pulling away has reasons", ("reasons",)), ("These reactions", ("reassurance",)),
                          ("Low mood drains", ("symptoms",)))}


def test_a_list_is_not_cut_for_a_line_from_elsewhere_when_its_own_next_words_fit_whole() -> None:
    # the symptom line ranks near the best but fits only with an item cut: the list stays whole, with
    # the paragraph that points back at it, and "tell me more" is left no stray item to repeat the lead-in for
    units = article(TRIMMED, "t")
    scores = scored(units, {"Exhaustion": 1.0, "Low mood drains": 0.95, "Fear": 0.7, "Shame": 0.5})
    _, quoted = answer_from(units, TRIMMED_KINDS, scores, "is it selfish that i keep cancelling on my sister", max_words=38)

    assert quoted == [u.text for u in units[:6]]  # the list whole, then "These reactions..."


CARRIED = [
    (1, "sentence", "Pulling away has reasons."),
    (1, "sentence", "Common ones:"),
    (1, "item", "Fear: They might leave if they knew."),
    (1, "item", "Guilt: You feel you drag people down."),
    (2, "sentence", "Reaching out can feel frightening."),
    (2, "sentence", "But with support, healing is within reach."),
    (2, "sentence", "Some people start with a short text."),
]
CARRIED_KINDS = {SOURCE: (("Pulling away has reasons", ("reasons",)), ("Reaching out", ("hope",)))}


def test_a_supporting_line_is_quoted_with_the_sentence_that_finishes_its_point() -> None:
    units = article(CARRIED, "c")
    scores = scored(units, {"Guilt": 1.0, "Reaching out": 0.95, "Fear": 0.7})
    _, quoted = answer_from(units, CARRIED_KINDS, scores, "why do i feel guilty when people reach out")

    assert quoted[-2:] == ["Reaching out can feel frightening.", "But with support, healing is within reach."]
    assert "Some people start with a short text." not in quoted  # only what finishes the point, not the paragraph


def test_the_medical_reply_quotes_a_sentence_with_what_finishes_its_point() -> None:
    units = article(CARRIED, "c")
    composer = BlockComposer(POLICY, lambda: units, CARRIED_KINDS, 90)
    found = found_in(units, {units[4].id: 0.9}, "should i see a therapist")

    quoted = body_text(compose_medical(found, POLICY, 90, composer.with_antecedents).segments)

    assert "Reaching out can feel frightening. [1] But with support, healing is within reach. [2]" in quoted


# A made-up article for conversations, one block per kind (a list with its lead-in, or a paragraph);
# ``conversation_article("r", "a")`` takes the blocks whose ids start with those letters, in this order.
CONVERSATION_ROWS = [
    ("h0", "There is a way through this.", "sentence", "hope"),
    ("m0", "Low mood changes how you relate:", "sentence", "symptoms"),
    ("m1", "Tiredness: Even a short reply can feel like a climb.", "item", "symptoms"),
    ("m2", "Numbness: It can be hard to feel close to anyone.", "item", "symptoms"),
    ("n0", "These changes make closeness hard, even with people you love.", "sentence", "symptoms"),
    ("r0", "Pulling away has reasons:", "sentence", "reasons"),
    ("r1", "Fear: They might leave if they knew.", "item", "reasons"),
    ("r2", "Exhaustion: Company takes energy you do not have.", "item", "reasons"),
    ("r3", "Control: Withdrawing is one choice left to make.", "item", "reasons"),
    ("a0", "Nobody is broken for pulling away.", "sentence", "reassurance"),
    ("s0", "Small steps help:", "sentence", "steps"),
    ("s1", "A text: One line counts.", "item", "steps"),
    ("s2", "A call: Five minutes is enough.", "item", "steps"),
    ("t0", "When small steps are not enough, a care team can help.", "sentence", "treatment"),
]
TEXT = {id: text for id, text, _, _ in CONVERSATION_ROWS}
GAVE_STEPS = [Turn("user", "how can i start texting people back"),
              Turn("assistant", f"{TEXT['s0']} [1]\n- {TEXT['s1']} [2]\n- {TEXT['s2']} [3]")]


# about someone close: a reply that listed the symptoms, then one that listed the reasons
ABOUT_HIM = [Turn("user", "my boyfriend keeps pulling away from me since he got depressed"),
             Turn("assistant", f"{TEXT['m0']} [1]\n- {TEXT['m1']} [2]\n- {TEXT['m2']} [3]"),
             Turn("user", "why is he shutting everyone out"),
             Turn("assistant", f"{TEXT['r0']} [1]\n- {TEXT['r1']} [2]\n- {TEXT['r2']} [3]")]


def conversation_article(*letters: str):
    """The units and block kinds of the blocks of ``CONVERSATION_ROWS`` whose ids start with ``letters``."""
    rows = [r for r in CONVERSATION_ROWS if r[0][0] in letters]
    block = {letter: n for n, letter in enumerate(dict.fromkeys(r[0][0] for r in rows), start=1)}
    units = units_of(*((id, text, block[id[0]], kind) for id, text, kind, _ in rows))
    kinds = {SOURCE: tuple((text, (block_kind,)) for id, text, _, block_kind in rows if id.endswith("0"))}
    return units, kinds


def test_a_new_question_in_a_follow_up_is_not_answered_with_the_passage_the_last_reply_gave() -> None:
    # "so am i just a terrible friend?" after a reply that quoted the reasons: the reassurance answers it,
    # though retrieval (with the question before) still ranks the reasons first
    units, kinds = conversation_article("r", "a", "s")
    scores = {"r1": 1.0, "r2": 0.95, "r3": 0.9, "a0": 0.6, "s1": 0.5, "s2": 0.45}
    gave_reasons = [Turn("user", "why do i keep hiding from my friends"),
                    Turn("assistant", f"{TEXT['r0']} [1]\n- {TEXT['r1']} [2]\n- {TEXT['r2']} [3]")]

    _, after_reasons = answer_from(units, kinds, scores, "so am i just a terrible friend?", turns=gave_reasons)
    _, asked_first = answer_from(units, kinds, scores, "so am i just a terrible friend?")
    _, steps_again = answer_from(units, kinds, {"s1": 1.0, "s2": 0.9, "a0": 0.5}, "ok so what can i do", turns=GAVE_STEPS)

    assert after_reasons[0] == TEXT["a0"] and TEXT["r1"] not in after_reasons
    assert TEXT["r1"] in asked_first  # asked first, the reasons may answer it
    # no other block answers what it asks: the steps stand, rather than a passage that does not answer it
    assert TEXT["s1"] in steps_again and TEXT["a0"] not in steps_again[:1]


def test_what_to_do_after_the_steps_were_given_is_answered_with_where_to_find_more_help() -> None:
    # the policy's next answer (``then``), even when the follow-up's few words did not find it
    units, kinds = conversation_article("s", "a", "t")
    scores = {"s1": 1.0, "s2": 0.9, "a0": 0.5}

    draft, next_help = answer_from(units, kinds, scores, "ok so what can i do", turns=GAVE_STEPS)
    _, first_time = answer_from(units, kinds, scores, "ok so what can i do")

    assert next_help == [TEXT["t0"]] and draft.lead == POLICY.answers.kinds["treatment"].lead
    assert TEXT["s1"] in first_time


def test_more_never_repeats_what_an_earlier_reply_of_the_conversation_quoted() -> None:
    units, kinds = conversation_article("h", "s", "t")
    turns = GAVE_STEPS + [Turn("user", "ok and if that is not enough"), Turn("assistant", f"{TEXT['t0']} [1]")]
    # "what else is there" leans on the last question; retrieval finds the steps first
    scores = {"s1": 1.0, "s2": 0.9, "t0": 0.8, "h0": 0.3}

    _, more = answer_from(units, kinds, scores, "what else is there", turns=turns)

    assert more == [TEXT["h0"]]
    # once every line has been quoted, it goes on from the question it leans on rather than saying nothing
    told = turns + [Turn("user", "what else is there"), Turn("assistant", f"{TEXT['h0']} [1]")]
    _, again = answer_from(units, kinds, scores, "say more pls", turns=told)
    assert again and TEXT["h0"] not in again


def test_a_follow_up_is_not_answered_with_a_passage_any_earlier_reply_gave() -> None:
    # about someone close: the symptoms, then the reasons, then "is it my fault?" gets what neither said
    units, kinds = conversation_article("m", "r", "a")
    scores = {"m1": 1.0, "m2": 0.95, "r1": 0.9, "r2": 0.85, "a0": 0.4}

    draft, quoted = answer_from(units, kinds, scores, "is that my fault", turns=ABOUT_HIM)

    assert quoted == [TEXT["a0"]] and draft.lead == POLICY.answers.kinds["help_someone"].lead


def test_a_follow_up_gets_a_block_of_the_kind_it_asks_for_that_the_retrieval_did_not_find() -> None:
    # "is that my fault" about someone close, after the symptoms and the reasons: "These changes make
    # closeness hard..." (symptoms, which helping asks for) was not retrieved; the steps were, and are
    # neither the answer nor a supporting line above a block that scored nothing
    units, kinds = conversation_article("m", "n", "r", "s")
    scores = {"m1": 1.0, "m2": 0.95, "r1": 0.9, "r2": 0.85, "s1": 0.5, "s2": 0.45}

    draft, quoted = answer_from(units, kinds, scores, "is that my fault", turns=ABOUT_HIM)

    assert quoted == [TEXT["n0"]] and draft.lead == POLICY.answers.kinds["help_someone"].lead


def test_a_follow_up_quotes_a_paragraph_that_points_back_without_the_block_an_earlier_reply_gave() -> None:
    # "These changes make closeness hard..." names the symptoms list before it; that list was given two
    # replies ago, so the paragraph comes alone rather than bringing the whole list again
    units, kinds = conversation_article("m", "n", "r", "a")
    scores = {"n0": 1.0, "m1": 0.95, "m2": 0.9, "r1": 0.85, "a0": 0.4}

    _, quoted = answer_from(units, kinds, scores, "is that my fault", turns=ABOUT_HIM)

    assert quoted[0] == TEXT["n0"] and TEXT["m1"] not in quoted



def test_a_person_who_tells_their_story_is_thanked_before_the_answer() -> None:
    """A message of two sentences or more in the first person tells what the person is going through:
    the answer opens with ``wording.story_opening``, then the lead of what it asks. A short question
    and a follow-up are answered with the lead alone."""
    opening, steps_lead = POLICY.wording.story_opening, POLICY.answers.kinds["what_to_do"].lead
    scores = {"A short text": 0.9, "A check-in": 0.85, "Change comes slowly": 0.5}
    story = compose("My cousin keeps inviting me to the lake. I say yes and then I bail. I hate it. What can I do?", scores)
    question = compose("what can i do when i keep bailing?", scores)
    follow_up = compose("I hear you. I tried that already. It went badly. what can i do?", scores,
                        turns=(Turn("user", "i keep bailing on my cousin"), Turn("assistant", "Pulling away is not selfish.")))
    remark = compose("The lake trip was planned. It was hot. Everyone swam.", scores)  # not about the writer
    short_story = compose("I push my husband away when he hugs me. I hate that I do it.", scores)

    assert opening and story.lead == f"{opening} {steps_lead}"
    assert question.lead == steps_lead and not follow_up.lead.startswith(opening) and not remark.lead.startswith(opening)
    assert short_story.lead.startswith(opening)


PULL = units_of(("p0", "Many of us crave company yet turn down every call.", 1, "sentence"),
                ("p1", "If any of this sounds like you, you are in good company.", 2, "sentence"),
                ("p2", "Low mood shows itself in many ways:", 3, "sentence"),
                ("p3", "Tiredness: Even a short reply can feel like a climb.", 3, "item"),
                ("p4", "Numbness: It can be hard to feel close to anyone.", 3, "item"),
                ("p5", "These changes make every friendship harder to keep.", 4, "sentence"),
                ("p6", "Pulling back does not make you a bad person.", 5, "sentence"),
                ("p7", "It means you are in pain.", 5, "sentence"))
PULL_KINDS = {SOURCE: (("Many of us crave", ("push_pull",)), ("If any of this", ("framing",)), ("Low mood shows", ("symptoms",)),
                       ("These changes", ("symptoms",)), ("Pulling back", ("reassurance",)))}


def test_a_supporting_line_that_points_back_at_a_block_not_quoted_is_left_out() -> None:
    # "These changes make every friendship harder to keep." after the push-pull passage would point at nothing
    _, quoted = answer_from(PULL, PULL_KINDS, {"p0": 1.0, "p5": 0.97, "p3": 0.3},
                                "i miss my friends and yet i hide from them whenever they call")

    # ... and so would the short paragraph as a companion; unless it repeats the person's own words
    _, quoted_alone = answer_from(PULL, PULL_KINDS, {"p0": 1.0, "p5": 0.5, "p3": 0.3},
                                  "i miss my friends and yet i hide from them whenever they call")
    _, quoted_echo = answer_from(PULL, PULL_KINDS, {"p0": 1.0, "p5": 0.97, "p3": 0.3},
                                      "i crave company but every friendship is harder to keep")

    assert quoted == quoted_alone == ["Many of us crave company yet turn down every call."]
    assert quoted_echo[-1] == "These changes make every friendship harder to keep."


def test_a_short_question_that_names_one_item_of_a_list_gets_that_item_with_the_lists_lead_in() -> None:
    # "what do you mean by low pressure communication" after the steps got the whole list again
    scores = {"A check-in": 0.9, "A short text": 0.7, "Writing": 0.5, "There is a way": 0.6}
    draft = compose("what do you mean by a check in", scores)

    body = body_text(draft.segments)
    assert body.startswith("Small steps are fine. Try:") and "A check-in" in body
    assert not any(other in body for other in ("A short text", "Writing", "Professional help", "There is a way"))

    # a longer message, or one that names no item or two of them, keeps the list whole
    for message in ("what do you mean by a check in, i tried texting and it felt like too much for me honestly",
                    "what do you mean by checking on people", "is a check in better than writing"):
        whole = body_text(compose(message, scores).segments)
        assert all(item in whole for item in ("A short text", "A check-in", "Writing")), message


def test_a_why_question_gets_the_reasons_over_a_closer_worded_description_of_the_pull() -> None:
    # the push-pull paragraph says that people pull away from those they want close, not why: under
    # "why this happens" the reasons answer, however much closer the description's wording is
    units = units_of(("p0", "You may long for people and still shut them out.", 1, "sentence"),
                     ("p1", "Calls go unanswered and plans get cancelled.", 1, "sentence"),
                     ("r0", "Pulling away has reasons:", 2, "sentence"),
                     ("r1", "Fear: They might leave if they knew.", 2, "item"),
                     ("r2", "Exhaustion: Company takes energy you do not have.", 2, "item"))
    kinds = {SOURCE: (("You may long for people", ("push_pull",)), ("Pulling away has reasons", ("reasons",)))}
    draft, quoted = answer_from(units, kinds, {"p0": 1.0, "p1": 0.9, "r2": 0.4}, "why do i ghost the people i like most")

    assert quoted[:3] == ["Pulling away has reasons:", "Fear: They might leave if they knew.",
                          "Exhaustion: Company takes energy you do not have."]
    assert draft.lead == POLICY.answers.kinds["cause"].lead
