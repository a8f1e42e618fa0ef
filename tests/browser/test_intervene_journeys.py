"""Two journeys in a real browser, axe on every page: an agency safeguarding manager sees an
overdue action escalated to them; a practitioner records a return home interview, which meets the
child's clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.clocks.models import ClockStatus, StatutoryClock
from safeguarding.clocks.services import clocks_refresh
from safeguarding.mace.services import action_create, escalations_run, plan_open
from safeguarding.people.models import EventType
from tests.browser.conftest import assert_accessible
from tests.browser.conftest import sign_in as _sign_in
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agency_manager_sees_an_overdue_action_escalated(page: Any, agencies: dict[str, Any]) -> None:
    coordinator = UserFactory(role=Role.MACE_COORDINATOR, agency=agencies[AgencyKind.COUNCIL])
    officer = UserFactory(first_name="Claire", last_name="Booth", role=Role.INTELLIGENCE_OFFICER,
                          agency=agencies[AgencyKind.POLICE])
    UserFactory(username="police.manager", first_name="Ian", last_name="Moss", role=Role.AGENCY_MANAGER,
                agency=agencies[AgencyKind.POLICE])
    plan = plan_open(acting_user=coordinator, child=PersonFactory(given_name="Chloe", family_name="Barker"))
    action = action_create(acting_user=coordinator, plan=plan, description="Visit the takeaway with licensing",
                           owner=officer, due_on=timezone.localdate() + dt.timedelta(days=1))
    type(action).objects.filter(pk=action.pk).update(due_on=timezone.localdate() - dt.timedelta(days=10))
    escalations_run()

    _sign_in(page, "police.manager")
    assert_accessible(page)
    page.get_by_role("link", name="Our agency's work").first.click()
    expect(page.get_by_role("heading", name=f"{agencies[AgencyKind.POLICE].name}: our work")).to_be_visible()
    expect(page.locator("#work-actions")).to_contain_text("Overdue")
    expect(page.locator("#work-escalations")).to_contain_text(action.reference)
    expect(page.locator("#work-escalations")).to_contain_text("escalated to the agency's safeguarding manager")
    assert_accessible(page)
    page.locator("#work-escalations").get_by_role("link", name=action.reference).click()
    expect(page.locator("#action-status")).to_have_text("Overdue")
    expect(page.locator("#action-escalations")).to_contain_text("to the agency's safeguarding manager")
    assert_accessible(page)
    page.get_by_role("link", name="Messages sent to me").first.click()
    expect(page.locator("#messages")).to_contain_text(f"Action {action.reference} is overdue and has been escalated")
    assert "Chloe" not in page.locator("#messages").inner_text()
    assert_accessible(page)


def test_a_practitioner_records_a_return_home_interview(page: Any, agencies: dict[str, Any]) -> None:
    UserFactory(username="support.worker", first_name="Jo", last_name="Green", role=Role.SUPPORT_WORKER,
                agency=agencies[AgencyKind.VOLUNTARY])
    child = PersonFactory(given_name="Chloe", family_name="Barker")
    police = SourceRecordFactory(source_system=SourceSystemFactory(code="police-records",
                                                                   agency=agencies[AgencyKind.POLICE]), person=child)
    returned = timezone.now() - dt.timedelta(hours=20)
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE,
                 occurred_at=returned - dt.timedelta(hours=9), ended_at=returned)
    clocks_refresh()
    clock = StatutoryClock.objects.get()
    assert clock.status == ClockStatus.OPEN

    _sign_in(page, "support.worker")
    page.goto(f"/people/{child.pk}/")
    expect(page.locator("#clocks")).to_contain_text("Not yet due")
    assert_accessible(page)
    page.get_by_role("link", name="Record a return home interview").click()
    expect(page.get_by_role("heading", name="Record a return home interview")).to_be_visible()
    assert_accessible(page)
    page.locator("input[name=missing_episode]").first.check()
    page.get_by_label("Held", exact=True).check()
    page.get_by_role("button", name="Record the interview").click()  # no date or interviewer: refused
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    today = timezone.localdate()
    page.get_by_label("Day").fill(str(today.day))
    page.get_by_label("Month").fill(str(today.month))
    page.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Time").fill(timezone.localtime().strftime("%H:%M"))
    page.get_by_label("Who held it").fill("Jo Green, Eastwood Youth Outreach Project")
    page.get_by_label("What the child said").fill("Stayed with friends; an older man drove them to town")
    page.get_by_label("Places named").fill("Bus station, High Street takeaway")
    page.get_by_role("button", name="Record the interview").click()
    expect(page.get_by_text("Return home interview recorded")).to_be_visible()
    expect(page.locator("#clocks")).to_contain_text("Met in time")
    assert_accessible(page)
    clock.refresh_from_db()
    assert clock.status == ClockStatus.MET
    page.get_by_role("link", name="Read the casework recorded").click()
    expect(page.get_by_text("Stayed with friends; an older man drove them to town")).to_be_visible()
    expect(page.get_by_text("Bus station, High Street takeaway")).to_be_visible()
    assert_accessible(page)
