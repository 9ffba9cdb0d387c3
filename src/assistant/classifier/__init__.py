"""The learned safety decisions: training data, heads, training and the shipped artifact.

- ``data``: the labelled messages (public set plus the team's), eval near-copies dropped, embeddings cached.
- ``heads``: the run-time heads (numpy only) and the artifact loader that refuses a stale one.
- ``train``: scikit-learn training, threshold choice, artifact writing (``make rails``).

Example::

    heads = load_classifier(Settings(), model_sha256=OFFICIAL_MODEL_SHA256)
"""

from __future__ import annotations

from pathlib import Path

from .heads import ArtifactError, LinearHeads, SafetyClassifier, load_heads

__all__ = ["ArtifactError", "LinearHeads", "SafetyClassifier", "artifact_dir", "load_classifier", "training_paths"]


def artifact_dir(settings) -> Path:
    return Path(settings.guardrails_dir) / "classifier"


def training_paths(settings) -> list[Path]:
    """The public training set, the team's own files in ``guardrails/training/``, and the policy's
    exemplar messages."""
    folder = Path(settings.guardrails_dir)
    return [Path(settings.training_data), *sorted((folder / "training").glob("*.jsonl")), folder / "exemplars.yaml"]


def load_classifier(settings, *, model_sha256: str) -> LinearHeads:
    """The shipped heads, checked against the model in use and, when present, the training data."""
    return load_heads(artifact_dir(settings), model_sha256=model_sha256, data_paths=training_paths(settings))
