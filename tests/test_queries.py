"""Reading a message as a query (queries.py): what counts as a follow-up, which list item "the
second one" means, what the last reply already said, the sentences of a story, and the
validation of the words in guardrails/queries.yaml."""

from __future__ import annotations

import shutil

import pytest
import yaml

from assistant.errors import ConfigError
from assistant.queries import QUERIES_FILE, QueryReader, said_in, sentences
from assistant.settings import ROOT

LOW = "Low self-worth: You may feel like a burden, unworthy of love or care."
READER = QueryReader.load(ROOT / "guardrails")
LEANING = len(READER.words.follow_up.leaning)  # the index a word appended to the list gets


@pytest.mark.parametrize("message", ["is that normal?", "so how do I fix it?", "what was the second reason again",
                                     "and the last one?", "more please", "got any other ideas for me"])
def test_a_message_leaning_on_the_last_turn_is_a_follow_up(message):
    assert READER.is_follow_up(message)


@pytest.mark.parametrize("message", ["why does depression make me avoid my friends even when I miss them",
                                     "what are some small steps I could take to reconnect with my family"])
def test_a_question_that_stands_alone_is_not_a_follow_up(message):
    assert not READER.is_follow_up(message)


@pytest.mark.parametrize("message, expected", [("what was the second reason", 2), ("tell me about the first one", 1),
                                               ("the last option?", -1), ("the 3rd item please", 3)])
def test_an_ordinal_pointing_into_the_last_reply_is_read(message, expected):
    assert READER.ordinal(message) == expected


@pytest.mark.parametrize("message", ["the first time I cancelled plans", "last week I ignored everyone", "why do I isolate"])
def test_an_ordinal_that_points_at_nothing_is_ignored(message):
    assert READER.ordinal(message) is None


def test_a_reply_conveys_a_unit_by_its_label_or_most_of_its_words():
    assert said_in("It lists low self-worth and distorted thoughts.", LOW, "low self worth")
    assert said_in("You may feel like a burden, unworthy of care.", LOW, "")
    assert not said_in("It lists distorted thoughts.", LOW, "low self worth")


def test_only_a_message_of_several_sentences_is_split():
    assert sentences("why do I push people away?") == []
    story = "My brother stopped calling me. He says he is fine. Why would he pull away from us?"
    assert sentences(story) == ["My brother stopped calling me.", "He says he is fine.", "Why would he pull away from us?"]


# -- the words come from guardrails/queries.yaml -----------------------------------------------


@pytest.fixture
def guardrails(tmp_path):
    folder = tmp_path / "guardrails"
    shutil.copytree(ROOT / "guardrails", folder)
    return folder


def edit(folder, change) -> None:
    path = folder / QUERIES_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_a_word_added_to_the_file_changes_the_reading(guardrails):
    assert READER.ordinal("the fifth reason") is None
    edit(guardrails, lambda d: d["ordinals"].update({"fifth": 5}))

    assert QueryReader.load(guardrails).ordinal("the fifth reason") == 5


@pytest.mark.parametrize("change, key", [
    (lambda d: d["follow_up"]["leaning"].append("That"), f"follow_up.leaning.{LEANING}"),
    (lambda d: d["pointers"].append("two  words"), "pointers.10"),
    (lambda d: d["ordinals"].update({"zeroth": 0}), "ordinals.zeroth"),
    (lambda d: d.update({"pointer": ["one"]}), "pointer"),
    (lambda d: d.pop("follow_up"), "follow_up"),
])
def test_a_bad_entry_stops_start_up_naming_the_file_and_key(guardrails, change, key):
    edit(guardrails, change)

    with pytest.raises(ConfigError) as err:
        QueryReader.load(guardrails)

    assert QUERIES_FILE in str(err.value) and f"key '{key}" in str(err.value)


def test_a_missing_file_says_to_restore_it(guardrails):
    (guardrails / QUERIES_FILE).unlink()

    with pytest.raises(ConfigError, match="queries.yaml: file is missing"):
        QueryReader.load(guardrails)
