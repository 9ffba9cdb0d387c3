"""The seams where a part of the pipeline can be swapped: what ``Assistant`` needs of each part.

``Assistant.load()`` wires the defaults; ``Assistant(...)`` takes any objects with these methods
(no subclassing, no registration), so a test or a new part plugs in the same way.

| seam | default | what a replacement does |
|---|---|---|
| ``Embedder`` (``embeddings.py``) | ``OnnxEmbedder`` for questions | texts to unit-length vectors |
| ``Store`` | ``store.ChromaStore`` | the units, and the units nearest to a vector |
| ``Retriever`` | ``retrieval.HybridRetriever`` | ranks passages for a message and its history |
| ``Composer`` | ``compose.BlockComposer`` | turns the passages for an in-scope question into a draft answer (e.g. an LLM) |

The composer answers in-scope questions only: crisis, small talk, unreadable messages, medical
requests and out-of-scope questions get the policy's own replies. Whatever a composer writes
still goes through ``finish``: it blocks dose or diagnosis text, drops any sentence found
neither in the corpus nor in the policy, and adds the crisis lines, the contact and the
disclaimer. A new composer cannot skip them.

Example::

    class BestLineComposer:
        # Quotes the single best passage (compose.render numbers it as a body segment).

        def answer(self, verdict, retrieval, turns=()):
            return Draft("answered", segments=render(list(retrieval.passages[:1])))

    bot = Assistant.load()
    bot.composer = BestLineComposer()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence, runtime_checkable

from .embeddings import Embedder

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .store import Hit
    from .types import Draft, Passage, Retrieval, Turn, Unit, Verdict


@runtime_checkable
class Store(Protocol):
    """The indexed units, searchable by vector (what retrieval reads; ingest writes ``ChromaStore`` itself)."""

    def units(self) -> list[Unit]:
        """Every unit, in (source, position) order."""
        ...

    def query(self, vector: np.ndarray, n: int) -> list[Hit]:
        """The ``n`` units nearest to ``vector``, best first."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Retriever(Protocol):
    """Ranks article passages for a message, reading follow-ups with the conversation."""

    @property
    def units(self) -> Sequence[Unit]:
        """Every unit it can return (the sentences a reply may quote)."""
        ...

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every word of those units (``text.words``): what the articles talk about."""
        ...

    def retrieve(self, question: str, history: Sequence[Turn] = (), *, follow_up: bool | None = None) -> Retrieval:
        """Passages for ``question``; ``follow_up`` forces (True) or forbids (False) reading it with the previous question."""
        ...

    def query_texts(self, question: str) -> tuple[str, ...]:
        """The texts ``retrieve`` will embed for ``question`` (so the rails can embed them in the
        same model run); () when it embeds none or cannot tell."""
        ...

    def warm(self) -> None:
        """Load indexes now rather than on the first question."""
        ...


@runtime_checkable
class Composer(Protocol):
    """Turns the passages retrieved for an in-scope question into a draft answer; ``finish`` adds the safety lines."""

    def answer(self, verdict: Verdict, retrieval: Retrieval, turns: Sequence[Turn] = ()) -> Draft:
        """An ``answered`` draft (its segments quote the passages, each with its citation number),
        or ``out_of_scope`` when no passage is usable. ``verdict`` says what the rails read (intent, risk)."""
        ...

    def with_antecedents(self, passage: Passage) -> list[Passage]:
        """The passage with the sentences it leans on ("It means you're hurting." needs the one before
        it), in article order; the medical reply's excerpt quotes what this gives. A composer that
        knows no article structure returns ``[passage]``. It may also offer ``nothing_to_go_on(turns)``:
        True when "tell me more" has no earlier reply from the article to go on (then it is read as
        ``answers.more_alone``); without it, "tell me more" is answered as any other question."""
        ...


__all__ = ["Composer", "Embedder", "Retriever", "Store"]
