"""The naive baseline as a person would write it from the LangChain tutorial, run as its own process.

Load the articles, ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``,
``Chroma.from_documents`` (in memory) with ``HuggingFaceEmbeddings`` on the same local model,
retrieve the top 4 and print them: no rails, no index on disk, everything rebuilt per start.
It reads the files directly (the tutorial's loaders would add an import, never remove one).

Run::

    python -m assistant.benchmarking.naive "why do I ignore messages?"        # cold start: print the answer
    python -m assistant.benchmarking.naive '{"questions": [...], "rounds": 2}' # warm: JSON latency figures
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

TOP_K = 4
ROOT = Path(__file__).resolve().parents[3]


def build():
    """The recipe's four steps; returns the retriever."""
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from ..embeddings import default_model_dir

    # Plain paths, as the tutorial has them (the project's pydantic settings would add an import).
    corpus = Path(os.environ.get("ASSISTANT_CORPUS_DIR", ROOT / "corpus"))
    paths = sorted(p for p in corpus.rglob("*") if p.suffix in (".md", ".txt"))
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = splitter.create_documents([p.read_text(encoding="utf-8") for p in paths],
                                     metadatas=[{"source": p.name} for p in paths])
    embeddings = HuggingFaceEmbeddings(model_name=os.environ.get("ASSISTANT_MODEL_DIR") or str(default_model_dir()))
    vectorstore = Chroma.from_documents(docs, embeddings)
    return vectorstore.as_retriever(search_kwargs={"k": TOP_K})


def answer(retriever, question: str) -> str:
    return "\n\n".join(d.page_content for d in retriever.invoke(question))


def warm(args: dict) -> dict:
    """Latency of one question after the recipe is built, in this process (ms)."""
    from .measure import rss_mb, summary

    retriever = build()
    questions = args["questions"]
    for q in questions[:5]:
        answer(retriever, q)
    times = []
    for _ in range(int(args.get("rounds", 1))):
        for q in questions:
            t = time.perf_counter()
            answer(retriever, q)
            times.append((time.perf_counter() - t) * 1000)
    return {"query_ms": summary(times), "rss_mb": round(rss_mb(), 1)}


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else "why do I ignore messages?"
    if arg.lstrip().startswith("{"):
        from .measure import worker_main

        worker_main(warm)
    else:
        print(answer(build(), arg), flush=True)
