"""The front door's pages as users meet them: the triage queue and the decisions made, each a list
with its true count, pages, filters and (the queue) a CSV download; a referrer's own concerns."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.frontdoor.models import DecisionOutcome
from safeguarding.frontdoor.services import concern_raise, triage_decide
from tests.factories import PersonFactory, sign_in

pytestmark = pytest.mark.django_db


def test_triage_queue_and_decisions_are_lists_of_their_own(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LIST_PAGE_SIZE = 5
    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    nurse = make_user(role=Role.REFERRER, agency_kind=AgencyKind.HEALTH)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    concerns = [
        concern_raise(raised_by=school if n % 2 else nurse, child=PersonFactory(), seen_on=timezone.localdate(),
                      description=f"concern {n}", immediate_danger=n < 3)
        for n in range(13)
    ]
    for concern in concerns[:7]:
        triage_decide(acting_user=triage, concern=concern, outcome=DecisionOutcome.EARLY_HELP, reason="")
    client = sign_in(Client(), triage)

    page = client.get(reverse("frontdoor:queue"))
    assert page.context["waiting"].total == 6 and page.context["decided"].total == 7
    body = page.content.decode()
    assert "6 concerns awaiting a decision" in body and "7 decisions" in body
    second = client.get(reverse("frontdoor:queue"), {"decided-page": "2"})
    assert len(second.context["decided"].items) == 2 and second.context["waiting"].page == 1
    assert set(second.context["decided"].items).isdisjoint(page.context["decided"].items)

    from_school = client.get(reverse("frontdoor:queue"), {"agency": str(school.agency_id)})
    assert {c.agency_id for c in from_school.context["waiting"].items} == {school.agency_id}
    urgent = client.get(reverse("frontdoor:queue"), {"priority": "urgent"})
    assert urgent.context["waiting"].total == 0  # the three urgent ones were decided

    download = client.get(reverse("frontdoor:queue"), {"download": "csv"})
    lines = download.content.decode().strip().splitlines()
    assert lines[0].startswith("Concern,Urgent,Child's hub reference") and len(lines) == 7
    audit = AuditEvent.objects.get(event_type=AuditEventType.LIST_DOWNLOADED, target_id="triage queue")
    assert audit.detail["rows"] == 6 and len(audit.detail["persons"]) == 6


def test_a_referrer_pages_through_their_own_concerns(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LIST_PAGE_SIZE = 4
    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    for n in range(6):
        concern_raise(raised_by=school, child=PersonFactory(), seen_on=timezone.localdate(), description=f"c{n}")
    client = sign_in(Client(), school)
    first = client.get(reverse("frontdoor:mine"))
    assert "6 concerns" in first.content.decode() and len(first.context["concerns"].items) == 4
    assert len(client.get(reverse("frontdoor:mine"), {"page": "2"}).context["concerns"].items) == 2
    assert "download=csv" not in first.content.decode()
