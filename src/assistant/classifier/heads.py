"""The safety classifiers at run time: four logistic heads on the sentence embedding and words.

Each head is ``sigmoid(v · w + x · u + b)``: ``v`` is the unit vector the app already computes
(all-MiniLM-L6-v2, 384-d) and ``x`` the text's word and character n-gram TF-IDF vector
(``lexical.Lexicon``, a capped vocabulary), so a decision costs one small matrix product and a
dictionary look-up per n-gram on top of the model run the rails make anyway. The heads and their thresholds come from the versioned artifact in
``guardrails/classifier/`` (``make rails`` writes it); loading refuses an artifact that is
corrupt, made for another model or label set, or older than the training data beside it.

Heads (``DECISIONS``): ``risk`` (clear or possible crisis risk: 988 is shown), ``clear``
(clear risk: crisis takeover), ``medical`` (a medical-advice request), ``topic`` (within
the article's scope).

Example::

    heads = load_heads(Path("guardrails/classifier"), model_sha256=OFFICIAL_MODEL_SHA256)
    p = heads.scores(embedder.encode(["i want to die"]), ["i want to die"])
    p["clear"][0] >= heads.thresholds["clear"]
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from ..errors import ConfigError
from .data import LABELS, sha256_files
from .lexical import Lexicon

DECISIONS = ("risk", "clear", "medical", "topic")
ARTIFACT_VERSION = 2
REBUILD = "run `make rails` to rebuild it"


class ArtifactError(ConfigError):
    """The classifier artifact is missing, corrupt, or was made for other data or another model."""


@runtime_checkable
class SafetyClassifier(Protocol):
    """Probabilities per decision for a batch of texts (their unit vectors and the texts
    themselves, in the same order), and the bar each must reach."""

    thresholds: dict[str, float]

    def scores(self, vectors: np.ndarray, texts: Sequence[str]) -> dict[str, np.ndarray]: ...


@dataclass(frozen=True)
class LinearHeads:
    """Logistic heads: ``weights`` is decisions × dim, ``bias`` one per decision; with a
    ``lexicon``, ``lexical`` is decisions × its size."""

    weights: np.ndarray
    bias: np.ndarray
    thresholds: dict[str, float]
    decisions: tuple[str, ...] = DECISIONS
    lexicon: Lexicon | None = None
    lexical: np.ndarray | None = None

    def scores(self, vectors: np.ndarray, texts: Sequence[str]) -> dict[str, np.ndarray]:
        logits = np.asarray(vectors, dtype=np.float64) @ self.weights.T + self.bias
        if self.lexicon is not None and self.lexical is not None:
            logits = logits + self.lexicon.dot(list(texts), self.lexical)
        p = 1.0 / (1.0 + np.exp(-np.clip(logits, -40, 40)))
        return {d: p[:, i] for i, d in enumerate(self.decisions)}


def _fail(path: Path, why: str) -> ArtifactError:
    return ArtifactError(f"{path}: {why}; {REBUILD}.")


def load_heads(folder: Path, *, model_sha256: str, data_paths: Sequence[Path] = ()) -> LinearHeads:
    """The heads of ``folder`` (``manifest.json`` + ``weights.json``), checked against the
    embedding model in use, the label set, their own hash and, when every file of
    ``data_paths`` is present, the training data they were made from."""
    folder = Path(folder)
    manifest_path, weights_path = folder / "manifest.json", folder / "weights.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        raw = weights_path.read_bytes()
        weights = json.loads(raw)
    except FileNotFoundError as exc:
        raise _fail(Path(exc.filename or folder), "the safety classifier artifact is missing") from None
    except (ValueError, UnicodeDecodeError, OSError):
        raise _fail(folder, "the safety classifier artifact is not readable JSON") from None
    if not isinstance(manifest, dict) or manifest.get("artifact_version") != ARTIFACT_VERSION:
        raise _fail(manifest_path, f"artifact version is not {ARTIFACT_VERSION}")
    if hashlib.sha256(raw).hexdigest() != manifest.get("weights_sha256"):
        raise _fail(weights_path, "weights do not match the SHA-256 in manifest.json (corrupt or edited)")
    if manifest.get("embedding_model_sha256") != model_sha256:
        raise _fail(manifest_path, "made for another embedding model than the one in use")
    if tuple(manifest.get("labels") or ()) != LABELS or tuple(manifest.get("decisions") or ()) != DECISIONS:
        raise _fail(manifest_path, "made for another label set or other decisions")
    present = [Path(p) for p in data_paths if Path(p).is_file()]
    if data_paths and len(present) == len(data_paths) and sha256_files(present) != manifest.get("training_data_sha256"):
        raise _fail(manifest_path, "stale: the training data changed since it was made")
    try:
        w = np.array([weights["heads"][d]["weights"] for d in DECISIONS], dtype=np.float64)
        b = np.array([weights["heads"][d]["bias"] for d in DECISIONS], dtype=np.float64)
        lex = weights["lexicon"]
        lexicon = Lexicon(tuple(lex["words"]), tuple(lex["chars"]), np.array(lex["idf"], dtype=np.float64))
        u = np.array([weights["heads"][d]["lexical"] for d in DECISIONS], dtype=np.float64)
        thresholds = {d: float(manifest["thresholds"][d]) for d in DECISIONS}
    except (KeyError, TypeError, ValueError):
        raise _fail(weights_path, "heads, lexicon or thresholds are incomplete") from None
    if (w.ndim != 2 or w.shape[0] != len(DECISIONS) or u.shape != (len(DECISIONS), lexicon.size)
            or len(lexicon.idf) != lexicon.size or not all(np.isfinite(a).all() for a in (w, b, u, lexicon.idf))):
        raise _fail(weights_path, "weights have the wrong shape or are not finite")
    return LinearHeads(w, b, thresholds, lexicon=lexicon, lexical=u)
