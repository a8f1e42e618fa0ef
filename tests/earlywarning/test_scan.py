"""The early-warning rules against minimal histories: each default rule fires at its threshold and
not just below it, names the events that caused it, and scanning is repeatable and back-testable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.earlywarning.exporters import ALERTS_COLUMNS, export_alerts
from safeguarding.earlywarning.models import Alert, AlertEvidence, Rule
from safeguarding.earlywarning.scan import scan_run
from safeguarding.earlywarning.selectors import alert_queue, alerts_for_person
from safeguarding.earlywarning.services import alert_dismiss
from safeguarding.people import identity
from safeguarding.people.models import Event, EventType, Handling, Person, PersonRole, SourceRecord
from tests.factories import (
    EventFactory,
    PersonFactory,
    SourceRecordFactory,
    SourceSystemFactory,
    UserFactory,
    merge,
)

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 1, 12, 0))


def at(day: str, hour: int = 12) -> dt.datetime:
    """A moment in 2026 (local time), from 'MM-DD'."""
    return timezone.make_aware(dt.datetime.fromisoformat(f"2026-{day}T{hour:02d}:00"))


class History:
    """One child's records in several agencies' systems, to which a test adds events."""

    def __init__(self, agencies: dict[str, Any], dob: str = "2011-03-14", name: str = "Chloe") -> None:
        self.person = PersonFactory(given_name=name, date_of_birth=dob, role=PersonRole.CHILD)
        self.records: dict[str, SourceRecord] = {}
        for kind in (AgencyKind.POLICE, AgencyKind.HEALTH, AgencyKind.EDUCATION, AgencyKind.COUNCIL):
            system = SourceSystemFactory(code=f"{kind}-system", agency=agencies[kind])
            self.records[kind] = SourceRecordFactory(source_system=system, person=self.person)

    def add(self, event_type: str, when: dt.datetime, agency: str = AgencyKind.POLICE, **extra: Any) -> Event:
        event: Event = EventFactory(
            source_record=self.records[agency], event_type=event_type, occurred_at=when, **extra
        )
        return event


@pytest.fixture
def history(agencies: dict[str, Any]) -> Callable[..., History]:
    return lambda **kwargs: History(agencies, **kwargs)


def scan(code: str, as_of: dt.datetime = NOW) -> list[Alert]:
    scan_run(as_of=as_of, rules=[Rule.objects.get(code=code)])
    return list(Alert.objects.filter(rule__code=code).order_by("raised_at"))


def evidence_of(alert: Alert) -> set[int]:
    return set(AlertEvidence.objects.filter(alert=alert).values_list("event_id", flat=True))


# --- each default rule at and just below its threshold -------------------------------------------


def test_repeated_missing_fires_on_the_third_episode_in_90_days(history: Callable[..., History]) -> None:
    child = history()
    first = child.add(EventType.MISSING_EPISODE, at("01-10"))
    second = child.add(EventType.MISSING_EPISODE, at("02-20"))
    third = child.add(EventType.MISSING_EPISODE, at("04-09", 22))  # 89 days after the first
    [alert] = scan("repeat-missing")
    assert alert.person == child.person
    assert alert.raised_at == third.occurred_at
    assert alert.trigger_event == third
    assert evidence_of(alert) == {first.pk, second.pk, third.pk}


def test_repeated_missing_does_not_fire_just_below_its_threshold(history: Callable[..., History]) -> None:
    child = history()
    child.add(EventType.MISSING_EPISODE, at("01-10"))
    child.add(EventType.MISSING_EPISODE, at("02-20"))
    child.add(EventType.MISSING_EPISODE, at("04-11"))  # 91 days after the first: only two in any 90
    other = history(name="Amy")
    other.add(EventType.MISSING_EPISODE, at("01-10"))
    other.add(EventType.MISSING_EPISODE, at("01-11"))  # two, close together
    assert scan("repeat-missing") == []


def test_cumulative_concern_needs_three_agencies_within_90_days(history: Callable[..., History]) -> None:
    child = history()
    child.add(EventType.SELF_HARM, at("01-05"), AgencyKind.HEALTH)
    child.add(EventType.GIFTS_OR_MONEY, at("02-01"), AgencyKind.EDUCATION)
    tipping = child.add(EventType.FOUND_WITH_ADULT, at("03-20"), AgencyKind.POLICE)
    below = history(name="Amy")
    below.add(EventType.SELF_HARM, at("01-05"), AgencyKind.HEALTH)
    below.add(EventType.GIFTS_OR_MONEY, at("02-01"), AgencyKind.EDUCATION)
    below.add(EventType.FOUND_WITH_ADULT, at("04-06"), AgencyKind.POLICE)  # 91 days after the first
    below.add(EventType.OTHER, at("03-01"), AgencyKind.COUNCIL)  # routine contact does not count
    [alert] = scan("cumulative-concern")
    assert alert.person == child.person
    assert alert.raised_at == tipping.occurred_at
    assert "3 events recorded by 3 agencies" in alert.explanation


def test_missing_with_adult_or_vehicle(history: Callable[..., History]) -> None:
    child = history()
    missing = child.add(EventType.MISSING_EPISODE, at("03-01", 20), ended_at=at("03-02", 6))
    seen = child.add(EventType.SEEN_IN_VEHICLE, at("03-03", 23), vehicle_registration="YA19ABC")
    far = history(name="Amy")
    far.add(EventType.MISSING_EPISODE, at("03-01", 20), ended_at=at("03-02", 6))
    far.add(EventType.SEEN_IN_VEHICLE, at("03-04", 7))  # more than two days after the return
    [alert] = scan("missing-with-adult-or-vehicle")
    assert alert.person == child.person
    assert evidence_of(alert) == {missing.pk, seen.pk}
    assert alert.raised_at == seen.occurred_at


def test_sexual_health_under_16(history: Callable[..., History]) -> None:
    young = history(dob="2010-06-02")
    attendance = young.add(EventType.SEXUAL_HEALTH_ATTENDANCE, at("06-01", 10), AgencyKind.HEALTH)  # the day before 16
    older = history(dob="2010-05-31", name="Amy")
    older.add(EventType.SEXUAL_HEALTH_ATTENDANCE, at("06-01", 10), AgencyKind.HEALTH)  # 16 and a day
    [alert] = scan("sexual-health-under-16", as_of=at("06-02"))
    assert alert.person == young.person
    assert alert.trigger_event == attendance


def test_partial_date_of_birth_counts_as_its_youngest(history: Callable[..., History]) -> None:
    """Born some time in 2010: on 1 June 2026 the child may still be 15, so the rule fires."""
    child = history(dob="2010")
    child.add(EventType.PREGNANCY, at("06-01", 10), AgencyKind.HEALTH)
    assert len(scan("sexual-health-under-16", as_of=at("06-02"))) == 1


def test_several_criminal_exploitation_indicators(history: Callable[..., History]) -> None:
    child = history()
    child.add(EventType.MULTIPLE_PHONES, at("02-01"), AgencyKind.EDUCATION)
    child.add(EventType.TRAVEL_OUT_OF_AREA, at("02-10"))
    tipping = child.add(EventType.DRUG_DEBT, at("03-01"), AgencyKind.COUNCIL)
    two_kinds = history(name="Amy")
    two_kinds.add(EventType.MULTIPLE_PHONES, at("02-01"), AgencyKind.EDUCATION)
    two_kinds.add(EventType.TRAVEL_OUT_OF_AREA, at("02-10"))
    two_kinds.add(EventType.TRAVEL_OUT_OF_AREA, at("02-20"))
    [alert] = scan("criminal-exploitation-indicators")
    assert alert.person == child.person
    assert alert.trigger_event == tipping


def test_linked_to_a_vehicle_of_another_child_at_risk(history: Callable[..., History]) -> None:
    at_risk = history(name="Amy")
    for day in ("01-10", "02-01", "02-20"):
        at_risk.add(EventType.MISSING_EPISODE, at(day))
    at_risk.add(EventType.SEEN_IN_VEHICLE, at("02-21"), vehicle_registration="YA19ABC")
    child = history(name="Chloe")
    linked = child.add(EventType.SEEN_IN_VEHICLE, at("03-15"), vehicle_registration="YA19ABC")
    stranger = history(name="Beth")
    stranger.add(EventType.SEEN_IN_VEHICLE, at("03-15"), vehicle_registration="KX65ZZZ")
    scan_run(as_of=NOW, rules=list(Rule.objects.filter(code__in=["repeat-missing", "linked-to-child-at-risk"])))
    alerts = list(Alert.objects.filter(rule__code="linked-to-child-at-risk"))
    assert [a.person for a in alerts] == [child.person]
    assert alerts[0].trigger_event == linked
    assert "YA19ABC" in alerts[0].explanation
    assert f"P{at_risk.person.pk:07d}" in alerts[0].explanation


@pytest.mark.parametrize("incremental", [False, True])
def test_a_child_whose_alert_was_dismissed_puts_no_one_at_risk_until_a_new_sign(
    history: Callable[..., History], make_user: Callable[..., Any], incremental: bool
) -> None:
    from safeguarding.earlywarning.services import alert_dismiss

    rules = list(Rule.objects.filter(code__in=["repeat-missing", "linked-to-child-at-risk"]))
    amy = history(name="Amy")
    for day in ("01-10", "02-01", "02-20"):
        amy.add(EventType.MISSING_EPISODE, at(day))
    scan_run(rules=rules)  # now: an incremental scan reads what is new since a scan of the present
    [amys] = Alert.objects.filter(person=amy.person)
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    alert_dismiss(alert=amys, acting_user=coordinator,
                  reason="In care: she runs back to her mum's each time; the return home interviews say so.")
    amy.add(EventType.SEEN_IN_VEHICLE, at("03-02"), vehicle_registration="YA19ABC")
    chloe = history(name="Chloe")
    chloe.add(EventType.SEEN_IN_VEHICLE, at("03-15"), vehicle_registration="YA19ABC")
    scan_run(rules=rules, incremental=incremental)
    assert not Alert.objects.filter(rule__code="linked-to-child-at-risk").exists()
    # A sign after what was dismissed (Amy missing again on 1 April) counts again: from then, Chloe's
    # time in the same car links her to a child at risk (seen in it again, so that an incremental scan,
    # which alerts only children with something new, reads her too).
    amy.add(EventType.MISSING_EPISODE, at("04-01"))
    # A scan reads it first, adding it to the dismissed alert's episode: it is still a new sign.
    scan_run(rules=rules, incremental=incremental)
    assert amys.evidence.count() == 4
    chloe.add(EventType.SEEN_IN_VEHICLE, at("04-10"), vehicle_registration="YA19ABC")
    scan_run(rules=rules, incremental=incremental)
    [linked] = Alert.objects.filter(rule__code="linked-to-child-at-risk")
    assert linked.person == chloe.person and linked.raised_at == at("04-01")


def test_no_return_home_interview_within_72_hours(history: Callable[..., History]) -> None:
    child = history()
    missing = child.add(EventType.MISSING_EPISODE, at("03-01", 20), ended_at=at("03-02", 6))
    in_time = history(name="Amy")
    in_time.add(EventType.MISSING_EPISODE, at("03-01", 20), ended_at=at("03-02", 6))
    in_time.add(EventType.RETURN_HOME_INTERVIEW, at("03-05", 5), AgencyKind.COUNCIL)  # 71 hours after
    [alert] = scan("no-return-home-interview")
    assert alert.person == child.person
    assert alert.trigger_event == missing
    assert alert.raised_at == at("03-05", 6)  # the moment the 72 hours ran out


def test_still_missing_is_not_yet_overdue(history: Callable[..., History]) -> None:
    child = history()
    child.add(EventType.MISSING_EPISODE, at("03-01", 20), ended_at=at("03-10", 6))
    assert scan("no-return-home-interview", as_of=at("03-09")) == []


# --- the rules reviewed in issue 15: signs that add up, and what is switched off -------------------


def test_the_reviewed_defaults_are_switched_on_and_off_with_their_reasons() -> None:
    on = set(Rule.objects.filter(enabled=True).values_list("code", flat=True))
    assert {"exploitation-evidence", "sexual-health-under-13", "criminal-exploitation-indicators",
            "linked-to-child-at-risk"} <= on
    assert not on & {"repeat-missing", "cumulative-concern", "missing-with-adult-or-vehicle",
                     "sexual-health-under-16", "absence-with-other-indicator"}
    off = Rule.objects.get(code="repeat-missing").versions.get()
    assert "Switched off by default: missing episodes alone" in off.change_note
    # The return home interview rule is becoming a statutory clock elsewhere: left exactly as it was.
    rhi = Rule.objects.get(code="no-return-home-interview")
    assert rhi.params == {"event_types": ["missing_episode"], "follow_up_types": ["return_home_interview"],
                          "within_hours": 72}


def test_signs_add_up_to_an_alert_at_the_threshold_and_not_below(history: Callable[..., History]) -> None:
    child = history()
    gifts = child.add(EventType.GIFTS_OR_MONEY, at("01-10"), AgencyKind.EDUCATION)  # 3
    phones = child.add(EventType.MULTIPLE_PHONES, at("05-20"), AgencyKind.EDUCATION)  # 3: 6, 130 days on
    below = history(name="Amy")
    below.add(EventType.GIFTS_OR_MONEY, at("01-10"), AgencyKind.EDUCATION)  # 3
    below.add(EventType.MISSING_EPISODE, at("02-10"))  # 1
    below.add(EventType.ABSENT_FROM_SCHOOL, at("02-12"), AgencyKind.EDUCATION)  # 1: 5
    apart = history(name="Beth")
    apart.add(EventType.GIFTS_OR_MONEY, at("01-01"), AgencyKind.EDUCATION)
    apart.add(EventType.MULTIPLE_PHONES, at("07-01"), AgencyKind.EDUCATION)  # 181 days on: outside the window
    [alert] = scan("exploitation-evidence", as_of=at("07-02"))
    assert alert.person == child.person
    assert alert.trigger_event == phones and alert.raised_at == phones.occurred_at
    assert evidence_of(alert) == {gifts.pk, phones.pk}
    assert (alert.score, alert.level) == (6, "medium")


def test_each_kind_of_sign_counts_once_so_missing_and_absence_never_add_up_alone(
    history: Callable[..., History],
) -> None:
    child = history()
    for day in ("01-05", "01-12", "01-19", "01-26", "02-02", "02-09", "02-16"):
        child.add(EventType.MISSING_EPISODE, at(day))
        child.add(EventType.ABSENT_FROM_SCHOOL, at(day), AgencyKind.EDUCATION)
        child.add(EventType.POLICE_STOP, at(day))
        child.add(EventType.SELF_HARM, at(day), AgencyKind.HEALTH)
        child.add(EventType.SCHOOL_EXCLUSION, at(day), AgencyKind.EDUCATION)  # 5 kinds worth 1: 5 points
    assert scan("exploitation-evidence") == []
    child.add(EventType.SUBSTANCE_MISUSE, at("02-20"), AgencyKind.HEALTH)  # 2 more: 7
    [alert] = scan("exploitation-evidence")
    assert alert.score == 7


def test_who_the_child_is_with_counts_only_when_an_adult_is_named(history: Callable[..., History]) -> None:
    police = SourceSystemFactory(code=f"{AgencyKind.POLICE}-system")
    adult = PersonFactory(given_name="Dean", date_of_birth="1990-01-01", role=PersonRole.ADULT)
    SourceRecordFactory(source_system=police, person=adult, record_id="NICHE-9")
    peer = PersonFactory(given_name="Kyle", date_of_birth="2010-01-01")
    SourceRecordFactory(source_system=police, person=peer, record_id="NICHE-10")
    named = history()
    found = named.add(EventType.FOUND_WITH_ADULT, at("03-01"), other_record_ids="NICHE-9")  # 2 + 4
    unnamed = history(name="Amy")
    unnamed.add(EventType.FOUND_WITH_ADULT, at("03-01"))  # 2: found at a relative's, say
    with_peer = history(name="Beth")
    with_peer.add(EventType.FOUND_WITH_ADULT, at("03-01"), other_record_ids="NICHE-10")  # a child: 2
    alerts = scan("exploitation-evidence")
    assert [(a.person, a.trigger_event, a.score) for a in alerts] == [(named.person, found, 6)]
    assert ": 6 points (an adult named as present)" in alerts[0].explanation


def test_a_vehicle_named_adds_to_the_sighting(history: Callable[..., History]) -> None:
    child = history()
    child.add(EventType.MISSING_EPISODE, at("03-01"))  # 1
    child.add(EventType.SEEN_IN_VEHICLE, at("03-02"), vehicle_registration="YA19ABC")  # 3 + 2
    no_plate = history(name="Amy")
    no_plate.add(EventType.MISSING_EPISODE, at("03-01"))
    no_plate.add(EventType.SEEN_IN_VEHICLE, at("03-02"))  # 3: 4 in all
    assert [a.person for a in scan("exploitation-evidence")] == [child.person]


def test_the_alert_is_high_from_the_high_mark_and_rises_as_signs_add_up(history: Callable[..., History]) -> None:
    child = history()
    child.add(EventType.GIFTS_OR_MONEY, at("01-10"), AgencyKind.EDUCATION)
    child.add(EventType.MULTIPLE_PHONES, at("01-20"), AgencyKind.EDUCATION)
    [alert] = scan("exploitation-evidence")
    assert (alert.score, alert.level) == (6, "medium")
    Alert.objects.filter(pk=alert.pk).update(status="dismissed")  # it comes back, stronger
    grooming = child.add(EventType.ONLINE_GROOMING, at("02-01"), AgencyKind.EDUCATION)  # 4: 10
    [again] = scan("exploitation-evidence")
    assert again.pk == alert.pk
    assert (again.score, again.level) == (10, "high")
    assert again.new_evidence_since_action and grooming.pk in evidence_of(again)
    assert "The signs add up to 10 points at their strongest." in again.explanation
    disclosed = history(name="Amy")
    disclosed.add(EventType.DISCLOSURE, at("03-01"), AgencyKind.COUNCIL)  # high at once
    assert {(a.person, a.level) for a in scan("exploitation-evidence")} == {
        (child.person, "high"), (disclosed.person, "high")}


def test_an_alerts_list_of_signs_says_why_it_comes_to_more_than_the_total(history: Callable[..., History]) -> None:
    """The audit as an analyst: "Unexplained gifts or money: 3 points" twice and the list summing to 16
    beside "The signs add up to 9 points at their strongest": each kind counts once, every sign is listed."""
    child = history()
    child.add(EventType.GIFTS_OR_MONEY, at("01-10"), AgencyKind.EDUCATION)
    child.add(EventType.MULTIPLE_PHONES, at("01-20"), AgencyKind.EDUCATION)
    child.add(EventType.GIFTS_OR_MONEY, at("01-25"), AgencyKind.EDUCATION)
    [alert] = scan("exploitation-evidence")
    assert alert.score == 6
    assert alert.explanation.count(": 3 points") == 3
    assert "Each kind of sign counts once, at its strongest, within 180 days; every sign seen is listed" in alert.explanation
    once = history(name="Amy")
    once.add(EventType.GIFTS_OR_MONEY, at("01-10"), AgencyKind.EDUCATION)
    once.add(EventType.MULTIPLE_PHONES, at("01-20"), AgencyKind.EDUCATION)
    [single] = [a for a in scan("exploitation-evidence") if a.person == once.person]
    assert "Each kind of sign counts" not in single.explanation  # nothing listed twice: nothing to say


def test_points_from_police_only_intelligence_are_counted_never_described(history: Callable[..., History]) -> None:
    child = history()
    child.add(EventType.GIFTS_OR_MONEY, at("01-10"), AgencyKind.EDUCATION)
    child.add(EventType.INTELLIGENCE, at("01-12"), handling="C", detail="Seen with the Lane brothers")  # 3
    [alert] = scan("exploitation-evidence")
    assert alert.score == 6
    assert "6 points at their strongest, 3 of them from police intelligence not shared beyond the police" in (
        alert.explanation)
    assert "Intelligence" not in alert.explanation and "Lane" not in alert.explanation
    assert "Intelligence (Police agency): 3 points" in alert.explanation_restricted


def test_sexual_health_under_13(history: Callable[..., History]) -> None:
    young = history(dob="2013-06-02")
    attendance = young.add(EventType.SEXUAL_HEALTH_ATTENDANCE, at("06-01", 10), AgencyKind.HEALTH)  # the day before 13
    older = history(dob="2013-05-31", name="Amy")
    older.add(EventType.SEXUAL_HEALTH_ATTENDANCE, at("06-01", 10), AgencyKind.HEALTH)  # 13 and a day
    [alert] = scan("sexual-health-under-13", as_of=at("06-02"))
    assert alert.person == young.person and alert.trigger_event == attendance


def test_missing_episodes_no_longer_count_as_criminal_exploitation_indicators(
    history: Callable[..., History],
) -> None:
    child = history()
    child.add(EventType.MULTIPLE_PHONES, at("02-01"), AgencyKind.EDUCATION)
    child.add(EventType.TRAVEL_OUT_OF_AREA, at("02-10"))
    stop = child.add(EventType.POLICE_STOP, at("03-01"))
    missing = history(name="Amy")
    missing.add(EventType.MULTIPLE_PHONES, at("02-01"), AgencyKind.EDUCATION)
    missing.add(EventType.TRAVEL_OUT_OF_AREA, at("02-10"))
    missing.add(EventType.MISSING_EPISODE, at("03-01"))
    [alert] = scan("criminal-exploitation-indicators")
    assert (alert.person, alert.trigger_event) == (child.person, stop)


def test_the_home_children_go_missing_from_no_longer_links_them(history: Callable[..., History]) -> None:
    at_risk = history(name="Amy")
    at_risk.add(EventType.DISCLOSURE, at("01-05"), AgencyKind.COUNCIL)
    at_risk.add(EventType.MISSING_EPISODE, at("01-10"), location_postcode="S65 1AB")
    at_risk.add(EventType.FOUND_WITH_ADULT, at("01-11"), location_postcode="S66 2CD")
    same_home = history(name="Beth")
    same_home.add(EventType.MISSING_EPISODE, at("02-01"), location_postcode="S65 1AB")
    same_place = history(name="Cara")
    found = same_place.add(EventType.FOUND_WITH_ADULT, at("02-01"), location_postcode="S66 2CD")
    scan_run(as_of=NOW, rules=list(Rule.objects.filter(code__in=["exploitation-evidence", "linked-to-child-at-risk"])))
    linked = Alert.objects.filter(rule__code="linked-to-child-at-risk")
    assert [(a.person, a.trigger_event) for a in linked] == [(same_place.person, found)]


# --- explanation, repeatability, back-testing ----------------------------------------------------


def test_explanation_lists_the_events_with_their_agencies_and_dates(history: Callable[..., History]) -> None:
    child = history()
    child.add(EventType.SELF_HARM, at("01-05"), AgencyKind.HEALTH)
    child.add(EventType.GIFTS_OR_MONEY, at("02-01"), AgencyKind.EDUCATION)
    child.add(EventType.FOUND_WITH_ADULT, at("03-20"), AgencyKind.POLICE)
    [alert] = scan("cumulative-concern")
    text = alert.explanation
    assert "Cumulative concern across agencies" in text
    assert "5 January 2026, " in text and "Self-harm (Health agency)" in text
    assert "1 February 2026, " in text and "Unexplained gifts or money (Education (schools) agency)" in text
    assert "20 March 2026, " in text and "Found with an adult (Police agency)" in text


def test_scanning_again_adds_nothing_and_new_events_join_the_same_alert(history: Callable[..., History]) -> None:
    child = history()
    for day in ("01-10", "02-01", "02-20"):
        child.add(EventType.MISSING_EPISODE, at(day))
    [alert] = scan("repeat-missing")
    again = scan_run(as_of=NOW, rules=[Rule.objects.get(code="repeat-missing")])
    assert again.alerts_raised == 0 and again.evidence_added == 0
    fourth = child.add(EventType.MISSING_EPISODE, at("03-01"))
    later = scan("repeat-missing")
    assert later == [alert]
    assert fourth.pk in evidence_of(alert)


def test_a_new_episode_months_later_is_a_new_alert(history: Callable[..., History]) -> None:
    child = history()
    for day in ("01-10", "01-20", "01-30", "05-10", "05-15", "05-20"):
        child.add(EventType.MISSING_EPISODE, at(day))
    alerts = scan("repeat-missing")
    assert [a.raised_at for a in alerts] == [at("01-30"), at("05-20")]


def test_back_testing_gives_the_same_alerts_as_scanning_day_by_day(history: Callable[..., History]) -> None:
    first = history(name="Amy")
    second = history(name="Beth", dob="2010-04-20")
    for day in ("02-03", "02-17", "03-01"):
        first.add(EventType.MISSING_EPISODE, at(day, 21), ended_at=at(day, 23))
    first.add(EventType.SEEN_IN_VEHICLE, at("03-02"), vehicle_registration="YA19ABC")
    first.add(EventType.RETURN_HOME_INTERVIEW, at("02-04"), AgencyKind.COUNCIL)
    second.add(EventType.SEXUAL_HEALTH_ATTENDANCE, at("02-10"), AgencyKind.HEALTH)
    second.add(EventType.SEEN_IN_VEHICLE, at("03-10"), vehicle_registration="YA19ABC")
    second.add(EventType.GIFTS_OR_MONEY, at("03-11"), AgencyKind.EDUCATION)
    second.add(EventType.MULTIPLE_PHONES, at("03-12"), AgencyKind.EDUCATION)
    second.add(EventType.TRAVEL_OUT_OF_AREA, at("03-14"))

    day = dt.date(2026, 2, 1)
    while day <= dt.date(2026, 3, 20):
        scan_run(as_of=timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59))))
        day += dt.timedelta(days=1)
    day_by_day = _alert_keys()
    assert len(day_by_day) >= 5

    AlertEvidence.objects.all().delete()
    Alert.objects.all().delete()
    scan_run(as_of=timezone.make_aware(dt.datetime(2026, 3, 20, 23, 59, 59)))
    assert _alert_keys() == day_by_day


def _alert_keys() -> set[tuple[str, int, dt.datetime, frozenset[int]]]:
    return {
        (a.rule.code, a.person_id, a.raised_at, frozenset(evidence_of(a)))
        for a in Alert.objects.select_related("rule")
    }


def test_incremental_scan_reads_only_children_with_new_events(history: Callable[..., History]) -> None:
    quiet = history(name="Amy")
    for day in ("01-10", "02-01", "02-20"):
        quiet.add(EventType.MISSING_EPISODE, at(day))
    busy = history(name="Beth")
    busy.add(EventType.MISSING_EPISODE, at("03-01"))
    busy.add(EventType.MISSING_EPISODE, at("03-05"))
    untouched = history(name="Cara")
    untouched.add(EventType.OTHER, at("01-01"))
    Rule.objects.filter(code="repeat-missing").update(enabled=True)  # shipped switched off (issue 15)
    first = scan_run()
    assert first.alerts_raised == 1
    busy.add(EventType.MISSING_EPISODE, at("03-09"))
    result = scan_run(incremental=True)
    assert result.scan.events_new == 1
    assert result.alerts_raised == 1
    assert Alert.objects.filter(rule__code="repeat-missing", person=busy.person).exists()
    # Only the child with a new event was read: three events, not everyone's history.
    assert result.scan.children_scanned == 1 and result.events == 3


def test_incremental_scan_links_a_new_sighting_to_a_child_alerted_before(history: Callable[..., History]) -> None:
    amy = history(name="Amy")
    for day in ("01-10", "02-01", "02-20"):
        amy.add(EventType.MISSING_EPISODE, at(day))
    amy.add(EventType.SEEN_IN_VEHICLE, at("02-21"), vehicle_registration="YA19ABC")
    # A missing episode with a place but no return home interview read: a partial history must
    # not make Beth look at risk.
    beth = history(name="Beth")
    beth.add(EventType.MISSING_EPISODE, at("03-01", 20), ended_at=at("03-02", 6), location_postcode="S65 1AB")
    beth.add(EventType.RETURN_HOME_INTERVIEW, at("03-03"), AgencyKind.COUNCIL)
    scan_run()
    chloe = history(name="Chloe")
    chloe.add(EventType.SEEN_IN_VEHICLE, at("03-15"), vehicle_registration="YA19ABC")
    dana = history(name="Dana")
    dana.add(EventType.MISSING_EPISODE, at("03-15", 20), ended_at=at("03-16", 6), location_postcode="S65 1AB")
    dana.add(EventType.RETURN_HOME_INTERVIEW, at("03-17"), AgencyKind.COUNCIL)
    result = scan_run(incremental=True)
    assert result.scan.children_scanned == 2
    linked = Alert.objects.filter(rule__code="linked-to-child-at-risk")
    assert {a.person for a in linked} == {chloe.person}


def test_events_after_the_moment_scanned_are_reported_not_used(history: Callable[..., History]) -> None:
    child = history()
    for day in ("01-10", "02-01", "02-20"):
        child.add(EventType.MISSING_EPISODE, at(day))
    result = scan_run(as_of=at("02-10"), rules=[Rule.objects.get(code="repeat-missing")])
    assert result.alerts_raised == 0
    assert result.scan.events_set_aside == 1


def test_adults_and_events_after_18_raise_nothing(history: Callable[..., History]) -> None:
    grown = history(dob="2007-01-01")  # 18 on 1 January 2025
    for day in ("01-10", "02-01", "02-20"):
        grown.add(EventType.MISSING_EPISODE, at(day))
    adult = history(name="Dan", dob="")
    Person.objects.filter(pk=adult.person.pk).update(role=PersonRole.ADULT)
    for day in ("01-10", "02-01", "02-20"):
        adult.add(EventType.MISSING_EPISODE, at(day))
    assert scan("repeat-missing") == []


def test_switched_off_rules_are_not_scanned(history: Callable[..., History]) -> None:
    child = history()
    for day in ("01-10", "02-01", "02-20"):
        child.add(EventType.MISSING_EPISODE, at(day))
    Rule.objects.filter(code="repeat-missing").update(enabled=False)
    scan_run(as_of=NOW)
    assert not Alert.objects.filter(rule__code="repeat-missing").exists()


def test_export_alerts_writes_the_spec_columns(history: Callable[..., History], tmp_path: Path) -> None:
    child = history()
    for day in ("01-10", "02-01", "02-20"):
        child.add(EventType.MISSING_EPISODE, at(day))
    scan("repeat-missing")
    out = tmp_path / "alerts.csv"
    assert export_alerts(out) == 1
    header, row = out.read_text(encoding="utf-8").splitlines()[:2]
    assert header.split(",") == ALERTS_COLUMNS
    assert row.startswith(f"A{Alert.objects.get().pk:06d},P{child.person.pk:07d},repeat-missing,high,2026-02-20T12:00:00+00:00")


def test_a_child_under_an_active_plan_is_not_alerted_again_but_the_evidence_is_added(
    history: Callable[..., History], make_user: Callable[..., Any]
) -> None:
    from safeguarding.accounts.models import Role
    from safeguarding.panel.services import panel_refer

    coordinator = make_user(Role.MACE_COORDINATOR, AgencyKind.COUNCIL)
    on_plan = history(name="Amy")
    no_plan = history(name="Beth")
    for child in (on_plan, no_plan):
        for day in ("01-10", "01-20", "01-30"):
            child.add(EventType.MISSING_EPISODE, at(day))
    scan("repeat-missing")
    first = Alert.objects.get(person=on_plan.person)
    panel_refer(child=on_plan.person, referred_by=coordinator, reason="Three episodes in January", alert=first)
    for child in (on_plan, no_plan):
        for day in ("05-10", "05-15", "05-20"):
            child.add(EventType.MISSING_EPISODE, at(day))
    scan("repeat-missing")
    assert Alert.objects.filter(person=on_plan.person).count() == 1
    assert Alert.objects.filter(person=no_plan.person).count() == 2
    first.refresh_from_db()
    assert len(evidence_of(first)) == 6
    assert first.status == "referred" and first.new_evidence_since_action is True
    assert "6 events recorded by Police agency" in first.explanation


def test_a_childs_open_plan_keeps_the_watch_after_the_referral_closes_and_its_closing_ends_it(
    history: Callable[..., History], make_user: Callable[..., Any]
) -> None:
    from safeguarding.mace.models import PlanOutcome
    from safeguarding.mace.services import plan_close, plan_open
    from safeguarding.panel.services import panel_refer, panel_referral_close

    coordinator = make_user(Role.MACE_COORDINATOR, AgencyKind.COUNCIL)
    child = history(name="Amy")
    for day in ("01-10", "01-20", "01-30"):
        child.add(EventType.MISSING_EPISODE, at(day))
    [first] = scan("repeat-missing")
    referral = panel_refer(child=child.person, referred_by=coordinator, reason="Three episodes in January", alert=first)
    plan = plan_open(acting_user=coordinator, child=child.person)
    panel_referral_close(referral=referral, acting_user=coordinator, reason="Discussed; the plan takes it on")
    for day in ("05-10", "05-15", "05-20"):
        child.add(EventType.MISSING_EPISODE, at(day))
    scan("repeat-missing")
    assert Alert.objects.filter(person=child.person).count() == 1  # the plan keeps the watch
    assert len(evidence_of(first)) == 6
    plan_close(acting_user=coordinator, plan=plan, outcome=PlanOutcome.RISK_REDUCED, reason="Risk reduced")
    for day in ("09-10", "09-15", "09-20"):
        child.add(EventType.MISSING_EPISODE, at(day))
    scan("repeat-missing")
    assert Alert.objects.filter(person=child.person).count() == 2  # neither open: the rule alerts again


def test_the_scan_command_reports_and_refuses_bad_dates(history: Callable[..., History], tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    child = history()
    for day in ("01-10", "02-01", "02-20"):
        child.add(EventType.MISSING_EPISODE, at(day))
    Rule.objects.filter(code="repeat-missing").update(enabled=True)  # shipped switched off (issue 15)
    call_command("scan", as_of="2026-02-19", quiet=True)
    assert not Alert.objects.exists()  # the third episode was not known yet
    call_command("scan", as_of="2026-02-20", quiet=True)
    assert Alert.objects.filter(rule__code="repeat-missing").count() == 1
    for bad, message in (
        ("2026-02-30", "is not a date"),
        ("yesterday", "is not a date"),
        ("2999-01-01", "must not be in the future"),
        ("0001-01-01", "must be 1900-01-01 or later"),
        ("1899-12-31T23:59", "must be 1900-01-01 or later"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("scan", as_of=bad, quiet=True)
    with pytest.raises(CommandError, match="incremental"):
        call_command("scan", as_of="2026-02-20", incremental=True, quiet=True)
    out = StringIO()
    call_command("export", "alerts", out=tmp_path / "alerts.csv", stdout=out)
    assert "Wrote 1 rows" in out.getvalue()


def test_an_alert_follows_its_child_into_the_person_linkage_joined_them_to(history: Callable[..., History]) -> None:
    child = history()
    for day in ("01-10", "02-01", "02-20"):
        child.add(EventType.MISSING_EPISODE, at(day))
    [alert] = scan("repeat-missing")
    older = PersonFactory(given_name="Chloe")
    merge(child.person, into=older)
    assert scan("repeat-missing") == [alert]
    alert.refresh_from_db()
    # Nothing is moved on a merge: the alert is read as the child's through their identity.
    assert identity.current(alert.person) == older
    assert list(alerts_for_person(user=UserFactory(role=Role.MACE_COORDINATOR), person=older)) == [alert]


def test_one_event_linking_a_child_to_two_children_at_risk_is_one_alert_naming_both(
    history: Callable[..., History],
) -> None:
    """The sighting links the child to Amy and to Beth, both already alerted: the same event tips
    the rule twice at the same moment, which is one alert that names both."""
    amy, beth = history(name="Amy"), history(name="Beth")
    for other in (amy, beth):
        for day in ("02-01", "02-10", "02-20"):
            other.add(EventType.MISSING_EPISODE, at(day))
        other.add(EventType.SEEN_IN_VEHICLE, at("03-01"), vehicle_registration="YA19ABC")
    child = history(name="Chloe")
    sighting = child.add(EventType.SEEN_IN_VEHICLE, at("03-15"), vehicle_registration="YA19ABC")
    for _ in range(3):  # the grouping of equal moments must not depend on the order rows come in
        scan_run(as_of=NOW, rules=list(Rule.objects.filter(code__in=["repeat-missing", "linked-to-child-at-risk"])))
    [alert] = Alert.objects.filter(rule__code="linked-to-child-at-risk", person=child.person)
    assert alert.trigger_event == sighting
    assert f"P{amy.person.pk:07d}" in alert.explanation and f"P{beth.person.pk:07d}" in alert.explanation


def test_a_scan_that_fails_part_way_changes_nothing(history: Callable[..., History], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Alerts, their evidence and the scan's own record are written in one transaction: a failure
    while writing leaves the hub as it was (the next scan finds the same firings again)."""
    from safeguarding.earlywarning import scan as scan_module
    from safeguarding.earlywarning.models import ScanRun

    child = history()
    for day in ("01-10", "02-01", "02-20"):
        child.add(EventType.MISSING_EPISODE, at(day))

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(scan_module, "audit_record", fail)
    with pytest.raises(RuntimeError):
        scan("repeat-missing")
    assert not Alert.objects.exists() and not AlertEvidence.objects.exists() and not ScanRun.objects.exists()
    monkeypatch.undo()
    assert len(scan("repeat-missing")) == 1


# --- a worker deals with an alert while a scan adds to it -----------------------------------------


@contextmanager
def once_the_scan_has_read_the_alert(then: Callable[[], Any]) -> Iterator[list[bool]]:
    """Run ``then`` (a worker's decision, committed) after the scan reads the alerts it adds to and
    before it writes them."""
    read, done = [], []

    def between(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if read and not done:
            done.append(True)
            then()
        result = execute(sql, params, many, context)
        if not read and sql.startswith("SELECT") and 'FROM "earlywarning_alert" WHERE "earlywarning_alert"."id" IN' in sql:
            read.append(True)
        return result

    with connection.execute_wrapper(between):
        yield done


def test_an_alert_dismissed_while_a_scan_adds_to_it_comes_back_with_the_new_evidence(
    history: Callable[..., History], make_user: Callable[..., Any]
) -> None:
    child = history()
    for day in ("01-10", "02-01", "02-20"):
        child.add(EventType.MISSING_EPISODE, at(day))
    [alert] = scan("repeat-missing")
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    fourth = child.add(EventType.MISSING_EPISODE, at("03-01"))
    with once_the_scan_has_read_the_alert(
        lambda: alert_dismiss(alert=alert, acting_user=coordinator, reason="Known to the team, plan in place")
    ) as dismissed:
        scan("repeat-missing")
    assert dismissed
    alert.refresh_from_db()
    assert alert.status == "dismissed" and fourth.pk in evidence_of(alert)
    assert alert in alert_queue(user=coordinator)  # back in the queue, flagged as having new evidence
    assert alert.new_evidence_since_action


def test_an_alert_dealt_with_while_a_scan_rewrites_its_words_stays_out_of_the_queue(
    history: Callable[..., History], make_user: Callable[..., Any]
) -> None:
    rules = [Rule.objects.get(code="repeat-missing")]
    child = history()
    episodes = [child.add(EventType.MISSING_EPISODE, at(day), handling=Handling.SHAREABLE)
                for day in ("01-10", "02-01", "02-20")]
    scan_run(rules=rules)
    [alert] = Alert.objects.filter(person=child.person)
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    alert_dismiss(alert=alert, acting_user=coordinator, reason="Known to the team, plan in place")
    child.add(EventType.MISSING_EPISODE, at("03-01"))
    scan_run(rules=rules)
    alert.refresh_from_db()
    assert alert in alert_queue(user=coordinator)  # new evidence since it was dismissed
    # The police mark an episode C: the next scan writes the alert's words again, adding nothing. Meanwhile
    # the coordinator reads the new evidence and dismisses the alert again.
    Event.objects.filter(pk=episodes[1].pk).update(handling=Handling.CONDITIONS)
    with once_the_scan_has_read_the_alert(
        lambda: alert_dismiss(alert=alert, acting_user=coordinator, reason="Still known: the March episode too")
    ) as dismissed_again:
        scan_run(rules=rules)
    assert dismissed_again
    alert.refresh_from_db()
    assert alert.status_note == "Still known: the March episode too"
    assert "10 February" not in alert.explanation  # the words were written again
    assert alert not in alert_queue(user=coordinator)
