"""Learn the safety heads from labelled messages and write the versioned artifact.

One logistic regression per decision (scikit-learn, class-balanced weights, lbfgs, seeded) on
the sentence embedding of each message beside its word and character n-gram TF-IDF vector
(``lexical.Lexicon``, fitted on the same training rows). The words add what carries from one
source to another (method, amount and dose words, disguised spellings after
``text.deobfuscate``); on the leave-one-source-out runs they raised the recall of the 988 and
medical heads at the same dev false-alarm budgets and kept the takeover head's mean recall with
fewer false alarms (``guardrails/README.md``). The scope head reads the embedding alone
(``EMBEDDING_ONLY``). A small MLP on the embedding lost on the left-out sources in an earlier round.

Thresholds are never chosen on ``evals/``: they come from out-of-sample probabilities of the
dev split (heads trained on the train split), each rule in ``choose_threshold``. Bars chosen on
the dev split pooled with every leave-one-source-out run were tried too: they cost 9 points of
dev recall for clear risk and 12 for medical requests, because the left-out false alarms come
from styles no other source teaches (MedQuAD's templated overdose questions, the tweets'
figurative "die"); the leave-one-source-out table shows what the dev bars give there.

Example::

    data = TrainingData.load(paths, evals_dir=Path("evals"))
    X = data.embed(embedder, cache_dir=Path(".index"))
    write_artifact(Path("guardrails/classifier"), fit(data, X), data, model_sha256=embedder.model_sha256)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import LABELS, TrainingData
from .heads import ARTIFACT_VERSION, DECISIONS, LinearHeads
from .lexical import CHAR_NGRAMS, MIN_DF, WORD_NGRAMS, Lexicon

SEED = 20261203
C = 1.0  # inverse regularisation; 0.25 and 4 were no better on the left-out sources
MAX_FEATURES = 10000  # per kind of n-gram (word, character): about 1.5 MB of artifact
EMBEDDING_SCALE = 1.0  # the embedding's weight beside the lexical vector (both have unit length)
# Heads that read the embedding alone (their lexical weights are zero): with the n-grams the scope
# head did better on dev but worse on every left-out source that has on- or off-topic messages.
EMBEDDING_ONLY = ("topic",)
BENIGN = ("on_topic", "off_topic", "benign_lookalike")  # the rows a false alarm is counted on
# The false-alarm budget of each head on each benign label's dev messages (see choose_threshold).
# The heads only add to the patterns and exemplars, whose own false alarms use part of the 3%
# targets; a medical refusal costs an on-topic question its answer, so the medical head gets 1%;
# the gentle 988 line costs little, so it gets more.
MAX_FALSE_ALARM = {"risk": 0.10, "clear": 0.03, "medical": 0.01}
LICENCES = {"sst": "CC BY 4.0", "oaimod": "MIT", "srl": "Apache-2.0", "meqsum": "CC BY 4.0", "liveqa": "none stated",
            "medquad": "CC BY 4.0", "esconv": "CC BY-NC 4.0", "clinc": "CC BY 3.0", "tsid": "none stated",
            "team": "this repository's", "exemplars": "this repository's"}


Head = tuple[np.ndarray, np.ndarray, float]  # embedding weights, lexical weights, bias


def _features(X: np.ndarray, texts, lexicon: Lexicon):
    import scipy.sparse as sp

    return sp.hstack([sp.csr_matrix(X.astype(np.float64) * EMBEDDING_SCALE), lexicon.matrix(texts)]).tocsr()


def _fit_one(F, y: np.ndarray, dim: int, embedding_only: bool = False) -> Head:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, tol=1e-6, random_state=SEED)
    if embedding_only:
        clf.fit(F[:, :dim].toarray() / EMBEDDING_SCALE, y)
        return clf.coef_[0], np.zeros(F.shape[1] - dim), float(clf.intercept_[0])
    clf.fit(F, y)
    coef = clf.coef_[0]
    return coef[:dim] * EMBEDDING_SCALE, coef[dim:], float(clf.intercept_[0])


def fit_rows(X: np.ndarray, texts, targets: dict[str, np.ndarray], rows: np.ndarray) -> tuple[Lexicon, dict[str, Head | None]]:
    """The lexicon of ``rows`` and one head per decision on them (where that decision is
    defined); ``None`` when the rows hold only one class for it."""
    lexicon = Lexicon.fit([t for t, r in zip(texts, rows) if r], MAX_FEATURES)
    F = _features(X, texts, lexicon)
    out: dict[str, Head | None] = {}
    for d in DECISIONS:
        m = rows & (targets[d] >= 0)
        y = targets[d][m]
        out[d] = _fit_one(F[m], y, X.shape[1], d in EMBEDDING_ONLY) if len(set(y.tolist())) == 2 else None
    return lexicon, out


def _prob(head: Head, lexicon: Lexicon, X: np.ndarray, texts) -> np.ndarray:
    logit = X.astype(np.float64) @ head[0] + lexicon.dot(texts, head[1][None, :])[:, 0] + head[2]
    return 1.0 / (1.0 + np.exp(-logit))


@dataclass(frozen=True)
class Held:
    """Out-of-sample probabilities of one evaluation: ``probs[d]`` per row of ``rows``."""

    name: str  # "dev" or the source left out
    rows: np.ndarray
    probs: dict[str, np.ndarray]


def out_of_sample(data: TrainingData, X: np.ndarray) -> list[Held]:
    """The dev split (trained on train) and every leave-one-source-out run."""
    targets = data.targets()
    splits, sources = np.array(data.splits), np.array(data.sources)
    plans = [("dev", splits == "train", splits == "dev")]
    plans += [(s, sources != s, sources == s) for s in sorted(set(data.sources))]
    held = []
    texts = list(data.texts)
    for name, train, test in plans:
        lexicon, heads = fit_rows(X, texts, targets, train)
        held_texts = [t for t, r in zip(texts, test) if r]
        probs = {d: (_prob(h, lexicon, X[test], held_texts) if h is not None else np.full(int(test.sum()), np.nan))
                 for d, h in heads.items()}
        held.append(Held(name, test, probs))
    return held


def choose_threshold(decision: str, y: np.ndarray, p: np.ndarray, benign: np.ndarray,
                     label_of: np.ndarray | None = None) -> float:
    """The bar for one head from out-of-sample ``p``: for risk, clear and medical the
    lowest bar whose false-alarm rate on the benign rows of each label (``label_of``) stays within
    ``MAX_FALSE_ALARM`` (so recall is as high as that allows); for topic the bar that maximises balanced accuracy."""
    ok = ~np.isnan(p)
    y, p, benign = y[ok], p[ok], benign[ok]
    label_of = label_of[ok] if label_of is not None else None
    grid = np.round(np.arange(0.02, 0.99, 0.01), 2)
    if decision == "topic":
        pos, neg = p[y == 1], p[y == 0]
        return float(max(grid, key=lambda t: ((pos >= t).mean() + (neg < t).mean(), -abs(t - 0.5))))
    # The budget holds for each benign label on its own: pooled, the many easy off-topic
    # messages hide the false alarms on the on-topic and look-alike ones that matter most.
    groups = [benign & (y == 0) & (label_of == l) for l in BENIGN] if label_of is not None else [benign & (y == 0)]
    allowed = [t for t in grid if all((p[g] >= t).mean() <= MAX_FALSE_ALARM[decision] for g in groups if g.any())]
    return float(min(allowed)) if allowed else 0.98


def thresholds_from(data: TrainingData, held: list[Held]) -> dict[str, float]:
    targets = data.targets()
    labels = np.array(data.labels)
    benign_all = np.isin(labels, BENIGN)
    out = {}
    for d in DECISIONS:
        ys, ps, bs, ls = [], [], [], []
        for h in held:
            if h.name != "dev":
                continue
            y = targets[d][h.rows]
            keep = y >= 0
            ys.append(y[keep]), ps.append(h.probs[d][keep]), bs.append(benign_all[h.rows][keep])
            ls.append(labels[h.rows][keep])
        out[d] = choose_threshold(d, np.concatenate(ys), np.concatenate(ps), np.concatenate(bs), np.concatenate(ls))
    # 988 must show whenever a takeover would: the gentle bar is never above the takeover bar.
    out["risk"] = min(out["risk"], out["clear"])
    return out


def fit(data: TrainingData, X: np.ndarray, held: list[Held] | None = None) -> LinearHeads:
    """Heads trained on every row, with thresholds from the out-of-sample runs."""
    lexicon, heads = fit_rows(X, list(data.texts), data.targets(), np.ones(len(data), dtype=bool))
    if any(h is None for h in heads.values()):
        raise ValueError("the training data lacks a class for some decision")
    thresholds = thresholds_from(data, held if held is not None else out_of_sample(data, X))
    w = np.array([heads[d][0] for d in DECISIONS])  # type: ignore[index]
    u = np.array([heads[d][1] for d in DECISIONS])  # type: ignore[index]
    b = np.array([heads[d][2] for d in DECISIONS])  # type: ignore[index]
    lexicon = Lexicon(lexicon.words, lexicon.chars, np.round(lexicon.idf, 6))
    return LinearHeads(np.round(w, 6), np.round(b, 6), thresholds, lexicon=lexicon, lexical=np.round(u, 6))


def write_artifact(folder: Path, heads: LinearHeads, data: TrainingData, *, model_sha256: str) -> dict:
    """``weights.json`` and ``manifest.json`` in ``folder``; the same inputs give the same bytes."""
    import sklearn

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lexicon = heads.lexicon
    if lexicon is None or heads.lexical is None:
        raise ValueError("the heads have no lexicon")
    weights = {"heads": {d: {"weights": [round(float(v), 6) for v in heads.weights[i]], "bias": round(float(heads.bias[i]), 6),
                             "lexical": [round(float(v), 6) for v in heads.lexical[i]]}
                         for i, d in enumerate(DECISIONS)},
               "lexicon": {"words": list(lexicon.words), "chars": list(lexicon.chars),
                           "idf": [round(float(v), 6) for v in lexicon.idf]}}
    raw = (json.dumps(weights, separators=(",", ":")) + "\n").encode()
    counts: dict[str, dict[str, int]] = {}
    for s, label in zip(data.sources, data.labels):
        counts.setdefault(s, {}).setdefault(label, 0)
        counts[s][label] += 1
    manifest = {
        "artifact_version": ARTIFACT_VERSION,
        "kind": "logistic regression per decision on all-MiniLM-L6-v2 sentence embeddings and word+char n-gram TF-IDF",
        "embedding_model_sha256": model_sha256,
        "training_data_sha256": data.sha256,
        "labels": list(LABELS),
        "decisions": list(DECISIONS),
        "thresholds": heads.thresholds,
        "scikit_learn": sklearn.__version__,
        "seed": SEED,
        "C": C,
        "lexical": {"word_ngrams": list(WORD_NGRAMS), "char_ngrams": list(CHAR_NGRAMS), "max_features": MAX_FEATURES,
                    "min_df": MIN_DF, "embedding_scale": EMBEDDING_SCALE, "embedding_only": list(EMBEDDING_ONLY), "words": len(lexicon.words), "chars": len(lexicon.chars)},
        "messages": len(data),
        "dropped_eval_near_copies": data.dropped,
        "sources": {s: {"licence": LICENCES.get(s, "see DATA.md"), "labels": dict(sorted(c.items()))} for s, c in sorted(counts.items())},
        "weights_sha256": hashlib.sha256(raw).hexdigest(),
    }
    (folder / "weights.json").write_bytes(raw)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return manifest
