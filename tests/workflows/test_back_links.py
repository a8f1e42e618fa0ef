"""Back links on the pages a practitioner reaches from a list: each leads back to where this reader came
from, and never to a page the reader may not open."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.frontdoor.services import concern_raise
from safeguarding.panel.services import panel_refer
from tests.factories import AlertFactory, PersonFactory, sign_in

pytestmark = pytest.mark.django_db

BACK = re.compile(r'<a href="([^"]*)" class="govuk-back-link">([^<]*)</a>')


def _back(user: Any, url: str) -> tuple[str, str] | None:
    client = Client()
    sign_in(client, user)
    response = client.get(url)
    assert response.status_code == 200
    found = BACK.search(response.content.decode())
    return (found.group(1), found.group(2)) if found else None


def test_each_page_leads_back_to_the_list_this_reader_came_from(make_user) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.HEALTH)
    child = PersonFactory()
    concern = concern_raise(raised_by=referrer, child=child, seen_on=timezone.localdate(), description="Seen with men")
    concern_url = reverse("frontdoor:detail", args=[concern.pk])
    assert _back(triage, concern_url) == (reverse("frontdoor:queue"), "Back to the triage queue")
    assert _back(referrer, concern_url) == (reverse("frontdoor:mine"), "Back to my concerns")

    single_view = reverse("people:detail", args=[child.pk])
    assert _back(triage, f"{single_view}?from=concern-{concern.pk}") == (concern_url, "Back to the concern")
    assert _back(practitioner, single_view) == (reverse("people:search"), "Back to Find a person")

    alert = AlertFactory(person=child)
    alert_url = reverse("earlywarning:detail", args=[alert.pk])
    assert _back(coordinator, alert_url) == (reverse("earlywarning:queue"), "Back to alerts")
    # A lead practitioner reads the child's alerts from the single view, and does not work the queue.
    assert _back(practitioner, alert_url) == (single_view, "Back to the single view")

    referral = panel_refer(child=child, referred_by=coordinator, reason="Several agencies' concerns")
    assert _back(coordinator, reverse("panel:detail", args=[referral.pk])) == (
        reverse("panel:list"), "Back to panel referrals")
