"""The bars a run must clear, read from ``evals/thresholds.yaml``.

Each entry names a figure from ``summary.FIGURES`` and gives exactly one of ``min`` or
``max``. A name that is not a figure fails at load (a misspelt threshold would otherwise
never be checked). A figure that is n/a in this run (no case it applies to, e.g. under
``--only crisis``) is reported as not measured rather than passed or failed.

Example::

    checks = check(summary.figures, load_thresholds(Path("evals/thresholds.yaml")))
    missed = [c for c in checks if c.ok is False]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..errors import ConfigError
from .summary import BY_NAME, FIGURE_NAMES, fmt

EPSILON = 1e-9  # 0.95 computed as 19/20 must not fail a 0.95 bar through rounding


class Bound(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float | None = None
    max: float | None = None
    why: str = ""

    @model_validator(mode="after")
    def _one_side(self) -> "Bound":
        if (self.min is None) == (self.max is None):
            raise ValueError("give exactly one of 'min' or 'max'")
        return self


@dataclass(frozen=True)
class Threshold:
    name: str
    op: str  # "min" or "max"
    limit: float
    why: str = ""

    def bar(self) -> str:
        """The bar alone, e.g. ``>= 95.0%``."""
        return f"{'>=' if self.op == 'min' else '<='} {fmt(self.name, self.limit)}"

    def describe(self) -> str:
        return f"{BY_NAME[self.name].label} {self.bar()}"


@dataclass(frozen=True)
class Check:
    threshold: Threshold
    value: float
    ok: bool | None  # None: not measured in this run

    def message(self) -> str:
        t = self.threshold
        state = "not measured" if self.ok is None else ("ok" if self.ok else "MISSED")
        return f"{state}: {t.name} = {fmt(t.name, self.value)} (needs {t.describe()})"


def load_thresholds(path: Path) -> list[Threshold]:
    """Parse and validate the thresholds file; errors name the file and the key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: thresholds file is missing; restore it or pass --no-thresholds.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of figure names to {{min: ...}} or {{max: ...}}.")
    out = []
    for name, raw in data.items():
        if name not in FIGURE_NAMES:
            raise ConfigError(f"{path}: key '{name}': unknown figure; known figures: {', '.join(FIGURE_NAMES)}.")
        try:
            bound = Bound.model_validate(raw)
        except ValidationError as exc:
            msg = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"{path}: key '{name}': {msg}.") from None
        op = "min" if bound.min is not None else "max"
        out.append(Threshold(name, op, float(bound.min if op == "min" else bound.max), bound.why))  # type: ignore[arg-type]
    return out


def check(figures: dict[str, float], thresholds: list[Threshold]) -> list[Check]:
    """Compare each threshold with its figure."""
    checks = []
    for t in thresholds:
        value = figures.get(t.name, math.nan)
        if value is None or math.isnan(value):
            checks.append(Check(t, math.nan, None))
            continue
        ok = value >= t.limit - EPSILON if t.op == "min" else value <= t.limit + EPSILON
        checks.append(Check(t, value, ok))
    return checks


def missed(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.ok is False]
