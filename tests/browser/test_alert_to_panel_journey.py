"""From an early-warning alert to the exploitation panel in a real browser: a MACE coordinator
opens the alerts queue, reads an alert and the agencies' events behind it, refers the child to the
panel, and finds the child on the panel's list and the alert on the child's single view.
Every page on the way passes axe's WCAG 2.2 AA rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.core.calendar import ENGLAND
from safeguarding.earlywarning.models import AlertStatus
from safeguarding.panel.models import PanelReferral
from safeguarding.people.models import EventType
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import (
    AlertFactory,
    EventFactory,
    PersonFactory,
    RuleFactory,
    SourceRecordFactory,
    SourceSystemFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mace_coordinator_refers_a_child_from_an_alert_to_the_panel(page: Any, agencies: dict[str, Any]) -> None:
    UserFactory(
        username="mace.coordinator",
        first_name="Maria",
        last_name="Lee",
        role=Role.MACE_COORDINATOR,
        agency=agencies[AgencyKind.COUNCIL],
    )
    child = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth="2010-03-14")
    police = SourceRecordFactory(
        source_system=SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE]),
        record_id="NICHE-77812",
        person=child,
    )
    school = SourceRecordFactory(
        source_system=SourceSystemFactory(code="school-sims", agency=agencies[AgencyKind.EDUCATION]),
        record_id="SIMS-5521",
        person=child,
    )
    first = EventFactory(
        source_record=police,
        event_type=EventType.MISSING_EPISODE,
        occurred_at=dt.datetime(2026, 9, 12, 22, 15, tzinfo=ENGLAND),
        detail="Missing overnight, returned in a taxi",
    )
    absent = EventFactory(
        source_record=school,
        event_type=EventType.ABSENT_FROM_SCHOOL,
        occurred_at=dt.datetime(2026, 9, 14, 9, 0, tzinfo=ENGLAND),
        detail="Absent, no reason given",
    )
    last = EventFactory(
        source_record=police,
        event_type=EventType.MISSING_EPISODE,
        occurred_at=dt.datetime(2026, 9, 20, 23, 40, tzinfo=ENGLAND),
        detail="Found at a takeaway with adults",
    )
    rule = RuleFactory(
        name="Missing and out of school", description="Missing episodes with school absence.", level="high"
    )
    alert = AlertFactory(
        rule=rule,
        person=child,
        trigger_event=last,
        raised_at=last.occurred_at,
        explanation="2 missing episodes and 1 school absence within 30 days.",
        evidence=[first, absent],
    )

    sign_in(page, "mace.coordinator")
    assert_accessible(page)
    page.get_by_role("link", name="Alerts").first.click()
    expect(page.get_by_role("heading", name="Early-warning alerts")).to_be_visible()
    assert_accessible(page)
    row = page.get_by_role("row").filter(has_text=alert.reference)
    assert "High" in row.inner_text() and "Chloe Barker" in row.inner_text()
    assert "Missing and out of school" in row.inner_text()
    row.get_by_role("link", name=re.compile(alert.reference)).click()

    expect(page.get_by_role("heading", name="Missing and out of school")).to_be_visible()
    evidence = page.locator("#alert-evidence")
    for text in (
        "Missing overnight, returned in a taxi",
        "Absent, no reason given",
        "Found at a takeaway with adults",
        "12 September 2026, 22:15",
        agencies[AgencyKind.POLICE].name,
        agencies[AgencyKind.EDUCATION].name,
    ):
        expect(evidence).to_contain_text(text)
    assert_accessible(page)

    # The actions are closed until one is opened, one at a time.
    expect(page.get_by_role("button", name="Refer to the panel")).to_be_hidden()
    page.get_by_text("Dismiss it", exact=True).click()
    expect(page.get_by_role("button", name="Dismiss the alert")).to_be_visible()
    page.get_by_text("Refer the child to the panel", exact=True).click()
    expect(page.get_by_role("button", name="Dismiss the alert")).to_be_hidden()
    page.get_by_role("button", name="Refer to the panel").click()  # no reason: refused the GOV.UK way
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_role("link", name="Give the reason for referring the child to the panel")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Why refer the child to the panel?").fill(
        "Repeat missing, out of school, found with adults at a takeaway."
    )
    page.get_by_role("button", name="Refer to the panel").click()

    referral = PanelReferral.objects.get()
    expect(page.get_by_text(f"Chloe Barker referred to the panel ({referral.reference})")).to_be_visible()
    expect(page.get_by_role("heading", name="Panel referrals")).to_be_visible()
    row = page.locator("#panel-referrals").get_by_role("row").filter(has_text=referral.reference)
    assert "Chloe Barker" in row.inner_text() and alert.reference in row.inner_text()
    assert "Maria Lee" in row.inner_text()
    assert_accessible(page)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.REFERRED

    row.get_by_role("link", name=re.compile(referral.reference)).click()
    expect(page.locator("#referral-reason")).to_have_text("Repeat missing, out of school, found with adults at a takeaway.")
    expect(page.get_by_role("button", name="Close the referral")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Open Chloe Barker's single view").click()
    expect(page.get_by_role("heading", name="Chloe Barker")).to_be_visible()
    alerts = page.get_by_role("row").filter(has_text=alert.reference)
    assert "Referred to the panel" in alerts.inner_text()
    assert_accessible(page)

    # The panel's coordinator reviews what the agencies held before the referral (a page of Figures).
    page.get_by_role("link", name="Figures", exact=True).first.click()
    page.get_by_role("link", name="Missed opportunities").first.click()
    expect(page.get_by_role("heading", name="Missed opportunities")).to_be_visible()
    reviewed = page.locator(f"#missed-{child.pk}")
    expect(reviewed).to_contain_text("Chloe Barker")
    for text in ("12 September 2026", "Missing episode", "Absent from school", agencies[AgencyKind.POLICE].name):
        expect(reviewed).to_contain_text(text)
    expect(page.locator("#missed-by-agency")).to_contain_text(agencies[AgencyKind.EDUCATION].name)
    assert_accessible(page)


def test_dismissing_an_alert_asks_are_you_sure_first(page: Any, agencies: dict[str, Any]) -> None:
    UserFactory(username="mace.coordinator", role=Role.MACE_COORDINATOR, agency=agencies[AgencyKind.COUNCIL])
    alert = AlertFactory(person=PersonFactory(given_name="Chloe", family_name="Barker"))
    sign_in(page, "mace.coordinator")
    page.goto(f"/alerts/{alert.pk}/")
    page.get_by_text("Dismiss it", exact=True).click()
    page.get_by_label("Why dismiss the alert?").fill("Checked with the police: a recording error")
    page.get_by_role("button", name="Dismiss the alert").click()
    expect(page.get_by_role("heading", name="Are you sure you want to dismiss this alert?")).to_be_visible()
    expect(page.locator("#dismiss-reason")).to_have_text("Checked with the police: a recording error")
    assert_accessible(page)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    page.get_by_role("link", name="No, go back to the alert").click()  # Cancel: nothing changed
    expect(page.get_by_role("heading", name=alert.rule.name)).to_be_visible()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN

    page.get_by_text("Dismiss it", exact=True).click()
    page.get_by_label("Why dismiss the alert?").fill("Checked with the police: a recording error")
    page.get_by_role("button", name="Dismiss the alert").click()
    page.get_by_role("button", name="Yes, dismiss the alert").click()
    expect(page.get_by_text(f"Alert {alert.reference} dismissed")).to_be_visible()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DISMISSED and alert.status_note == "Checked with the police: a recording error"
