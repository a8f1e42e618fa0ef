"""The tool's rules as plain Python: checking a configuration, scoring answers, and planning the
removal of an indicator, exploitation type or level."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from safeguarding.screening.defaults import england_config
from safeguarding.screening.tool import (
    NOT_KNOWN,
    YES,
    Part,
    Removal,
    ToolConfig,
    ToolConfigError,
    parse_config,
    removal,
    score,
)


@pytest.fixture
def config() -> dict[str, Any]:
    return england_config()


def test_the_default_for_england_has_the_four_forms_and_valid_evidence(config: dict[str, Any]) -> None:
    tool = parse_config(config)
    assert {t.code for t in tool.exploitation_types} >= {"sexual", "criminal", "online", "trafficking"}
    assert all(indicators for _, indicators in tool.indicators_by_type())
    assert [lv.name for lv in tool.levels] == ["No current risk", "At risk", "Medium risk", "High risk"]
    assert tool.downgrade_needs_approval


def test_score_adds_the_weights_of_yes_answers_and_explains_them(config: dict[str, Any]) -> None:
    tool = parse_config(config)
    # repeat_missing 3 + gifts_money 2 + school_absence 1 = 6: "At risk" starts at 3, "Medium" at 7.
    result = score(tool, {"repeat_missing": YES, "gifts_money": YES, "school_absence": YES, "self_harm": NOT_KNOWN})
    assert result.score == 6 and result.level == "at_risk" and result.level_by_score == "at_risk"
    explained = result.explanation(tool)
    assert [(c["indicator"], c["weight"]) for c in explained["contributions"]] == [
        ("repeat_missing", 3),
        ("gifts_money", 2),
        ("school_absence", 1),
    ]
    assert explained["rules_applied"] == [] and "self_harm" in explained["not_known"]
    assert score(tool, {"repeat_missing": YES, "gifts_money": YES, "self_harm": YES}).level == "medium"
    assert score(tool, {}).level == "no_current_risk"


def test_a_disclosure_makes_the_risk_the_highest_level_at_once(config: dict[str, Any]) -> None:
    tool = parse_config(config)
    config["indicators"] = [dict(i, weight=0) if i["code"] == "disclosure" else i for i in config["indicators"]]
    weightless = parse_config(config)
    result = score(weightless, {"disclosure": YES})
    assert result.score == 0 and result.level_by_score == "no_current_risk"
    assert result.level == "high"
    assert [r.code for r in result.rules_applied] == ["disclosure_high"]
    assert score(tool, {"disclosure": NOT_KNOWN}).level == "no_current_risk"


def test_a_combination_rule_needs_its_minimum_and_never_lowers(config: dict[str, Any]) -> None:
    tool = parse_config(config)
    two = score(tool, {"older_adult": YES, "cars_unknown_adults": YES})
    assert two.level == "at_risk" and not two.rules_applied  # 6 points, 2 of the 3 needed
    three = score(tool, {"older_adult": YES, "cars_unknown_adults": YES, "drug_debt": YES})
    assert three.score == 9 and three.level_by_score == "medium" and three.level == "high"
    # weapons → at least medium; when the score is already high, the rule does not lower it.
    lots = {code: YES for code in ("repeat_missing", "older_adult", "sexual_health", "weapons", "injuries")}
    assert score(tool, lots).level == "high"


def _problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ToolConfigError) as caught:
        parse_config(config)
    return caught.value.problems


def test_refuses_unknown_event_types_duplicate_codes_and_thresholds_that_do_not_increase(
    config: dict[str, Any],
) -> None:
    bad = copy.deepcopy(config)
    bad["indicators"][0]["evidence_event_types"] = ["missing_episode", "tattoo"]
    bad["indicators"][1]["code"] = bad["indicators"][0]["code"]
    bad["levels"][2]["min_score"] = bad["levels"][1]["min_score"]
    problems = _problems(bad)
    assert any("'tattoo' is not an event type" in p for p in problems)
    assert any("Two indicators have the code repeat_missing" in p for p in problems)
    assert any("Thresholds must increase: Medium risk" in p for p in problems)


def test_refuses_rules_naming_missing_indicators_or_levels_and_a_lowest_level_above_zero(
    config: dict[str, Any],
) -> None:
    bad = copy.deepcopy(config)
    bad["overriding_rules"].append(
        {"code": "ghost", "description": "x", "indicators": ["no_such"], "minimum": 1, "level": "extreme"}
    )
    bad["levels"][0]["min_score"] = 1
    bad["indicators"][0]["weight"] = -2
    problems = _problems(bad)
    assert any("'no_such' is not one of the tool's indicators" in p for p in problems)
    assert any("'extreme' is not one of the tool's levels" in p for p in problems)
    assert any("must start at a score of 0" in p for p in problems)
    assert any("weight must be between 0" in p for p in problems)


# --- removing a part of the tool ---------------------------------------------------------------


def _small() -> dict[str, Any]:
    """The smallest tool there can be: one type, one indicator, two levels, no rules."""
    return {
        "exploitation_types": [{"code": "sexual", "label": "Child sexual exploitation"}],
        "indicators": [
            {
                "code": "repeat_missing",
                "type": "sexual",
                "label": "Repeat missing episodes",
                "guidance": "",
                "weight": 3,
                "evidence_event_types": [],
                "lookback_days": 90,
            }
        ],
        "levels": [
            {"code": "no_current_risk", "name": "No current risk", "min_score": 0},
            {"code": "at_risk", "name": "At risk", "min_score": 3},
        ],
        "overriding_rules": [],
        "downgrade_needs_approval": False,
    }


def _every_removal(tool: ToolConfig) -> list[Removal]:
    codes = {
        Part.INDICATOR: [i.code for i in tool.indicators],
        Part.EXPLOITATION_TYPE: [t.code for t in tool.exploitation_types],
        Part.LEVEL: [lv.code for lv in tool.levels],
    }
    plans = [removal(tool, part, code) for part, all_codes in codes.items() for code in all_codes]
    assert all(plan is not None for plan in plans)
    return [plan for plan in plans if plan is not None]


@pytest.mark.parametrize("which", ["england", "small"])
def test_a_removal_is_refused_exactly_when_parse_config_refuses_the_tool_left(
    which: str, config: dict[str, Any]
) -> None:
    """The reasons in the administrator's terms must not drift from parse_config, which judges the
    tool left behind: neither stricter than it, nor leaving it to find a problem they missed."""
    tool = parse_config(config if which == "england" else _small())
    plans = _every_removal(tool)
    for plan in plans:
        assert not any(p.startswith("Removing it would leave the tool unusable") for p in plan.problems), plan
        if plan.problems:
            with pytest.raises(ToolConfigError):
                parse_config(plan.config)
        else:
            parse_config(plan.config)
    refused = sum(1 for plan in plans if plan.problems)
    assert 0 < refused < len(plans) if which == "england" else refused == len(plans)


def test_a_removal_leaves_the_other_parts_as_they_were(config: dict[str, Any]) -> None:
    tool = parse_config(config)
    indicator = removal(tool, Part.INDICATOR, "risky_places")
    assert indicator is not None and not indicator.problems
    left = parse_config(indicator.config)
    assert left.indicator("risky_places") is None and len(left.indicators) == len(tool.indicators) - 1
    assert left.levels == tool.levels and left.overriding_rules == tool.overriding_rules
    assert indicator.effects == (
        "A yes to it adds 2 to the score, so some children may score lower than they would have.",
    )

    level = removal(tool, Part.LEVEL, "at_risk")
    assert level is not None and not level.problems
    assert [lv.code for lv in parse_config(level.config).levels] == ["no_current_risk", "medium", "high"]
    assert level.effects[0] == "Scores from 3 to 6 will give No current risk instead."

    assert removal(tool, Part.INDICATOR, "no_such") is None
    assert removal(tool, Part.EXPLOITATION_TYPE, "no_such") is None
    assert removal(tool, Part.LEVEL, "no_such") is None


def test_an_exploitation_type_goes_with_its_indicators(config: dict[str, Any]) -> None:
    # Without the rule that names online grooming, the online type may go, taking its two indicators.
    config["overriding_rules"] = [r for r in config["overriding_rules"] if r["code"] != "strong_combination_high"]
    tool = parse_config(config)
    plan = removal(tool, Part.EXPLOITATION_TYPE, "online")
    assert plan is not None and not plan.problems
    assert [i.code for i in plan.indicators] == ["online_grooming", "secretive_online"]
    left = parse_config(plan.config)
    assert [t.code for t in left.exploitation_types] == ["sexual", "criminal", "trafficking"]
    assert left.indicator("online_grooming") is None and left.indicator("secretive_online") is None


def test_removals_that_would_leave_the_tool_unusable_say_why(config: dict[str, Any]) -> None:
    england = parse_config(config)

    def problems(tool: ToolConfig, part: Part, code: str) -> tuple[str, ...]:
        plan = removal(tool, part, code)
        assert plan is not None
        return plan.problems

    assert problems(england, Part.INDICATOR, "disclosure") == (
        "The overriding rule 'A disclosure makes the risk high at once' uses this indicator. Remove that rule "
        "first; you can add it again without this indicator.",
    )
    assert problems(england, Part.EXPLOITATION_TYPE, "online") == (
        "The overriding rule 'Three or more strong indicators together make the risk high at once' uses 'Online "
        "grooming or image sharing' from this type. Remove that rule first; you can add it again without them.",
    )
    assert problems(england, Part.LEVEL, "no_current_risk") == (
        "No current risk is the lowest level: every score starts there, so it cannot be removed. To change its "
        "name, change the levels.",
    )
    assert problems(england, Part.LEVEL, "high") == (
        "The overriding rule 'A disclosure makes the risk high at once' makes the risk at least this level. Remove "
        "that rule first; you can add it again with another level.",
        "The overriding rule 'Three or more strong indicators together make the risk high at once' makes the risk "
        "at least this level. Remove that rule first; you can add it again with another level.",
    )

    small = parse_config(_small())
    assert problems(small, Part.INDICATOR, "repeat_missing") == (
        "This is the tool's only indicator. Add another before removing it.",
    )
    assert problems(small, Part.EXPLOITATION_TYPE, "sexual") == (
        "This is the tool's only exploitation type. Add another before removing it.",
    )
    assert problems(small, Part.LEVEL, "at_risk") == (
        "The tool needs at least two levels. Add another level before removing this one.",
    )
    two_types = _small()
    two_types["exploitation_types"].append({"code": "online", "label": "Online exploitation"})
    assert problems(parse_config(two_types), Part.EXPLOITATION_TYPE, "sexual") == (
        "Every indicator of the tool is of this type, and the tool needs at least one. Add an indicator of another "
        "type first.",
    )
    assert problems(parse_config(two_types), Part.EXPLOITATION_TYPE, "online") == ()


def test_sections_follow_the_exploitation_types_and_say_how_far_each_is_answered(config: dict[str, Any]) -> None:
    from safeguarding.screening.tool import SectionStatus, all_completed, sections

    tool = parse_config(config)
    fresh = sections(tool, [])
    assert [s.code for s in fresh] == ["sexual", "criminal", "online", "trafficking"]
    assert {s.status for s in fresh} == {SectionStatus.NOT_STARTED}
    online = [i.code for i in tool.indicators if i.type == "online"]
    some = sections(tool, ["repeat_missing", *online])
    assert [s.status for s in some] == [
        SectionStatus.IN_PROGRESS,
        SectionStatus.NOT_STARTED,
        SectionStatus.COMPLETED,
        SectionStatus.NOT_STARTED,
    ]
    assert some[0].answered == 1 and len(some[0].indicators) == 12
    every = [i.code for i in tool.indicators]
    assert not all_completed(tool, every[:-1]) and all_completed(tool, every)
    # An exploitation type without questions is no section: there is nothing to answer in it.
    config["exploitation_types"].append({"code": "radicalisation", "label": "Radicalisation"})
    assert "radicalisation" not in [s.code for s in sections(parse_config(config), [])]
