"""The guardrails folder as validated data: wording, contact, crisis resources, exemplars, patterns.

Nothing here decides anything; ``safety.py`` enforces what this describes. Loading fails fast
with a ``ConfigError`` that names the file and the key, so a wording change cannot silently
drop the disclaimer or the contact.

Longer than 300 lines: it is the schema of every file in the folder together with the checks
between them (a pattern id another key names, an intent that needs a lead), so each
cross-reference is checked beside the models it joins.

Example::

    policy = load_policy(Path("guardrails"))
    print(policy.contact.phone)
"""

from __future__ import annotations

import hashlib
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from .errors import ConfigError

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Strict):
    name: Text
    phone: Text
    tel: Annotated[str, StringConstraints(pattern=r"^tel:\+?[0-9]+$")]
    text: Text

    @field_validator("text")
    @classmethod
    def _names_phone(cls, v: str, info) -> str:
        phone = info.data.get("phone")
        if phone and phone not in v:
            raise ValueError(f"must contain the phone number {phone!r}")
        return v


class Resource(_Strict):
    name: Text
    how: Text
    link: Text


class Crisis(_Strict):
    resources: list[Resource] = Field(min_length=1)
    takeover: Text
    takeover_close: Text
    possible: Text
    possible_other: Text  # the gentle line when the worry is about someone else's safety
    persist: Text
    avoid_quoting: list[Text] = []
    # A line added to the crisis reply when the message was written in that language (ISO 639-1
    # code -> line), e.g. the 988 Lifeline's Spanish option.
    languages: dict[str, Text] = {}

    @field_validator("languages")
    @classmethod
    def _languages_name_988(cls, v: dict[str, str]) -> dict[str, str]:
        for code, line in v.items():
            if "988" not in line:
                raise ValueError(f"the line for '{code}' must give 988")
        return v

    @field_validator("possible", "possible_other", "persist")
    @classmethod
    def _gentle_lines_give_988(cls, v: str) -> str:
        if "988" not in v or "911" not in v:
            raise ValueError("a gentle crisis line must give 988 and 911")
        return v

    @field_validator("resources")
    @classmethod
    def _has_988_and_911(cls, v: list[Resource]) -> list[Resource]:
        joined = " ".join(r.how for r in v)
        for number in ("988", "911"):
            if number not in joined:
                raise ValueError(f"crisis resources must include {number}")
        return v


class SmallTalk(_Strict):
    greeting: Text
    thanks: Text
    goodbye: Text
    identity: Text
    default: Text


class Invalid(_Strict):
    empty: Text
    too_long: Text
    unreadable: Text
    language: Text

    @field_validator("too_long", "unreadable", "language")
    @classmethod
    def _gives_988_and_911(cls, v: str) -> str:
        # A message the assistant cannot read may still come from someone in danger.
        for number in ("988", "911"):
            if number not in v:
                raise ValueError(f"must give {number}: a message that cannot be read may come from someone in danger")
        return v


BLOCK_KINDS = ("context", "framing", "symptoms", "reasons", "reassurance", "push_pull", "steps", "treatment", "hope",
               "local", "notice", "overview")
BlockKind = Literal["context", "framing", "symptoms", "reasons", "reassurance", "push_pull", "steps", "treatment", "hope",
                    "local", "notice", "overview"]


# The question intents the rails read, and the answer kind whose lead each stands for (the
# earlier composition, kept as an eval baseline, leads by intent).
INTENT_KIND = {"why": "cause", "how": "what_to_do", "hope": "hope", "default": "default"}


class AnswerKind(_Strict):
    """One kind of ask: the cues that recognise it, its lead, and the block kinds that lead is true of."""

    cues: list[Text] = []
    lead: Text
    true_of: list[BlockKind] = Field(min_length=1)
    prefer: list[BlockKind] = []
    # what answers the ask next once earlier replies gave the blocks it prefers ("so what can I do?" after
    # the small steps: where to get more help), rather than those blocks again
    then: list[BlockKind] = []
    # asks about the article itself ("what is this article about?"): answered from the block it prefers
    # wherever the retrieval ranks it, never declined as out of scope nor framed as weak evidence
    about_the_article: bool = False


class ThirdPersonStory(_Strict):
    """A message that names someone close (``close``) and matches ``theirs`` ("he", "she") more often than
    ``mine`` ("I"); each regex is checked at start-up with the policy's other regexes (``load_policy``)."""

    close: Text
    theirs: Text
    mine: Text


class Answers(_Strict):
    """How an answer is composed (guardrails/policy.yaml, ``answers``); ``kinds`` in matching order."""

    kinds: dict[str, AnswerKind]
    unstated: str = "default"  # the kind of a story that asks nothing the cues recognise
    common: list[Text] = []
    margin_kinds: list[BlockKind] = []  # blocks of these kinds must win by ``common_margin`` too
    no_support_kinds: list[BlockKind] = []  # ... and lines of these kinds are never a supporting line
    common_margin: float = Field(0.3, ge=0, le=2)
    # a sentence opening with one of these words leans on the sentence before it ("It means you're
    # hurting."): it is only quoted together with that sentence
    leans_back: list[str] = []
    leans_back_second: list[str] = []
    carries_on: list[str] = []  # a sentence opening with one of these finishes the point of the one before it
    names_back: list[str] = []
    # when the ask's own lead is not true of the answer (or no cue named the ask): the lead of the
    # kind of ask the quoted block answers, by the block's kind, in this order
    lead_by_block: dict[BlockKind, str] = {}
    # a question that names no kind of its own ("where do I even start?"): the rest of the message
    # is read for one of ``bare_refines`` first, else the bare question's own kind stands
    bare: list[Text] = []
    bare_refines: list[str] = []
    # a message that says someone close is the one withdrawing or depressed ("my husband shuts me out"):
    # an ask no cue named, or one of ``someone_else_refines`` ("what do I do?"), is read as ``someone_else_kind``
    someone_else: list[Text] = []
    someone_else_refines: list[str] = []
    someone_else_kind: str = "default"
    # ... and so does one that asks what to do and tells the story of someone close in the third person
    # ("My son ... he has basically lived in his room. He doesn't want to go anywhere"); absent: off
    third_person_story: ThirdPersonStory | None = None
    # "tell me more" with nothing before it to say more about: read as this kind (what the article is about)
    more_alone: str = "default"

    def kind(self, name: str) -> AnswerKind:
        """The answer kind ``name``, or the default one for an ask no kind is written for."""
        return self.kinds.get(name, self.kinds["default"])

    @model_validator(mode="after")
    def _has_default_and_more(self) -> "Answers":
        for needed in ("default", "more", self.unstated, self.someone_else_kind, self.more_alone,
                       *self.lead_by_block.values(), *self.bare_refines, *self.someone_else_refines):
            if needed not in self.kinds:
                raise ValueError(f"answers.kinds needs a '{needed}' kind")
        return self


class Wording(_Strict):
    automated_notice: Text
    weak_evidence: Text
    medical_advice: Text
    medical_advice_share: Text
    medical_emergency: str = ""  # opens the medical reply when a medical_emergency pattern matches; empty: never
    out_of_scope: Text
    story_opening: str = ""  # opens an answer to a message that tells the person's story (asks.tells_a_story); empty: never
    out_of_scope_personal: str = ""  # opens the out-of-scope reply to a personal telling (scope.personal_telling); empty: never
    small_talk: SmallTalk
    invalid: Invalid
    error: Text
    unavailable: Text


class Thresholds(_Strict):
    crisis_clear_similarity: float = Field(ge=0, le=1)
    crisis_clear_margin: float = Field(ge=0, le=1)
    crisis_possible_similarity: float = Field(ge=0, le=1)
    crisis_possible_margin: float = Field(ge=0, le=1)
    crisis_near_clear_similarity: float = Field(ge=0, le=1)
    crisis_near_clear_margin: float = Field(ge=0, le=1)
    crisis_escalate_similarity: float = Field(ge=0, le=1)
    medical_similarity: float = Field(ge=0, le=1)
    medical_margin: float = Field(ge=0, le=1)
    small_talk_similarity: float = Field(ge=0, le=1)
    small_talk_max_words: int = Field(ge=1)
    margin: float = Field(ge=0, le=1)
    in_scope_relevance: float = Field(ge=-1, le=1)
    in_scope_topic_floor: float = Field(ge=-1, le=1)
    topic_relevance: float = Field(ge=-1, le=1)
    strong_topic: float = Field(ge=-1, le=1)
    out_of_scope_relevance: float = Field(ge=-1, le=1)
    out_of_scope_question_match: float = Field(default=1.0, ge=-1, le=1)  # with the scope head at its bar: in, under the above
    question_match_topic: float = Field(default=1.0, ge=-1, le=1)  # ... or with the topic vote at this: in, under the above
    uncovered_health_max_words: int = Field(default=0, ge=0)  # a question this short about an uncovered health topic: out of scope
    scope_head_floor: float = Field(default=0.0, ge=0, le=1)
    health_outside_medical_floor: float = Field(default=1.0, ge=0, le=1)  # medical head here + scope head under its bar: out
    health_outside_relevance_ceiling: float = Field(default=1.0, ge=0, le=1)  # ... unless the article matches this closely
    weak_health_medical_floor: float = Field(default=1.0, ge=0, le=1)  # medical head here + only weak evidence: out
    personal_scope_floor: float = Field(default=1.0, ge=0, le=1)  # a declined telling this close to the article's topic: thanked
    head_min_window_words: int = Field(default=1, ge=1)  # a shorter clause is read by the risk heads only within the message
    exemplar_clear_risk_floor: float = Field(default=0.0, ge=0, le=1)
    exemplar_escalated_risk_floor: float = Field(default=0.0, ge=0, le=1)
    time_phrase_min_words: int = Field(default=4, ge=1)  # a time escalates what its phrase (this long without it) reads as risk
    exemplar_clear_medical_risk_floor: float = Field(default=0.0, ge=0, le=1)
    exemplar_clear_medical_whole_floor: float = Field(default=0.0, ge=0, le=1)  # ... and the risk head on the whole message
    exemplar_clear_whole_from_words: int = Field(default=10**6, ge=1)  # from this length, an exemplar-only takeover also needs:
    exemplar_clear_whole_risk_floor: float = Field(default=0.0, ge=0, le=1)  # the risk head on the whole message at this,
    exemplar_clear_strong_similarity: float = Field(default=1.0, ge=-1, le=1)  # or the exemplar resemblance at this
    exemplar_clear_short_below_words: int = Field(default=0, ge=0)  # under this length, an exemplar-only takeover needs
    exemplar_clear_short_similarity: float = Field(default=-1.0, ge=-1, le=1)  # the exemplar resemblance at this
    # a longer message: {at least this many words: the floor} (the highest that applies wins)
    exemplar_clear_risk_floor_by_length: dict[int, Annotated[float, Field(ge=0, le=1)]] = {}
    exemplar_medical_floor: float = Field(default=0.0, ge=0, le=1)
    medical_telling_scope_floor: float = Field(default=1.1, ge=0, le=1.1)  # a telling the scope head reads this close: no medical head
    exemplar_possible_risk_floor: float = Field(default=0.0, ge=0, le=1)
    unanswered_risk_max_words: int = Field(default=0, ge=0)
    unanswered_risk_clear_floor: float = Field(default=1.0, ge=0, le=1)
    unanswered_risk_question_match: float = Field(default=1.0, ge=0, le=1)
    weak_evidence_relevance: float = Field(ge=-1, le=1)


class PolicyFile(_Strict):
    disclaimer: Text
    contact: Contact
    crisis: Crisis
    wording: Wording
    suggestions: list[Text] = Field(min_length=2)
    intents: dict[str, list[Text]]
    answers: Answers
    thresholds: Thresholds


def _template(v: str, needs: tuple[str, ...], allowed: tuple[str, ...]) -> str:
    """A wording template must name ``needs`` and nothing outside ``allowed``."""
    names = set(re.findall(r"{(\w*)}", v))
    if missing := [n for n in needs if n not in names]:
        raise ValueError(f"must contain {', '.join('{' + n + '}' for n in missing)}")
    if unknown := sorted(names - set(allowed)):
        raise ValueError(f"unknown placeholder(s) {unknown}; allowed: {list(allowed)}")
    return v


class ReplyWords(_Strict):
    sources_label: Text
    reference: Text
    reference_no_publisher: Text
    reference_separator: str

    @field_validator("reference")
    @classmethod
    def _reference(cls, v: str) -> str:
        return _template(v, ("numbers", "title"), ("numbers", "title", "publisher"))

    @field_validator("reference_no_publisher")
    @classmethod
    def _reference_no_publisher(cls, v: str) -> str:
        return _template(v, ("numbers", "title"), ("numbers", "title"))


class PageWords(_Strict):
    conversation_label: Text
    empty_chat: Text
    question_label: Text
    question_placeholder: Text
    send: Text
    examples_heading: Text
    clear: Text
    sources_heading: Text
    crisis_label: Text
    help_now: Text
    you_said: Text
    assistant_replied: Text
    call: Text
    text: Text

    @field_validator("call", "text")
    @classmethod
    def _number(cls, v: str) -> str:
        return _template(v, ("number",), ("number",))


class PageFile(_Strict):
    """``page.yaml``: the reply's frame and the chat page's own words."""

    title: Text
    reply: ReplyWords
    page: PageWords


class Exemplars(_Strict):
    description: str = ""
    examples: list[Text] = Field(min_length=1)


SOMEONE_ELSE = "someone_else"  # a crisis pattern id with this prefix is about another person's safety (safety.py)


def about_someone_else(reason: str) -> bool:
    """Is a rail hit's reason a pattern about another person's safety ("pattern:someone_else_...")?"""
    return reason.startswith(f"pattern:{SOMEONE_ELSE}")
PATTERN_GROUPS = ("crisis_clear", "crisis_possible", "crisis_escalators", "crisis_mentions", "crisis_denials", "medical",
                  "medication_request", "about_the_article", "uncovered_health", "article_topic", "medical_emergency",
                  "emergency_now", "small_talk", "rule_bending", "output_block", "risk_words", "first_person",
                  "personal_telling")
EXEMPLAR_LABELS = ("crisis_clear", "crisis_possible", "medical", "small_talk", "on_topic", "off_topic", "benign_lookalike")


class ExemplarFile(_Strict):
    labels: dict[str, Exemplars]

    @field_validator("labels")
    @classmethod
    def _known_labels(cls, v: dict[str, Exemplars]) -> dict[str, Exemplars]:
        unknown = set(v) - set(EXEMPLAR_LABELS)
        missing = set(EXEMPLAR_LABELS) - set(v)
        if unknown:
            raise ValueError(f"unknown labels {sorted(unknown)}; allowed: {list(EXEMPLAR_LABELS)}")
        if missing:
            raise ValueError(f"missing labels {sorted(missing)}")
        return v


class Pattern(_Strict):
    id: Text
    pattern: Text
    note: str = ""
    lang: str = ""  # ISO 639-1 code of a pattern written in another language ("es"); empty for English


class PatternFile(_Strict):
    crisis_clear: list[Pattern]
    crisis_possible: list[Pattern]
    crisis_escalators: list[Pattern] = []  # with a possible-risk signal, one of these makes it clear risk
    # ids of escalators that only qualify a signal (a time): an exemplar resemblance they escalate must hold without their words
    escalator_qualifiers: list[Text] = []
    crisis_mentions: list[Pattern] = []  # words of risk talked about, not meant: an exemplar-only takeover becomes the gentle tier
    crisis_denials: list[Pattern] = []  # "i'm not suicidal": with no clear-risk pattern, never a takeover (the gentle tier)
    # words of death, harm, means or an ending: a message of possible risk the article does not answer
    # gets the crisis reply only with one of them (scope.risk_without_answer)
    risk_words: list[Pattern] = []
    medical: list[Pattern]
    medication_names: list[Text]
    # ids of medical patterns that ask about a treatment or condition rather than state an act:
    # with one of them, a resemblance to the clear-risk exemplars alone is the gentle tier, not a takeover
    medical_information: list[Text] = []
    medication_request: list[Pattern] = []  # a medication name plus one of these is a medical request
    # asks what the article itself says ("what treatment does the article mention"): the learned
    # medical head does not turn such a question into a medical reply (patterns still may)
    about_the_article: list[Pattern] = []
    # a health topic the article does not cover ("does exercise help depression"), and the words of
    # what it does cover: a short question with the first and none of the second is not answered with quotes
    uncovered_health: list[Pattern] = []
    article_topic: list[Pattern] = []
    first_person: list[Pattern] = []  # the person speaks of themselves: a story so told, or a declined telling, is thanked
    personal_telling: list[Pattern] = []  # ... and asks nothing: a declined message that tells of their own life
    # a body symptom that may be an emergency now ("my arm has been numb since this morning, is it a stroke"):
    # the medical reply opens with wording.medical_emergency (911)
    medical_emergency: list[Pattern] = []
    # someone's body is in danger now ("collapsed and isn't responding"): whatever else the message is (not a
    # crisis), the medical reply opening with the 911 line, and no article lines
    emergency_now: list[Pattern] = []
    small_talk: list[Pattern]
    rule_bending: list[Pattern]
    output_block: list[Pattern]


class Policy:
    """The whole guardrails folder, validated; regexes compiled once."""

    def __init__(self, policy: PolicyFile, exemplars: ExemplarFile, patterns: PatternFile, fingerprint: str,
                 compiled: dict[str, list[tuple[str, re.Pattern[str]]]] | None = None, *, page: PageFile):
        self.file = policy
        self.page = page
        self.exemplars = {k: tuple(v.examples) for k, v in exemplars.labels.items()}
        self.patterns = patterns
        self.fingerprint = fingerprint
        self.disclaimer = " ".join(policy.disclaimer.split())
        self.contact = policy.contact
        self.crisis = policy.crisis
        self.wording = policy.wording
        self.thresholds = policy.thresholds
        self.suggestions = tuple(policy.suggestions)
        if compiled is not None:  # load_policy compiled them to validate them: not twice
            self.__dict__["compiled"] = compiled

    def matches(self, group: str, text: str, only: str = "") -> bool:
        """Does any pattern of ``group`` (patterns.yaml; ``only``: the one with that id) match ``text``, read as
        patterns are (``text.normalize``)?"""
        return any(rx.search(text) for pid, rx in self.compiled[group] if not only or pid == only)

    @cached_property
    def compiled(self) -> dict[str, list[tuple[str, re.Pattern[str]]]]:
        return {g: [(p.id, compile_pattern(p.pattern, self.patterns.medication_names)) for p in getattr(self.patterns, g)]
                for g in PATTERN_GROUPS}

    @cached_property
    def pattern_language(self) -> dict[str, str]:
        """Pattern id -> language code, for the patterns written in another language."""
        return {p.id: p.lang for g in PATTERN_GROUPS for p in getattr(self.patterns, g) if p.lang}

    @cached_property
    def medication_re(self) -> re.Pattern[str]:
        names = sorted({n.lower() for n in self.patterns.medication_names}, key=len, reverse=True)
        return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)

    @cached_property
    def intents(self) -> dict[str, list[re.Pattern[str]]]:
        return {k: [re.compile(p, re.IGNORECASE) for p in v] for k, v in self.file.intents.items()}

    @cached_property
    def answer_cues(self) -> dict[str, list[re.Pattern[str]]]:
        """Each kind of ask's cues, compiled, in the policy's matching order."""
        return {k: [re.compile(p, re.IGNORECASE) for p in v.cues] for k, v in self.file.answers.kinds.items()}

    def cue_kind(self, text: str) -> str | None:
        """The first kind of ask, in the policy's order, whose cues ``text`` (normalized) matches; None if none does."""
        return next((kind for kind, cues in self.answer_cues.items() if any(p.search(text) for p in cues)), None)

    @cached_property
    def bare_questions(self) -> list[re.Pattern[str]]:
        return [re.compile(p, re.IGNORECASE) for p in self.file.answers.bare]

    @cached_property
    def someone_else_cues(self) -> list[re.Pattern[str]]:
        return [re.compile(p, re.IGNORECASE) for p in self.file.answers.someone_else]

    @cached_property
    def third_person_story(self) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None:
        """(someone close, their subject, my subject), or None when the policy leaves the rule off."""
        rule = self.file.answers.third_person_story
        if rule is None:
            return None
        return re.compile(rule.close, re.I), re.compile(rule.theirs, re.I), re.compile(rule.mine, re.I)

    @property
    def answers(self) -> "Answers":
        return self.file.answers

    @cached_property
    def own_wording(self) -> tuple[str, ...]:
        """Every sentence the policy itself may put in a reply (for the groundedness check)."""
        w = self.wording
        texts = [w.automated_notice, w.weak_evidence, w.medical_advice, w.medical_advice_share, w.out_of_scope,
                 *([w.medical_emergency] if w.medical_emergency else []),
                 *([w.out_of_scope_personal] if w.out_of_scope_personal else []),
                 *([w.story_opening] if w.story_opening else []),
                 w.error, w.unavailable, *(k.lead for k in self.file.answers.kinds.values()), *w.small_talk.model_dump().values(),
                 *w.invalid.model_dump().values(), *self.suggestions]
        return tuple(" ".join(t.split()) for t in texts)


MEDICATION = "{medication}"  # in a pattern: any of medication_names


def compile_pattern(pattern: str, medication_names: list[str]) -> re.Pattern[str]:
    """A policy pattern, case-insensitive, with ``{medication}`` standing for any medication name."""
    if MEDICATION in pattern:
        names = sorted({n.lower() for n in medication_names}, key=len, reverse=True)
        pattern = pattern.replace(MEDICATION, "(?:" + "|".join(re.escape(n) for n in names) + ")")
    return re.compile(pattern, re.IGNORECASE)


# libyaml's loader parses the guardrails in a seventh of the time of the pure-Python one (0.05
# against 0.33 s, most of the policy's share of a cold start); both build the same data
# (tests/test_policy_loading.py).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> object:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file is missing; restore it from the repository.") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from None


def _validate(model: type[BaseModel], path: Path, data: object) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"key '{key}': {msg}")
        raise ConfigError(f"{path}: " + "; ".join(problems)) from None


def load_policy(folder: Path) -> Policy:
    """Read and validate ``policy.yaml``, ``exemplars.yaml``, ``patterns.yaml`` and ``page.yaml`` from ``folder``."""
    files = {name: Path(folder) / f"{name}.yaml" for name in ("policy", "exemplars", "patterns", "page")}
    raw = {name: _read_yaml(path) for name, path in files.items()}
    policy = _validate(PolicyFile, files["policy"], raw["policy"])
    page = _validate(PageFile, files["page"], raw["page"])
    exemplars = _validate(ExemplarFile, files["exemplars"], raw["exemplars"])
    patterns = _validate(PatternFile, files["patterns"], raw["patterns"])
    compiled: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for group in PATTERN_GROUPS:
        compiled[group] = []
        for i, p in enumerate(getattr(patterns, group)):
            try:
                compiled[group].append((p.id, compile_pattern(p.pattern, patterns.medication_names)))
            except re.error as exc:
                raise ConfigError(f"{files['patterns']}: key '{group}.{i}' ({p.id}): bad regex: {exc}") from None
    # lists of pattern ids must name patterns of their group
    for key, group, what in (("medical_information", "medical", "a medical pattern"),
                             ("escalator_qualifiers", "crisis_escalators", "a crisis_escalators pattern")):
        ids = {p.id for p in getattr(patterns, group)}
        for i, pid in enumerate(getattr(patterns, key)):
            if pid not in ids:
                raise ConfigError(f"{files['patterns']}: key '{key}.{i}': '{pid}' is not the id of {what}.")
    for group in PATTERN_GROUPS:
        for i, p in enumerate(getattr(patterns, group)):
            if p.id.startswith(SOMEONE_ELSE) and group != "crisis_possible":
                raise ConfigError(f"{files['patterns']}: key '{group}.{i}' ({p.id}): an id starting with {SOMEONE_ELSE!r} "
                                  "marks worry about someone else, which gets the gentle tier: it belongs in crisis_possible.")
    for intent in policy.intents:
        if intent not in INTENT_KIND:
            raise ConfigError(f"{files['policy']}: key 'intents.{intent}': no answer_lead for it; an intent picks the lead "
                              f"of an answer kind: {INTENT_KIND}.")
    story = policy.answers.third_person_story
    _regexes_compile(files["policy"], [
        *((f"intents.{intent}.{i}", p) for intent, pats in policy.intents.items() for i, p in enumerate(pats)),
        *((f"answers.kinds.{kind}.cues.{i}", p) for kind, spec in policy.answers.kinds.items() for i, p in enumerate(spec.cues)),
        *((f"answers.third_person_story.{field}", getattr(story, field)) for field in ("close", "theirs", "mine") if story),
    ])
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in files.values())).hexdigest()[:16]
    return Policy(policy, exemplars, patterns, digest, compiled, page=page)  # type: ignore[arg-type]



def _regexes_compile(path: Path, keyed: list[tuple[str, str]]) -> None:
    """Each (key, regex) compiles as the policy compiles it (ignoring case: re's cache then serves it);
    else a ``ConfigError`` naming the file and the key."""
    for key, pattern in keyed:
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise ConfigError(f"{path}: key '{key}': bad regex: {exc}") from None


def read_validated(model: type[BaseModel], path: Path) -> BaseModel:
    """Read one YAML file of the guardrails folder and validate it against ``model``; a problem is
    a ``ConfigError`` that names the file and the key."""
    return _validate(model, path, _read_yaml(path))
