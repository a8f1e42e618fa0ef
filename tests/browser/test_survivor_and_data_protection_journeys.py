"""Survivor support and data protection in a real browser, with axe on every page: a support worker
keeps a plan across an 18th birthday; the data protection officer completes a subject access request
with its redaction review; a practitioner breaks the glass on a sealed record and the data protection
officer reviews it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.dataprotection.models import BreakGlassAccess, SubjectAccessRequest
from safeguarding.dataprotection.sealing import record_seal
from safeguarding.people.models import EventType, PersonRole, RelationshipType
from safeguarding.support.models import PlanStage, SupportPlan
from safeguarding.support.services import support_plan_open
from tests.browser.conftest import assert_accessible, sign_in, sign_out
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_support_worker_keeps_a_plan_across_an_18th_birthday(page: Any, agencies: dict[str, Any]) -> None:
    worker = UserFactory(username="support.worker", first_name="Jo", last_name="Reid", role=Role.SUPPORT_WORKER,
                         agency=agencies[AgencyKind.VOLUNTARY])
    today = timezone.localdate()
    born = today.replace(year=today.year - 18) - dt.timedelta(days=2)  # 18 two days ago
    person = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth=born.isoformat())
    from django.db import transaction

    with transaction.atomic():
        plan = support_plan_open(acting_user=worker, person=person)
    # Opened while she was 17 (a year ago): a child's plan.
    SupportPlan.objects.filter(pk=plan.pk).update(stage=PlanStage.CHILD,
                                                  opened_at=timezone.now() - dt.timedelta(days=365))

    sign_in(page, "support.worker")
    page.goto("/support/")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Chloe Barker")).click()
    expect(page.locator("#transition")).to_contain_text("is due")
    assert_accessible(page)

    # Her words, recorded before the birthday's transition, stay with the plan after it.
    page.get_by_role("link", name="Record their words").click()
    assert_accessible(page)
    page.get_by_label("What helps").check()
    page.get_by_label("Their words").fill("Having the same worker every week, not someone new.")
    page.get_by_label("Day", exact=True).fill(str(today.day))
    page.get_by_label("Month", exact=True).fill(str(today.month))
    page.get_by_label("Year", exact=True).fill(str(today.year))
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#their-words")).to_contain_text("Having the same worker every week")

    page.get_by_role("link", name="Record the transition").click()
    assert_accessible(page)
    page.get_by_label("What changes for them, and who supports them now").fill(
        "Moves to the adult ISVA service; Jo stays her lead worker."
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#plan-summary")).to_contain_text("Adult")
    expect(page.locator("#plan-summary")).to_contain_text("Open")
    expect(page.locator("#transition")).to_contain_text("from child (under 18) to adult")
    expect(page.locator("#their-words")).to_contain_text("Having the same worker every week")
    assert_accessible(page)
    plan.refresh_from_db()
    assert plan.stage == PlanStage.ADULT and plan.is_open


def test_the_data_protection_officer_completes_a_subject_access_request(page: Any, agencies: dict[str, Any]) -> None:
    UserFactory(username="dpo", role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    council = SourceSystemFactory(code="council-care", agency=agencies[AgencyKind.COUNCIL])
    chloe = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth="2004-03-14")
    record = SourceRecordFactory(source_system=council, record_id="CSC-1", person=chloe, given_name="Chloe",
                                 family_name="Barker")
    adult = SourceRecordFactory(source_system=council, record_id="CSC-2", given_name="Darren",
                                family_name="Hiddenadult", person=PersonFactory(given_name="Darren",
                                                                                family_name="Hiddenadult",
                                                                                role=PersonRole.ADULT))
    EventFactory(source_record=record, event_type=EventType.MISSING_EPISODE, detail="Missing overnight from home")
    from safeguarding.people.models import Relationship

    Relationship.objects.create(source_system=council, from_record=adult, to_record=record,
                                relationship=RelationshipType.SUSPECTED_PERPETRATOR)

    sign_in(page, "dpo")
    page.goto("/audit/requests/")
    assert_accessible(page)
    page.get_by_label("Person's hub reference").fill(chloe.reference)
    page.get_by_label("Who made the request").fill("Chloe Barker")
    page.get_by_label("Who they are to the person").fill("the person themselves")
    today = timezone.localdate()
    page.get_by_label("Day", exact=True).fill(str(today.day))
    page.get_by_label("Month", exact=True).fill(str(today.month))
    page.get_by_label("Year", exact=True).fill(str(today.year))
    page.get_by_role("button", name="Log the request").click()
    expect(page.locator("h1")).to_contain_text("SAR")
    assert_accessible(page)

    page.get_by_label("Day", exact=True).fill(str(today.day))
    page.get_by_label("Month", exact=True).fill(str(today.month))
    page.get_by_label("Year", exact=True).fill(str(today.year))
    page.get_by_label("How").fill("Passport seen at the council offices")
    page.get_by_role("button", name="Record identity verified").click()
    page.get_by_role("button", name="Assemble what the hub holds").click()
    expect(page.locator("#sar-counts")).to_contain_text("items assembled")
    assert_accessible(page)
    # The other adult is proposed for redaction; her own history never is.
    redactions = page.locator("#redactions")
    expect(redactions).to_contain_text("Hiddenadult")
    expect(redactions).not_to_contain_text("Missing overnight from home")
    page.get_by_role("button", name=re.compile("Accept all")).click()
    page.get_by_role("button", name="Produce the bundle").click()
    assert_accessible(page)
    page.get_by_label("Sent to").fill("Chloe Barker, by recorded post")
    page.get_by_label("Day", exact=True).fill(str(today.day))
    page.get_by_label("Month", exact=True).fill(str(today.month))
    page.get_by_label("Year", exact=True).fill(str(today.year))
    page.get_by_role("button", name="Record it as sent").click()
    assert_accessible(page)
    sar = SubjectAccessRequest.objects.get()
    assert not sar.is_open
    bundle = bytes(sar.bundle.data).decode()
    assert "Missing overnight from home" in bundle and "Hiddenadult" not in bundle


def test_break_glass_on_a_sealed_record_is_reviewed_by_the_data_protection_officer(
    page: Any, agencies: dict[str, Any]
) -> None:
    dpo = UserFactory(username="dpo", role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    named = UserFactory(username="named.worker", role=Role.LEAD_PRACTITIONER, agency=agencies[AgencyKind.COUNCIL])
    UserFactory(username="triage.council", role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.COUNCIL])
    witness = PersonFactory(given_name="Sealedwitness", family_name="Jones")
    from django.db import transaction

    with transaction.atomic():
        record_seal(acting_user=dpo, person=witness, reason="A witness in an open investigation",
                    named_users=[named])

    sign_in(page, "triage.council")
    response = page.goto(f"/people/{witness.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text("Sealedwitness")
    page.goto("/audit/break-glass/")
    assert_accessible(page)
    page.get_by_label("Person's hub reference").fill(witness.reference)
    page.get_by_label("Why do you need to open this record now?").fill(
        "A strategy discussion about her brother starts in ten minutes"
    )
    page.get_by_role("button", name="Open the record").click()
    expect(page.locator("h1")).to_contain_text("Sealedwitness")
    assert BreakGlassAccess.objects.filter(user__username="triage.council", reviewed_at__isnull=True).exists()
    sign_out(page)

    sign_in(page, "dpo")
    page.goto("/audit/overview/")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Review")).first.click()
    assert_accessible(page)
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Record the review").click()
    assert not BreakGlassAccess.objects.filter(reviewed_at__isnull=True).exists()
