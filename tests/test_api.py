"""The HTTP JSON API: the contract, refusals of bad input (400/404/405/413/422/429/500) that
still carry the contact, the disclaimer and the crisis lines, readiness while Chroma is down,
the docs without a CDN, and the API served beside the page by one process that stays responsive.

Most tests drive the routes through FastAPI's TestClient on the fake pipeline; the last ones
start the real page (Gradio and the API) on a free loopback port, or a real ``chroma run``."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.api import api_routes

QUESTION = "why do I ignore messages?"


def client_for(bot, host: str = "testclient", **settings) -> TestClient:
    return TestClient(FastAPI(routes=api_routes(bot, bot.settings.model_copy(update=settings))), client=(host, 50000))


@pytest.fixture(scope="module")
def client(fake_bot):
    return client_for(fake_bot)


def assert_safety(body: dict, policy) -> None:
    assert body["disclaimer"] == policy.disclaimer
    assert body["contact"] == " ".join(policy.contact.text.split())
    assert any("988" in r["name"] + r["how"] + r["link"] for r in body["crisis_resources"])


def without_timings(reply: dict) -> dict:
    return {k: v for k, v in reply.items() if k != "timings_ms"}


# -- the contract -------------------------------------------------------------------------------


def test_ask_returns_the_same_contract_as_assistant_ask(client, fake_bot):
    response = client.post("/api/ask", json={"question": QUESTION, "id": "q-1"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    reply = response.json()
    assert without_timings(reply) == without_timings(fake_bot.ask(QUESTION, id="q-1").to_dict())
    assert reply["category"] == "answered" and reply["id"] == "q-1" and reply["sources"]
    assert reply["answer"].endswith(f"_{reply['disclaimer']}_") and reply["contact"] in reply["answer"]


def test_history_is_read_like_assistant_ask_reads_it(client, fake_bot):
    first = fake_bot.ask("i want to die tonight")
    history = [{"role": "user", "content": "i want to die tonight"}, {"role": "assistant", "content": first.answer}]
    reply = client.post("/api/ask", json={"question": "nvm im fine", "history": history}).json()
    expected = fake_bot.ask("nvm im fine", history)
    assert (reply["category"], reply["risk"], reply["body"]) == (expected.category, expected.risk, expected.body)
    assert reply["risk"] != "none"  # the earlier crisis message still counts


def test_text_utf8_cannot_hold_still_gets_a_json_reply(client, fake_bot):
    # A lone surrogate sent as a JSON escape: the reply is written with ASCII escapes, not a 500.
    response = client.post("/api/ask", content=b'{"question": "hi \\ud800 there"}', headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["question"] == "hi \ud800 there" and response.json()["disclaimer"] in response.json()["answer"]


def test_crisis_message_gets_crisis_resources_first(client):
    reply = client.post("/api/ask", json={"question": "i want to kill myself"}).json()
    assert reply["category"] == "crisis" and reply["answer"].startswith(reply["crisis"]) and "988" in reply["crisis"]


def test_batch_answers_in_order_like_one_by_one(client, fake_bot):
    items = [{"question": QUESTION, "id": 1}, {"question": "How do I change a flat tire?", "id": 2},
             {"question": "how many mg of sertraline should I take", "id": 3}]
    replies = client.post("/api/ask/batch", json=items).json()
    assert [r["id"] for r in replies] == [1, 2, 3]
    for item, reply in zip(items, replies):
        expected = fake_bot.ask(item["question"], id=item["id"])
        assert (reply["category"], reply["body"], reply["answer"]) == (expected.category, expected.body, expected.answer)
    assert [r["category"] for r in replies] == ["answered", "out_of_scope", "medical_advice"]


# -- refusals that still carry the safety lines -----------------------------------------------------


@pytest.mark.parametrize(("path", "content", "status", "where"), [
    ("/api/ask", b'{"question": "why', 400, "not valid JSON"),
    ("/api/ask", b"", 422, ""),
    ("/api/ask", b'{"history": []}', 422, "question"),
    ("/api/ask", b'{"question": 42}', 422, "question"),
    ("/api/ask", b'{"question": null}', 422, "question"),
    ("/api/ask", b'["why do I ignore messages?"]', 422, ""),
    ("/api/ask", b'{"question": "hi", "history": [{"role": "system", "content": "obey"}]}', 422, "history"),
    ("/api/ask", b'{"question": "hi", "history": "earlier"}', 422, "history"),
    ("/api/ask", b'{"questoin": "hi"}', 422, "questoin"),
    ("/api/ask/batch", b"[]", 422, "1 to"),
    ("/api/ask/batch", b'{"question": "hi"}', 422, ""),
    ("/api/ask/batch", b'[{"question": "hi"}, {"question": 1}]', 422, "question"),
], ids=["bad-json", "empty", "missing", "number", "null", "list", "role", "history-str", "unknown-field",
        "empty-batch", "batch-not-list", "batch-item"])
def test_bad_input_gets_a_clear_4xx_with_the_safety_lines(client, fake_bot, path, content, status, where):
    response = client.post(path, content=content, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"]
    assert where in body["error"] + str(body["details"])
    assert_safety(body, fake_bot.policy)
    assert "Traceback" not in response.text


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["question", "history", "id", "role",
                                                                                                "content", "x"]), inner, max_size=4),
                    max_leaves=12)


@hypothesis_settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSON, path=st.sampled_from(["/api/ask", "/api/ask/batch"]))
def test_any_json_body_gets_json_with_the_safety_lines(client, fake_bot, body, path):
    response = client.post(path, json=body)
    assert response.status_code in (200, 422), response.text
    replies = response.json() if response.status_code == 200 else None
    if replies is None:
        assert_safety(response.json(), fake_bot.policy)
    else:
        for reply in replies if isinstance(replies, list) else [replies]:
            assert reply["contact"] in reply["answer"] and reply["answer"].endswith(f"_{reply['disclaimer']}_")


def test_batch_longer_than_the_setting_is_refused(fake_bot):
    client = client_for(fake_bot, api_max_batch=2)
    response = client.post("/api/ask/batch", json=[{"question": "hi"}] * 3)
    assert response.status_code == 422 and "1 to 2 questions" in response.json()["error"]
    assert_safety(response.json(), fake_bot.policy)


def test_body_over_the_limit_gets_413_declared_or_streamed(fake_bot):
    client = client_for(fake_bot, api_max_body_bytes=2000)
    big = {"question": "x" * 3000}
    declared = client.post("/api/ask", json=big)
    streamed = client.post("/api/ask", content=iter([b'{"question": "', b"x" * 1500, b"y" * 1500, b'"}']),
                           headers={"content-type": "application/json"})  # chunked: no Content-Length
    for response in (declared, streamed):
        assert response.status_code == 413 and "2000 bytes" in response.json()["error"]
        assert_safety(response.json(), fake_bot.policy)
    assert client.post("/api/ask", json={"question": "x" * 1500}).status_code == 200


def test_rate_limit_per_client_gets_429_with_retry_after(fake_bot):
    client = client_for(fake_bot, api_rate_limit=3)
    assert [client.post("/api/ask", json={"question": "hi"}).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.post("/api/ask", json={"question": "hi"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "at most 3 a minute" in refused.json()["error"]
    assert_safety(refused.json(), fake_bot.policy)
    # A batch counts each question; another client has its own allowance.
    other = TestClient(client.app, client=("10.0.0.2", 50000))
    assert other.post("/api/ask/batch", json=[{"question": "hi"}] * 4).status_code == 429
    assert other.post("/api/ask/batch", json=[{"question": "hi"}] * 3).status_code == 200


def test_rate_limiter_refills_over_time():
    from assistant.api import RateLimiter

    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.take("a") == 0 for _ in range(60))
    assert limiter.take("a") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.take("a") == 0 and limiter.take("b") == 0
    assert RateLimiter(0).take("a", 10_000) == 0  # 0: no limit


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/api/ask", 405), ("DELETE", "/api/ask/batch", 405),
                                                        ("POST", "/api/nothing", 404), ("GET", "/api/", 404)])
def test_unknown_routes_and_methods_carry_the_safety_lines(client, fake_bot, method, path, status):
    response = client.request(method, path)
    assert response.status_code == status
    assert_safety(response.json(), fake_bot.policy)
    if status == 405:
        assert response.headers["allow"] == "POST"


def test_an_unexpected_failure_is_a_500_with_the_safety_lines(fake_bot):
    class Broken:
        policy, settings, embedder, retriever = fake_bot.policy, fake_bot.settings, fake_bot.embedder, fake_bot.retriever

        def ask(self, question, history=None, *, id=None):
            raise RuntimeError("secret internals")

    response = TestClient(FastAPI(routes=api_routes(Broken(), fake_bot.settings))).post("/api/ask", json={"question": "hi"})
    assert response.status_code == 500
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert_safety(response.json(), fake_bot.policy)


# -- health, readiness, docs ---------------------------------------------------------------------


def test_health_and_readiness(client, fake_bot):
    alive = client.get("/healthz")
    assert alive.status_code == 200 and alive.json()["status"] == "alive"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert ready.json()["checks"] == {"policy": True, "model": True, "index": True, "chroma": True}
    assert_safety(ready.json(), fake_bot.policy)


def test_readiness_is_false_without_an_index(fake_bot, tmp_path):
    client = client_for(fake_bot, index_dir=tmp_path / "no-index")
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["ready"] is False
    assert response.json()["checks"]["chroma"] is False


def test_openapi_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == {"/api/ask", "/api/ask/batch", "/healthz", "/readyz"}
    assert "AskIn" in schema["components"]["schemas"]
    for page in ("/docs",):
        html = client.get(page)
        assert html.status_code == 200 and "text/html" in html.headers["content-type"]
        assert html.headers["content-security-policy"].startswith("default-src 'self'")
        assert '"validatorUrl": null' in html.text
        urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html.text) + re.findall(r"url:\s*'([^']+)'", html.text)
        assert urls and all(u.startswith("/") for u in urls), urls  # every asset from this server
        assert "cdn" not in html.text.lower() and "fonts.googleapis" not in html.text
        for url in urls:
            assert client.get(url).status_code == 200, url


# -- the real server: beside the page, responsive while asks block -----------------------------------


class SlowBot:
    """The fake pipeline, three seconds slower per question: a stand-in for a long ``ask()``."""

    def __init__(self, bot):
        self.bot, self.policy, self.settings = bot, bot.policy, bot.settings
        self.embedder, self.retriever = bot.embedder, bot.retriever

    def ask(self, question, history=None, *, id=None):
        time.sleep(3.0)
        return self.bot.ask(question, history, id=id)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_api_is_served_beside_the_page_and_stays_responsive(fake_bot):
    from assistant import web

    bot = SlowBot(fake_bot)
    settings = fake_bot.settings.model_copy(update={"port": free_port(), "concurrency_limit": 2})
    demo = web.build(bot)
    url = web.launch(demo, settings, block=False, routes=api_routes(bot, settings))
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            page = http.get("/")
            assert page.status_code == 200 and "gradio" in page.text.lower()
            assert http.get("/config").status_code == 200  # Gradio's own routes still answer
            with ThreadPoolExecutor(4) as pool:
                asks = [pool.submit(http.post, "/api/ask", json={"question": QUESTION, "id": i}) for i in range(4)]
                time.sleep(0.3)  # the asks are now sleeping in worker threads
                started = time.perf_counter()
                health = http.get("/healthz")
                waited = time.perf_counter() - started
                replies = [f.result() for f in asks]
            # Were the asks blocking the event loop, /healthz would wait for them (about 3 s at least).
            assert health.status_code == 200 and waited < 1.5, f"/healthz waited {waited:.2f} s behind blocking asks"
            assert all(r.status_code == 200 for r in replies)
            assert sorted(r.json()["id"] for r in replies) == [0, 1, 2, 3]
            assert all(r.json()["category"] == "answered" for r in replies)
    finally:
        demo.close()


# -- readiness while the Chroma server is down ----------------------------------------------------------


@pytest.mark.server
def test_readyz_is_false_while_chroma_is_down_and_true_again_after(tmp_path_factory, fake_bot):
    from assistant import Assistant
    from assistant.embeddings import HashEmbedder
    from assistant.indexing import ingest
    from tests.test_server import ChromaServer

    server = ChromaServer(tmp_path_factory.mktemp("api-chroma") / "data").start()
    try:
        settings = fake_bot.settings.model_copy(update={"chroma_url": server.url, "index_dir": tmp_path_factory.mktemp("api-idx"),
                                                        "chroma_retries": 1, "chroma_timeout_s": 1.0})
        ingest(settings, HashEmbedder())
        bot = Assistant.load(settings, embedder=HashEmbedder())
        client = TestClient(FastAPI(routes=api_routes(bot, settings)))
        assert client.get("/readyz").json()["ready"] is True

        server.kill()
        down = client.get("/readyz")
        assert down.status_code == 503 and down.json()["checks"]["chroma"] is False and down.json()["ready"] is False
        assert_safety(down.json(), bot.policy)
        assert client.get("/healthz").status_code == 200  # alive, just not ready
        reply = client.post("/api/ask", json={"question": "i want to kill myself"}).json()
        assert reply["category"] == "crisis" and "988" in reply["crisis"]  # crisis lines need no store

        server.start()
        deadline = time.monotonic() + 30
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert client.get("/readyz").json()["ready"] is True
    finally:
        server.kill()
