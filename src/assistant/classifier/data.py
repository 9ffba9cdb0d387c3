"""Training messages for the safety classifiers: read, label, filter, embed (cached).

The public set (``../shared/data/safety_train.jsonl``, described in its ``DATA.md``) and the
team's own messages (``guardrails/training/*.jsonl``) share one schema. Each label maps onto
the three decisions as ``DATA.md`` says; ``topic`` is only defined for on-topic, off-topic and
look-alike messages. Messages within rapidfuzz ratio 85 of an ``evals/`` question are dropped
before anything is learned from them, so the eval keeps grading what was never seen.

Embeddings of the training texts are cached under ``<index_dir>/classifier/`` keyed by the data
hash and the model hash, so the generalisation table in ``make eval`` costs seconds.

Example::

    data = TrainingData.load([shared_path, team_path], evals_dir=Path("evals"))
    X = data.embed(embedder, cache_dir=Path(".index"))
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ConfigError

LABELS = ("crisis_clear", "crisis_possible", "medical_advice", "on_topic", "off_topic", "benign_lookalike")
# The policy's exemplar messages (team-written, in the register people use with a chatbot) are
# training messages too, under source "exemplars"; small talk is neither risk, medical nor on topic.
EXEMPLAR_LABELS = {"crisis_clear": "crisis_clear", "crisis_possible": "crisis_possible", "medical": "medical_advice",
                   "on_topic": "on_topic", "off_topic": "off_topic", "benign_lookalike": "benign_lookalike",
                   "small_talk": "off_topic"}
EVAL_NEAR_COPY = 85  # rapidfuzz ratio at or above which a training message counts as an eval copy


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def sha256_files(paths: Sequence[Path]) -> str:
    """One hash over the bytes of ``paths`` in order (the training-data hash of the manifest)."""
    digest = hashlib.sha256()
    for p in paths:
        digest.update(Path(p).read_bytes())
    return digest.hexdigest()


def eval_questions(evals_dir: Path | None) -> list[str]:
    """Normalised questions of ``evals_dir/*.jsonl`` (user turns of conversations included)."""
    out: list[str] = []
    if evals_dir is None or not Path(evals_dir).is_dir():
        return out
    for path in sorted(Path(evals_dir).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                case = json.loads(line)
            except ValueError:
                continue
            if isinstance(case, dict):
                texts = [case.get("question")] + [t.get("content") for t in case.get("history") or [] if isinstance(t, dict)]
                out += [_key(t) for t in texts if isinstance(t, str) and len(t.split()) >= 3]
    return out


def exemplar_rows(path: Path) -> list[dict]:
    """The policy's exemplar messages as labelled rows (split by the rule of ``DATA.md``)."""
    import yaml

    labels = (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("labels", {})
    rows = []
    for label, block in labels.items():
        for n, text in enumerate(block.get("examples", []), start=1):
            rid = f"exemplars-{label}-{n}"
            split = "dev" if int(hashlib.sha1(rid.encode()).hexdigest(), 16) % 10 < 2 else "train"
            rows.append({"id": rid, "text": text, "label": EXEMPLAR_LABELS[label], "split": split})
    return rows


@dataclass(frozen=True)
class TrainingData:
    """Labelled messages, one row each; ``dropped`` counts the eval near-copies left out."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    sources: tuple[str, ...]  # source key: the part of the id before its first "-" (sst, tsid, team...)
    splits: tuple[str, ...]
    sha256: str
    dropped: int = 0

    @classmethod
    def load(cls, paths: Sequence[Path], evals_dir: Path | None = None) -> "TrainingData":
        """Rows of every JSON-lines file of ``paths``, and of ``exemplars.yaml`` when it is one of them."""
        rows: list[dict] = []
        for path in paths:
            path = Path(path)
            if not path.is_file():
                raise ConfigError(f"{path}: training data not found; set ASSISTANT_TRAINING_DATA or pass --data.")
            if path.suffix == ".yaml":
                rows += exemplar_rows(path)
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    assert row["label"] in LABELS and isinstance(row["text"], str) and row["split"] in ("train", "dev")
                except (ValueError, KeyError, AssertionError, TypeError):
                    raise ConfigError(f"{path}: line {n} is not a labelled message (id, text, label, source, split).") from None
                rows.append(row)
        dropped = 0
        questions = eval_questions(evals_dir)
        if questions:
            from rapidfuzz import fuzz, process

            keys = [_key(r["text"]) for r in rows]
            scores = process.cdist(keys, questions, scorer=fuzz.ratio, score_cutoff=EVAL_NEAR_COPY, workers=1)
            near = scores.max(axis=1) >= EVAL_NEAR_COPY
            dropped = int(near.sum())
            rows = [r for r, bad in zip(rows, near) if not bad]
        return cls(tuple(r["text"] for r in rows), tuple(r["label"] for r in rows),
                   tuple(str(r["id"]).split("-", 1)[0] for r in rows), tuple(r["split"] for r in rows),
                   sha256_files(paths), dropped)

    def __len__(self) -> int:
        return len(self.texts)

    def targets(self) -> dict[str, np.ndarray]:
        """Per decision, 1/0 per row, or -1 where the decision is not defined for that row."""
        lab = np.array(self.labels)
        topic = np.where(lab == "on_topic", 1, np.where(np.isin(lab, ["off_topic", "benign_lookalike"]), 0, -1))
        return {
            "risk": np.isin(lab, ["crisis_clear", "crisis_possible"]).astype(int),  # 988 shown
            "clear": (lab == "crisis_clear").astype(int),  # crisis takeover
            "medical": (lab == "medical_advice").astype(int),
            "topic": topic,
        }

    def embed(self, embedder, cache_dir: Path | None = None) -> np.ndarray:
        """Unit vectors of every text, from the on-disk cache when the same texts and model made it."""
        from ..embeddings import encode_cached

        return encode_cached(embedder, self.texts, Path(cache_dir) / "classifier" if cache_dir else None, "train")
