"""The HTTP JSON API, served beside the chat page by the same process (Gradio runs on FastAPI).

Routes: ``POST /api/ask`` (one question, the JSON contract of ``Reply.to_dict()``),
``POST /api/ask/batch`` (a list of them, answered in order), ``GET /healthz`` (the process is
alive), ``GET /readyz`` (policy, model and index loaded, and Chroma answers; 503 otherwise),
``GET /openapi.json``, and Swagger UI at ``/docs`` with its script and styles served from the
``fastapi-offline`` package and a Content-Security-Policy that lets the browser fetch nothing
from anywhere else (without that package ``/docs`` answers 404 and ``/openapi.json`` stays).
There is no ReDoc page: its script fetches its logo from a CDN.

Every response carries the professional contact, the disclaimer and the crisis resources from
the policy, errors included: malformed JSON (400), a body that breaks the schema (422), a body
over ``ASSISTANT_API_MAX_BODY_BYTES`` (413), a client over ``ASSISTANT_API_RATE_LIMIT``
questions a minute (429 with ``Retry-After``), an unknown path or method (404/405) and anything
unexpected (500). ``ask()`` blocks, so it runs in worker threads, at most
``ASSISTANT_CONCURRENCY_LIMIT`` at once; the event loop (and with it the page) stays free.

Longer than 300 lines: the request and response schema, the rate limit and the error handlers
belong to the routes that use them, and every one of them must carry the same safety lines.

Example::

    routes = api_routes(bot, settings)         # web.launch mounts them before Gradio's own
    app = FastAPI(routes=routes)               # or alone, e.g. under TestClient
    # curl -s 127.0.0.1:7860/api/ask -H 'content-type: application/json' -d '{"question": "why do I ignore messages?"}'
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import anyio
from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import BaseRoute, Mount

from .settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from .assistant import Assistant

log = logging.getLogger("assistant.api")

TITLE = "Assistant HTTP API"
ASSETS = "/api/docs-assets"
ASK_PATHS = {"/api/ask": "POST", "/api/ask/batch": "POST"}
# The browser may load nothing for the docs page from anywhere but this server.
DOCS_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"


# -- the request and response shapes (also the OpenAPI schema) ------------------------------


class TurnIn(BaseModel):
    """One earlier message of the conversation; the client keeps the history, the server none."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class AskIn(BaseModel):
    """One question, with the conversation so far and an id copied into the reply."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"question": "why do I ignore messages?"}]})
    question: str = Field(description="The message as the person typed it.")
    history: list[TurnIn] = Field(default_factory=list, max_length=200, description="Earlier turns, oldest first.")
    id: str | int | None = Field(None, description="Any id of yours; copied into the reply.")


class SourceOut(BaseModel):
    id: str
    source: str
    text: str
    score: float


class ReplyOut(BaseModel):
    """``Reply.to_dict()``: see "The JSON contract" in the README."""

    model_config = ConfigDict(extra="allow")
    id: str | int | None
    question: str
    category: Literal["answered", "out_of_scope", "medical_advice", "crisis", "small_talk", "invalid"]
    risk: Literal["none", "possible", "clear"]
    body: str
    answer: str
    sources: list[SourceOut]
    disclaimer: str
    contact: str
    error: str | None = None


class ErrorOut(BaseModel):
    """Any refusal of a request: what was wrong, and still the contact and the disclaimer."""

    error: str
    status: int
    details: list[dict[str, Any]] = []
    contact: str
    disclaimer: str
    crisis_resources: list[dict[str, str]]


ERRORS = {code: {"model": ErrorOut} for code in (400, 413, 422, 429, 500)}


class SafeJSONResponse(JSONResponse):
    """JSON in UTF-8; text that UTF-8 cannot hold (a lone surrogate sent as a JSON escape) is
    written with ASCII escapes instead of failing the reply."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


class ApiError(Exception):
    """A request the API refuses; becomes an ``ErrorOut`` with ``status``."""

    def __init__(self, status: int, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.details, self.headers = status, message, details or [], headers


# -- the rate limit ---------------------------------------------------------------------------


class RateLimiter:
    """A token bucket per client: ``per_minute`` questions, refilled evenly, a minute's worth at most.

    Example::

        limiter = RateLimiter(60)
        wait = limiter.take("127.0.0.1")   # 0.0: go ahead; else seconds until one is free
    """

    MAX_CLIENTS = 10_000  # idle clients' full buckets are forgotten beyond this

    def __init__(self, per_minute: int, clock=time.monotonic):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, n: int = 1) -> float:
        if self.capacity <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            if n > self.capacity:
                return math.inf
            if tokens < n:
                self._buckets[key] = (tokens, now)
                return (n - tokens) / self.rate
            self._buckets[key] = (tokens - n, now)
            if len(self._buckets) > self.MAX_CLIENTS:
                self._forget_idle(now)
            return 0.0

    def _forget_idle(self, now: float) -> None:
        full = [k for k, (t, then) in self._buckets.items() if t + (now - then) * self.rate >= self.capacity]
        for k in full:
            del self._buckets[k]


# -- the API ----------------------------------------------------------------------------------


class Api:
    """The API's behaviour, apart from routing: safety lines, limits, answering, readiness."""

    def __init__(self, bot: Assistant, settings: Settings):
        self.bot = bot
        self.settings = settings
        self.limiter = RateLimiter(settings.api_rate_limit)
        self.workers = anyio.CapacityLimiter(settings.concurrency_limit)
        policy = bot.policy
        self.safety = {
            "contact": " ".join(policy.contact.text.split()),
            "disclaimer": policy.disclaimer,
            "crisis_resources": [{"name": r.name, "how": r.how, "link": r.link} for r in policy.crisis.resources],
        }

    # -- responses

    def error(self, status: int, message: str, details: list[dict[str, Any]] | None = None,
              headers: dict[str, str] | None = None) -> JSONResponse:
        body = {"error": message, "status": status, "details": details or [], **self.safety}
        return SafeJSONResponse(body, status_code=status, headers=headers)

    def ok(self, body: Any, status: int = 200) -> JSONResponse:
        return SafeJSONResponse(body, status_code=status)

    # -- limits

    async def read_body(self, request: Request) -> None:
        """Read the body once, refusing it (413) past the limit, before FastAPI parses it."""
        limit = self.settings.api_max_body_bytes
        too_big = ApiError(413, f"the request body is larger than {limit} bytes")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_big
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise too_big
        request._body = bytes(body)  # what request.body() returns from now on

    def take(self, request: Request, n: int = 1) -> None:
        client = request.client.host if request.client else "unknown"
        wait = self.limiter.take(client, n)
        if wait == math.inf:
            raise ApiError(429, f"{n} questions at once is more than this client may ask in a minute "
                                f"({self.settings.api_rate_limit}); send smaller batches")
        if wait > 0:
            raise ApiError(429, f"too many questions from this client: at most {self.settings.api_rate_limit} a minute; "
                                f"try again in {math.ceil(wait)} s", headers={"Retry-After": str(math.ceil(wait))})

    # -- answering

    def _answer(self, item: AskIn) -> dict[str, Any]:
        history = [t.model_dump() for t in item.history]
        return self.bot.ask(item.question, history, id=item.id).to_dict()

    async def ask(self, item: AskIn) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(partial(self._answer, item), limiter=self.workers)

    async def ask_many(self, items: list[AskIn]) -> list[dict[str, Any]]:
        # One worker answers the whole batch in order, so a batch never takes every worker from the page.
        return await anyio.to_thread.run_sync(lambda: [self._answer(i) for i in items], limiter=self.workers)

    # -- readiness

    async def readiness(self) -> dict[str, bool]:
        bot = self.bot
        checks = {"policy": bot.policy is not None, "model": getattr(bot, "embedder", None) is not None}
        try:
            checks["index"] = await anyio.to_thread.run_sync(lambda: len(bot.retriever.units) > 0)
        except Exception:
            checks["index"] = False
        checks["chroma"] = await self._chroma_answers()
        return checks

    async def _chroma_answers(self) -> bool:
        url = self.settings.chroma_url
        if url:
            import httpx

            try:
                async with httpx.AsyncClient(timeout=min(2.0, self.settings.chroma_timeout_s)) as client:
                    return (await client.get(f"{url.rstrip('/')}/api/v2/heartbeat")).status_code == 200
            except httpx.HTTPError:
                return False
        from .store import active_folder

        return active_folder(self.settings.index_dir) is not None


def _validation_details(exc: RequestValidationError) -> tuple[int, str, list[dict[str, Any]]]:
    errors = exc.errors()
    details = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in errors]
    if any(d["type"] == "json_invalid" for d in details):
        return 400, "the request body is not valid JSON", details
    return 422, "the request body does not match the schema (see details and /docs)", details


def _route_class(api: Api) -> type[APIRoute]:
    """Every API route reads its body under the size limit and turns any failure into ``ErrorOut``."""

    class GuardedRoute(APIRoute):
        def get_route_handler(self):
            handle = super().get_route_handler()

            async def guarded(request: Request):
                try:
                    if request.method in ("POST", "PUT", "PATCH"):
                        await api.read_body(request)
                    return await handle(request)
                except ApiError as exc:
                    return api.error(exc.status, exc.message, exc.details, exc.headers)
                except RequestValidationError as exc:
                    return api.error(*_validation_details(exc))
                except HTTPException as exc:
                    return api.error(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))
                except Exception as exc:  # a client never sees a traceback
                    log.error("api request failed: %s", exc.__class__.__name__)
                    return api.error(500, "the server could not answer this request; please try again")

            return guarded

    return GuardedRoute


def docs_assets() -> Path | None:
    """The Swagger UI and ReDoc scripts shipped by ``fastapi-offline``, if it is installed."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    folder = Path(fastapi_offline.__file__).parent / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def api_routes(bot: Assistant, settings: Settings) -> list[BaseRoute]:
    """The API's routes, ready to be put before Gradio's (``FastAPI(routes=...)``)."""
    api = Api(bot, settings)
    router = APIRouter(route_class=_route_class(api))

    @router.post("/api/ask", tags=["ask"], response_model=None, responses={200: {"model": ReplyOut}, **ERRORS})
    async def ask(item: AskIn, request: Request):
        """Answer one question from the article, with every guardrail; the reply ends with the contact and the disclaimer."""
        api.take(request)
        return api.ok(await api.ask(item))

    @router.post("/api/ask/batch", tags=["ask"], response_model=None, responses={200: {"model": list[ReplyOut]}, **ERRORS})
    async def ask_batch(items: list[AskIn], request: Request):
        """Answer up to ``ASSISTANT_API_MAX_BATCH`` questions, in order; each counts against the rate limit."""
        if not items or len(items) > settings.api_max_batch:
            raise ApiError(422, f"send a list of 1 to {settings.api_max_batch} questions (got {len(items)})")
        api.take(request, len(items))
        return api.ok(await api.ask_many(items))

    @router.get("/healthz", tags=["health"], response_model=None)
    async def healthz():
        """The process is alive."""
        return api.ok({"status": "alive", **api.safety})

    @router.get("/readyz", tags=["health"], response_model=None)
    async def readyz():
        """Ready to answer: policy, model and index loaded, and Chroma answers (503 when not)."""
        checks = await api.readiness()
        ready = all(checks.values())
        return api.ok({"ready": ready, "checks": checks, **api.safety}, 200 if ready else 503)

    def openapi_schema() -> dict[str, Any]:
        return get_openapi(title=TITLE, version=_version(), routes=[r for r in router.routes if isinstance(r, APIRoute)],
                           description="Answers only from the article, with guardrails. Every response carries the "
                                       "professional contact and the disclaimer.")

    schema: dict[str, Any] = {}

    @router.get("/openapi.json", include_in_schema=False)
    async def openapi():
        if not schema:
            schema.update(openapi_schema())
        return JSONResponse(schema)

    assets = docs_assets()

    @router.get("/docs", include_in_schema=False, response_model=None)
    async def docs():
        if assets is None:
            raise ApiError(404, "the docs page is off: its scripts (package fastapi-offline) are not installed; see /openapi.json")
        page = get_swagger_ui_html(openapi_url="/openapi.json", title=f"{TITLE} - docs", swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css", swagger_favicon_url=f"{ASSETS}/favicon.png",
                                   swagger_ui_parameters={"validatorUrl": None})  # its default badge would call swagger.io
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    @router.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
                      include_in_schema=False)
    async def unknown(request: Request):
        method = ASK_PATHS.get(request.url.path.rstrip("/"))
        if method:
            raise ApiError(405, f"use {method} on {request.url.path}", headers={"Allow": method})
        raise ApiError(404, f"no API route {request.url.path}; see /docs or /openapi.json")

    routes: list[BaseRoute] = list(router.routes)
    if assets is not None:
        from fastapi.staticfiles import StaticFiles

        routes.insert(0, Mount(ASSETS, app=StaticFiles(directory=assets), name="docs-assets"))
    return routes


def _version() -> str:
    from . import __version__

    return __version__
