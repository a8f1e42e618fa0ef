"""The checks every rule passes before it is saved or tested, for the kind that weighs signs: each
refusal names the value that is wrong and why, in words an administrator can act on."""

from __future__ import annotations

import pytest

from safeguarding.earlywarning.rules import RuleError, clean_params, clean_rule, describe, most_points

GOOD = {"weights": "found_with_adult: 2, gifts_or_money: 3, missing_episode: 1", "threshold": "5", "window_days": "180"}


def test_points_typed_as_text_are_read_and_the_optional_settings_filled_in() -> None:
    clean = clean_params("score", GOOD)
    assert clean == {
        "weights": {"found_with_adult": 2, "gifts_or_money": 3, "missing_episode": 1},
        "threshold": 5, "window_days": 180, "repeats": 1, "adult_points": 0, "vehicle_points": 0,
        "for_named_children": [],
    }
    # Saved as a mapping, read back the same; a kind given 0 points is left out.
    again = clean_params("score", {**clean, "weights": {**clean["weights"], "self_harm": 0}})
    assert again == clean


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"weights": "found_with_adult 2"}, "weights", "Give the points after each event type, like found_with_adult: 4"),
        ({"weights": "found_with_an_adult: 2"}, "weights", "'found_with_an_adult' in points for each kind of event is not an event type"),
        ({"weights": "gifts_or_money: lots"}, "weights", "The points for gifts_or_money must be a whole number from 0 to 100, not 'lots'"),
        ({"weights": "gifts_or_money: 3, gifts_or_money: 2"}, "weights", "'gifts_or_money' is given points twice"),
        ({"weights": "gifts_or_money: 0"}, "weights", "Give at least one event type more than 0 points"),
        ({"weights": ""}, "weights", "Enter points for each kind of event"),
        ({"threshold": "7"}, "threshold", "The rule needs 7 points but its events can add up to at most 6, so it could never fire"),
        ({"threshold": "5", "high_threshold": "5"}, "high_threshold",
         "The points that make an alert high (5) must be more than the points that raise it (5)"),
        ({"repeats": "0"}, "repeats", "How many events of one kind count must be between 1 and 50, not 0"),
        ({"adult_points": "-1"}, "adult_points", "Extra points for an event that names an adult present must be between 0 and 100"),
    ],
)
def test_a_rule_that_cannot_be_evaluated_is_refused_with_the_reason(change: dict[str, str], field: str, words: str) -> None:
    with pytest.raises(RuleError) as refused:
        clean_params("score", {**GOOD, **change})
    assert refused.value.field == field
    assert words in refused.value.message


def test_the_most_a_window_can_add_up_to_counts_repeats_and_the_extra_points() -> None:
    clean = clean_params("score", {**GOOD, "repeats": "2", "adult_points": "4", "vehicle_points": "1", "threshold": "30"})
    assert most_points(clean) == (2 + 3 + 1 + 3 * (4 + 1)) * 2


def test_the_rule_in_words_names_every_sign_with_its_points() -> None:
    spec = clean_rule(code="signs", name="Signs", kind="score", level="medium",
                      params={**GOOD, "high_threshold": "6", "adult_points": "4"})
    assert describe(spec) == (
        "signs adding up to 5 points or more within 180 days, high at 6 (points: gifts or money 3; found with adult 2; "
        "missing episode 1; an adult named as present +4; each kind of event counted once)"
    )


def test_an_event_type_counted_for_the_children_it_names_needs_points_and_is_said_in_words() -> None:
    with pytest.raises(RuleError) as refused:
        clean_params("score", {**GOOD, "for_named_children": "intelligence"})
    assert refused.value.field == "for_named_children"
    assert "'intelligence' is to count for the children it names but has no points" in refused.value.message
    with pytest.raises(RuleError) as mistyped:
        clean_params("score", {**GOOD, "for_named_children": "inteligence"})
    assert "'inteligence' in event types on another person's record" in mistyped.value.message
    spec = clean_rule(code="signs", name="Signs", kind="score", level="medium",
                      params={**GOOD, "weights": f"{GOOD['weights']}, intelligence: 3",
                              "for_named_children": "intelligence"})
    assert spec.params["for_named_children"] == ["intelligence"]
    assert "intelligence on another person's record counted for each child it names" in describe(spec)
