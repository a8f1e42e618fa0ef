"""Raising concerns and deciding them at the front door."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.calendar import ENGLAND
from safeguarding.core.errors import ServiceError
from safeguarding.frontdoor import selectors, services
from safeguarding.frontdoor.models import ConcernStatus, DecisionOutcome
from safeguarding.people.models import SourceRecord
from tests.factories import PersonFactory, merge, sign_in

pytestmark = pytest.mark.django_db


def _friday_afternoon(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    moment = dt.datetime(2026, 11, 20, 15, 0, tzinfo=ENGLAND)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def test_concern_is_due_by_end_of_next_working_day_and_audited(make_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _friday_afternoon(monkeypatch)
    referrer = make_user(role=Role.REFERRER)
    child = PersonFactory()
    concern = services.concern_raise(
        raised_by=referrer, child=child, seen_on=dt.date(2026, 11, 19), description="Seen in a car", indicators=["cars"]
    )
    assert concern.decision_due_at.astimezone(ENGLAND).date() == dt.date(2026, 11, 23)
    assert concern.status == ConcernStatus.AWAITING_DECISION and not concern.urgent
    audit = AuditEvent.objects.get(event_type=AuditEventType.CONCERN_RAISED)
    assert audit.actor == referrer and audit.person_id == child.pk and audit.target_id == str(concern.pk)


def test_immediate_danger_marks_the_concern_urgent_and_first_in_the_queue(make_user) -> None:  # type: ignore[no-untyped-def]
    referrer, triage = make_user(role=Role.REFERRER), make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    today = timezone.localdate()
    calm = services.concern_raise(raised_by=referrer, child=PersonFactory(), seen_on=today, description="worry")
    danger = services.concern_raise(
        raised_by=referrer, child=PersonFactory(), seen_on=today, description="in danger", immediate_danger=True
    )
    assert danger.urgent
    assert list(selectors.triage_queue(user=triage)) == [danger, calm]


def test_an_urgent_concern_is_sent_to_the_front_door_at_once_without_the_childs_name(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.notifications.models import Notification, NotificationKind

    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="mash@example.org")
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE)
    make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, is_active=False)  # left: not told
    bystanders = [make_user(role=role) for role in (Role.LEAD_PRACTITIONER, Role.PARTNERSHIP_MANAGER, Role.REFERRER)]
    child = PersonFactory(given_name="Chloe", family_name="Barker")
    services.concern_raise(raised_by=referrer, child=child, seen_on=timezone.localdate(), description="worry")
    assert not Notification.objects.exists()  # not urgent: the queue is enough
    danger = services.concern_raise(raised_by=referrer, child=child, seen_on=timezone.localdate(),
                                    description="Chloe Barker got into a car with two men", immediate_danger=True)
    told = Notification.objects.filter(kind=NotificationKind.CONCERN_URGENT)
    assert {n.recipient for n in told} == {triage, coordinator}
    assert not Notification.objects.filter(recipient__in=[referrer, *bystanders]).exists()
    note = told.get(recipient=triage)
    assert danger.reference in note.subject and "immediate danger" in note.body and "Chloe" not in note.body
    assert referrer.agency.name not in note.body  # the raising agency can say where the child was seen
    assert note.link == f"/concerns/{danger.pk}/"


def test_the_referrer_is_told_what_the_front_door_decided(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.notifications.models import Notification, NotificationKind

    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION, email="dsl@school.example.org")
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory(given_name="Chloe", family_name="Barker")
    concern = services.concern_raise(raised_by=referrer, child=child, seen_on=timezone.localdate(), description="x")
    services.triage_decide(acting_user=triage, concern=concern, outcome=DecisionOutcome.NO_FURTHER_ACTION,
                           reason="Chloe Barker is known to early help and safe at home")
    note = Notification.objects.get(kind=NotificationKind.CONCERN_DECIDED)
    assert note.recipient == referrer and concern.reference in note.subject
    assert "No further action" in note.body and "Chloe" not in note.body and "early help" not in note.body
    # A triage worker who raised and decided their own concern is not told what they did.
    own = services.concern_raise(raised_by=triage, child=child, seen_on=timezone.localdate(), description="y")
    services.triage_decide(acting_user=triage, concern=own, outcome=DecisionOutcome.EARLY_HELP)
    assert Notification.objects.filter(kind=NotificationKind.CONCERN_DECIDED).count() == 1


def test_a_concern_about_a_record_linkage_has_merged_is_the_older_persons_and_shows_in_their_view(make_user) -> None:  # type: ignore[no-untyped-def]
    """A worker with an old link (a page opened before the night's linkage) raises a concern about a
    person since merged into an older one: it is the older person's, whose single view shows it, as
    it does a concern left on the merged-away id."""
    from django.test import Client
    from django.urls import reverse

    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    older, newer = PersonFactory(), PersonFactory()
    left_behind = services.concern_raise(raised_by=referrer, child=newer, seen_on=timezone.localdate(),
                                         description="raised before linkage ran")
    merge(newer, into=older)

    concern = services.concern_raise(raised_by=referrer, child=newer, seen_on=timezone.localdate(),
                                     description="seen at the school gate with an older man")
    assert concern.child == older

    triage = Client()
    sign_in(triage, make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    body = triage.get(reverse("people:detail", args=[older.pk])).content.decode()
    assert concern.reference in body and left_behind.reference in body


def test_concern_needs_a_description_and_a_past_date(make_user) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user()
    with pytest.raises(ServiceError, match="Describe"):
        services.concern_raise(
            raised_by=referrer, child=PersonFactory(), seen_on=timezone.localdate(), description="  "
        )
    with pytest.raises(ServiceError, match="past"):
        services.concern_raise(
            raised_by=referrer,
            child=PersonFactory(),
            seen_on=timezone.localdate() + dt.timedelta(days=2),
            description="tomorrow",
        )


def test_no_further_action_needs_a_reason(make_user) -> None:  # type: ignore[no-untyped-def]
    concern = services.concern_raise(
        raised_by=make_user(), child=PersonFactory(), seen_on=timezone.localdate(), description="x"
    )
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    with pytest.raises(ServiceError, match="reason"):
        services.triage_decide(
            acting_user=triage, concern=concern, outcome=DecisionOutcome.NO_FURTHER_ACTION, reason=""
        )
    decision = services.triage_decide(
        acting_user=triage, concern=concern, outcome=DecisionOutcome.NO_FURTHER_ACTION, reason="Known, plan in place"
    )
    assert decision.reason == "Known, plan in place"
    assert decision.within_timescale


def test_a_concern_is_decided_once_and_the_decision_is_kept_with_its_time(make_user) -> None:  # type: ignore[no-untyped-def]
    concern = services.concern_raise(
        raised_by=make_user(), child=PersonFactory(), seen_on=timezone.localdate(), description="x"
    )
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    services.triage_decide(acting_user=triage, concern=concern, outcome=DecisionOutcome.MACE_REFERRAL)
    with pytest.raises(ServiceError, match="already"):
        services.triage_decide(acting_user=triage, concern=concern, outcome=DecisionOutcome.EARLY_HELP)
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.DECIDED and concern.decision.outcome == DecisionOutcome.MACE_REFERRAL
    assert AuditEvent.objects.filter(event_type=AuditEventType.TRIAGE_DECISION_RECORDED).count() == 1


def test_a_late_decision_is_recorded_as_outside_the_timescale(make_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _friday_afternoon(monkeypatch)
    concern = services.concern_raise(
        raised_by=make_user(), child=PersonFactory(), seen_on=dt.date(2026, 11, 20), description="x"
    )
    late = dt.datetime(2026, 11, 24, 9, 0, tzinfo=ENGLAND)  # Tuesday morning
    monkeypatch.setattr(timezone, "now", lambda: late)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    assert concern.is_overdue
    decision = services.triage_decide(acting_user=triage, concern=concern, outcome=DecisionOutcome.ASSESSMENT)
    assert not decision.within_timescale
    figures = selectors.front_door_figures(user=triage)
    assert (figures.decided, figures.decided_within_timescale, figures.percent_within_timescale) == (1, 0, 0)


def test_only_triage_roles_decide(make_user) -> None:  # type: ignore[no-untyped-def]
    concern = services.concern_raise(
        raised_by=make_user(), child=PersonFactory(), seen_on=timezone.localdate(), description="x"
    )
    lead = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    with pytest.raises(ServiceError):
        services.triage_decide(acting_user=lead, concern=concern, outcome=DecisionOutcome.EARLY_HELP)


def test_recording_a_new_child_creates_a_hub_record_of_the_referrers_agency(make_user) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user()
    child = services.person_record_new(
        acting_user=referrer,
        given_name="Amy",
        family_name="Stone",
        date_of_birth=dt.date(2011, 5, 2),
        postcode="s651ab",
    )
    record = SourceRecord.objects.get(person=child)
    assert record.source_system.agency == referrer.agency and record.source_system.is_hub
    assert (child.postcode, child.date_of_birth) == ("S65 1AB", "2011-05-02")
    with pytest.raises(ServiceError, match="NHS number"):
        services.person_record_new(
            acting_user=referrer, given_name="A", family_name="B", date_of_birth=None, nhs_number="123"
        )


def test_the_raise_token_only_works_for_the_user_it_was_made_for(make_user) -> None:  # type: ignore[no-untyped-def]
    alice, bob = make_user(), make_user()
    child = PersonFactory()
    token = selectors.raise_token(user=alice, person=child)
    assert selectors.child_for_raise_or_none(user=alice, token=token) == child
    assert selectors.child_for_raise_or_none(user=bob, token=token) is None
    assert selectors.child_for_raise_or_none(user=alice, token=str(child.pk)) is None


def test_a_raise_token_stops_working_once_the_child_is_sealed_from_its_user(make_user) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from safeguarding.accounts.models import AgencyKind
    from safeguarding.dataprotection.sealing import record_seal

    alice = make_user()
    child = PersonFactory()
    token = selectors.raise_token(user=alice, person=child)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=child, reason="A witness",
                    named_users=[make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)])
    assert selectors.child_for_raise_or_none(user=alice, token=token) is None


# --- what the concern form asks besides what was seen (issue 16) ---------------------------------------


def test_the_service_checks_the_context_again_and_stores_it(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.frontdoor.models import Concern

    referrer = make_user(role=Role.REFERRER)
    today = timezone.localdate()
    refused = [
        (services.ConcernContext(parents_told="no"), "parents_not_told_reason"),
        (services.ConcernContext(consent="refused"), "consent_reason"),
        (services.ConcernContext(consent="maybe"), "consent"),
        (services.ConcernContext(referrer_phone="call me"), "referrer_phone"),
        (services.ConcernContext(people_involved="x" * 2001), "people_involved"),
    ]
    for context, field in refused:
        with pytest.raises(ServiceError) as error:
            services.concern_raise(raised_by=referrer, child=PersonFactory(), seen_on=today, description="Seen",
                                   context=context)
        assert error.value.field == field
    with pytest.raises(ServiceError) as too_long:
        services.concern_raise(raised_by=referrer, child=PersonFactory(), seen_on=today, description="x" * 100_000)
    assert too_long.value.field == "description"
    assert not Concern.objects.exists()

    concern = services.concern_raise(
        raised_by=referrer, child=PersonFactory(), seen_on=today, description="Seen",
        context=services.ConcernContext(parents_told="yes", consent="given", vehicles_involved="  Silver Audi  ",
                                        referrer_phone="07700 900 982"),
    )
    concern.refresh_from_db()
    assert concern.vehicles_involved == "Silver Audi" and concern.consent == "given"
    assert concern.referrer_phone == "07700 900 982"


def test_a_new_child_must_be_born_and_under_18(make_user) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user(role=Role.REFERRER)
    today = timezone.localdate()
    for born, words in [(today + dt.timedelta(days=1), "must be in the past"), (dt.date(today.year - 18, 1, 1) - dt.timedelta(days=1), "under 18")]:
        with pytest.raises(ServiceError, match=words) as error:
            services.person_record_new(acting_user=referrer, given_name="Chloe", family_name="Barker", date_of_birth=born)
        assert error.value.field == "date_of_birth"
    child = services.person_record_new(acting_user=referrer, given_name="Chloe", family_name="Barker",
                                       date_of_birth=dt.date(today.year - 12, 7, 11))
    assert child.pk
