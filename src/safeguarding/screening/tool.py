"""The screening tool as plain Python: reading and checking a configuration, and scoring answers.

A configuration is the JSON a partnership keeps in a ``ScreeningToolVersion``. ``parse_config``
turns it into frozen dataclasses or refuses it with every problem in words an administrator can
act on; ``score`` turns answers into a level with the explanation of how it was reached;
``removal`` plans taking an indicator, exploitation type or level out, or says why it cannot go.
Nothing here touches the database, so the rules are easy to test and to reason about.
"""

from __future__ import annotations

import copy
import enum
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from safeguarding.people.models import EventType

YES, NO, NOT_KNOWN = "yes", "no", "not_known"
ANSWERS: list[tuple[str, str]] = [(YES, "Yes"), (NO, "No"), (NOT_KNOWN, "Not known")]

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_WEIGHT = 100
MAX_LOOKBACK_DAYS = 3660


class ToolConfigError(Exception):
    """A configuration the hub refuses; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ExploitationType:
    code: str
    label: str


@dataclass(frozen=True)
class Indicator:
    code: str
    type: str
    label: str
    guidance: str
    weight: int
    evidence_event_types: tuple[str, ...]
    lookback_days: int


@dataclass(frozen=True)
class Level:
    code: str
    name: str
    min_score: int


@dataclass(frozen=True)
class OverridingRule:
    code: str
    description: str
    indicators: tuple[str, ...]
    minimum: int  # how many of ``indicators`` answered yes make the rule apply
    level: str


@dataclass(frozen=True)
class ToolConfig:
    exploitation_types: tuple[ExploitationType, ...]
    indicators: tuple[Indicator, ...]
    levels: tuple[Level, ...]  # lowest first
    overriding_rules: tuple[OverridingRule, ...]
    downgrade_needs_approval: bool

    def level(self, code: str) -> Level | None:
        return next((lv for lv in self.levels if lv.code == code), None)

    def level_name(self, code: str, recorded: str) -> str:
        """A level's name in this tool (the partnership may have renamed it since it was recorded), or
        ``recorded`` where this tool has no such level."""
        level = self.level(code)
        return level.name if level else recorded

    def rank(self, code: str) -> int | None:
        """The level's place, 0 for the lowest; None if this version has no such level."""
        return next((i for i, lv in enumerate(self.levels) if lv.code == code), None)

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)

    def type_label(self, code: str) -> str:
        return next((t.label for t in self.exploitation_types if t.code == code), code)

    def indicators_by_type(self) -> list[tuple[ExploitationType, list[Indicator]]]:
        return [(t, [i for i in self.indicators if i.type == t.code]) for t in self.exploitation_types]


def _text(raw: dict[str, Any], key: str, where: str, problems: list[str], *, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        problems.append(f"{where}: {key} must be text")
        return ""
    value = value.strip()
    if required and not value:
        problems.append(f"{where}: enter the {key.replace('_', ' ')}")
    return value


def _int(raw: dict[str, Any], key: str, where: str, problems: list[str], *, low: int, high: int) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{where}: {key.replace('_', ' ')} must be a whole number")
        return low
    if not low <= value <= high:
        problems.append(f"{where}: {key.replace('_', ' ')} must be between {low} and {high}")
    return value


def _code(raw: dict[str, Any], where: str, problems: list[str], seen: set[str], kind: str) -> str:
    code = raw.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        problems.append(f"{where}: the code must start with a lower-case letter and use only a-z, 0-9 and underscores")
        return str(code)
    if code in seen:
        problems.append(f"Two {kind} have the code {code}: each code must be different")
    seen.add(code)
    return code


def _list(config: dict[str, Any], key: str, problems: list[str]) -> list[dict[str, Any]]:
    value = config.get(key)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problems.append(f"The configuration needs a list of {key.replace('_', ' ')}")
        return []
    return value


def parse_config(config: Any) -> ToolConfig:
    """Check a configuration and return it as a ``ToolConfig``; raise ``ToolConfigError`` listing
    every problem (unknown event types, thresholds that do not increase, duplicate codes, rules
    naming indicators or levels that do not exist)."""
    if not isinstance(config, dict):
        raise ToolConfigError(["The configuration must be a JSON object"])
    problems: list[str] = []

    type_codes: set[str] = set()
    types = []
    for n, raw in enumerate(_list(config, "exploitation_types", problems), 1):
        where = f"Exploitation type {n}"
        types.append(
            ExploitationType(
                _code(raw, where, problems, type_codes, "exploitation types"), _text(raw, "label", where, problems)
            )
        )
    if not types:
        problems.append("Add at least one exploitation type")

    known_events = set(EventType.values)
    indicator_codes: set[str] = set()
    indicators = []
    for n, raw in enumerate(_list(config, "indicators", problems), 1):
        where = f"Indicator {raw.get('code') or n}"
        code = _code(raw, where, problems, indicator_codes, "indicators")
        kind = raw.get("type")
        if kind not in type_codes:
            problems.append(f"{where}: {kind!r} is not one of the tool's exploitation types")
        events = raw.get("evidence_event_types", [])
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            problems.append(f"{where}: evidence event types must be a list of event types")
            events = []
        for event in events:
            if event not in known_events:
                problems.append(f"{where}: {event!r} is not an event type agencies record")
        if len(set(events)) != len(events):
            problems.append(f"{where}: an evidence event type is listed twice")
        indicators.append(
            Indicator(
                code=code,
                type=str(kind),
                label=_text(raw, "label", where, problems),
                guidance=_text(raw, "guidance", where, problems, required=False),
                weight=_int(raw, "weight", where, problems, low=0, high=MAX_WEIGHT),
                evidence_event_types=tuple(events),
                lookback_days=_int(raw, "lookback_days", where, problems, low=1, high=MAX_LOOKBACK_DAYS),
            )
        )
    if not indicators:
        problems.append("Add at least one indicator")

    level_codes: set[str] = set()
    levels = []
    for n, raw in enumerate(_list(config, "levels", problems), 1):
        where = f"Level {n}"
        levels.append(
            Level(
                code=_code(raw, where, problems, level_codes, "levels"),
                name=_text(raw, "name", where, problems),
                min_score=_int(raw, "min_score", where, problems, low=0, high=MAX_WEIGHT * 1000),
            )
        )
    if len(levels) < 2:
        problems.append("The tool needs at least two levels")
    elif levels[0].min_score != 0:
        problems.append(f"The lowest level, {levels[0].name}, must start at a score of 0")
    for lower, higher in itertools.pairwise(levels):
        if higher.min_score <= lower.min_score:
            problems.append(
                f"Thresholds must increase: {higher.name} ({higher.min_score}) must need a higher score than "
                f"{lower.name} ({lower.min_score})"
            )
    names = [lv.name.lower() for lv in levels]
    if len(set(names)) != len(names):
        problems.append("Two levels have the same name")

    rule_codes: set[str] = set()
    rules = []
    for n, raw in enumerate(_list(config, "overriding_rules", problems), 1):
        where = f"Overriding rule {raw.get('code') or n}"
        code = _code(raw, where, problems, rule_codes, "overriding rules")
        named = raw.get("indicators")
        if not isinstance(named, list) or not named or not all(isinstance(i, str) for i in named):
            problems.append(f"{where}: choose at least one indicator")
            named = []
        for ind in named:
            if ind not in indicator_codes:
                problems.append(f"{where}: {ind!r} is not one of the tool's indicators")
        minimum = raw.get("minimum", len(named))
        if isinstance(minimum, bool) or not isinstance(minimum, int) or not 1 <= minimum <= max(len(named), 1):
            problems.append(f"{where}: how many indicators must apply must be between 1 and {len(named) or 1}")
            minimum = 1
        level = raw.get("level")
        if level not in level_codes:
            problems.append(f"{where}: {level!r} is not one of the tool's levels")
        rules.append(
            OverridingRule(
                code=code,
                description=_text(raw, "description", where, problems),
                indicators=tuple(named),
                minimum=minimum,
                level=str(level),
            )
        )

    approval = config.get("downgrade_needs_approval", False)
    if not isinstance(approval, bool):
        problems.append("Say whether lowering a child's level needs a second person's approval")
        approval = False

    if problems:
        # The same problem can be found twice (e.g. one bad code named by two rules).
        raise ToolConfigError(list(dict.fromkeys(problems)))
    return ToolConfig(tuple(types), tuple(indicators), tuple(levels), tuple(rules), approval)


def config_as_json(tool: ToolConfig) -> dict[str, Any]:
    """The canonical JSON of a checked configuration (what a version stores)."""
    return {
        "exploitation_types": [{"code": t.code, "label": t.label} for t in tool.exploitation_types],
        "indicators": [
            {
                "code": i.code,
                "type": i.type,
                "label": i.label,
                "guidance": i.guidance,
                "weight": i.weight,
                "evidence_event_types": list(i.evidence_event_types),
                "lookback_days": i.lookback_days,
            }
            for i in tool.indicators
        ],
        "levels": [{"code": lv.code, "name": lv.name, "min_score": lv.min_score} for lv in tool.levels],
        "overriding_rules": [
            {
                "code": r.code,
                "description": r.description,
                "indicators": list(r.indicators),
                "minimum": r.minimum,
                "level": r.level,
            }
            for r in tool.overriding_rules
        ],
        "downgrade_needs_approval": tool.downgrade_needs_approval,
    }


@dataclass(frozen=True)
class Contribution:
    indicator: str
    label: str
    weight: int


@dataclass(frozen=True)
class Result:
    score: int
    level: str  # the computed level's code
    level_by_score: str
    contributions: tuple[Contribution, ...]
    rules_applied: tuple[OverridingRule, ...]
    unanswered_or_not_known: tuple[str, ...] = field(default=())

    def explanation(self, tool: ToolConfig) -> dict[str, Any]:
        """What the assessment keeps: enough to show, years later, how the level was reached."""
        by_score = tool.level(self.level_by_score)
        final = tool.level(self.level)
        return {
            "score": self.score,
            "contributions": [
                {"indicator": c.indicator, "label": c.label, "weight": c.weight} for c in self.contributions
            ],
            "level_by_score": self.level_by_score,
            "level_by_score_name": by_score.name if by_score else self.level_by_score,
            "rules_applied": [
                {"code": r.code, "description": r.description, "level": r.level} for r in self.rules_applied
            ],
            "level": self.level,
            "level_name": final.name if final else self.level,
            "not_known": list(self.unanswered_or_not_known),
        }


def score(tool: ToolConfig, answers: dict[str, str]) -> Result:
    """Add the weights of the indicators answered yes; the level is the highest whose threshold
    the score reaches. An overriding rule that applies lifts the level to its own level at once
    (never lowers it). Indicators answered "not known" add nothing, but are listed."""
    contributions = tuple(
        Contribution(i.code, i.label, i.weight) for i in tool.indicators if answers.get(i.code) == YES
    )
    total = sum(c.weight for c in contributions)
    by_score = tool.levels[0]
    for lv in tool.levels:
        if total >= lv.min_score:
            by_score = lv
    rank = tool.rank(by_score.code) or 0
    final = by_score
    applied = []
    for rule in tool.overriding_rules:
        met = sum(1 for code in rule.indicators if answers.get(code) == YES)
        if met >= rule.minimum:
            applied.append(rule)
            rule_rank = tool.rank(rule.level)
            if rule_rank is not None and rule_rank > rank:
                rank, final = rule_rank, tool.levels[rule_rank]
    not_known = tuple(i.code for i in tool.indicators if answers.get(i.code, NOT_KNOWN) == NOT_KNOWN)
    return Result(total, final.code, by_score.code, contributions, tuple(applied), not_known)


# --- a screening answered section by section ---------------------------------------------------


class SectionStatus(enum.StrEnum):
    """A section's status on the task list, in GOV.UK's words."""

    NOT_STARTED = "Not yet started"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"


@dataclass(frozen=True)
class Section:
    """One exploitation type of the tool: its questions, and how many of them a draft answers."""

    type: ExploitationType
    indicators: tuple[Indicator, ...]
    answered: int

    @property
    def code(self) -> str:
        return self.type.code

    @property
    def status(self) -> SectionStatus:
        if self.answered == 0:
            return SectionStatus.NOT_STARTED
        if self.answered < len(self.indicators):
            return SectionStatus.IN_PROGRESS
        return SectionStatus.COMPLETED


def sections(tool: ToolConfig, answered: Iterable[str]) -> list[Section]:
    """The tool's sections (exploitation types with at least one question), in its order, with
    how many of each section's questions are among ``answered`` (indicator codes)."""
    done = set(answered)
    return [
        Section(kind, tuple(indicators), sum(1 for i in indicators if i.code in done))
        for kind, indicators in tool.indicators_by_type()
        if indicators
    ]


def all_completed(tool: ToolConfig, answered: Iterable[str]) -> bool:
    """True when every question of the tool has an answer: *check your answers* may start."""
    return all(s.status == SectionStatus.COMPLETED for s in sections(tool, answered))


# --- removing a part of the tool ---------------------------------------------------------------


class Part(enum.StrEnum):
    """The parts of a tool an administrator may remove (overriding rules have their own page)."""

    INDICATOR = "indicator"
    EXPLOITATION_TYPE = "type"
    LEVEL = "level"

    @property
    def noun(self) -> str:
        return {"indicator": "indicator", "type": "exploitation type", "level": "level of risk"}[self.value]


@dataclass(frozen=True)
class Removal:
    """What removing one part of a tool would do: the indicators that go with it, what changes for
    new screenings (``effects``), and every reason it is refused (``problems``, empty if it may
    go). ``config`` is the tool without it, checked by ``parse_config`` when there is no problem."""

    part: Part
    code: str
    name: str
    indicators: tuple[Indicator, ...]
    effects: tuple[str, ...]
    problems: tuple[str, ...]
    config: dict[str, Any]


def _rules_using(tool: ToolConfig, indicators: set[str]) -> list[OverridingRule]:
    return [r for r in tool.overriding_rules if indicators & set(r.indicators)]


def removal(tool: ToolConfig, part: Part, code: str) -> Removal | None:
    """Plan the removal of one indicator, exploitation type (with its indicators) or level; None if
    the tool has no such part. The reasons for refusing say, in the administrator's terms, what
    ``parse_config`` would refuse in the tool left behind; it still judges that tool last."""
    config = config_as_json(tool)
    problems: list[str] = []
    effects: list[str] = []
    gone: tuple[Indicator, ...] = ()  # the indicators removed with it
    if part == Part.INDICATOR:
        indicator = tool.indicator(code)
        if indicator is None:
            return None
        name, gone = indicator.label, (indicator,)
        if len(tool.indicators) == 1:
            problems.append("This is the tool's only indicator. Add another before removing it.")
        problems += [
            f"The overriding rule '{r.description}' uses this indicator. Remove that rule first; you can add it "
            "again without this indicator."
            for r in _rules_using(tool, {code})
        ]
        if indicator.weight:
            effects.append(
                f"A yes to it adds {indicator.weight} to the score, so some children may score lower than they "
                "would have."
            )
    elif part == Part.EXPLOITATION_TYPE:
        kind = next((t for t in tool.exploitation_types if t.code == code), None)
        if kind is None:
            return None
        name = kind.label
        gone = tuple(i for i in tool.indicators if i.type == code)
        config["exploitation_types"] = [t for t in config["exploitation_types"] if t["code"] != code]
        if len(tool.exploitation_types) == 1:
            problems.append("This is the tool's only exploitation type. Add another before removing it.")
        elif gone and len(gone) == len(tool.indicators):
            problems.append(
                "Every indicator of the tool is of this type, and the tool needs at least one. Add an indicator "
                "of another type first."
            )
        codes = {i.code for i in gone}
        for rule in _rules_using(tool, codes):
            used = ", ".join(f"'{i.label}'" for i in gone if i.code in rule.indicators)
            problems.append(
                f"The overriding rule '{rule.description}' uses {used} from this type. Remove that rule first; you "
                "can add it again without them."
            )
    else:
        rank = tool.rank(code)
        if rank is None:
            return None
        level = tool.levels[rank]
        name = level.name
        config["levels"] = [lv for lv in config["levels"] if lv["code"] != code]
        if len(tool.levels) <= 2:
            problems.append("The tool needs at least two levels. Add another level before removing this one.")
        elif rank == 0:
            problems.append(
                f"{name} is the lowest level: every score starts there, so it cannot be removed. To change its "
                "name, change the levels."
            )
        problems += [
            f"The overriding rule '{r.description}' makes the risk at least this level. Remove that rule first; "
            "you can add it again with another level."
            for r in tool.overriding_rules
            if r.level == code
        ]
        if rank > 0:
            below = tool.levels[rank - 1]
            scores = (
                f"Scores from {level.min_score} to {tool.levels[rank + 1].min_score - 1}"
                if rank + 1 < len(tool.levels)
                else f"Scores of {level.min_score} or more"
            )
            effects.append(f"{scores} will give {below.name} instead.")
        effects.append(
            f"Children who have {name} in force keep it until they are next screened, and are still counted under it."
        )
    removed = {i.code for i in gone}
    config["indicators"] = [i for i in config["indicators"] if i["code"] not in removed]
    if not problems:
        try:
            parse_config(config)
        except ToolConfigError as exc:
            problems = [f"Removing it would leave the tool unusable: {p}" for p in exc.problems]
    return Removal(part, code, name, gone, tuple(effects), tuple(problems), config)


# --- edits an administrator makes: each takes a configuration and returns a changed copy --------
# (``parse_config`` judges the result; the services save it as a new version.)

INDICATOR_FIELDS = ("type", "label", "guidance", "weight", "evidence_event_types", "lookback_days")


def with_indicator(config: dict[str, Any], *, code: str, values: dict[str, Any], new: bool) -> dict[str, Any]:
    """Add an indicator (``new``) or change the one with this code."""
    changed = copy.deepcopy(config)
    values = {name: values[name] for name in INDICATOR_FIELDS}
    if new:
        changed["indicators"].append({"code": code.strip(), **values})
    else:
        for raw in changed["indicators"]:
            if raw["code"] == code:
                raw.update(values)
    return changed


def with_exploitation_type(config: dict[str, Any], *, code: str, label: str) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    changed["exploitation_types"].append({"code": code.strip(), "label": label})
    return changed


def with_levels(
    config: dict[str, Any], *, names: list[str], min_scores: list[int], new: dict[str, Any] | None
) -> dict[str, Any]:
    """Rename the levels and move their thresholds (in their order), and add one if ``new`` is given
    (code, name, min_score). A new level takes its place by score; existing levels keep their order,
    so a threshold typed out of order is refused by ``parse_config`` rather than silently re-ranked."""
    changed = copy.deepcopy(config)
    for raw, name, min_score in zip(changed["levels"], names, min_scores, strict=True):
        raw["name"], raw["min_score"] = name, min_score
    if new is not None:
        if new.get("min_score") is None:
            raise ToolConfigError(["Enter the lowest score for the new level"])
        level = {"code": str(new.get("code", "")).strip(), "name": new.get("name", ""), "min_score": new["min_score"]}
        at = next((i for i, lv in enumerate(changed["levels"]) if lv["min_score"] > level["min_score"]),
                  len(changed["levels"]))
        changed["levels"].insert(at, level)
    return changed


def with_overriding_rule(config: dict[str, Any], *, rule: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    changed["overriding_rules"].append({
        "code": rule["code"].strip(), "description": rule["description"], "indicators": rule["indicators"],
        "minimum": rule["minimum"], "level": rule["level"],
    })
    return changed


def without_overriding_rule(config: dict[str, Any], *, code: str) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    changed["overriding_rules"] = [r for r in changed["overriding_rules"] if r["code"] != code]
    return changed


def with_downgrade_approval(config: dict[str, Any], *, needed: bool) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    changed["downgrade_needs_approval"] = needed
    return changed
