"""The ONNX query path packs texts of different lengths into one model run (``_length_groups``).
That must never change a vector: each text embedded in a mixed batch equals the same text
embedded alone, bit for bit, and the grouping keeps every row exactly once."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embeddings import default_model_dir
from assistant.onnx_backend import BATCH, OnnxEmbedder, _length_groups
from assistant.settings import OFFICIAL_MODEL_SHA256


def test_groups_cover_every_row_once_and_respect_the_batch_size():
    rng = np.random.default_rng(7)
    lengths = rng.integers(3, 256, size=500)
    groups = _length_groups(lengths)
    rows = np.concatenate(groups)
    assert sorted(rows.tolist()) == list(range(500))
    assert max(len(g) for g in groups) <= BATCH


def test_a_question_and_its_clauses_share_one_run_but_a_long_text_does_not_pad_short_ones():
    assert len(_length_groups(np.array([9, 7, 8, 11, 6]))) == 1
    groups = _length_groups(np.array([8, 9, 7, 200]))
    assert len(groups) == 2 and groups[-1].tolist() == [3]


@pytest.mark.integration
def test_vectors_in_a_mixed_batch_equal_vectors_embedded_alone(tmp_path):
    emb = OnnxEmbedder.open(default_model_dir(), OFFICIAL_MODEL_SHA256, cache_dir=tmp_path)
    texts = ["why do I ignore messages?", "ok", "I keep pushing everyone away and I don't know why, "
             "even the friends who keep checking in on me every week", "is that normal?", ""]
    together = emb.encode(texts)
    alone = []
    for t in texts:
        emb.cache_clear()
        alone.append(emb.encode([t])[0])
    assert np.array_equal(together, np.array(alone))
