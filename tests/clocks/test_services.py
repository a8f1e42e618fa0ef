"""Statutory clocks worked out from events and casework: started, due, met in time or late,
overdue; a late event corrects a clock and both states stay in its history; the export."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.clocks import engine
from safeguarding.clocks.exporters import export_clocks
from safeguarding.clocks.models import ClockChange, ClockKind, ClockStatus, StatutoryClock, StepKind
from safeguarding.clocks.services import casework_step_record, clocks_refresh, return_home_interview_record
from safeguarding.core.calendar import ENGLAND
from safeguarding.core.errors import ServiceError
from safeguarding.earlywarning.models import Rule
from safeguarding.exchange.exporters import export_persons
from safeguarding.mace.models import Escalation
from safeguarding.mace.services import escalations_run
from safeguarding.people.models import EventType
from safeguarding.workflows.scheduled import clocks_and_chasing
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory

pytestmark = pytest.mark.django_db


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-{day}T{hour:02d}:00").replace(tzinfo=ENGLAND)


@pytest.fixture
def systems(agencies):  # type: ignore[no-untyped-def]
    return {
        "police": SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE]),
        "council": SourceSystemFactory(code="council-social-care", agency=agencies[AgencyKind.COUNCIL]),
    }


def child_with_records(systems):  # type: ignore[no-untyped-def]
    child = PersonFactory()
    return (
        child,
        SourceRecordFactory(source_system=systems["police"], person=child),
        SourceRecordFactory(source_system=systems["council"], person=child),
    )


def clock_of(child, kind=ClockKind.RETURN_HOME_INTERVIEW):  # type: ignore[no-untyped-def]
    return StatutoryClock.objects.get(child=child, kind=kind)


def test_the_return_home_interview_rule_became_a_clock_and_its_history_is_kept() -> None:
    rule = Rule.objects.get(code="no-return-home-interview")
    assert rule.enabled is False
    assert "statutory clocks" in rule.versions.get(version=rule.version).change_note


def test_return_home_interview_met_in_time_late_and_overdue(systems) -> None:  # type: ignore[no-untyped-def]
    in_time, police, council = child_with_records(systems)
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 20),
                 ended_at=at("03-02", 6))
    EventFactory(source_record=council, event_type=EventType.RETURN_HOME_INTERVIEW, occurred_at=at("03-05", 5))
    late, police2, council2 = child_with_records(systems)
    EventFactory(source_record=police2, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 20),
                 ended_at=at("03-02", 6))
    EventFactory(source_record=council2, event_type=EventType.RETURN_HOME_INTERVIEW, occurred_at=at("03-05", 7))
    never, police3, _ = child_with_records(systems)
    EventFactory(source_record=police3, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 20),
                 ended_at=at("03-02", 6))
    result = clocks_refresh()
    assert result.created == 3
    first = clock_of(in_time)
    assert first.started_at == at("03-02", 6) and first.due_at == at("03-05", 6)
    assert first.status == ClockStatus.MET and first.met_at == at("03-05", 5)
    assert "Council" in first.met_by
    assert clock_of(late).status == ClockStatus.MET_LATE
    assert clock_of(never).status == ClockStatus.OVERDUE
    # Worked out again: nothing changes, nothing is duplicated.
    again = clocks_refresh()
    assert (again.created, again.changed) == (0, 0)
    assert StatutoryClock.objects.count() == 3


def test_an_interview_after_the_next_episode_began_belongs_to_that_episode(systems) -> None:  # type: ignore[no-untyped-def]
    child, police, council = child_with_records(systems)
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 20),
                 ended_at=at("03-02", 6), event_id="first")
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-03", 20),
                 ended_at=at("03-04", 6), event_id="second")
    EventFactory(source_record=council, event_type=EventType.RETURN_HOME_INTERVIEW, occurred_at=at("03-05", 9))
    clocks_refresh()
    clocks = {c.start_key: c for c in StatutoryClock.objects.filter(child=child)}
    assert len(clocks) == 2
    statuses = sorted(c.status for c in clocks.values())
    assert statuses == [ClockStatus.MET, ClockStatus.OVERDUE]


def test_a_late_import_corrects_an_overdue_clock_and_keeps_both_states(systems) -> None:  # type: ignore[no-untyped-def]
    child, police, council = child_with_records(systems)
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 20),
                 ended_at=at("03-02", 6))
    clocks_refresh()
    assert clock_of(child).status == ClockStatus.OVERDUE
    # The council's extract arrives later with the interview it held on time.
    EventFactory(source_record=council, event_type=EventType.RETURN_HOME_INTERVIEW, occurred_at=at("03-04", 10))
    result = clocks_refresh(incremental=True)
    assert result.changed == 1
    clock = clock_of(child)
    assert clock.status == ClockStatus.MET
    history = list(ClockChange.objects.filter(clock=clock).values_list("status_before", "status_after"))
    assert history == [(ClockStatus.OVERDUE, ClockStatus.MET)]  # it was overdue; now it is met


def test_a_corrected_return_time_moves_the_clocks_start_with_its_due_time(systems) -> None:  # type: ignore[no-untyped-def]
    """The police correct when a child came home: the due time moved, the start stayed, so the child's
    page read "started 2 March 06:00, due 6 March 18:00" (not 72 hours)."""
    child, police, _ = child_with_records(systems)
    episode = EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 20),
                           ended_at=at("03-02", 6))
    clocks_refresh()
    episode.ended_at = at("03-03", 18)
    episode.save(update_fields=["ended_at"])
    assert clocks_refresh().changed == 1
    clock = clock_of(child)
    assert (clock.started_at, clock.due_at) == (at("03-03", 18), at("03-06", 18))
    change = ClockChange.objects.get(clock=clock, due_before=at("03-05", 6))
    assert change.due_after == at("03-06", 18) and change.note == "Start and due date worked out again"
    assert clocks_refresh().changed == 0  # and it stays where it is


def test_a_missing_episode_the_police_marked_c_starts_no_clock_and_stays_with_the_police(  # type: ignore[no-untyped-def]
    make_user, systems, tmp_path: Path
) -> None:
    """An episode marked C stays with the police whatever its type: no clock on the single view, the
    work lists, the figures or clocks.csv tells anyone else when the child went missing and came
    back, and no interview is recorded against it. A clock started before the police so marked the
    episode is hidden from other agencies and not chased."""
    from django.test import Client
    from django.urls import reverse

    from safeguarding.clocks import selectors
    from safeguarding.mace.services import escalations_run
    from tests.factories import sign_in

    child, police, _ = child_with_records(systems)
    ended = timezone.now() - dt.timedelta(hours=100)
    episode = EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, handling="C",
                           occurred_at=ended - dt.timedelta(hours=30), ended_at=ended, detail="marked-c-episode")
    clocks_refresh()
    assert not StatutoryClock.objects.filter(child=child).exists()
    council = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    assert selectors.missing_episodes_for(user=council, person=child) == []
    with pytest.raises(ServiceError, match="Choose one of this child's missing episodes"):
        return_home_interview_record(acting_user=council, child=child, missing_episode=episode, outcome="held",
                                     held_at=timezone.now(), interviewer="Jo Green")
    form = sign_in(Client(), council).get(reverse("clocks:interview", args=[child.pk])).content.decode()
    assert ended.astimezone(ENGLAND).strftime("%-d %B %Y") not in form

    # Marked C only after its clock was started: hidden outside the police, left out of clocks.csv and
    # of the figures, and not escalated.
    episode.handling = ""
    episode.save(update_fields=["handling"])
    clocks_refresh()
    clock = clock_of(child)
    assert clock.status == ClockStatus.OVERDUE
    episode.handling = "C"
    episode.save(update_fields=["handling"])
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    assert selectors.clocks_for_person(user=officer, person=child) == [clock]
    assert selectors.clocks_for_person(user=council, person=child) == []
    assert sign_in(Client(), council).get(reverse("clocks:clock", args=[clock.pk])).status_code == 404
    export_clocks(tmp_path / "clocks.csv")
    assert f"{clock.pk}," not in (tmp_path / "clocks.csv").read_text()
    manager = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    assert selectors.interview_timeliness(user=manager) == []
    assert [e for e in escalations_run() if e.clock_id == clock.pk] == []


def test_an_interview_keeps_the_return_time_of_an_episode_the_police_later_marked_c_from_others(  # type: ignore[no-untyped-def]
    make_user, systems
) -> None:
    """The interview is the council's own casework and stays on its page; when the child came back from
    an episode the police have since marked C is theirs: neither the casework page nor the child's
    subject access bundle says it to anyone else."""
    from django.test import Client
    from django.urls import reverse

    from safeguarding.workflows.subject_access import casework
    from tests.factories import sign_in

    child, police, _ = child_with_records(systems)
    ended = timezone.now() - dt.timedelta(hours=30)
    episode = EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE,
                           occurred_at=ended - dt.timedelta(hours=10), ended_at=ended)
    clocks_refresh()
    council = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    return_home_interview_record(acting_user=council, child=child, missing_episode=episode, outcome="held",
                                 held_at=timezone.now(), interviewer="Jo Green", child_said="Stayed in town")
    returned = f"after the return of {ended.astimezone(ENGLAND):%-d %B %Y, %H:%M}"
    page = reverse("clocks:casework", args=[child.pk])
    assert returned in sign_in(Client(), council).get(page).content.decode()

    episode.handling = "C"
    episode.save(update_fields=["handling"])

    shown = sign_in(Client(), council).get(page).content.decode()
    assert "Stayed in town" in shown and "after the return of" not in shown
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    assert returned in sign_in(Client(), officer).get(page).content.decode()
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    [interview] = [i for i in casework(dpo, child).items if i.kind == "return_home_interview"]
    assert dict(interview.fields)["After the return of"] == ""


def test_what_met_a_clock_stays_with_the_police_once_they_mark_it_c(  # type: ignore[no-untyped-def]
    make_user, systems, tmp_path: Path
) -> None:
    """A clock met by a police record of an interview keeps the words written then ("recorded by <the
    police> (event N)"), on the clock and in its history. Once the police mark that record C, readers
    outside the police see the clock as if it had never met it (not met, no words, no change that tells
    of it), on the clock's page, the single view and clocks.csv, before and after the clocks are worked
    out again; the police's casework staff still see what met it."""
    from django.test import Client
    from django.urls import reverse

    from safeguarding.clocks import selectors
    from tests.factories import sign_in

    child, police, council = child_with_records(systems)
    EventFactory(source_record=council, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 20),
                 ended_at=at("03-02", 6))
    clocks_refresh()
    interview = EventFactory(source_record=police, event_type=EventType.RETURN_HOME_INTERVIEW,
                             occurred_at=at("03-04", 10))
    clocks_refresh(children=[child.pk])
    clock = clock_of(child)
    words = f"recorded by {systems['police'].agency.name} (event {interview.pk})"
    assert clock.status == ClockStatus.MET and words in clock.met_by
    council_worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    page = reverse("clocks:clock", args=[clock.pk])

    def seen(user):  # type: ignore[no-untyped-def]
        [shown] = selectors.clocks_for_person(user=user, person=child)
        return shown.status, shown.met_at, sign_in(Client(), user).get(page).content.decode()

    def exported() -> list[str]:
        export_clocks(tmp_path / "clocks.csv")
        [row] = [r for r in csv.DictReader((tmp_path / "clocks.csv").open()) if r["clock_id"] == str(clock.pk)]
        return [row["met_at"], row["status"]]

    status, met_at, shown = seen(council_worker)  # shared while the police mark it no more than P
    assert (status, met_at) == (ClockStatus.MET, at("03-04", 10)) and words in shown
    assert exported()[1] == "met"

    interview.handling = "C"
    interview.save(update_fields=["handling"])
    for worked_out_again in (False, True):
        if worked_out_again:
            clocks_refresh()
        status, met_at, shown = seen(council_worker)
        assert (status, met_at) == (ClockStatus.OVERDUE, None)
        assert words not in shown and f"event {interview.pk}" not in shown and "Met:" not in shown
        assert "no longer counts" not in shown and "Not yet" in shown
        assert exported() == ["", "open"]  # judged, as clocks.csv judges, when the data end: not yet due
        _, _, shown = seen(officer)
        assert words in shown  # the police still see what met it, in its history at least
    assert "no longer counts" in shown
    assert clock_of(child).status == ClockStatus.OVERDUE


def test_a_practitioner_records_a_return_home_interview(make_user, systems) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(role=Role.SUPPORT_WORKER, agency_kind=AgencyKind.VOLUNTARY)
    child, police, _ = child_with_records(systems)
    ended = timezone.now() - dt.timedelta(hours=30)
    episode = EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE,
                           occurred_at=ended - dt.timedelta(hours=10), ended_at=ended)
    clocks_refresh()
    assert clock_of(child).status == ClockStatus.OPEN
    with pytest.raises(ServiceError, match="Enter who held the interview"):
        return_home_interview_record(acting_user=worker, child=child, missing_episode=episode, outcome="held",
                                     held_at=timezone.now())
    return_home_interview_record(
        acting_user=worker, child=child, missing_episode=episode, outcome="held", held_at=timezone.now(),
        interviewer="Jo Green", child_said="Stayed with friends in town", places_named="Bus station",
    )
    clock = clock_of(child)
    assert clock.status == ClockStatus.MET and "recorded in the hub" in clock.met_by


def test_refusal_needs_a_reason_and_meets_the_clock(make_user, systems) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child, police, _ = child_with_records(systems)
    episode = EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE,
                           occurred_at=timezone.now() - dt.timedelta(hours=20),
                           ended_at=timezone.now() - dt.timedelta(hours=5))
    with pytest.raises(ServiceError, match="Give the reason no interview was held"):
        return_home_interview_record(acting_user=worker, child=child, missing_episode=episode, outcome="refused",
                                     held_at=timezone.now())
    return_home_interview_record(acting_user=worker, child=child, missing_episode=episode, outcome="refused",
                                 held_at=timezone.now(), reason_not_held="Declined to speak to anyone")
    assert clock_of(child).status == ClockStatus.MET


def test_strategy_discussion_starts_the_conference_clock_in_working_days(make_user, systems) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()
    # Thursday 18 December 2025: the 15 working days skip Christmas Day, Boxing Day and New Year's Day,
    # across the year's end.
    casework_step_record(acting_user=worker, child=child, kind=StepKind.STRATEGY_DISCUSSION,
                         occurred_at=dt.datetime(2025, 12, 18, 10, tzinfo=ENGLAND))
    clock = clock_of(child, ClockKind.INITIAL_CONFERENCE)
    assert clock.due_at.astimezone(ENGLAND).date() == dt.date(2026, 1, 13)
    assert clock.status == ClockStatus.OVERDUE
    casework_step_record(acting_user=worker, child=child, kind=StepKind.INITIAL_CONFERENCE, positive=False,
                         occurred_at=dt.datetime(2026, 1, 12, 10, tzinfo=ENGLAND))
    clock.refresh_from_db()
    assert clock.status == ClockStatus.MET
    assert ClockChange.objects.filter(clock=clock, status_before=ClockStatus.OVERDUE,
                                      status_after=ClockStatus.MET).exists()


def test_nrm_decisions_in_order_and_not_before_30_days(make_user, systems) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    child = PersonFactory()
    referred = timezone.now() - dt.timedelta(days=40)
    with pytest.raises(ServiceError, match="referral to the National Referral Mechanism first"):
        casework_step_record(acting_user=officer, child=child, kind=StepKind.NRM_REASONABLE_GROUNDS,
                             occurred_at=referred, positive=True)
    casework_step_record(acting_user=officer, child=child, kind=StepKind.NRM_REFERRAL, occurred_at=referred)
    casework_step_record(acting_user=officer, child=child, kind=StepKind.NRM_REASONABLE_GROUNDS,
                         occurred_at=referred + dt.timedelta(days=3), positive=True)
    with pytest.raises(ServiceError, match="cannot be made until 30 days after the reasonable grounds"):
        casework_step_record(acting_user=officer, child=child, kind=StepKind.NRM_CONCLUSIVE_GROUNDS,
                             occurred_at=referred + dt.timedelta(days=20), positive=True)
    assert clock_of(child, ClockKind.NRM_REASONABLE_GROUNDS).status == ClockStatus.MET
    assert clock_of(child, ClockKind.NRM_CONCLUSIVE_GROUNDS).status == ClockStatus.OPEN
    with pytest.raises(ServiceError, match="cannot be in the future"):
        casework_step_record(acting_user=officer, child=child, kind=StepKind.NRM_REFERRAL,
                             occurred_at=timezone.now() + dt.timedelta(days=2))


def test_referrers_cannot_record_casework(make_user) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError):
        casework_step_record(acting_user=make_user(role=Role.REFERRER), child=PersonFactory(),
                             kind=StepKind.STRATEGY_DISCUSSION, occurred_at=timezone.now())


def test_export_clocks_as_spec_says(systems, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    child, police, council = child_with_records(systems)
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 20),
                 ended_at=at("03-02", 6))
    EventFactory(source_record=council, event_type=EventType.RETURN_HOME_INTERVIEW, occurred_at=at("03-06", 9))
    clocks_refresh()
    rows = export_clocks(tmp_path / "clocks.csv")
    assert rows == 1
    with (tmp_path / "clocks.csv").open() as f:
        [row] = list(csv.DictReader(f))
    assert list(row) == ["clock_id", "person_id", "clock", "started_at", "due_at", "met_at", "status"]
    assert row["person_id"] == child.reference and row["clock"] == "return_home_interview"
    assert row["started_at"] == "2026-03-02T06:00:00+00:00" and row["status"] == "met_late"
    # The same person id persons.csv gives the child's records, so that the two files join.
    export_persons(tmp_path / "persons.csv")
    with (tmp_path / "persons.csv").open() as f:
        persons = {r["record_id"]: r["person_id"] for r in csv.DictReader(f)}
    assert persons[police.record_id] == persons[council.record_id] == row["person_id"]


def test_clocks_csv_holds_what_an_import_since_the_last_refresh_brought(systems, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An analyst imports an extract and exports clocks.csv at once, before the scheduled refresh: the
    file holds the clocks the extract starts and meets. Before, it held the clocks as last worked out
    (nothing, or an interview the extract recorded still overdue)."""
    _, police, council = child_with_records(systems)
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 20),
                 ended_at=at("03-02", 6))
    EventFactory(source_record=police, event_type=EventType.POLICE_STOP, occurred_at=at("03-20"))
    export_clocks(tmp_path / "clocks.csv")
    with (tmp_path / "clocks.csv").open() as f:
        assert [r["status"] for r in csv.DictReader(f)] == ["overdue"]
    EventFactory(source_record=council, event_type=EventType.RETURN_HOME_INTERVIEW, occurred_at=at("03-04", 9))
    export_clocks(tmp_path / "clocks.csv")
    with (tmp_path / "clocks.csv").open() as f:
        assert [(r["status"], r["met_at"]) for r in csv.DictReader(f)] == [("met", "2026-03-04T09:00:00+00:00")]


def test_clocks_csv_is_not_judged_at_a_moment_only_the_police_hold(systems, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """clocks.csv judges each clock at the latest moment of the data; for a file read beyond the
    police that is the latest moment of what may go beyond them. Intelligence the police hold, dated
    after an interview fell due, would otherwise turn the clock overdue in the file, telling its
    readers that the police hold something of that date."""
    _, police, _ = child_with_records(systems)
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 20),
                 ended_at=at("03-02", 6))
    clocks_refresh()
    EventFactory(source_record=police, event_type=EventType.INTELLIGENCE, occurred_at=at("03-10"), handling="")
    EventFactory(source_record=police, event_type=EventType.POLICE_STOP, occurred_at=at("03-11"), handling="C")
    export_clocks(tmp_path / "clocks.csv")
    with (tmp_path / "clocks.csv").open() as f:
        [row] = list(csv.DictReader(f))
    assert row["status"] == "open"
    from safeguarding.audit.models import AuditEvent
    judged = AuditEvent.objects.filter(target_kind="clocks.csv").latest("pk").detail["judged_at"]
    assert judged == "2026-03-02T06:00:00+00:00"


def test_the_same_episode_recorded_by_two_agencies_is_met_by_one_interview(systems) -> None:  # type: ignore[no-untyped-def]
    child, police, council = child_with_records(systems)
    # The police and the council both record the one time the child went missing, minutes apart.
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 10),
                 ended_at=at("03-01", 20), event_id="police-episode")
    EventFactory(source_record=council, event_type=EventType.MISSING_EPISODE,
                 occurred_at=at("03-01", 10) + dt.timedelta(minutes=5), ended_at=at("03-01", 20),
                 event_id="council-episode")
    EventFactory(source_record=council, event_type=EventType.RETURN_HOME_INTERVIEW, occurred_at=at("03-02", 15))
    clocks_refresh()
    clocks = StatutoryClock.objects.filter(child=child, kind=ClockKind.RETURN_HOME_INTERVIEW)
    assert sorted(c.status for c in clocks) == [ClockStatus.MET, ClockStatus.MET]


def test_a_step_dated_the_day_a_clock_started_meets_it(make_user, systems) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()
    casework_step_record(acting_user=worker, child=child, kind=StepKind.STRATEGY_DISCUSSION,
                         occurred_at=dt.datetime(2025, 12, 1, 15, tzinfo=ENGLAND))
    # Steps are recorded by the day (the form keeps noon): the conference held that same day meets it.
    casework_step_record(acting_user=worker, child=child, kind=StepKind.INITIAL_CONFERENCE, positive=False,
                         occurred_at=dt.datetime(2025, 12, 1, 12, tzinfo=ENGLAND))
    assert clock_of(child, ClockKind.INITIAL_CONFERENCE).status == ClockStatus.MET


def test_nrm_days_are_counted_by_the_calendar_across_a_change_of_the_clocks(make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    child = PersonFactory()
    noon = dt.time(12, 0)  # what the form records for a date
    casework_step_record(acting_user=officer, child=child, kind=StepKind.NRM_REFERRAL,
                         occurred_at=dt.datetime.combine(dt.date(2025, 2, 24), noon, tzinfo=ENGLAND))
    casework_step_record(acting_user=officer, child=child, kind=StepKind.NRM_REASONABLE_GROUNDS, positive=True,
                         occurred_at=dt.datetime.combine(dt.date(2025, 3, 1), noon, tzinfo=ENGLAND))
    with pytest.raises(ServiceError, match="on or after 31 March 2025"):
        casework_step_record(acting_user=officer, child=child, kind=StepKind.NRM_CONCLUSIVE_GROUNDS, positive=True,
                             occurred_at=dt.datetime.combine(dt.date(2025, 3, 30), noon, tzinfo=ENGLAND))
    # British Summer Time began on 30 March; the 30th day after is still 31 March.
    casework_step_record(acting_user=officer, child=child, kind=StepKind.NRM_CONCLUSIVE_GROUNDS, positive=True,
                         occurred_at=dt.datetime.combine(dt.date(2025, 3, 31), noon, tzinfo=ENGLAND))
    clock = clock_of(child, ClockKind.NRM_CONCLUSIVE_GROUNDS)
    assert clock.status == ClockStatus.MET
    # Due by the end of the 45th day in England's calendar, not 45 times 24 hours later.
    assert clock.due_at == dt.datetime(2025, 4, 15, 23, 59, 59, tzinfo=ENGLAND)


def test_a_decision_that_no_conference_is_needed_meets_the_conference_clock(make_user) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()
    noon = dt.time(12, 0)
    with pytest.raises(ServiceError, match="Record the strategy discussion first"):
        casework_step_record(acting_user=worker, child=child, kind=StepKind.NO_CONFERENCE, note="No s47",
                             occurred_at=dt.datetime.combine(dt.date(2025, 12, 1), noon, tzinfo=ENGLAND))
    casework_step_record(acting_user=worker, child=child, kind=StepKind.STRATEGY_DISCUSSION,
                         occurred_at=dt.datetime.combine(dt.date(2025, 12, 1), noon, tzinfo=ENGLAND))
    assert clock_of(child, ClockKind.INITIAL_CONFERENCE).status == ClockStatus.OVERDUE
    with pytest.raises(ServiceError, match="Give the reason no conference is needed"):
        casework_step_record(acting_user=worker, child=child, kind=StepKind.NO_CONFERENCE,
                             occurred_at=dt.datetime.combine(dt.date(2025, 12, 5), noon, tzinfo=ENGLAND))
    # The section 47 enquiry found the child safe at home: no conference, and the clock is not left
    # overdue for ever.
    casework_step_record(acting_user=worker, child=child, kind=StepKind.NO_CONFERENCE,
                         note="Section 47 enquiry concluded: concerns not substantiated",
                         occurred_at=dt.datetime.combine(dt.date(2025, 12, 5), noon, tzinfo=ENGLAND))
    clock = clock_of(child, ClockKind.INITIAL_CONFERENCE)
    assert clock.status == ClockStatus.MET
    assert clock.met_by.startswith("Decided no initial child protection conference is needed recorded by")


def test_a_child_protection_plan_starts_its_core_group_and_review_conference_clocks(make_user, systems, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()

    def record(kind: str, day: dt.date, positive: bool | None = None) -> None:
        casework_step_record(acting_user=worker, child=child, kind=kind, positive=positive,
                             occurred_at=dt.datetime.combine(day, dt.time(11), tzinfo=ENGLAND))

    def clocks(kind: str) -> list[StatutoryClock]:
        return list(StatutoryClock.objects.filter(child=child, kind=kind).order_by("started_at"))

    def due(clock: StatutoryClock) -> dt.date:
        return clock.due_at.astimezone(ENGLAND).date()

    record(StepKind.STRATEGY_DISCUSSION, dt.date(2025, 11, 10))
    with pytest.raises(ServiceError, match="Say whether the child is subject to a child protection plan"):
        record(StepKind.INITIAL_CONFERENCE, dt.date(2025, 11, 28))
    with pytest.raises(ServiceError, match="Record the conference that made the child protection plan first"):
        record(StepKind.CORE_GROUP, dt.date(2025, 11, 28))
    # Friday 28 November 2025: the core group is due 10 working days on, on Friday 12 December; the
    # first review conference within 3 months, by 28 February 2026.
    record(StepKind.INITIAL_CONFERENCE, dt.date(2025, 11, 28), positive=True)
    [core_group] = clocks(ClockKind.CORE_GROUP)
    [first_review] = clocks(ClockKind.REVIEW_CONFERENCE)
    assert due(core_group) == dt.date(2025, 12, 12) and core_group.status == ClockStatus.OVERDUE
    assert due(first_review) == dt.date(2026, 2, 28) and first_review.status == ClockStatus.OVERDUE
    record(StepKind.CORE_GROUP, dt.date(2025, 12, 11))
    core_group.refresh_from_db()
    assert core_group.status == ClockStatus.MET and "Core group meeting held" in core_group.met_by
    # The review keeps the plan: it meets the first review clock and starts the next, 6 months on.
    record(StepKind.REVIEW_CONFERENCE, dt.date(2026, 2, 20), positive=True)
    first_review.refresh_from_db()
    assert first_review.status == ClockStatus.MET
    first, second = clocks(ClockKind.REVIEW_CONFERENCE)
    assert first == first_review and due(second) == dt.date(2026, 8, 20)
    # A review that ends the plan meets its clock, late, and starts none.
    record(StepKind.REVIEW_CONFERENCE, dt.date(2026, 8, 24), positive=False)
    assert [c.status for c in clocks(ClockKind.REVIEW_CONFERENCE)] == [ClockStatus.MET, ClockStatus.MET_LATE]
    assert len(clocks(ClockKind.CORE_GROUP)) == 1
    # clocks.csv holds the kinds SPEC.md names: the conference clock, not the plan's own.
    export_clocks(tmp_path / "clocks.csv")
    with (tmp_path / "clocks.csv").open() as f:
        assert [r["clock"] for r in csv.DictReader(f)] == ["initial_child_protection_conference"]


def test_a_conference_that_makes_no_plan_starts_no_further_clock(make_user) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()
    casework_step_record(acting_user=worker, child=child, kind=StepKind.STRATEGY_DISCUSSION, occurred_at=at("03-02"))
    casework_step_record(acting_user=worker, child=child, kind=StepKind.INITIAL_CONFERENCE, positive=False,
                         occurred_at=at("03-16"))
    assert list(StatutoryClock.objects.filter(child=child).values_list("kind", flat=True)) == [
        ClockKind.INITIAL_CONFERENCE
    ]
    with pytest.raises(ServiceError, match="Record the conference that made the child protection plan first"):
        casework_step_record(acting_user=worker, child=child, kind=StepKind.REVIEW_CONFERENCE, positive=True,
                             occurred_at=at("05-16"))


@pytest.mark.parametrize(("role", "agency_kind", "may"), [
    (Role.LEAD_PRACTITIONER, AgencyKind.COUNCIL, True),
    (Role.SUPPORT_WORKER, AgencyKind.VOLUNTARY, False),
    (Role.INTELLIGENCE_OFFICER, AgencyKind.POLICE, False),
    (Role.LEAD_PRACTITIONER, AgencyKind.HEALTH, False),
])
def test_only_childrens_social_care_records_the_steps_of_child_protection(  # type: ignore[no-untyped-def]
    make_user, role: str, agency_kind: str, may: bool
) -> None:
    """A strategy discussion starts the conference clock, and a conference makes or ends a child
    protection plan, by which health staff flag the child: no one outside the agency that leads them may
    record one, nor is offered it; every agency may record a visit."""
    from django.test import Client
    from django.urls import reverse

    from safeguarding.clocks.services import steps_recordable_by
    from tests.factories import sign_in

    user = make_user(role=role, agency_kind=agency_kind)
    child = PersonFactory()
    record = lambda: casework_step_record(  # noqa: E731
        acting_user=user, child=child, kind=StepKind.STRATEGY_DISCUSSION, occurred_at=timezone.now())
    if may:
        record()
        assert clock_of(child, ClockKind.INITIAL_CONFERENCE)
    else:
        with pytest.raises(ServiceError, match="recorded by children's social care"):
            record()
        assert not StatutoryClock.objects.filter(child=child).exists()
    assert (StepKind.INITIAL_CONFERENCE in steps_recordable_by(user)) == may
    assert StepKind.VISIT in steps_recordable_by(user)
    form = sign_in(Client(), user).get(reverse("clocks:step", args=[child.pk])).content.decode()
    assert ('value="review_child_protection_conference"' in form) == may and 'value="visit"' in form


# --- a practitioner records an interview while the scheduled refresh runs -------------------------


def _episode_ended_hours_ago(systems, hours: int):  # type: ignore[no-untyped-def]
    child, police, _ = child_with_records(systems)
    ended = timezone.now() - dt.timedelta(hours=hours)
    episode = EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE,
                           occurred_at=ended - dt.timedelta(hours=10), ended_at=ended)
    return child, episode


def _interview_once_the_facts_are_read(monkeypatch, worker, child, episode) -> None:  # type: ignore[no-untyped-def]
    """The scheduled refresh reads what the events say; before it writes, a practitioner records the
    child's return home interview (its own refresh meets the clock and commits)."""
    read = engine.all_facts
    recorded: list[bool] = []

    def then_interview(children=None):  # type: ignore[no-untyped-def]
        facts = read(children)
        if not recorded:
            recorded.append(True)
            return_home_interview_record(acting_user=worker, child=child, missing_episode=episode, outcome="held",
                                         held_at=timezone.now(), interviewer="Jo Green")
        return facts

    monkeypatch.setattr(engine, "all_facts", then_interview)


def _met_by_the_interview(child) -> None:  # type: ignore[no-untyped-def]
    clock = clock_of(child)
    assert clock.status == ClockStatus.MET_LATE and clock.met_at is not None
    assert "recorded in the hub" in clock.met_by
    assert not clock.changes.filter(note__contains="no longer counts").exists()
    assert not Escalation.objects.filter(clock=clock).exists()


def test_an_interview_recorded_while_the_refresh_reads_keeps_the_overdue_clock_met(  # type: ignore[no-untyped-def]
    make_user, systems, monkeypatch
) -> None:
    worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child, episode = _episode_ended_hours_ago(systems, 80)
    clocks_refresh()
    assert clock_of(child).status == ClockStatus.OVERDUE
    _interview_once_the_facts_are_read(monkeypatch, worker, child, episode)
    clocks_refresh()
    escalations_run()
    _met_by_the_interview(child)


def test_an_interview_recorded_while_the_first_scheduled_run_reads_keeps_the_new_clock_met(  # type: ignore[no-untyped-def]
    make_user, systems, monkeypatch
) -> None:
    worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child, episode = _episode_ended_hours_ago(systems, 80)
    _interview_once_the_facts_are_read(monkeypatch, worker, child, episode)
    clocks_and_chasing()  # the first run works out every clock, then chases what is overdue
    _met_by_the_interview(child)


def test_a_clock_met_while_the_refresh_turns_clocks_overdue_stays_met(  # type: ignore[no-untyped-def]
    make_user, systems, monkeypatch
) -> None:
    worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child, episode = _episode_ended_hours_ago(systems, 80)
    with monkeypatch.context() as earlier:
        earlier.setattr(timezone, "now", lambda: episode.ended_at + dt.timedelta(hours=10))
        clocks_refresh()
    assert clock_of(child).status == ClockStatus.OPEN
    # The next run has nothing new of the child: their clock is only judged by time. Between reading
    # the clocks whose time has passed and turning them overdue, the practitioner records the interview.
    picked, recorded = [], []

    def between(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if picked and not recorded:
            recorded.append(True)
            return_home_interview_record(acting_user=worker, child=child, missing_episode=episode, outcome="held",
                                         held_at=timezone.now(), interviewer="Jo Green")
        result = execute(sql, params, many, context)
        if (not picked and sql.startswith("SELECT") and 'FROM "clocks_statutoryclock"' in sql
                and '"met_at" IS NULL' in sql and '"due_at" <' in sql):
            picked.append(True)
        return result

    with connection.execute_wrapper(between):
        clocks_refresh(incremental=True)
    assert recorded
    clock = clock_of(child)
    assert clock.status == ClockStatus.MET_LATE and "recorded in the hub" in clock.met_by
    assert [(c.status_before, c.status_after) for c in clock.changes.all()] == [("open", "met_late")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("whose", ["the child the refresh is changing", "another child"])
def test_an_interview_recorded_while_the_scheduled_refresh_holds_clocks_is_saved_and_meets_its_clock(
    make_user, systems, monkeypatch, whose  # type: ignore[no-untyped-def]
) -> None:
    """PostgreSQL: the scheduled refresh has locked the clocks it changes and is still working; a
    practitioner records an interview. Both finish, and the interview's clock is met. Before, the two
    took the clocks and the audit trail's head in opposite orders: the database found a deadlock and
    the practitioner got an error page."""
    from safeguarding.clocks import services as clock_services
    from tests.concurrently import postgresql_only, second_while_first_holds

    postgresql_only()
    worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    children = []
    for _ in range(2):
        child, police, _ = child_with_records(systems)
        ended = timezone.now() - dt.timedelta(hours=80)
        episode = EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE,
                               occurred_at=ended - dt.timedelta(hours=10), ended_at=ended)
        children.append((child, episode))
    clocks_refresh()
    StatutoryClock.objects.filter(child=children[0][0]).update(status=ClockStatus.OPEN)  # the next run changes it
    child, episode = children[0] if whose == "the child the refresh is changing" else children[1]
    locking = clock_services._lock_clocks

    def scheduled_refresh(held):  # type: ignore[no-untyped-def]
        def lock_then_hold(*args, **kwargs):  # type: ignore[no-untyped-def]
            rows = locking(*args, **kwargs)
            if not getattr(lock_then_hold, "held", False):
                lock_then_hold.held = True  # type: ignore[attr-defined]
                held()
            return rows

        monkeypatch.setattr(clock_services, "_lock_clocks", lock_then_hold)
        return clocks_refresh()

    interview = second_while_first_holds(scheduled_refresh, lambda: return_home_interview_record(
        acting_user=worker, child=child, missing_episode=episode, outcome="held", held_at=timezone.now(),
        interviewer="Jo Green"))
    assert interview.refused is None and interview.answer is not None
    assert clock_of(child).met_at is not None


def test_the_scheduled_run_starts_the_clocks_of_decisions_and_casework_made_since_it_last_ran(  # type: ignore[no-untyped-def]
    make_user,
) -> None:
    """A front-door decision of assessment made by any path (here the front door's own service, which
    works out no clock) starts its clock at the worker's next run, though no event came in; a run with
    nothing new after that changes nothing."""
    from safeguarding.frontdoor.models import DecisionOutcome
    from safeguarding.frontdoor.services import concern_raise, triage_decide

    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    concern = concern_raise(raised_by=school, child=PersonFactory(), seen_on=timezone.localdate(), description="x")
    clocks_and_chasing()  # the first run: every clock
    triage_decide(acting_user=triage, concern=concern, outcome=DecisionOutcome.ASSESSMENT)
    assert not StatutoryClock.objects.filter(kind=ClockKind.ASSESSMENT).exists()
    assert clocks_and_chasing()["clocks_created"] == 1
    clock = StatutoryClock.objects.get(child=concern.child, kind=ClockKind.ASSESSMENT)
    assert clock.status == ClockStatus.OPEN
    again = clocks_refresh(incremental=True)
    assert (again.created, again.changed) == (0, 0)


def test_an_incremental_run_that_finds_nothing_new_reads_no_events(systems, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The worker's run every 15 minutes on a quiet day reads neither the clocks nor the agencies'
    events (each read through Arrow costs most of a second on SQLite), yet still turns late clocks overdue."""
    from safeguarding.clocks import services

    child, police, _ = child_with_records(systems)
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=at("03-01", 20),
                 ended_at=timezone.now() - dt.timedelta(hours=1))
    clocks_refresh()
    StatutoryClock.objects.filter(child=child).update(due_at=timezone.now() - dt.timedelta(minutes=1))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("read the events though nothing was new")

    monkeypatch.setattr(services, "query_arrow", refuse)
    monkeypatch.setattr(engine, "query_arrow", refuse)
    result = clocks_refresh(incremental=True)
    assert (result.created, result.changed, result.turned_overdue) == (0, 0, 1)
    assert clock_of(child).status == ClockStatus.OVERDUE
