"""The eval as a regression gate in `make test`: every labelled case through the real pipeline.

`evals/thresholds.yaml` holds the product's targets (`make eval` fails while any is missed);
`evals/ci-thresholds.yaml` holds the last measured level of each figure, so a change that makes
any figure worse fails the landing. Raise the ratchet whenever a figure improves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluation.command import execute

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.integration
def test_no_figure_falls_below_its_last_measured_level(real_index_dir, settings_for, tmp_path):
    code, run = execute(
        settings=settings_for(real_index_dir),
        thresholds=ROOT / "evals" / "ci-thresholds.yaml",
        out=tmp_path / "report",
        transcripts=False,
        progress=False,
        echo=lambda *a, **k: None,
    )
    written = sorted(p.name for p in (tmp_path / "report").rglob("*") if p.is_file())
    assert {"results.jsonl", "summary.json", "summary.md", "report.html"} <= set(written)
    assert code == 0, (tmp_path / "report").rglob("summary.md").__next__().read_text(encoding="utf-8")
