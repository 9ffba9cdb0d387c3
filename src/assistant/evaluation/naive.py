"""The LangChain tutorial recipe, as the baseline ``--compare naive`` measures us against.

``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` over the corpus files,
an in-memory Chroma collection with the same embedding model, the top 4 chunks, and the
answer is those chunks concatenated. Every question is "answered"; there are no rails, and it
adds no disclaimer or contact of its own: the report shows exactly what the recipe gives, so
the safety figures of this column are honestly low.

Example::

    naive = NaiveRAG.build(settings)
    reply = naive.ask("why do I ignore texts?")
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from ..corpus import read_corpus
from ..errors import CorpusError
from ..settings import Settings
from ..types import Passage, Reply

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4


class NaiveRAG:
    """Split, embed, store, retrieve top-4, concatenate. Build with ``NaiveRAG.build``."""

    def __init__(self, vectorstore: Any, embedder: Any, policy: Any = None):
        self.vectorstore = vectorstore
        self.embedder = embedder
        self.policy = policy

    @classmethod
    def build(cls, settings: Settings | None = None, *, embedder: Any = None, policy: Any = None) -> "NaiveRAG":
        """Index the corpus into a fresh in-memory collection. ``embedder`` defaults to the
        project's sentence-transformers model (any LangChain ``Embeddings`` works, e.g. the
        hash fake in tests)."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        settings = settings or Settings()
        if embedder is None:
            from ..embeddings import SentenceTransformerEmbedder, default_model_dir

            embedder = SentenceTransformerEmbedder(settings.model_dir or default_model_dir(), settings.model_sha256)
        docs, _problems = read_corpus(settings.corpus_dir)
        if not docs:
            raise CorpusError(f"No readable articles in {settings.corpus_dir}; the naive baseline has nothing to index.")
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        chunks = splitter.create_documents([d.text for d in docs], metadatas=[{"source": d.source} for d in docs])
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        # A unique name: ephemeral clients in one process share their in-memory system.
        store = Chroma(collection_name=f"naive-{uuid.uuid4().hex[:12]}", embedding_function=embedder, client=client)
        store.add_documents(chunks, ids=[f"naive-{i}" for i in range(len(chunks))])
        return cls(store, embedder, policy)

    def ask(self, question: str, history: list[dict] | None = None) -> Reply:
        """Top-4 chunks for the question (history ignored, as in the recipe), concatenated."""
        start = time.perf_counter()
        found = self.vectorstore.similarity_search_with_score(question, k=TOP_K)
        retrieve_ms = (time.perf_counter() - start) * 1000.0
        passages = tuple(
            Passage(id=str(doc.id or f"naive-{rank}"), source=str(doc.metadata.get("source", "")), text=doc.page_content,
                    score=-float(distance), position=rank)
            for rank, (doc, distance) in enumerate(found)
        )
        body = "\n\n".join(p.text for p in passages)
        return Reply(question=question, category="answered", body=body, answer=body, disclaimer="", contact="",
                     sources=passages, retrieved=passages, timings={"retrieve": retrieve_ms})
