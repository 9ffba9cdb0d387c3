"""Fast question embeddings: the same all-MiniLM-L6-v2 weights exported once to ONNX.

sentence-transformers stays the source of truth (it embeds the corpus at ingest, and
``tests/test_bench.py`` checks cosine ≥ 0.999 between the two on every corpus unit). For a
question the ONNX path needs only onnxruntime and tokenizers, which import in a fraction of a
second, where sentence-transformers and torch take several seconds.

The export runs once per model hash (at ``make setup`` or on first use) into
``<index_dir>/onnx/<sha>/model.onnx``; it needs torch and the ``onnx`` package, both installed
by ``make setup``. Pooling and normalization follow the model's own config (mean pooling,
unit length, 256-token limit).

A message is embedded twice on its way through a reply (the input rails embed it with its
clauses, retrieval embeds the question again), so vectors of recent texts are kept in a small
LRU cache: the second time costs a dictionary lookup instead of a model run.

What a model run costs on this CPU (one thread, measured): about 4.5 ms whatever its size (the
weights are read from memory once per run) plus about 0.35 ms per token row. So the texts of one
call go through as few runs as possible: rows of different lengths share a run, padded to the
longest, unless the padding would cost more than a run of their own (``RUN_COST_TOKENS``).
Padding changes no vector: the attention mask keeps padded positions out, and the result is
bit-identical to embedding each text alone (``tests/test_onnx_batching.py``).

Example::

    emb = OnnxEmbedder.open(default_model_dir(), OFFICIAL_MODEL_SHA256, cache_dir=Path(".index"))
    vec = emb.embed_query("why do I ignore messages?")
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .embeddings import DIM, _Base, verify_model
from .errors import ModelError

MAX_TOKENS = 256
BATCH = 64
RUN_COST_TOKENS = 16  # the fixed cost of one model run, in padded token rows (4.5 ms / 0.35 ms, rounded up)
CACHE_SIZE = 2048  # texts; 2048 × 384 floats ≈ 3 MB


def export_onnx(model_dir: Path, target: Path) -> Path:
    """Export the transformer of ``model_dir`` to ``target`` (written aside, then moved into place)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class Encoder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    dummy = torch.ones(1, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        out = Path(tmp) / "model.onnx"
        with torch.no_grad():
            torch.onnx.export(
                Encoder(model), (dummy, dummy, torch.zeros_like(dummy)), str(out), dynamo=False, opset_version=17,
                input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "last_hidden_state": axes},
            )
        os.replace(out, target)
    return target


class OnnxEmbedder(_Base):
    """Mean-pooled, normalized embeddings from the exported model with onnxruntime."""

    name = "onnx"

    def __init__(self, onnx_path: Path, model_dir: Path, model_sha256: str, *, cache_size: int = CACHE_SIZE, threads: int = 1):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_sha256 = model_sha256
        options = ort.SessionOptions()
        # One thread by default: the page answers several people at once on two cores, where a
        # pool of spinning threads per session competes with them (32 users: 15.4 against 11.1
        # replies/s). A lone question on an idle machine is about 30% faster on two threads.
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def open(cls, model_dir: Path, expected_sha256: str, cache_dir: Path, *, threads: int = 1) -> OnnxEmbedder:
        """The embedder for ``model_dir``, whose weights must hash to ``expected_sha256``; exports
        the ONNX model into ``cache_dir`` the first time. ``threads``: onnxruntime's intra-op threads."""
        sha = verify_model(Path(model_dir), expected_sha256)
        path = Path(cache_dir) / "onnx" / sha[:16] / "model.onnx"
        if not path.is_file():
            try:
                export_onnx(Path(model_dir), path)
            except ImportError as exc:
                raise ModelError(f"Cannot export the ONNX model ({exc}); run `make setup`.") from exc
            (path.parent / "source.json").write_text(json.dumps({"model_sha256": sha}), encoding="utf-8")
        return cls(path, Path(model_dir), sha, threads=threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        texts = list(texts)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for t in texts:
                if t in self._cache:
                    self._cache.move_to_end(t)
                    found[t] = self._cache[t]
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = self._run(missing)
            found.update(zip(missing, fresh))
            if self.cache_size:
                with self._lock:
                    for t, v in zip(missing, fresh):
                        self._cache[t] = v
                        self._cache.move_to_end(t)
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def cache_clear(self) -> None:
        """Forget cached vectors (the benchmarks use this to time every question from scratch)."""
        with self._lock:
            self._cache.clear()

    def _run(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` in as few model runs as pays (see ``_length_groups``)."""
        encoded = self.tokenizer.encode_batch([t if t.strip() else "." for t in texts])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        lengths = mask.sum(axis=1)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for rows in _length_groups(lengths):
            width = int(lengths[rows].max())  # padding is on the right: cutting it off changes nothing
            b_ids, b_mask = ids[rows, :width], mask[rows, :width]
            feed = {"input_ids": b_ids, "attention_mask": b_mask, "token_type_ids": np.zeros_like(b_ids)}
            hidden = self.session.run(None, feed)[0]
            m = b_mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            out[rows] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return out


def _length_groups(lengths: np.ndarray) -> list[np.ndarray]:
    """Row indices in batches of at most ``BATCH``, shortest rows first. A row joins the current
    batch when padding the rows already there to its length costs fewer token rows than a run
    of its own (``RUN_COST_TOKENS``): a question and its clauses go through in one run, while a
    long message does not pad a dozen short clauses to its own length."""
    order = np.argsort(lengths, kind="stable")
    groups: list[list[int]] = []
    width = 0
    for i in order:
        n = int(lengths[i])
        if groups and len(groups[-1]) < BATCH and len(groups[-1]) * (n - width) <= RUN_COST_TOKENS:
            groups[-1].append(int(i))
        else:
            groups.append([int(i)])
        width = n
    return [np.array(g) for g in groups]
