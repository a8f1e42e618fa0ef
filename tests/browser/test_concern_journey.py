"""The front-door journey in a real browser: a school's safeguarding lead raises a concern, a
triage worker sees it with its deadline and decides, and the school lead sees the outcome.
Every page on the way passes axe's WCAG 2.2 AA rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.core.calendar import ENGLAND
from safeguarding.frontdoor.models import Concern
from safeguarding.people.models import EventType
from tests.browser.conftest import assert_accessible, sign_in, sign_out
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_school_raises_triage_decides_school_sees_outcome(page: Any, agencies: dict[str, Any]) -> None:
    school = UserFactory(
        username="school.lead",
        first_name="Sarah",
        last_name="Khan",
        role=Role.REFERRER,
        agency=agencies[AgencyKind.EDUCATION],
    )
    UserFactory(
        username="triage.council",
        first_name="Dawn",
        last_name="Hughes",
        role=Role.TRIAGE_WORKER,
        agency=agencies[AgencyKind.COUNCIL],
    )
    child = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth="2010-03-14")
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    record = SourceRecordFactory(source_system=police, record_id="NICHE-77812", person=child)
    EventFactory(source_record=record, event_type=EventType.MISSING_EPISODE, detail="Reported missing by carer")
    assert school.pk

    # The school's safeguarding lead raises a concern.
    sign_in(page, "school.lead")
    assert_accessible(page)
    page.get_by_role("link", name="Raise a concern").first.click()
    assert_accessible(page)
    page.get_by_label("Last name").fill("Barker")
    page.get_by_label("Day").fill("14")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2010")
    page.get_by_role("button", name="Find the child").click()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Raise a concern about Chloe Barker")).click()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()  # empty: errors shown the GOV.UK way
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    seen = timezone.localdate() - dt.timedelta(days=1)
    page.get_by_label("Day").fill(str(seen.day))
    page.get_by_label("Month").fill(str(seen.month))
    page.get_by_label("Year").fill(str(seen.year))
    page.get_by_label("Where did it happen?").fill("Outside the school gates")
    page.get_by_label("What did you see or hear?").fill("Got into a silver car with an older man after school.")
    page.get_by_label("Getting into cars with unknown adults").check()
    page.get_by_label("An older 'boyfriend' or controlling adult").check()
    page.get_by_label("Vehicles involved (if any)").fill("Silver Audi YX12 ABC")
    page.get_by_role("group", name=re.compile("parents or carers been told")).get_by_label("No", exact=True).check()
    page.get_by_label("If not, why not?").fill("Her stepfather may be involved")
    page.get_by_label("Yes, consent was given").check()
    page.get_by_label("Your job title").fill("Head of year")
    page.get_by_label("Your phone number").fill("01632 960 001")
    page.get_by_role("button", name="Continue").click()
    # Check your answers: nothing is sent yet; "Change" goes back with every answer kept.
    expect(page.get_by_role("heading", name="Check your answers before sending your concern")).to_be_visible()
    assert_accessible(page)
    assert not Concern.objects.exists()
    expect(page.locator("#answer-seen_on")).to_have_text(seen.strftime(f"{seen.day} %B %Y"))
    page.get_by_role("link", name="Change where did it happen?").click()
    expect(page.get_by_label("Where did it happen?")).to_have_value("Outside the school gates")
    expect(page.get_by_label("If not, why not?")).to_have_value("Her stepfather may be involved")
    expect(page.get_by_label("Getting into cars with unknown adults")).to_be_checked()
    page.get_by_label("Where did it happen?").fill("Outside the school gates, Station Road")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#answer-location")).to_have_text("Outside the school gates, Station Road")
    page.get_by_role("button", name="Send concern").click()
    expect(page.get_by_role("heading", name="Concern sent")).to_be_visible()
    assert_accessible(page)
    concern = Concern.objects.get()
    assert concern.reference in page.content() and concern.vehicles_involved == "Silver Audi YX12 ABC"
    sign_out(page)

    # The triage worker sees it in the queue with its deadline, opens the single view, decides.
    sign_in(page, "triage.council")
    page.get_by_role("link", name="Triage queue").first.click()
    assert_accessible(page)
    row = page.get_by_role("row").filter(has_text=concern.reference)
    deadline = concern.decision_due_at.astimezone(ENGLAND).strftime("%-d %B %Y")
    assert deadline in row.inner_text()
    row.get_by_role("link", name=concern.reference).click()
    assert_accessible(page)
    expect(page.get_by_text("Silver Audi YX12 ABC")).to_be_visible()  # who else is involved, for triage
    concern_page = page.url
    missing = page.goto(f"/concerns/{concern.pk + 1000}/")  # an error page in the layout, with a way on
    assert missing is not None and missing.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Triage queue").first.click()
    page.goto(concern_page)
    page.get_by_role("link", name=re.compile("single view")).click()
    expect(page.get_by_role("heading", name="Chloe Barker")).to_be_visible()
    assert "Reported missing by carer" in page.content()
    assert "Got into a silver car" in page.content()
    assert_accessible(page)
    page.go_back()
    page.get_by_label("Referral to the exploitation panel (MACE)").check()
    page.get_by_label("Reason for the decision").fill("Pattern of missing and a car: panel to consider.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text(f"Decision recorded on concern {concern.reference}")).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    # The school lead sees what was decided.
    sign_in(page, "school.lead")
    page.get_by_role("link", name="My concerns").first.click()
    assert_accessible(page)
    row = page.get_by_role("row").filter(has_text=concern.reference)
    assert "Referral to the exploitation panel (MACE)" in row.inner_text()
    row.get_by_role("link", name=concern.reference).click()
    assert page.locator("#decision-outcome").inner_text().strip() == "Referral to the exploitation panel (MACE)"
    assert_accessible(page)
