"""What each kind of rule needs, and the checks that refuse a rule that cannot be evaluated.

A rule is data: a kind (``RuleKind``) and its parameters. ``clean_params`` is the one gate every
rule passes before it is saved or back-tested, so a mistyped event type or an impossible window is
refused with a reason a person can act on, never found out later by a failing scan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from safeguarding.earlywarning.models import AlertLevel, Rule, RuleKind
from safeguarding.people.models import EventType

MAX_WINDOW_DAYS = 3650
CONTACT_KINDS = ("adult", "vehicle", "phone", "place")
# How close in time a later firing must be to an alert's last evidence to add to it rather than
# start a new alert, for kinds that have no window of their own.
DEFAULT_EPISODE_DAYS = 90


class RuleError(ValueError):
    """A rule that cannot be evaluated; the message says which value and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the scanner reads it: validated, with defaults filled in."""

    code: str
    name: str
    kind: str
    level: str
    params: dict[str, Any]

    @property
    def episode_days(self) -> int:
        return int(self.params.get("window_days") or DEFAULT_EPISODE_DAYS)


# kind -> (required params, optional params)
_PARAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    RuleKind.REPEATED: (("event_types", "count", "window_days"), ()),
    RuleKind.AGENCIES: (("agencies", "window_days"), ("event_types", "exclude_event_types")),
    RuleKind.TOGETHER: (("event_types", "with_event_types", "window_days"), ()),
    RuleKind.UNDER_AGE: (("event_types", "under_age"), ()),
    RuleKind.COMBINATION: (("event_types", "distinct", "window_days"), ()),
    RuleKind.SHARED_CONTACT: (("contacts", "window_days"), ("event_types", "place_event_types")),
    RuleKind.NO_FOLLOW_UP: (("event_types", "follow_up_types", "within_hours"), ()),
    RuleKind.SCORE: (
        ("weights", "threshold", "window_days"),
        ("high_threshold", "repeats", "adult_points", "vehicle_points", "for_named_children"),
    ),
    RuleKind.NEW_LINK: (("pattern",), ()),
}

# The patterns of new links network analysis raises alerts for (see contexts.newlinks).
NEW_LINK_PATTERNS = {
    "second_child_entity": "a second child linked to a vehicle, phone or place already linked to a child",
    "adult_of_child_at_risk": "an adult already linked to a child at risk now linked to another child",
}
# A score rule counts at most this many events of one kind unless it says otherwise, so that a run
# of absences or missing episodes cannot add up to an alert on its own.
DEFAULT_REPEATS = 1
MAX_POINTS = 100

PARAM_LABELS = {
    "event_types": "Event types",
    "with_event_types": "With event types",
    "exclude_event_types": "Event types that do not count",
    "follow_up_types": "Follow-up event types",
    "count": "How many events",
    "agencies": "How many different agencies",
    "distinct": "How many different kinds of event",
    "window_days": "Within how many days",
    "under_age": "Under what age (years)",
    "within_hours": "Within how many hours",
    "pattern": "Pattern (raised by network analysis)",
    "contacts": "What links count (adult, vehicle, phone, place)",
    "place_event_types": "Event types whose place counts as a link",
    "weights": "Points for each kind of event",
    "threshold": "Points that raise an alert",
    "high_threshold": "Points that make the alert high",
    "repeats": "How many events of one kind count",
    "adult_points": "Extra points for an event that names an adult present",
    "vehicle_points": "Extra points for an event that names a vehicle",
    "for_named_children": "Event types on another person's record that count for each child they name",
}


def params_for(kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if kind not in _PARAMS:
        raise RuleError("kind", f"Choose a kind of rule; '{kind}' is not one")
    return _PARAMS[kind]


def _int(params: dict[str, Any], key: str, low: int, high: int) -> int:
    value = params.get(key)
    label = PARAM_LABELS[key]
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise RuleError(key, f"{label} must be a whole number, not '{value}'") from None
    if str(value).strip() != str(number):
        raise RuleError(key, f"{label} must be a whole number, not '{value}'")
    if not low <= number <= high:
        raise RuleError(key, f"{label} must be between {low} and {high}, not {number}")
    return number


def _types(params: dict[str, Any], key: str, *, required: bool) -> list[str]:
    value = params.get(key) or []
    if isinstance(value, str):
        value = [part for part in (p.strip() for p in value.replace(";", ",").split(",")) if part]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(key, f"{PARAM_LABELS[key]} must be a list of event types")
    known = set(EventType.values)
    for event_type in value:
        if event_type not in known:
            raise RuleError(
                key,
                f"'{event_type}' in {PARAM_LABELS[key].lower()} is not an event type. "
                f"Use ones from the exchange format, such as missing_episode or sexual_health_attendance",
            )
    if required and not value:
        raise RuleError(key, f"Give at least one event type in {PARAM_LABELS[key].lower()}")
    return sorted(set(value))


def _weights(params: dict[str, Any]) -> dict[str, int]:
    """``{"found_with_adult": 4, ...}``, or the same typed as ``found_with_adult: 4, gifts_or_money: 3``."""
    value = params.get("weights")
    label = PARAM_LABELS["weights"].lower()
    pairs: list[tuple[str, Any]]
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, str):
        pairs = []
        for part in (p.strip() for p in value.replace(";", ",").replace("\n", ",").split(",")):
            if not part:
                continue
            name, sep, points = part.partition(":")
            if not sep:
                raise RuleError("weights", f"Give the points after each event type, like found_with_adult: 4, not '{part}'")
            pairs.append((name.strip(), points.strip()))
    else:
        raise RuleError("weights", f"Give {label} as event types with points, like found_with_adult: 4")
    known = set(EventType.values)
    weights: dict[str, int] = {}
    for name, points in pairs:
        if name not in known:
            raise RuleError(
                "weights",
                f"'{name}' in {label} is not an event type. Use ones from the exchange format, such as "
                "found_with_adult or gifts_or_money",
            )
        if name in weights:
            raise RuleError("weights", f"'{name}' is given points twice")
        try:
            number = _int({"weights": points}, "weights", 0, MAX_POINTS)
        except RuleError:
            raise RuleError(
                "weights", f"The points for {name} must be a whole number from 0 to {MAX_POINTS}, not '{points}'"
            ) from None
        if number:
            weights[name] = number
    if not weights:
        raise RuleError("weights", "Give at least one event type more than 0 points")
    return dict(sorted(weights.items()))


def most_points(params: dict[str, Any]) -> int:
    """The most a score rule's window could ever add up to: every kind at its most, each event
    naming an adult and a vehicle."""
    extra = params.get("adult_points", 0) + params.get("vehicle_points", 0)
    return sum((points + extra) * params["repeats"] for points in params["weights"].values())


def clean_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The rule's parameters checked and normalised, or RuleError naming the first problem."""
    required, optional = params_for(kind)
    if not isinstance(params, dict):
        raise RuleError("params", "The rule's settings must be a set of named values")
    unknown = set(params) - set(required) - set(optional)
    if unknown:
        raise RuleError(sorted(unknown)[0], f"'{sorted(unknown)[0]}' is not a setting of this kind of rule")
    for key in required:
        if params.get(key) in (None, "", []):
            raise RuleError(key, f"Enter {PARAM_LABELS[key].lower()}")
    clean: dict[str, Any] = {}
    if "window_days" in required:
        clean["window_days"] = _int(params, "window_days", 1, MAX_WINDOW_DAYS)
    if kind == RuleKind.REPEATED:
        clean["event_types"] = _types(params, "event_types", required=True)
        clean["count"] = _int(params, "count", 2, 1000)
    elif kind == RuleKind.AGENCIES:
        clean["agencies"] = _int(params, "agencies", 2, 50)
        clean["event_types"] = _types(params, "event_types", required=False)
        clean["exclude_event_types"] = _types(params, "exclude_event_types", required=False)
        overlap = set(clean["event_types"]) & set(clean["exclude_event_types"])
        if overlap:
            raise RuleError("exclude_event_types", f"'{sorted(overlap)[0]}' cannot both count and not count")
    elif kind == RuleKind.TOGETHER:
        clean["event_types"] = _types(params, "event_types", required=True)
        clean["with_event_types"] = _types(params, "with_event_types", required=True)
    elif kind == RuleKind.UNDER_AGE:
        clean["event_types"] = _types(params, "event_types", required=True)
        clean["under_age"] = _int(params, "under_age", 1, 25)
    elif kind == RuleKind.COMBINATION:
        clean["event_types"] = _types(params, "event_types", required=True)
        clean["distinct"] = _int(params, "distinct", 2, 100)
        if clean["distinct"] > len(clean["event_types"]):
            raise RuleError(
                "distinct",
                f"The rule asks for {clean['distinct']} different kinds of event but lists only "
                f"{len(clean['event_types'])}, so it could never fire",
            )
    elif kind == RuleKind.SHARED_CONTACT:
        contacts = params.get("contacts") or []
        if isinstance(contacts, str):
            contacts = [c.strip() for c in contacts.replace(";", ",").split(",") if c.strip()]
        bad = [c for c in contacts if c not in CONTACT_KINDS]
        if bad or not contacts:
            raise RuleError("contacts", f"Links must be some of {', '.join(CONTACT_KINDS)}; '{(bad or [''])[0]}' is not")
        clean["contacts"] = [c for c in CONTACT_KINDS if c in contacts]
        clean["event_types"] = _types(params, "event_types", required=False)
        clean["place_event_types"] = _types(params, "place_event_types", required=False)
    elif kind == RuleKind.NEW_LINK:
        if params.get("pattern") not in NEW_LINK_PATTERNS:
            raise RuleError("pattern", f"The pattern must be one of {', '.join(NEW_LINK_PATTERNS)}")
        clean["pattern"] = params["pattern"]
    elif kind == RuleKind.NO_FOLLOW_UP:
        clean["event_types"] = _types(params, "event_types", required=True)
        clean["follow_up_types"] = _types(params, "follow_up_types", required=True)
        clean["within_hours"] = _int(params, "within_hours", 1, 24 * 365)
    elif kind == RuleKind.SCORE:
        clean["weights"] = _weights(params)
        clean["threshold"] = _int(params, "threshold", 1, 10 * MAX_POINTS)
        given = {key: params.get(key) not in (None, "") for key in ("high_threshold", "repeats", "adult_points",
                                                                      "vehicle_points")}
        clean["repeats"] = _int(params, "repeats", 1, 50) if given["repeats"] else DEFAULT_REPEATS
        clean["adult_points"] = _int(params, "adult_points", 0, MAX_POINTS) if given["adult_points"] else 0
        clean["vehicle_points"] = _int(params, "vehicle_points", 0, MAX_POINTS) if given["vehicle_points"] else 0
        if given["high_threshold"]:
            clean["high_threshold"] = _int(params, "high_threshold", 1, 10 * MAX_POINTS)
            if clean["high_threshold"] <= clean["threshold"]:
                raise RuleError(
                    "high_threshold",
                    f"The points that make an alert high ({clean['high_threshold']}) must be more than the points "
                    f"that raise it ({clean['threshold']})",
                )
        # Police intelligence on an adult's record often names the children seen with them: such an event
        # counts for each child it names, as if on the child's own record (engine.prepare's ``nev``).
        clean["for_named_children"] = _types(params, "for_named_children", required=False)
        unweighted = [t for t in clean["for_named_children"] if t not in clean["weights"]]
        if unweighted:
            raise RuleError(
                "for_named_children",
                f"'{unweighted[0]}' is to count for the children it names but has no points: give it points, "
                "or leave it out",
            )
        ceiling = most_points(clean)
        if clean["threshold"] > ceiling:
            raise RuleError(
                "threshold",
                f"The rule needs {clean['threshold']} points but its events can add up to at most {ceiling}, "
                "so it could never fire",
            )
    return clean


def clean_rule(*, code: str, name: str, kind: str, level: str, params: dict[str, Any]) -> RuleSpec:
    if not code.strip():
        raise RuleError("code", "Enter a short code for the rule")
    if not name.strip():
        raise RuleError("name", "Enter a name for the rule")
    if level not in AlertLevel.values:
        raise RuleError("level", "Choose the level of the alerts the rule raises")
    return RuleSpec(code=code.strip(), name=name.strip(), kind=kind, level=level, params=clean_params(kind, params))


def rule_spec(rule: Rule) -> RuleSpec:
    """A saved rule as the scanner reads it (RuleError if it can no longer be evaluated)."""
    return clean_rule(code=rule.code, name=rule.name, kind=rule.kind, level=rule.level, params=rule.params)


def default_rules() -> list[dict[str, Any]]:
    """The default rule set shipped with the hub (``data/default_rules.json``)."""
    text = resources.files("safeguarding.earlywarning").joinpath("data/default_rules.json").read_text("utf-8")
    rules: list[dict[str, Any]] = json.loads(text)["rules"]
    return rules


def describe(spec: RuleSpec) -> str:
    """The rule in words, for pages and explanations."""
    p = spec.params
    types = ", ".join(t.replace("_", " ") for t in p.get("event_types", []))
    if spec.kind == RuleKind.REPEATED:
        return f"{p['count']} or more of: {types}, within {p['window_days']} days"
    if spec.kind == RuleKind.AGENCIES:
        which = f" ({types})" if types else ""
        return f"events{which} recorded by {p['agencies']} or more different agencies within {p['window_days']} days"
    if spec.kind == RuleKind.TOGETHER:
        with_types = ", ".join(t.replace("_", " ") for t in p["with_event_types"])
        return f"{types} with {with_types} within {p['window_days']} days of it"
    if spec.kind == RuleKind.UNDER_AGE:
        return f"{types} while under {p['under_age']}"
    if spec.kind == RuleKind.COMBINATION:
        return f"{p['distinct']} or more different kinds of: {types}, within {p['window_days']} days"
    if spec.kind == RuleKind.SHARED_CONTACT:
        return (
            f"linked by {', '.join(p['contacts'])} to another child already at risk, "
            f"within {p['window_days']} days"
        )
    if spec.kind == RuleKind.NEW_LINK:
        return NEW_LINK_PATTERNS[p["pattern"]]
    if spec.kind == RuleKind.NO_FOLLOW_UP:
        follow = ", ".join(t.replace("_", " ") for t in p["follow_up_types"])
        return f"no {follow} within {p['within_hours']} hours of the end of a {types}"
    if spec.kind == RuleKind.SCORE:
        return describe_score(p)
    return spec.name


def describe_score(p: dict[str, Any]) -> str:
    """A score rule in words: what raises it, and what each sign is worth."""
    worth = "; ".join(
        f"{', '.join(t.replace('_', ' ') for t in sorted(group))} {points}"
        for points, group in sorted(_by_points(p["weights"]).items(), reverse=True)
    )
    extras = [f"an adult named as present +{p['adult_points']}"] if p.get("adult_points") else []
    extras += [f"a vehicle named +{p['vehicle_points']}"] if p.get("vehicle_points") else []
    named = p.get("for_named_children") or []
    if named:
        extras.append(f"{', '.join(t.replace('_', ' ') for t in named)} on another person's record counted for "
                      "each child it names")
    high = f", high at {p['high_threshold']}" if p.get("high_threshold") else ""
    times = "once" if p["repeats"] == 1 else f"at most {p['repeats']} times"
    return (
        f"signs adding up to {p['threshold']} points or more within {p['window_days']} days{high} "
        f"(points: {worth}{'; ' if extras else ''}{'; '.join(extras)}; each kind of event counted {times})"
    )


def _by_points(weights: dict[str, int]) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for event_type, points in weights.items():
        grouped.setdefault(points, []).append(event_type)
    return grouped


def alert_level(spec: RuleSpec, score: int | None) -> str:
    """The level of an alert: the rule's own, or for a score rule high once the evidence reaches the
    rule's high mark (the strength of the evidence, not only which rule fired)."""
    high = spec.params.get("high_threshold")
    if spec.kind == RuleKind.SCORE and high and score is not None and score >= high:
        return str(AlertLevel.HIGH)
    return spec.level
