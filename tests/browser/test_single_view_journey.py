"""A triage worker opens a busy child's single view in a real browser: reads the summary and the last
two years by agency, filters the chronology by agency, pages it, and every page passes axe, at a
desktop's width and at a phone's, where nothing scrolls sideways."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.contexts import services
from safeguarding.people.models import EventType, PersonRole, Relationship, RelationshipType
from tests.browser.conftest import assert_accessible
from tests.browser.conftest import sign_in as _sign_in
from tests.factories import (
    AlertFactory,
    EventFactory,
    PersonFactory,
    SourceRecordFactory,
    SourceSystemFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 375])
def test_a_triage_worker_reads_a_childs_story_filters_and_pages_the_chronology(
    page: Any, agencies: dict[str, Any], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    UserFactory(username="triage.worker", first_name="Dawn", last_name="Hughes", role=Role.TRIAGE_WORKER,
                agency=agencies[AgencyKind.COUNCIL])
    police = SourceSystemFactory(code="police-niche", agency=agencies[AgencyKind.POLICE])
    school = SourceSystemFactory(code="school-sims", agency=agencies[AgencyKind.EDUCATION])
    health = SourceSystemFactory(code="nhs-ed", agency=agencies[AgencyKind.HEALTH])
    child = PersonFactory(given_name="Amber", family_name="Hill", date_of_birth="2011-05-09", sex="F")
    adult = PersonFactory(given_name="Tariq", family_name="Noon", role=PersonRole.ADULT, date_of_birth="1979-02-02")
    records = {s.code: SourceRecordFactory(source_system=s, person=child, record_id=f"{s.code}-1")
               for s in (police, school, health)}
    adult_record = SourceRecordFactory(source_system=police, person=adult, record_id="NICHE-9", role=PersonRole.ADULT)
    Relationship.objects.create(source_system=police, from_record=adult_record, to_record=records["police-niche"],
                                relationship=RelationshipType.ASSOCIATE)
    now = timezone.now()
    for i in range(60):
        EventFactory(source_record=records["police-niche"], event_type=EventType.MISSING_EPISODE,
                     occurred_at=now - dt.timedelta(days=11 * i + 1), location_name="Taxi rank, Station Road")
        EventFactory(source_record=records["school-sims"], event_type=EventType.ABSENT_FROM_SCHOOL,
                     occurred_at=now - dt.timedelta(days=9 * i + 2))
    EventFactory(source_record=records["nhs-ed"], event_type=EventType.AE_ATTENDANCE,
                 occurred_at=now - dt.timedelta(days=30))
    EventFactory(source_record=records["police-niche"], event_type=EventType.SEEN_IN_VEHICLE,
                 vehicle_registration="YA19ABC", occurred_at=now - dt.timedelta(days=5))
    AlertFactory(person=child)
    services.links_build(raise_alerts=False)

    _sign_in(page, "triage.worker")
    page.goto(f"/people/{child.pk}/")
    expect(page).to_have_title(re.compile("Amber Hill"))
    glance = page.locator("#at-a-glance")
    expect(glance).to_contain_text("1 open alert")
    expect(glance).to_contain_text("Tariq Noon")
    expect(glance).to_contain_text("YA19")
    expect(page.locator("#activity svg[role=img]")).to_be_visible()
    page.get_by_text("The same figures as a table").click()
    expect(page.locator("#activity-table")).to_contain_text("Police agency")
    expect(page.locator("#chronology")).to_contain_text("123 entries")  # with the alert's own trigger event
    assert_accessible(page)
    _no_sideways_scroll(page)
    if os.environ.get("SINGLE_VIEW_SCREENSHOT"):
        page.screenshot(path=f"{os.environ['SINGLE_VIEW_SCREENSHOT']}-{width}.png", full_page=True)

    # Filter by agency: the police's 61 entries, on two pages.
    page.locator("#chronology select[name=agency]").select_option(label="Police agency")
    page.locator("#chronology").get_by_role("button", name="Apply filters").click()
    expect(page.locator("#chronology")).to_contain_text("61 entries match the filters")
    expect(page.locator("#chronology-entries")).not_to_contain_text("Absent from school")
    assert_accessible(page)
    page.locator("#chronology nav.govuk-pagination").get_by_role("link", name="Next").click()
    expect(page.locator("#chronology")).to_contain_text("Page 2 of 2")
    assert page.locator("#chronology-entries .moj-timeline__item").count() == 11
    assert "agency=" in page.url and "page=2" in page.url
    assert_accessible(page)
    _no_sideways_scroll(page)


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
