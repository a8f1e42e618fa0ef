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


def test_police_intelligence_shared_with_another_agency_is_on_the_officers_record_of_sharing(make_user, agencies) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.contexts import services as contexts

    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    report = contexts.intelligence_record(
        acting_user=officer, observed_on=timezone.localdate(), source_evaluation="2", assessment="B", handling="C",
        handling_conditions="Council children's services only", sanitised_text="SANITISED-WORDS about a hotel",
        source_description="CHIS 46", persons=[PersonFactory()],
    )
    contexts.intelligence_disclose(acting_user=officer, report=report, to_agency=agencies[AgencyKind.COUNCIL],
                                   to_person="Jo Smith", purpose="Safety planning for the child",
                                   lawful_basis="dpa_sch1_18")
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    page = sign_in(Client(), dpo).get(reverse("dataprotection:disclosures")).content.decode()
    shared = page.split('id="shared"', 1)[1].split("</table>", 1)[0]
    assert report.reference in shared and "Safety planning for the child" in shared and "Jo Smith" in shared
    assert "SANITISED-WORDS" not in page and "CHIS" not in page
    # The overview's latest disclosures are the list's: the sharing is there too, by whom it went to.
    overview = sign_in(Client(), dpo).get(reverse("dataprotection:overview")).content.decode()
    latest = overview.split("Latest disclosures", 1)[1].split("</ul>", 1)[0]
    assert "None." not in latest and "Jo Smith" in latest
    assert "SANITISED-WORDS" not in overview and "CHIS" not in overview
