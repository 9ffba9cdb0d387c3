"""LangChain-native use: a retriever over the article and a Runnable that gives the guarded reply.

``ArticleRetriever`` is a ``BaseRetriever``: ``invoke(query)`` returns LangChain ``Document``s
from the assistant's hybrid retrieval (dense + BM25, fused), each passage word for word with its
``id``, ``source``, ``title`` and fused ``score`` in the metadata. It retrieves only: what a
chain built on it says is that chain's responsibility.

``guarded_chain()`` is the safe way to answer: a Runnable whose every call is one
``Assistant.ask()``, so every rail runs (crisis first, medical advice, scope, output rails,
contact and disclaimer). It takes ``{"question": ..., "history": [...]}`` (history as
``{"role", "content"}`` dicts, LangChain messages or ``(role, content)`` pairs; a bare string
is a question) and returns the ``Reply``. ``invoke``, ``batch`` and ``ainvoke`` return replies;
``stream`` and ``astream`` yield the finished reply's text in pieces that join to exactly
``Reply.answer``, so the last piece ends with the contact and the disclaimer. Nothing is
streamed before the output rails have passed the whole reply.

Example::

    from assistant.integrations.langchain import ArticleRetriever, guarded_chain

    chain = guarded_chain()                                   # loads the assistant once
    reply = chain.invoke({"question": "why do I ignore messages?", "history": []})
    for piece in chain.stream({"question": "why do I ignore messages?"}):
        print(piece, end="")
    docs = ArticleRetriever(assistant=chain.assistant).invoke("why do I ignore messages?")
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import ConfigDict

from ..text import clean
from ..types import Reply

if TYPE_CHECKING:  # pragma: no cover
    from ..assistant import Assistant
    from ..settings import Settings

_ROLES = {"human": "user", "user": "user", "ai": "assistant", "assistant": "assistant"}
_PIECE = re.compile(r"\s*\S+")  # a word with the white space before it: pieces join back exactly


def _load(settings: Settings | None) -> Assistant:
    from ..assistant import Assistant

    return Assistant.load(settings)


class ArticleRetriever(BaseRetriever):
    """Passages of the article for a query, as ``Document``s, best first.

    Example::

        retriever = ArticleRetriever(assistant=Assistant.load(), k=4)
        for doc in retriever.invoke("why do I ignore messages?"):
            print(doc.metadata["score"], doc.metadata["title"], doc.page_content)
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    """An ``Assistant`` (``Assistant.load()``)."""
    k: int | None = None
    """At most this many documents (default: the assistant's ``top_k``)."""

    @classmethod
    def load(cls, settings: Settings | None = None, **kwargs: Any) -> ArticleRetriever:
        return cls(assistant=_load(settings), **kwargs)

    @cached_property
    def _titles(self) -> dict[str, str]:
        """Each article's front-matter title, by source file name."""
        from ..corpus import read_corpus

        try:
            docs, _ = read_corpus(self.assistant.settings.corpus_dir)
        except Exception:  # e.g. a server deployment without the corpus folder: titles fall back to the source
            return {}
        return {d.source: d.title for d in docs}

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        passages = self.assistant.retriever.retrieve(clean(query)).passages
        if self.k is not None:
            passages = passages[: self.k]
        return [
            Document(
                id=p.id,
                page_content=p.text,
                metadata={
                    "id": p.id, "source": p.source, "title": getattr(p, "title", "") or self._titles.get(p.source, p.source),
                    "score": round(p.score, 6), "section": p.section, "position": p.position, "kind": p.kind,
                    "lead_in": p.lead_in,
                },
            )
            for p in passages
        ]


def _turns(history: Any) -> list[dict[str, str]]:
    """History in any of the usual shapes, as the ``{"role", "content"}`` dicts ``ask()`` reads."""
    if not isinstance(history, (list, tuple)):
        return []
    out: list[dict[str, str]] = []
    for item in history:
        if isinstance(item, dict):
            role, content = item.get("role", item.get("type")), item.get("content")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            role, content = item
        else:  # a Turn, or a LangChain message: HumanMessage, AIMessage (others are no turn of the person or the assistant)
            role, content = getattr(item, "role", None) or getattr(item, "type", None), getattr(item, "content", None)
        if isinstance(role, str) and _ROLES.get(role) and isinstance(content, str):
            out.append({"role": _ROLES[role], "content": content})
    return out


def text_pieces(answer: str) -> list[str]:
    """``answer`` cut into word pieces that join back to exactly ``answer``."""
    pieces = _PIECE.findall(answer)
    tail = answer[len("".join(pieces)):]
    if tail:
        pieces.append(tail)
    return pieces


class GuardedChain(Runnable[Any, Reply]):
    """A Runnable over ``Assistant.ask()``; build it with ``guarded_chain()``."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant

    @property
    def InputType(self) -> type:  # noqa: N802 (LangChain's name)
        return dict

    @property
    def OutputType(self) -> type:  # noqa: N802
        return Reply

    def _ask(self, input: Any) -> Reply:
        if isinstance(input, dict):
            return self.assistant.ask(input.get("question"), _turns(input.get("history")), id=input.get("id"))
        return self.assistant.ask(input)  # a bare question; anything else becomes an "invalid" reply, never an exception

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Reply:
        return self._call_with_config(self._ask, input, config, run_type="chain")

    def stream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[str]:  # type: ignore[override]
        """The finished reply's text in word pieces; they join to ``Reply.answer``."""
        yield from text_pieces(self.invoke(input, config).answer)

    async def astream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> AsyncIterator[str]:  # type: ignore[override]
        for piece in text_pieces((await self.ainvoke(input, config)).answer):
            yield piece


def guarded_chain(assistant: Assistant | None = None, settings: Settings | None = None) -> GuardedChain:
    """The guarded answer as a Runnable; loads the assistant (``Assistant.load(settings)``) unless given one."""
    return GuardedChain(assistant if assistant is not None else _load(settings))
