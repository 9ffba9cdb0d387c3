"""Bad input everywhere it enters: the Python API, the page (its handler, and /ask over HTTP),
`assistant ask --json` and the JSONL batch.

Property: whatever arrives (any Unicode, lone surrogates, control and zero-width characters,
right-to-left text, HTML and script, 100k-character messages, malformed history, wrong types),
no exception escapes and every reply ends with the professional contact and the disclaimer.
Crisis detection still works when the crisis phrase is hidden among noise or split by invisible
characters.

Runs on the deterministic HashEmbedder fake (conftest's ``fake_bot``); generation is
derandomized, so a failure reproduces. The example counts add up to more than 5,000 inputs
(checked by the last test) and the file runs in about a minute.
"""

from __future__ import annotations

import json
from collections import Counter
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import cli
from assistant.assistant import Assistant
from assistant.types import CATEGORIES, Reply

EXAMPLES = {"python_text": 900, "python_wrong_types": 300, "python_texty": 400, "crisis_noise": 300, "crisis_long": 6,
            "long_messages": 4, "cli_json": 100, "jsonl_batch": 200, "page_handler": 300, "page_http": 40}
"""Examples per test; a JSONL example is a batch of 10 to 30 lines."""
BASE = settings(derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
INPUTS: Counter[str] = Counter()
"""Inputs tried per entry point; the last test checks the total."""


def fuzz(kind: str) -> settings:
    return settings(BASE, max_examples=EXAMPLES[kind])


ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\u2061", "\u2062", "\u2063", "\u2064",
              "\ufeff", "\u00ad", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
CONTROL = [chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]]
RTL = ["مرحبا، لماذا أتجاهل الرسائل؟", "למה אני מתעלם מהודעות?", "\u202eeht ni sgniht", "یک دو سه"]
MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</div><iframe src=//evil>", "{{7*7}}", "${jndi:ldap://x}",
          "'; DROP TABLE passages; --", "../../etc/passwd", "file:///etc/shadow", "%s%s%n", "\\x00", "[1](javascript:alert(1))",
          "**bold** _it_ `code`", "<!--", "]]>", "&lt;&#x3C;"]
WORDS = ["why", "do", "I", "ignore", "messages", "depression", "push", "people", "away", "friends", "reconnect", "selfish",
         "help", "what", "how", "can", "you", "the", "tired", "lonely", "😢", "🙂", "家族", "пожалуйста", "?", "!", "...", "\n"]

# Text from every corner of Unicode, lone surrogates included (a JSON "\ud800" escape makes one).
any_char = st.one_of(
    st.characters(),
    st.characters(categories=["Cs"]),
    st.sampled_from(ZERO_WIDTH + CONTROL),
)
any_text = st.text(any_char, max_size=150)
fragment = st.one_of(st.sampled_from(WORDS + MARKUP + RTL + ZERO_WIDTH + CONTROL), st.text(any_char, max_size=12))
texty = st.lists(fragment, max_size=25).map(" ".join)
"""Messages that look like messages: words and markup, so they reach retrieval, not only the input check."""

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(any_char, max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
turn = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant"]), "content": st.one_of(texty, any_text)}
)
history = st.one_of(
    st.none(),
    st.lists(turn, max_size=6),
    st.lists(st.one_of(turn, json_value, st.builds(object)), max_size=6),
    json_value,
    st.text(max_size=20),
    st.tuples(turn, turn),
    st.dictionaries(st.text(max_size=5), json_value, max_size=3),
)
json_history = st.one_of(st.none(), st.lists(turn, max_size=4), st.lists(st.one_of(turn, json_value), max_size=4), json_value)


class Weird:
    """An object whose str() is not a string a person typed."""

    def __str__(self) -> str:
        return "\u202ewhy\u200b do I ignore messages <script>"


wrong_types = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.binary(max_size=50), st.lists(any_text, max_size=3),
    st.dictionaries(st.text(max_size=5), json_value, max_size=3), st.builds(Weird), st.builds(object), st.just(Ellipsis),
)


@pytest.fixture(scope="module")
def bot(fake_bot) -> Assistant:
    return fake_bot.warm()


def assert_safe(reply: Reply) -> None:
    """What every reply owes a person, whatever they sent."""
    assert isinstance(reply, Reply)
    assert reply.category in CATEGORIES
    assert reply.contact and reply.disclaimer
    assert reply.contact in reply.answer and reply.disclaimer in reply.answer
    assert reply.answer.endswith(f"{reply.contact}\n\n_{reply.disclaimer}_")
    json.dumps(reply.to_dict())  # the JSON contract always serializes


# -- the Python API ------------------------------------------------------------------------------


@fuzz("python_text")
@given(message=any_text, history=history)
def test_any_text_with_any_history_gets_a_safe_reply(bot, message, history):
    INPUTS["python"] += 1
    reply = bot.ask(message, history)
    assert_safe(reply)
    assert reply.error is None, reply.error  # nothing failed inside either


@fuzz("python_texty")
@given(message=texty, history=st.lists(turn, max_size=4), id=json_value)
def test_messages_with_markup_rtl_and_invisible_characters_get_a_safe_reply(bot, message, history, id):
    INPUTS["python"] += 1
    reply = bot.ask(message, history, id=id)
    assert_safe(reply)
    assert reply.error is None, reply.error
    assert reply.id == id


@fuzz("python_wrong_types")
@given(message=wrong_types, history=st.one_of(history, wrong_types))
def test_wrong_types_get_a_safe_reply(bot, message, history):
    INPUTS["python"] += 1
    assert_safe(bot.ask(message, history))


@fuzz("long_messages")
@given(piece=st.one_of(texty, any_text).filter(lambda s: len(s) > 0), size=st.sampled_from([20_000, 100_000]))
def test_very_long_messages_get_a_kind_reply(bot, piece, size):
    INPUTS["python"] += 1
    message = (piece * (size // len(piece) + 1))[:size]
    reply = bot.ask(message)
    assert_safe(reply)
    assert reply.category in ("invalid", "crisis")


# -- crisis detection under noise -----------------------------------------------------------------

CRISIS = ["I want to kill myself", "I want to end my life", "i don't want to be alive anymore", "I have a plan to end my life",
          "I'm going to overdose tonight", "I want to die", "im suicidal", "I am better off dead"]
SEPARATORS = [". ", ".\n", "! ", "\n\n", ". <br> ", ".\u200b "]
noise = st.text(st.one_of(st.characters(codec="utf-8", exclude_categories=["Cs"]), st.sampled_from(ZERO_WIDTH)), max_size=200)


@st.composite
def hidden(draw, phrase=st.sampled_from(CRISIS)):
    """The phrase with invisible characters between its letters, odd casing or full-width letters."""
    text = draw(phrase)
    text = draw(st.sampled_from([str, str.upper, str.title, lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)]))(text)
    out = []
    for ch in text:
        out.append(ch)
        out.extend(draw(st.lists(st.sampled_from(ZERO_WIDTH), max_size=2)))
    return "".join(out)


@fuzz("crisis_noise")
@given(before=noise, phrase=hidden(), after=noise, seps=st.tuples(st.sampled_from(SEPARATORS), st.sampled_from(SEPARATORS)),
       history=st.one_of(st.none(), st.lists(turn, max_size=3)))
def test_crisis_phrase_hidden_in_noise_is_still_detected(bot, before, phrase, after, seps, history):
    INPUTS["python"] += 1
    reply = bot.ask(f"{before}{seps[0]}{phrase}{seps[1]}{after}", history)
    assert_safe(reply)
    assert reply.category == "crisis" and reply.risk == "clear", reply.rails
    assert reply.answer.startswith(reply.crisis) and "988" in reply.crisis


@fuzz("crisis_long")
@given(filler=st.sampled_from(["why do I ignore messages? ", "blah " * 5, "\u200b" * 7 + "x", "😢 ", "<b>hi</b> "]),
       size=st.integers(3_000, 100_000), where=st.floats(0, 1), phrase=hidden())
def test_crisis_phrase_in_a_message_too_long_to_answer_is_still_detected(bot, filler, size, where, phrase):
    INPUTS["python"] += 1
    text = (filler * (size // len(filler) + 1))[:size]
    cut = int(len(text) * where)
    reply = bot.ask(f"{text[:cut]}. {phrase}. {text[cut:]}")
    assert_safe(reply)
    assert reply.category == "crisis" and "988" in reply.answer


# Invisible to a reader, yet not removed by text.clean: each one hides the phrase from the patterns today.
OTHER_INVISIBLE = {"combining grapheme joiner": "\u034f", "mongolian vowel separator": "\u180e", "variation selector": "\ufe0f",
                   "tag character": "\U000e0041", "line separator": "\u2028", "control character": "\x01", "delete": "\x7f"}


@pytest.mark.parametrize("name", OTHER_INVISIBLE)
def test_crisis_phrase_split_by_other_invisible_characters_is_detected(bot, name):
    reply = bot.ask(OTHER_INVISIBLE[name].join("I want to kill myself"))
    assert reply.category == "crisis" and "988" in reply.answer


# -- the page: its API handler in-process, then over HTTP as gradio_client and raw clients send it ----------


@pytest.fixture(scope="module")
def page(bot):
    from assistant import web

    return web.ChatPage(bot)


@fuzz("page_handler")
@given(message=st.one_of(any_text, texty, wrong_types), history=history)
def test_page_handler_returns_the_safe_json_contract(page, message, history):
    INPUTS["page"] += 1
    out = page.ask(message, history)
    json.dumps(out)
    assert out["contact"] in out["answer"] and out["disclaimer"] in out["answer"]
    assert out["category"] in CATEGORIES


@pytest.fixture(scope="module")
def page_url(bot):
    import socket

    from assistant import web

    demo = web.build(bot)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    yield web.launch(demo, bot.settings.model_copy(update={"port": port}), block=False)
    demo.close()


@fuzz("page_http")
@given(message=st.one_of(any_text, texty, json_value), history=json_history)
def test_page_over_http_answers_any_payload_safely(page_url, message, history):
    """What a raw client can post to /ask: any JSON where the message and history go, lone surrogates included."""
    import httpx

    INPUTS["page"] += 1
    body = json.dumps({"data": [message, history]})  # ASCII escapes carry lone surrogates too
    posted = httpx.post(f"{page_url}gradio_api/call/ask", content=body, headers={"content-type": "application/json"}, timeout=30)
    assert posted.status_code == 200, posted.text
    result = httpx.get(f"{page_url}gradio_api/call/ask/{posted.json()['event_id']}", timeout=60).text
    assert result.startswith("event: complete"), result[:300]
    out = json.loads(result.split("data: ", 1)[1])[0]
    assert out["contact"] in out["answer"] and out["disclaimer"] in out["answer"]


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_cli(bot):
    """Invoke `assistant ...` in-process with the fake pipeline (the model is loaded once per batch anyway)."""
    runner = CliRunner()
    with mock.patch.object(cli, "_load", lambda: bot):
        yield lambda args, input=None: runner.invoke(cli.main, args, input=input)


def strict_json(line: str) -> dict:
    def reject(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(line, parse_constant=reject)


@fuzz("cli_json")
@given(message=st.one_of(any_text, texty))
def test_cli_ask_json_prints_one_safe_object(run_cli, message):
    INPUTS["cli"] += 1
    result = run_cli(["ask", "--json", "--", message])
    assert result.exception is None, result.exception
    reply = strict_json(result.output)
    assert reply["contact"] in reply["answer"] and reply["disclaimer"] in reply["answer"]
    assert reply["category"] in CATEGORIES


jsonl_line = st.one_of(
    st.builds(lambda q, i, h: json.dumps({"id": i, "question": q, "history": h}), st.one_of(any_text, texty), json_value, json_history),
    st.builds(lambda q: json.dumps({"question": q}, ensure_ascii=False), texty),
    st.builds(json.dumps, json_value),  # JSON, but not an object with a string question
    st.text(st.characters(exclude_characters="\n\r"), max_size=80),  # not JSON at all
    st.sampled_from(['{"question": "hi", "id": NaN}', '{"question": Infinity}', "[" * 50_000, '{"question": "\\ud800 why"}',
                     '{"question": "why do I ignore messages?"', "\x00\x01", "{}", "null", '{"question": null}', "\ufeff{}"]),
)


@fuzz("jsonl_batch")
@given(lines=st.lists(jsonl_line, min_size=10, max_size=30))
def test_jsonl_batch_answers_every_line_in_order(run_cli, lines):
    INPUTS["jsonl"] += len(lines)
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    result = run_cli(["ask", "--jsonl", "-"], input=data)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    expected = [line for line in data.decode("utf-8", "replace").split("\n") if line.strip()]
    outputs = [strict_json(line) for line in result.output.split("\n") if line]
    assert len(outputs) == len(expected)
    for line, out in zip(expected, outputs):
        assert out["contact"] in out["answer"] and out["disclaimer"] in out["answer"]
        assert out["category"] in CATEGORIES
        if "error" not in out:  # in order: each answered line is its own question
            assert out["question"] == json.loads(line)["question"]
    assert result.exit_code == (1 if any("error" in out for out in outputs) else 0)


def test_inputs_tried_add_up_to_at_least_5000():
    if set(INPUTS) != {"python", "page", "cli", "jsonl"}:
        pytest.skip("counts inputs only when the whole file runs")
    print("inputs tried:", dict(INPUTS), "total", sum(INPUTS.values()))
    assert sum(INPUTS.values()) >= 5000, INPUTS
