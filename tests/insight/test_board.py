"""The board's quarterly report: each figure counts what happened in its quarter, beside the quarter
before; no one is named; only those who see the partnership's figures read it or take its PDF."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.clocks.models import ClockStatus, StatutoryClock, StepKind
from safeguarding.clocks.services import casework_step_record
from safeguarding.core.calendar import ENGLAND
from safeguarding.frontdoor.models import Concern, TriageDecision
from safeguarding.frontdoor.services import concern_raise, triage_decide
from safeguarding.insight.selectors import Quarter, board_report, quarters_offered
from safeguarding.justice.models import DisruptionKind
from safeguarding.justice.services import disruption_record
from tests.factories import PersonFactory, sign_in

JULY = Quarter(dt.date(2026, 7, 1))


def test_quarters_are_three_calendar_months_in_englands_time() -> None:
    assert JULY.name == "July to September 2026" and JULY.code == "2026-07"
    assert JULY.before == Quarter(dt.date(2026, 4, 1)) and Quarter(dt.date(2026, 1, 1)).before.name == (
        "October to December 2025")
    assert JULY.start == dt.datetime(2026, 7, 1, tzinfo=ENGLAND) and JULY.last_day == dt.date(2026, 9, 30)
    assert JULY.end == dt.datetime(2026, 10, 1, tzinfo=ENGLAND)
    assert Quarter.from_code("2026-07") == JULY
    assert Quarter.from_code("2026-08") is None and Quarter.from_code("July") is None
    assert Quarter.containing(dt.date(2026, 12, 5)) == Quarter(dt.date(2026, 10, 1))
    offered = quarters_offered(dt.date(2026, 12, 5))
    assert offered[0] == JULY and offered[-1] == Quarter(dt.date(2026, 10, 1)) and len(offered) == 9


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-{day}T10:00").replace(tzinfo=ENGLAND)


@pytest.fixture
def partnership(make_user: Any) -> dict[str, Any]:
    """A quarter's work (July to September 2026) and the quarter before's."""
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    child = PersonFactory(given_name="Keeley", family_name="Marsden")
    adult = PersonFactory(given_name="Darren", family_name="Stacey", role="adult", date_of_birth="1980-01-01")

    def concern(raised: str, decided: str | None, within: bool | None = None) -> None:
        made = concern_raise(raised_by=referrer, child=child, seen_on=timezone.localdate(), description="Seen in a car")
        Concern.objects.filter(pk=made.pk).update(raised_at=at(raised), decision_due_at=at(raised) + dt.timedelta(days=1))
        if decided:
            decision = triage_decide(acting_user=triage, concern=made, outcome="no_further_action", reason="Known")
            TriageDecision.objects.filter(pk=decision.pk).update(decided_at=at(decided), within_timescale=within)

    concern("07-06", "07-07", True)
    concern("08-10", "08-14", False)
    concern("09-29", None)  # raised on the 29th, due the 30th, never decided
    concern("05-05", "05-05", True)
    clocks = [("08-03", "08-01", ClockStatus.MET), ("09-01", "09-05", ClockStatus.MET_LATE),
              ("09-10", None, ClockStatus.OVERDUE), ("06-01", "05-30", ClockStatus.MET)]
    for number, (due, met, status) in enumerate(clocks):
        StatutoryClock.objects.create(child=child, kind="assessment", start_key=f"step:{number}",
                                      started_at=at(due) - dt.timedelta(days=60), due_at=at(due),
                                      met_at=at(met) if met else None, status=status, status_at=timezone.now())
    disruption_record(acting_user=officer, kind=DisruptionKind.CAWN, adult=adult, child=child,
                      served_on=dt.date(2026, 8, 20), detail="Served at his flat")
    # A plan made in May and ended in August; another child's made in September.
    other = PersonFactory(given_name="Lacey")
    for who, kind, day, plan in ((child, StepKind.STRATEGY_DISCUSSION, "05-01", None),
                                 (child, StepKind.INITIAL_CONFERENCE, "05-20", True),
                                 (child, StepKind.REVIEW_CONFERENCE, "08-20", False),
                                 (other, StepKind.STRATEGY_DISCUSSION, "08-20", None),
                                 (other, StepKind.INITIAL_CONFERENCE, "09-01", True)):
        casework_step_record(acting_user=triage, child=who, kind=kind, occurred_at=at(day), positive=plan)
    return {"child": child, "adult": adult}


def figures(report: Any, section: str) -> dict[str, tuple[str, str]]:
    [found] = [s for s in report.sections if s.key == section]
    return {m.name: (m.this, m.before) for m in found.measures}


@pytest.mark.django_db
def test_the_board_report_counts_each_quarter_beside_the_one_before(partnership: dict[str, Any], make_user: Any) -> None:
    manager = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    report = board_report(user=manager, quarter=JULY)
    assert report.complete
    front = figures(report, "front-door")
    assert front["Concerns raised"] == ("3", "1")
    assert front["Decided within 1 working day"] == ("50% (1 of 2)", "100% (1 of 1)")
    assert front["Past their working day undecided at the quarter's end"] == ("1", "0")
    assert figures(report, "clocks")["Assessment completed within 45 working days"] == ("33% (1 of 3)", "100% (1 of 1)")
    protection = figures(report, "child-protection")
    assert protection["Children made subject to a child protection plan"] == ("1", "1")
    assert protection["Child protection plans ended"] == ("1", "0")
    assert protection["Children subject to a child protection plan at the quarter's end"] == ("1", "1")
    justice = figures(report, "justice")
    assert justice["Child abduction warning notice"] == ("1", "0")


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "agency", "allowed"), [
    (Role.PARTNERSHIP_MANAGER, AgencyKind.COUNCIL, True),
    (Role.DATA_PROTECTION_OFFICER, AgencyKind.COUNCIL, True),
    (Role.REFERRER, AgencyKind.EDUCATION, False),
    (Role.TRIAGE_WORKER, AgencyKind.COUNCIL, True),  # the front door's figures are theirs too
    (Role.LEAD_PRACTITIONER, AgencyKind.COUNCIL, False),
    (Role.INTELLIGENCE_OFFICER, AgencyKind.POLICE, False),
    (Role.ADMINISTRATOR, AgencyKind.COUNCIL, False),
])
def test_who_reads_the_board_report_and_takes_its_pdf(
    partnership: dict[str, Any], make_user: Any, role: str, agency: str, allowed: bool
) -> None:
    user = make_user(role=role, agency_kind=agency)
    client = sign_in(Client(), user)
    page = client.get(reverse("insight:board"), {"quarter": "2026-07"})
    download = client.get(reverse("insight:board-pdf"), {"quarter": "2026-07"})
    exported = AuditEvent.objects.filter(event_type=AuditEventType.DATA_EXPORTED, target_kind="board_report", actor=user)
    if not allowed:
        assert page.status_code == 403 and download.status_code == 403 and not exported.exists()
        return
    body = page.content.decode()
    assert page.status_code == 200 and "Board report: July to September 2026" in body
    assert "April to June 2026" in body and 'id="front-door-figures"' in body
    # Counts only: neither the child nor the adult is named.
    assert "Keeley" not in body and "Marsden" not in body and "Darren" not in body
    # A quarter not yet begun, or an address that names none, shows the last complete quarter.
    for asked in ("2031-01", "last"):
        later = client.get(reverse("insight:board"), {"quarter": asked}).content.decode()
        assert f"Board report: {quarters_offered()[0].name}" in later
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download["Content-Disposition"] == 'attachment; filename="board-report-2026-07.pdf"'
    assert exported.get().target_id == "2026-07"


@pytest.mark.django_db
def test_a_quarter_under_way_counts_as_late_only_what_was_due_by_now(make_user: Any, monkeypatch: Any) -> None:
    manager = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory()
    now = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)  # mid-quarter
    for number, due in enumerate((now - dt.timedelta(days=2), now + dt.timedelta(days=2))):
        StatutoryClock.objects.create(child=child, kind="core_group", start_key=f"step:{number}",
                                      started_at=due - dt.timedelta(days=14), due_at=due, status=ClockStatus.OPEN,
                                      status_at=now)
    monkeypatch.setattr(timezone, "now", lambda: now)
    report = board_report(user=manager, quarter=Quarter(dt.date(2026, 10, 1)))
    assert not report.complete
    # The clock due in two days is not yet late: only the one due two days ago counts.
    assert figures(report, "clocks")["Core group within 10 working days of the conference"][0] == "0% (0 of 1)"
