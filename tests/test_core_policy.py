"""The guardrails folder is validated at start-up: the shipped one loads, and each kind of
mistake a person could make while editing it stops start-up with a message naming the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from assistant.errors import ConfigError
from assistant.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_policy_loads_with_contact_disclaimer_and_crisis_lines():
    policy = load_policy(ROOT / "guardrails")

    assert "+1 844 547 1077" in policy.contact.text
    assert policy.contact.tel == "tel:+18445471077"
    assert "not medical advice" in policy.disclaimer
    resources = " ".join(r.how for r in policy.crisis.resources)
    assert "988" in resources and "911" in resources and "741741" in resources
    assert all(policy.exemplars.values()), "every exemplar label needs examples"


# -- a broken copy of the folder fails, naming file and key -----------------------------------


@pytest.fixture
def guardrails(tmp_path) -> Path:
    folder = tmp_path / "guardrails"
    shutil.copytree(ROOT / "guardrails", folder)
    return folder


def edit(folder: Path, name: str, change) -> None:
    path = folder / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _drop_988(data):
    data["crisis"]["resources"] = [r for r in data["crisis"]["resources"] if "988" not in r["how"]]


def _set(*path_and_value):
    *path, value = path_and_value

    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


BROKEN = {
    "missing contact": ("policy", lambda d: d.pop("contact"), ["'contact'"]),
    "empty disclaimer": ("policy", _set("disclaimer", "   "), ["'disclaimer'"]),
    "unknown key": ("policy", _set("disclaimr", "typo of disclaimer"), ["'disclaimr'", "unknown key"]),
    "unknown nested key": ("policy", _set("contact", "fax", "+1 000"), ["'contact.fax'", "unknown key"]),
    "contact text without the phone": ("policy", _set("contact", "text", "Please contact THIRA Health."), ["'contact.text'", "+1 844 547 1077"]),
    "crisis resources without 988": ("policy", _drop_988, ["'crisis.resources'", "988"]),
    "bad tel link": ("policy", _set("contact", "tel", "call us"), ["'contact.tel'"]),
    "bad intent regex": ("policy", _set("intents", "why", ["(unclosed"]), ["'intents.why.0'", "regex"]),
    "bad answer cue regex": ("policy", _set("answers", "kinds", "hope", "cues", ["(unclosed"]),
                             ["'answers.kinds.hope.cues.0'", "regex"]),
    "bad third-person-story regex": ("policy", _set("answers", "third_person_story", "theirs", "[he"),
                                     ["'answers.third_person_story.theirs'", "regex"]),
    "bad pattern regex": ("patterns", lambda d: d["crisis_clear"][0].update(pattern="[a-"), ["'crisis_clear.0'", "regex"]),
    "medical_information names no pattern": ("patterns", lambda d: d["medical_information"].append("brain_zapz"),
                                             ["'medical_information.", "brain_zapz"]),
    "escalator_qualifiers names no escalator": ("patterns", lambda d: d["escalator_qualifiers"].append("time_son"),
                                                ["'escalator_qualifiers.", "time_son"]),
    "intent with no answer lead": ("policy", _set("intents", "when", ["\\bwhen\\b"]), ["'intents.when'", "answer_lead"]),
    "someone_else pattern outside crisis_possible": ("patterns", lambda d: d["crisis_clear"].append({"id": "someone_else_plan",
                                                     "pattern": "his plan"}), ["'crisis_clear.", "someone_else_plan", "crisis_possible"]),
    "unknown exemplar label": ("exemplars", lambda d: d["labels"].update(sarcasm={"examples": ["sure, great"]}), ["sarcasm"]),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_policy_fails_naming_the_file_and_key(guardrails, case):
    name, change, expected = BROKEN[case]
    edit(guardrails, name, change)

    with pytest.raises(ConfigError) as failure:
        load_policy(guardrails)

    message = str(failure.value)
    assert f"{name}.yaml" in message
    for part in expected:
        assert part in message, f"{part!r} not named in: {message}"


def test_a_missing_policy_file_says_which(guardrails):
    (guardrails / "exemplars.yaml").unlink()

    with pytest.raises(ConfigError, match=r"exemplars\.yaml.*missing"):
        load_policy(guardrails)


def test_invalid_yaml_is_a_config_error_not_a_traceback(guardrails):
    (guardrails / "policy.yaml").write_text("disclaimer: [unclosed\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"policy\.yaml.*YAML"):
        load_policy(guardrails)


def test_start_up_stops_before_answering_anything(guardrails, tmp_path, settings_for):
    from assistant import Assistant
    from assistant.embeddings import HashEmbedder

    edit(guardrails, "policy", lambda d: d.pop("contact"))
    settings = settings_for(tmp_path / "index", guardrails_dir=guardrails)

    with pytest.raises(ConfigError, match="'contact'"):
        Assistant.load(settings, embedder=HashEmbedder())
    assert not (tmp_path / "index").exists(), "no index should be built with an invalid policy"


def test_the_cli_reports_a_broken_policy_in_one_friendly_line(guardrails, tmp_path):
    from assistant.cli import main

    edit(guardrails, "policy", _set("disclaimer", ""))
    env = {"ASSISTANT_GUARDRAILS_DIR": str(guardrails), "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}

    result = CliRunner().invoke(main, ["ask", "why do I ignore messages?"], env=env)

    assert result.exit_code == 2
    assert "Error:" in result.output and "'disclaimer'" in result.output
    assert "Traceback" not in result.output
