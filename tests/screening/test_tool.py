"""The tool's rules as plain Python: checking a configuration and scoring answers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from safeguarding.screening.defaults import england_config
from safeguarding.screening.tool import NOT_KNOWN, YES, ToolConfigError, parse_config, score


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
