"""Recording casework from the child's page: what a practitioner sees when a step needs more."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.clocks.models import ClockKind, ClockStatus, StatutoryClock, StepKind
from tests.factories import PersonFactory, sign_in

pytestmark = pytest.mark.django_db


def test_a_practitioner_records_that_no_conference_is_needed_and_must_say_why(make_user) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()
    client = sign_in(Client(), worker)
    url = reverse("clocks:step", args=[child.pk])

    def record(kind: str, note: str = "") -> object:
        return client.post(url, {"kind": kind, "occurred_on_0": "1", "occurred_on_1": "12", "occurred_on_2": "2025",
                                 "positive": "", "note": note})

    assert "Decided no initial child protection conference is needed" in client.get(url).content.decode()
    assert record(StepKind.STRATEGY_DISCUSSION).status_code == 302
    refused = record(StepKind.NO_CONFERENCE).content.decode()
    assert "govuk-error-summary" in refused and "Give the reason no conference is needed" in refused
    assert record(StepKind.NO_CONFERENCE, "No section 47 enquiry: the discussion found no significant harm").status_code == 302
    clock = StatutoryClock.objects.get(child=child, kind=ClockKind.INITIAL_CONFERENCE)
    assert clock.status == ClockStatus.MET
    page = client.get(reverse("clocks:casework", args=[child.pk])).content.decode()
    assert "Decided no initial child protection conference is needed" in page and "no significant harm" in page


def test_a_practitioner_records_a_visit_with_what_the_child_said_and_it_starts_no_clock(make_user) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()
    client = sign_in(Client(), worker)
    url = reverse("clocks:step", args=[child.pk])
    assert "Visited the child, or did direct work with them" in client.get(url).content.decode()
    visit = {"kind": StepKind.VISIT, "occurred_on_0": "1", "occurred_on_1": "12", "occurred_on_2": "2025",
             "positive": ""}
    refused = client.post(url, {**visit, "note": ""}).content.decode()
    assert "govuk-error-summary" in refused and "Say what the child said, in their words, and what you saw" in refused
    said = "She said: 'I only go to the flat because they give me vapes.' Bedroom bare; new phone on the bed."
    assert client.post(url, {**visit, "note": said}).status_code == 302
    assert not StatutoryClock.objects.filter(child=child).exists()
    page = client.get(reverse("clocks:casework", args=[child.pk])).content.decode()
    assert "Visited the child, or did direct work with them" in page and "give me vapes" in page.replace("&#x27;", "'")


def test_a_practitioner_records_a_conference_that_makes_a_plan_and_sees_its_clocks(make_user) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()
    client = sign_in(Client(), worker)
    url = reverse("clocks:step", args=[child.pk])
    form = client.get(url).content.decode()
    assert "Core group meeting held" in form and "Review child protection conference held" in form
    day = {"occurred_on_0": "1", "occurred_on_1": "12", "occurred_on_2": "2025", "note": ""}
    assert client.post(url, {**day, "kind": StepKind.STRATEGY_DISCUSSION, "positive": ""}).status_code == 302
    refused = client.post(url, {**day, "kind": StepKind.INITIAL_CONFERENCE, "positive": ""}).content.decode()
    assert "Say whether the child is subject to a child protection plan" in refused
    assert client.post(url, {**day, "kind": StepKind.INITIAL_CONFERENCE, "positive": "yes"}).status_code == 302
    assert set(StatutoryClock.objects.filter(child=child).values_list("kind", flat=True)) == {
        ClockKind.INITIAL_CONFERENCE, ClockKind.CORE_GROUP, ClockKind.REVIEW_CONFERENCE,
    }
    casework = client.get(reverse("clocks:casework", args=[child.pk])).content.decode()
    assert "Initial child protection conference held (child protection plan)" in casework
    person = client.get(reverse("people:detail", args=[child.pk])).content.decode()
    assert "Core group within 10 working days of the conference" in person
    assert "<strong>Subject to a child protection plan</strong> since the conference on 1 December 2025" in person
    # The review conference ends the plan: the page says so, and when.
    review = {"occurred_on_0": "2", "occurred_on_1": "3", "occurred_on_2": "2026", "note": "",
              "kind": StepKind.REVIEW_CONFERENCE, "positive": "no"}
    assert client.post(url, review).status_code == 302
    person = client.get(reverse("people:detail", args=[child.pk])).content.decode()
    assert "Subject to a child protection plan" not in person
    assert ("A child protection plan, made at a conference on 1 December 2025, ended at the review conference on "
            "2 March 2026") in person


def test_health_staff_list_and_download_the_children_subject_to_a_child_protection_plan(make_user) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io

    from safeguarding.audit.models import AuditEvent, AuditEventType
    from safeguarding.clocks.services import casework_step_record
    from safeguarding.dataprotection.sealing import record_seal
    from safeguarding.people.models import Person

    social_worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    nurse = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.HEALTH)
    on_plan, ended, sealed = (PersonFactory(given_name=name) for name in ("Poppy", "Ruby", "Skye"))
    Person.objects.filter(pk=on_plan.pk).update(nhs_number="9434765919")
    day = dt.datetime(2025, 12, 1, 12, tzinfo=dt.UTC)
    for child in (on_plan, ended, sealed):
        casework_step_record(acting_user=social_worker, child=child, kind=StepKind.STRATEGY_DISCUSSION, occurred_at=day)
        casework_step_record(acting_user=social_worker, child=child, kind=StepKind.INITIAL_CONFERENCE, positive=True,
                             occurred_at=day + dt.timedelta(days=14))
    casework_step_record(acting_user=social_worker, child=ended, kind=StepKind.REVIEW_CONFERENCE, positive=False,
                         occurred_at=day + dt.timedelta(days=90))
    record_seal(acting_user=make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL),
                person=sealed, reason="Witness protection", named_users=[social_worker])
    client = sign_in(Client(), nurse)
    page = client.get(reverse("clocks:protection-plans")).content.decode()
    assert "Poppy" in page and "9434765919" in page and "15 December 2025" in page
    assert "Ruby" not in page  # the review ended her plan
    assert "Skye" not in page  # sealed from the nurse
    download = client.get(reverse("clocks:protection-plans"), {"download": "csv"})
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [(r["Child"], r["NHS number"], r["Subject to a child protection plan since"]) for r in rows] == [
        (on_plan.full_name, "9434765919", "2025-12-15")]
    assert AuditEvent.objects.filter(event_type=AuditEventType.LIST_DOWNLOADED, actor=nurse).exists()
    # The social worker named on the seal sees both children on plans.
    mine = sign_in(Client(), social_worker).get(reverse("clocks:protection-plans")).content.decode()
    assert "Poppy" in mine and "Skye" in mine
    referrer = sign_in(Client(), make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION))
    assert referrer.get(reverse("clocks:protection-plans")).status_code == 403


def test_a_visit_or_an_interview_sent_twice_is_recorded_once(make_user) -> None:  # type: ignore[no-untyped-def]
    """A double click, or the back button and send again: the same form's second send records nothing
    more and lands on the child's page saying so. A new page's form records a new step."""
    from django.utils import timezone

    from safeguarding.clocks.models import CaseworkStep, ReturnHomeInterview
    from safeguarding.people.models import EventType
    from tests.factories import EventFactory, SourceRecordFactory

    worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()
    client = sign_in(Client(), worker)
    url = reverse("clocks:step", args=[child.pk])
    token = client.get(url).context["form"]["once"].value()
    visit = {"kind": StepKind.VISIT, "occurred_on_0": "1", "occurred_on_1": "12", "occurred_on_2": "2025",
             "positive": "", "note": "Seen at home; she said little", "once": token}
    assert client.post(url, visit).status_code == 302
    again = client.post(url, visit, follow=True).content.decode()
    assert CaseworkStep.objects.filter(child=child).count() == 1
    assert "The step was already recorded: this page was sent twice, and it was done once" in again
    fresh = client.get(url).context["form"]["once"].value()
    assert fresh != token
    assert client.post(url, {**visit, "once": fresh}).status_code == 302
    assert CaseworkStep.objects.filter(child=child).count() == 2

    ended = timezone.now() - dt.timedelta(hours=20)
    episode = EventFactory(source_record=SourceRecordFactory(person=child), event_type=EventType.MISSING_EPISODE,
                           occurred_at=ended - dt.timedelta(hours=10), ended_at=ended)
    url = reverse("clocks:interview", args=[child.pk])
    form = client.get(url).context["form"]
    held = timezone.localdate()
    interview = {"missing_episode": form.fields["missing_episode"].choices[-1][0], "outcome": "held",
                 "held_on_0": held.day, "held_on_1": held.month, "held_on_2": held.year, "held_time": "00:01",
                 "interviewer": "Jo Green",
                 "once": form["once"].value()}
    first = client.post(url, interview)
    assert first.status_code == 302, first.content.decode()[:3000]
    assert "was already recorded" in client.post(url, interview, follow=True).content.decode()
    assert ReturnHomeInterview.objects.filter(child=child, missing_episode=episode).count() == 1
