"""Recording a disclosure outside the hub: what was shared, with whom, why, and by whom (DOMAIN.md)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.dataprotection.models import Disclosure
from tests.factories import PersonFactory, sign_in

pytestmark = pytest.mark.django_db


def test_a_disclosure_is_refused_without_why_and_says_who_shared_it(make_user) -> None:  # type: ignore[no-untyped-def]
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()
    client = sign_in(Client(), dpo)
    url = reverse("dataprotection:disclosures")
    today = timezone.localdate()
    posted = {"reference": child.reference, "recipient": "Northshire children's services",
              "what": "Chronology of missing episodes", "lawful_basis": "safeguarding",
              "disclosed_on_0": today.day, "disclosed_on_1": today.month, "disclosed_on_2": today.year,
              "purpose": "", "shared_by": ""}
    refused = client.post(url, posted).content.decode()
    assert "govuk-error-summary" in refused and "Say why it was shared" in refused
    assert not Disclosure.objects.exists()
    shared = {**posted, "purpose": "Strategy discussion in Northshire after she was found there",
              "shared_by": "Sam Patel, council social worker"}
    assert client.post(url, shared).status_code == 302
    disclosure = Disclosure.objects.get()
    assert disclosure.purpose.startswith("Strategy discussion") and disclosure.shared_by.startswith("Sam Patel")
    page = client.get(url).content.decode()
    assert "Strategy discussion in Northshire" in page and "Shared by Sam Patel, council social worker" in page
    row = AuditEvent.objects.get(event_type=AuditEventType.DISCLOSURE_RECORDED)
    assert row.person_id == child.pk and row.reason.startswith("Strategy discussion")
    assert row.detail["shared_by"] == "Sam Patel, council social worker"
