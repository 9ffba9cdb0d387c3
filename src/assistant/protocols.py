"""The seams where a part of the pipeline can be swapped: what ``Assistant`` needs of each part.

``Assistant.load()`` wires the defaults; ``Assistant(...)`` takes any objects with these methods
(no subclassing, no registration), so a test or a new part plugs in the same way.

| seam | default | what a replacement does |
|---|---|---|
| ``Embedder`` (``embeddings.py``) | ``OnnxEmbedder`` for questions | texts to unit-length vectors |
| ``Store`` | ``store.ChromaStore`` | the units, and the units nearest to a vector |
| ``Retriever`` | ``retrieval.HybridRetriever`` | ranks passages for a message and its history |
| ``Composer`` | ``compose.QuotingComposer`` | turns ranked passages into a draft reply (e.g. an LLM) |
| ``SafetyClassifier`` | none yet | scores messages for the safety decisions |

Whatever a composer writes still goes through ``finish``: it blocks dose or diagnosis text,
drops any sentence found neither in the corpus nor in the policy, and adds the crisis lines, the
contact and the disclaimer. A new composer cannot skip them.

Example::

    class OneLineComposer:
        def __init__(self, policy):
            self.policy = policy

        def answer(self, retrieval, *, intent):
            best = retrieval.passages[:1]
            return Draft("answered", body=f"{best[0].text} [1]", sources=best) if best else self.out_of_scope()

        def medical(self, retrieval):
            return Draft("medical_advice", lead=self.policy.wording.medical_advice)

        def out_of_scope(self):
            return Draft("out_of_scope", lead=self.policy.wording.out_of_scope)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence, runtime_checkable

from .embeddings import Embedder

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .store import Hit
    from .types import Draft, Retrieval, Turn, Unit


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
    """Turns retrieved passages into a draft reply; ``finish`` adds the safety lines."""

    def answer(self, retrieval: Retrieval, *, intent: str) -> Draft:
        """An ``answered`` draft for an in-scope question, or ``out_of_scope`` when nothing is usable."""
        ...

    def medical(self, retrieval: Retrieval | None) -> Draft:
        """A ``medical_advice`` draft: the advice declined, with relevant article lines if any."""
        ...

    def out_of_scope(self) -> Draft:
        """An ``out_of_scope`` draft with suggested questions."""
        ...


@runtime_checkable
class SafetyClassifier(Protocol):
    """A learned safety decision on the sentence vectors the pipeline already computes.

    A placeholder for the seam: today the rails decide with the policy's patterns and exemplars
    (``safety.py``) and nothing implements this yet. A trained classifier (crisis tier,
    medical-advice request, scope) gives one probability per label for each vector.
    """

    labels: tuple[str, ...]

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """An array of shape (len(vectors), len(labels)); each row sums to 1."""
        ...


__all__ = ["Composer", "Embedder", "Retriever", "SafetyClassifier", "Store"]
