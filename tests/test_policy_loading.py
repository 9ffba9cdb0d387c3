"""The guardrails are parsed with libyaml's loader when PyYAML has it (a seventh of the time of
the pure-Python loader on a cold start); both must read the shipped folder to the same data."""

from __future__ import annotations

import pytest
import yaml

from assistant import policy as policy_module
from assistant.settings import ROOT


@pytest.mark.parametrize("name", ["policy.yaml", "exemplars.yaml", "patterns.yaml"])
def test_fast_and_pure_python_loaders_read_the_same_guardrails(name):
    text = (ROOT / "guardrails" / name).read_text(encoding="utf-8")
    assert yaml.load(text, Loader=policy_module._LOADER) == yaml.safe_load(text)


def test_the_loaded_policy_compiles_every_pattern_group_once():
    loaded = policy_module.load_policy(ROOT / "guardrails")
    assert set(loaded.compiled) == set(policy_module.PATTERN_GROUPS)
    for group in policy_module.PATTERN_GROUPS:
        assert len(loaded.compiled[group]) == len(getattr(loaded.patterns, group))
