"""The generalisation table: how the safety classifier does on messages it was not trained on.

For each decision, recall (positives caught) and false-alarm rate (benign messages, i.e.
on-topic, off-topic and look-alike, flagged; for scope, off-topic and look-alike taken as
on-topic) at the shipped thresholds:

- on the **dev split**, with heads trained on the train split;
- **leave one source out** (LOSO): heads trained on every source but one, tested on the one left
  out, for every source of the public data and the team's own; then the worst and the mean.

The out-of-sample probabilities are cached under ``<index_dir>/classifier/`` keyed by the
training data, the model and the training code, so ``make eval`` pays for them once.

Example::

    table = generalisation(settings, embedder, thresholds, evals_dir)
    print(table.markdown())
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROWS = (  # decision, what recall means, what a false alarm means
    ("clear", "clear risk -> takeover", "takeover on benign"),
    ("risk", "risk -> 988 shown", "988 on benign"),
    ("medical", "medical -> medical reply", "over-refusal (benign)"),
    ("topic", "on-topic -> in scope", "off-topic -> in scope"),
)
BENIGN = ("on_topic", "off_topic", "benign_lookalike")


@dataclass(frozen=True)
class Table:
    """``cells[(decision, metric)][column] = (rate, n)``; columns: dev, each source, worst, mean."""

    columns: tuple[str, ...]
    cells: dict[tuple[str, str], dict[str, tuple[float, int]]]
    dropped: int = 0

    def to_dict(self) -> dict:
        return {"columns": list(self.columns), "dropped_eval_near_copies": self.dropped,
                "rows": [{"decision": d, "metric": m, **{c: (None if math.isnan(v[0]) else round(v[0], 4)) for c, v in cols.items()}}
                         for (d, m), cols in self.cells.items()]}

    def markdown(self) -> str:
        head = ["decision", "figure", *self.columns]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for (d, m), cols in self.cells.items():
            label = dict((r[0], r[1 if m == "recall" else 2]) for r in ROWS)[d]
            cells = [_pct(*cols.get(c, (math.nan, 0))) for c in self.columns]
            lines.append(f"| {d} | {label} | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def _pct(rate: float, n: int) -> str:
    return "n/a" if math.isnan(rate) else f"{100 * rate:.1f}% ({n})"


def build_table(labels: tuple[str, ...], targets: dict[str, np.ndarray], held, thresholds: dict[str, float], dropped: int = 0) -> Table:
    """The table from out-of-sample probabilities (``classifier.train.out_of_sample``)."""
    benign_all = np.isin(np.array(labels), BENIGN)
    is_clear = np.array(labels) == "crisis_clear"
    cells: dict[tuple[str, str], dict[str, tuple[float, int]]] = {}
    for d, _, _ in ROWS:
        rec, fa = {}, {}
        for h in held:
            y, p = targets[d][h.rows], h.probs[d]
            pos = (y == 1) & (is_clear[h.rows] if d == "clear" else True)
            neg = (y == 0) & benign_all[h.rows]
            hit = p >= thresholds[d]
            rec[h.name] = (float(hit[pos].mean()) if pos.any() and not np.isnan(p).all() else math.nan, int(pos.sum()))
            fa[h.name] = (float(hit[neg].mean()) if neg.any() and not np.isnan(p).all() else math.nan, int(neg.sum()))
        for name, col in (("recall", rec), ("false_alarm", fa)):
            loso = [v for k, v in col.items() if k != "dev" and not math.isnan(v[0])]
            worst = (min if name == "recall" else max)(loso, key=lambda v: v[0]) if loso else (math.nan, 0)
            mean = (float(np.mean([v[0] for v in loso])), sum(v[1] for v in loso)) if loso else (math.nan, 0)
            cells[(d, name)] = {**col, "LOSO worst": worst, "LOSO mean": mean}
    columns = ("dev", *[h.name for h in held if h.name != "dev"], "LOSO worst", "LOSO mean")
    return Table(columns, cells, dropped)


def held_out(data, X: np.ndarray, cache_dir: Path | None):
    """``out_of_sample(data, X)``, from the cache when the same data and code made it."""
    from ..classifier import lexical, train

    code = hashlib.sha256(b"".join(Path(m.__file__).read_bytes() for m in (train, lexical))).hexdigest()[:12]
    key = hashlib.sha256(f"{data.sha256}{X.shape}{float(X.sum()):.6f}{code}".encode()).hexdigest()[:16]
    path = Path(cache_dir) / "classifier" / f"heldout-{key}.npz" if cache_dir else None
    if path is not None and path.is_file():
        try:
            z = np.load(path)
            names = json.loads(str(z["names"]))
            return [train.Held(n, z[f"rows_{i}"], {d: z[f"p_{i}_{d}"] for d in ("risk", "clear", "medical", "topic")})
                    for i, n in enumerate(names)]
        except (OSError, ValueError, KeyError):
            pass
    held = train.out_of_sample(data, X)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            arrays = {"names": json.dumps([h.name for h in held])}
            for i, h in enumerate(held):
                arrays[f"rows_{i}"] = h.rows
                arrays.update({f"p_{i}_{d}": v for d, v in h.probs.items()})
            np.savez(path, **arrays)
        except OSError:
            pass
    return held


def generalisation(settings, embedder, thresholds: dict[str, float], evals_dir: Path | None) -> Table | None:
    """The table for ``settings``' training data (eval near-copies of ``evals_dir`` dropped, as in
    training), or ``None`` when that data is not on this machine."""
    from ..classifier import training_paths
    from ..classifier.data import TrainingData

    paths = training_paths(settings)
    if not all(p.is_file() for p in paths):
        return None
    data = TrainingData.load(paths, evals_dir=evals_dir)
    X = data.embed(embedder, cache_dir=settings.index_dir)
    return build_table(data.labels, data.targets(), held_out(data, X, settings.index_dir), thresholds, data.dropped)
