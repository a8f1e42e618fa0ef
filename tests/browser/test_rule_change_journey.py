"""Changing an early-warning rule in a real browser: an administrator opens "Repeated missing
episodes" (shipped switched off), mistypes an event type (refused the GOV.UK way, nothing saved),
corrects it, lowers the count, tests the draft against history (in the background: the page shows
the test's progress and updates itself when it is done), and switches it on and saves it with a
change note as version 2.
Every page on the way passes axe's WCAG 2.2 AA rules."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.earlywarning import backtest
from safeguarding.earlywarning.models import Rule, RuleVersion
from safeguarding.people.models import EventType
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RULE = "Repeated missing episodes"


def test_administrator_changes_a_rule_after_testing_it_against_history(
    page: Any, agencies: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test against history pauses once it has read the history, until the page has shown that.
    reached_the_draft = threading.Event()
    carry_on = threading.Event()
    real_backtests = backtest.backtests

    def paused_backtests(*args: Any, on_stage: Any, **kwargs: Any) -> Any:
        def stage(number: int, events: int | None) -> None:
            on_stage(number, events)
            if number == 1:
                reached_the_draft.set()
                carry_on.wait(timeout=30)

        return real_backtests(*args, on_stage=stage, **kwargs)

    monkeypatch.setattr(backtest, "backtests", paused_backtests)
    UserFactory(
        username="hub.admin",
        first_name="Alex",
        last_name="Ward",
        role=Role.ADMINISTRATOR,
        agency=agencies[AgencyKind.COUNCIL],
    )
    # Two missing episodes (not enough for the rule as it is: 3), then a concern ten days later.
    child = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth="2010-03-14")
    police = SourceRecordFactory(
        source_system=SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE]), person=child
    )
    school = SourceRecordFactory(
        source_system=SourceSystemFactory(code="school-sims", agency=agencies[AgencyKind.EDUCATION]), person=child
    )
    now = timezone.now()
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=now - dt.timedelta(days=60))
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=now - dt.timedelta(days=50))
    EventFactory(
        source_record=school,
        event_type=EventType.CONCERN,
        occurred_at=now - dt.timedelta(days=40),
        detail="Safeguarding lead's concern",
    )
    rule = Rule.objects.get(name=RULE)
    assert (rule.version, rule.params["count"]) == (1, 3)

    sign_in(page, "hub.admin")
    page.get_by_role("link", name="Early-warning rules").first.click()
    expect(page.get_by_role("heading", name="Early-warning rules")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=RULE)).to_contain_text(
        "3 or more of: missing episode, within 90 days"
    )
    assert_accessible(page)
    page.get_by_role("link", name=RULE).click()
    expect(page.get_by_role("heading", name=RULE, level=1)).to_be_visible()
    expect(page.get_by_text("Version 1, code repeat-missing.")).to_be_visible()
    expect(page.get_by_label("Event types", exact=True)).to_have_value("missing_episode")
    expect(page.get_by_label("How many events")).to_have_value("3")
    assert_accessible(page)

    # A mistyped event type is refused, naming it; nothing is saved.
    page.get_by_label("Event types", exact=True).fill("missing_episodes")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    problem = "'missing_episodes' in event types is not an event type"
    expect(page.locator(".govuk-error-summary").get_by_role("link", name=problem)).to_be_visible()
    expect(page.locator("#id_event_types-error")).to_contain_text(problem)
    assert_accessible(page)
    page.locator(".govuk-error-summary").get_by_role("link", name=problem).click()
    expect(page.get_by_label("Event types", exact=True)).to_be_focused()
    rule.refresh_from_db()
    assert (rule.version, rule.params["event_types"], rule.params["count"]) == (1, ["missing_episode"], 3)
    assert RuleVersion.objects.filter(rule=rule).count() == 1

    # Corrected, the count lowered to 2, and tested against history: nothing saved yet.
    page.get_by_label("Event types", exact=True).fill("missing_episode")
    page.get_by_label("How many events").fill("2")
    page.get_by_role("button", name="Test against history").click()
    progress = page.locator("#backtest")
    expect(progress.get_by_role("heading", name="Testing the draft against history")).to_be_visible()
    assert reached_the_draft.wait(timeout=15)
    expect(page.locator("#bt-stage")).to_contain_text("Running Step 2 of 3: Testing the draft (3 events read)")
    expect(page.get_by_label("How many events")).to_have_value("2")  # the draft stays in the form
    assert_accessible(page)
    carry_on.set()  # the page updates itself when the test has finished
    result = page.locator("#backtest")
    expect(result.get_by_role("heading", name="What the draft would have done")).to_be_visible()
    expect(result).to_contain_text("2 or more of: missing episode, within 90 days")
    expect(result).to_contain_text("Nothing has been saved.")
    expect(page.locator("#bt-flagged")).to_have_text("1")
    expect(page.locator("#bt-later")).to_have_text("1")
    expect(page.locator("#bt-days")).to_have_text("10")
    table = result.get_by_role("table", name="The draft beside the rule as it is")
    flagged = table.get_by_role("row").filter(has_text="Children it would flag").get_by_role("cell")
    expect(flagged).to_have_text(["1", "0"])  # the draft; the rule as it is (3 episodes) flags no one
    alerts = table.get_by_role("row").filter(has_text="Alerts it would raise").get_by_role("cell")
    expect(alerts).to_have_text(["1", "0"])
    never = table.get_by_role("row").filter(has_text="Never referred").get_by_role("cell")
    expect(never).to_have_text(["0", "0"])
    expect(page.get_by_label("How many events")).to_have_value("2")  # the draft stays in the form
    assert_accessible(page)
    rule.refresh_from_db()
    assert rule.version == 1 and rule.params["count"] == 3

    # Switched on and saved with a change note: version 2.
    expect(page.get_by_label("Switched on (scans use it)")).not_to_be_checked()
    page.get_by_label("Switched on (scans use it)").check()
    page.get_by_label("What did you change, and why?").fill("Two episodes are enough to act on: panel, March.")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.get_by_text(f"Rule '{RULE}' saved as version 2 (switched on).")).to_be_visible()
    expect(page.get_by_role("heading", name="Early-warning rules")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=RULE)
    expect(row).to_contain_text("2 or more of: missing episode, within 90 days")
    expect(row.get_by_role("cell").last).to_have_text("2")
    assert_accessible(page)
    rule.refresh_from_db()
    assert (rule.version, rule.params["count"]) == (2, 2)
    assert (
        RuleVersion.objects.get(rule=rule, version=2).change_note == "Two episodes are enough to act on: panel, March."
    )

    # The rule's page lists both versions, with who changed it and why.
    page.get_by_role("link", name=RULE).click()
    versions = page.get_by_role("table", name="Versions of this rule")
    expect(versions.get_by_role("row").filter(has_text="Two episodes are enough to act on")).to_contain_text(
        "Alex Ward"
    )
    expect(versions.get_by_role("row")).to_have_count(3)  # the header, version 2, version 1
    assert_accessible(page)
