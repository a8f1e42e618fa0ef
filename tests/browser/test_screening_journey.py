"""Screening in a real browser: a lead practitioner screens a child whose police record shows a
missing episode (so the hub suggests that indicator, with the record), section by section from the
task list, then checks the answers, sees the computed level and
how it was reached, records a professional judgement, and finds the level on the single view.
A second, lower judgement needs a written reason and a MACE coordinator's approval before it comes
into force. A partnership manager reads the counts at each level; an administrator opens the tool.
Every page on the way passes axe's WCAG 2.2 AA rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.people.models import EventType
from safeguarding.screening.models import ApprovalStatus, RiskLevelChange, ScreeningAssessment, ScreeningStatus
from safeguarding.screening.selectors import tool_current
from safeguarding.screening.tool import sections
from tests.browser.conftest import assert_accessible, sign_in, sign_out
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUGGESTED = "Repeat missing episodes"


def _task(page: Any, name: str) -> Any:
    return page.locator(".govuk-task-list__item").filter(has_text=name)


def _answer_every_section(page: Any, record_label: str, *, check_pages: bool) -> None:
    """Go through the task list: each section in turn, confirming the suggestion and answering
    "No" to every other question, each saved as the draft; then check your answers. With
    ``check_pages``, axe runs on the task list, a section (also with its errors) and check your
    answers, and a section first refused for unanswered questions."""
    expect(page.get_by_role("heading", name="Sections")).to_be_visible()
    expect(_task(page, "Check your answers").locator(".govuk-task-list__status")).to_have_text("Cannot start yet")
    expect(page.get_by_role("link", name="Check your answers")).to_have_count(0)
    if check_pages:
        assert_accessible(page)
    for section in sections(tool_current().tool, []):
        label = section.type.label
        expect(_task(page, label).locator(".govuk-task-list__status")).to_have_text("Not yet started")
        page.get_by_role("link", name=label).click()
        expect(page.get_by_role("heading", name=label, level=1)).to_be_visible()
        if section.code == "sexual":
            _check_the_suggestion(page, record_label)
            if check_pages:
                assert_accessible(page)
        elif check_pages and section.code == "online":
            page.get_by_role("button", name="Save and continue").click()
            expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
            for indicator in section.indicators:
                expect(page.locator(".govuk-error-summary")).to_contain_text(f"Answer '{indicator.label}'")
            assert_accessible(page)
        for indicator in section.indicators:
            if indicator.label != SUGGESTED:
                page.get_by_role("group", name=indicator.label, exact=True).get_by_label("No", exact=True).check()
        page.get_by_role("button", name="Save and continue").click()
        expect(_task(page, label).locator(".govuk-task-list__status")).to_have_text("Completed")
    expect(_task(page, "Check your answers").locator(".govuk-task-list__status")).to_have_text("Not yet started")
    page.get_by_role("link", name="Check your answers").click()
    expect(page.get_by_role("heading", name="Check your answers", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=f"Change {SUGGESTED}")).to_be_visible()
    if check_pages:
        assert_accessible(page)
    page.get_by_role("button", name="Continue to your judgement").click()


def _open_single_view(page: Any) -> None:
    page.get_by_role("link", name="Find a person").first.click()
    page.get_by_label("Last name").fill("Barker")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Chloe Barker").click()
    expect(page.get_by_role("heading", name="Chloe Barker", level=1)).to_be_visible()


def _check_the_suggestion(page: Any, record_label: str) -> None:
    expect(page.get_by_text("Suggested from agencies' records, please confirm")).to_have_count(1)
    answer = page.get_by_role("group", name=SUGGESTED, exact=True)
    expect(answer.get_by_label("Yes", exact=True)).to_be_checked()
    expect(answer).to_contain_text("Suggested: agencies' records show this in the last 90 days (1 below)")
    records = page.get_by_role("group", name=f"Agencies' records that support '{SUGGESTED}'", exact=True)
    expect(records.get_by_label(record_label)).to_be_checked()


def test_screening_judgement_downgrade_and_approval(
    browser: Any, live_server: Any, page: Any, agencies: dict[str, Any]
) -> None:
    UserFactory(
        username="lead.practitioner",
        first_name="Priya",
        last_name="Shah",
        role=Role.LEAD_PRACTITIONER,
        agency=agencies[AgencyKind.COUNCIL],
    )
    UserFactory(
        username="mace.coordinator",
        first_name="Maria",
        last_name="Lee",
        role=Role.MACE_COORDINATOR,
        agency=agencies[AgencyKind.COUNCIL],
    )
    UserFactory(username="partnership.manager", role=Role.PARTNERSHIP_MANAGER, agency=agencies[AgencyKind.COUNCIL])
    UserFactory(username="hub.admin", role=Role.ADMINISTRATOR, agency=agencies[AgencyKind.COUNCIL])
    child = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth="2010-03-14")
    police = SourceRecordFactory(
        source_system=SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE]),
        record_id="NICHE-77812",
        person=child,
    )
    missing = EventFactory(
        source_record=police,
        event_type=EventType.MISSING_EPISODE,
        occurred_at=timezone.now() - dt.timedelta(days=10),
        detail="Missing overnight, returned in a taxi",
    )
    when = timezone.localtime(missing.occurred_at).strftime("%-d %B %Y")
    record_label = f"{when}: Missing episode, recorded by {agencies[AgencyKind.POLICE].name}"

    # The lead practitioner screens the child: the missing episode is suggested, with its record.
    sign_in(page, "lead.practitioner")
    _open_single_view(page)
    expect(page.locator("#level-in-force")).to_have_text("Not screened")
    assert_accessible(page)
    page.get_by_role("button", name="Screen this child for risk of exploitation").click()
    expect(page.get_by_role("heading", name=re.compile("Chloe Barker"), level=1)).to_be_visible()
    _answer_every_section(page, record_label, check_pages=True)

    # The computed level and how it was reached; the practitioner judges it higher.
    expect(page.get_by_role("heading", name="Computed level and your judgement")).to_be_visible()
    expect(page.locator("#score")).to_have_text("3")
    expect(page.locator("#computed-level")).to_have_text("At risk")
    contributions = page.get_by_role("table", name="What the score is made of")
    expect(contributions.get_by_role("row").filter(has_text=SUGGESTED)).to_contain_text("3")
    judgement = page.get_by_role("group", name="Level of risk in your professional judgement")
    expect(judgement.get_by_label("At risk", exact=True)).to_be_checked()  # the computed level, to start with
    assert_accessible(page)
    judgement.get_by_label("Medium risk", exact=True).check()
    page.get_by_label("Reasons for your judgement").fill("Found with adults at a takeaway; the score misses that.")
    page.get_by_label("Group or gang").check()
    page.get_by_role("button", name="Complete the screening").click()

    first = ScreeningAssessment.objects.get()
    expect(page.get_by_text(f"Screening {first.reference} completed")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Completed")
    expect(page.locator("#judgement-level")).to_have_text("Medium risk")
    answered = page.get_by_role("table", name="Child sexual exploitation").get_by_role("row").filter(has_text=SUGGESTED)
    expect(answered).to_contain_text("suggested from agencies' records")
    expect(answered).to_contain_text("Yes")
    expect(answered).to_contain_text(f"{when}: Missing episode, {agencies[AgencyKind.POLICE].name}")
    assert_accessible(page)
    page.get_by_role("link", name="Back to the single view").click()
    expect(page.locator("#level-in-force")).to_contain_text("Medium risk")
    expect(page.locator("#level-in-force")).to_contain_text(first.reference)
    assert_accessible(page)

    # Screened again, judged lower: a written reason is needed, then it waits for approval.
    page.get_by_role("button", name="Screen this child for risk of exploitation").click()
    _answer_every_section(page, record_label, check_pages=False)
    expect(page.get_by_role("heading", name="Computed level and your judgement")).to_be_visible()
    expect(page.get_by_text("Level in force now: Medium risk")).to_be_visible()
    page.get_by_role("group", name="Level of risk in your professional judgement").get_by_label(
        "At risk", exact=True
    ).check()
    page.get_by_label("Reasons for your judgement").fill("No missing since the disruption plan started.")
    page.get_by_role("button", name="Complete the screening").click()  # no reason for lowering: refused
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Give the reason for lowering the level from Medium risk to At risk"
    )
    assert_accessible(page)
    assert ScreeningAssessment.objects.get(pk__gt=first.pk).status == ScreeningStatus.DRAFT
    page.get_by_label("Reason for lowering the level").fill("Disruption plan working; no episodes for 8 weeks.")
    page.get_by_role("button", name="Complete the screening").click()

    second = ScreeningAssessment.objects.get(pk__gt=first.pk)
    expect(
        page.get_by_text(
            f"Screening {second.reference} completed. The lower level needs a second person's approval: "
            "until then, Medium risk is in force."
        )
    ).to_be_visible()
    expect(page.locator("#status")).to_have_text("Completed; lower level awaiting approval")
    expect(page.locator("#approval")).to_have_text("Awaiting approval")
    assert_accessible(page)
    page.get_by_role("link", name="Back to the single view").click()
    expect(page.locator("#level-in-force")).to_contain_text("Medium risk")
    expect(page.get_by_text(f"Screening {second.reference} would lower the level to At risk")).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    # A MACE coordinator, in a browser of their own, approves the lower level.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    try:
        mace = context.new_page()
        mace.set_default_timeout(15_000)
        sign_in(mace, "mace.coordinator")
        mace.get_by_role("link", name="Risk level approvals").first.click()
        expect(mace.get_by_role("heading", name="Lower levels awaiting approval")).to_be_visible()
        row = mace.get_by_role("row").filter(has_text=second.reference)
        for text in ("Chloe Barker", "Medium risk", "At risk", "Priya Shah"):
            expect(row).to_contain_text(text)
        assert_accessible(mace)
        row.get_by_role("link", name=second.reference).click()
        expect(mace.get_by_role("heading", name="Approve or refuse the lower level")).to_be_visible()
        expect(mace.get_by_text("Disruption plan working; no episodes for 8 weeks.")).to_be_visible()
        assert_accessible(mace)
        mace.get_by_label("Approve: the lower level comes into force now").check()
        mace.get_by_label("Your reasons").fill("Agreed at the MACE meeting.")
        mace.get_by_role("button", name="Record your decision").click()
        expect(mace.get_by_text(f"Lower level approved for screening {second.reference}")).to_be_visible()
        expect(mace.get_by_role("heading", name="Lower levels awaiting approval")).to_be_visible()
        expect(mace.get_by_text("Nothing is awaiting approval.")).to_be_visible()
        assert_accessible(mace)
        mace.goto(f"/people/{child.pk}/")
        expect(mace.locator("#level-in-force")).to_contain_text("At risk")
        expect(mace.locator("#level-in-force")).to_contain_text(second.reference)
        assert_accessible(mace)
    finally:
        context.close()
    second.refresh_from_db()
    assert second.approval == ApprovalStatus.APPROVED and second.status == ScreeningStatus.COMPLETED
    assert list(RiskLevelChange.objects.order_by("effective_at").values_list("level_code", flat=True)) == [
        "medium",
        "at_risk",
    ]

    # A partnership manager reads the counts at each level on a date: no child named.
    sign_in(page, "partnership.manager")
    page.get_by_role("link", name="Risk levels").first.click()
    expect(page.get_by_role("heading", name="Children at each level of risk")).to_be_visible()
    today = timezone.localdate()
    page.get_by_label("Day").fill(str(today.day))
    page.get_by_label("Month").fill(str(today.month))
    page.get_by_label("Year").fill(str(today.year))
    page.get_by_role("button", name="Show").click()
    table = page.locator("#levels-table")
    expect(table.get_by_role("caption")).to_have_text(f"At the end of {today.strftime('%-d %B %Y')}")
    counts = {
        "No current risk": "0",
        "At risk": "1",
        "Medium risk": "0",
        "High risk": "0",
        "Not screened": "0",
    }
    for level, children in counts.items():
        row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=level, exact=True))
        expect(row.get_by_role("cell")).to_have_text(children)
    assert "Chloe" not in page.content()
    assert_accessible(page)
    sign_out(page)

    # An administrator opens the screening tool.
    sign_in(page, "hub.admin")
    page.get_by_role("link", name="Screening tool").first.click()
    expect(page.get_by_role("heading", name="Screening tool", level=1)).to_be_visible()
    levels = page.get_by_role("table", name="Levels, lowest first")
    expect(levels.get_by_role("row").filter(has_text="Medium risk")).to_contain_text("7")
    expect(page.get_by_role("link", name=f"Change {SUGGESTED}")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Every version").click()
    expect(page.get_by_role("heading", name="Versions of the screening tool")).to_be_visible()
    assert_accessible(page)


def test_an_administrator_removes_an_indicator_and_a_level(
    browser: Any, live_server: Any, page: Any, agencies: dict[str, Any]
) -> None:
    """The removed indicator and level leave the current tool, but the screening completed with
    them still shows both; a removal the tool cannot take says why."""
    from safeguarding.screening.models import ScreeningToolVersion
    from tests.screening.conftest import screen

    practitioner = UserFactory(
        username="lead.practitioner", role=Role.LEAD_PRACTITIONER, agency=agencies[AgencyKind.COUNCIL]
    )
    UserFactory(username="hub.admin", role=Role.ADMINISTRATOR, agency=agencies[AgencyKind.COUNCIL])
    child = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth="2010-03-14")
    risky = "Seen at hotels, takeaways, taxi firms, parties or other risky places"
    done = screen(practitioner, child, "at_risk", yes={"risky_places": "Seen at a takeaway after midnight"})

    sign_in(page, "hub.admin")
    page.get_by_role("link", name="Screening tool").first.click()
    page.get_by_role("link", name=f"Remove {risky}").click()
    expect(
        page.get_by_role("heading", name=f"Are you sure you want to remove the indicator '{risky}'?")
    ).to_be_visible()
    expect(page.locator("#effects")).to_contain_text("A yes to it adds 2 to the score")
    assert_accessible(page)
    page.get_by_role("button", name="Remove the indicator").click()  # no reason: refused
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say why you are removing this indicator")
    assert_accessible(page)
    page.get_by_label("Why are you removing this indicator?").fill("Covered by the places intelligence now")
    page.get_by_role("button", name="Remove the indicator").click()
    expect(page.get_by_text("Saved as version 2 of the screening tool")).to_be_visible()
    expect(page.get_by_role("link", name=f"Remove {risky}")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Remove the level No current risk").click()
    expect(page.get_by_role("heading", name="You cannot remove the level of risk 'No current risk'")).to_be_visible()
    expect(page.locator("#reasons")).to_contain_text("No current risk is the lowest level")
    expect(page.get_by_role("button", name="Remove the level of risk")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name="Back to the screening tool").first.click()
    page.get_by_role("link", name="Remove the level At risk").click()
    expect(page.locator("#effects")).to_contain_text("Scores from 3 to 6 will give No current risk instead.")
    page.get_by_label("Why are you removing this level of risk?").fill("The panel uses three levels")
    page.get_by_role("button", name="Remove the level of risk").click()
    expect(page.get_by_text("Saved as version 3 of the screening tool")).to_be_visible()
    levels = page.get_by_role("table", name="Levels, lowest first")
    expect(levels.get_by_role("row")).to_have_count(4)  # the header and three levels
    sign_out(page)
    assert ScreeningToolVersion.objects.get(number=1).tool.indicator("risky_places") is not None

    sign_in(page, "lead.practitioner")
    page.goto(f"/screening/{done.pk}/")
    expect(page.locator("#judgement-level")).to_have_text("At risk")
    answered = page.get_by_role("table", name="Child sexual exploitation").get_by_role("row").filter(has_text=risky)
    expect(answered).to_contain_text("Seen at a takeaway after midnight")
    assert_accessible(page)
