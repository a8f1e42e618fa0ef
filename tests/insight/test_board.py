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
from safeguarding.core.errors import ServiceError
from safeguarding.frontdoor.models import Concern, TriageDecision
from safeguarding.frontdoor.services import concern_raise, triage_decide
from safeguarding.insight.models import Comparison, StrategyTarget
from safeguarding.insight.selectors import Quarter, board_report, quarters_offered, target_met, target_text
from safeguarding.insight.services import strategy_target_set
from safeguarding.justice.models import DisruptionKind
from safeguarding.justice.services import disruption_record
from safeguarding.screening.services import downgrade_approve, downgrade_refuse, level_confirm
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
    # Alerts are counted by the day the hub raised them; the queue's "Raised" is the record's day: said.
    assert "By the day the hub raised them" in body
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


# --- the board's strategy targets ----------------------------------------------------------------


def test_a_target_is_judged_on_the_figure_exactly_and_a_share_of_nothing_is_not_judged() -> None:
    assert target_met((19, 20), Comparison.AT_LEAST, 95) is True
    assert target_met((189, 200), Comparison.AT_LEAST, 95) is False  # 94.5%, shown as 94% or 95%: not met
    assert target_met((0, 0), Comparison.AT_LEAST, 95) is None
    assert target_met(1, Comparison.AT_MOST, 0) is False and target_met(0, Comparison.AT_MOST, 0) is True
    assert target_met(12, Comparison.AT_LEAST, 12) is True
    assert target_text(Comparison.AT_LEAST, 95, "clock:return_home_interview") == "At least 95%"
    assert target_text(Comparison.AT_MOST, 1000, "undecided_late") == "At most 1,000"


def targeted(report: Any) -> dict[str, tuple[str, bool | None]]:
    return {m.name: (m.target, m.met) for section in report.sections for m in section.measures if m.target}


@pytest.mark.django_db
def test_the_board_sets_targets_and_each_quarter_is_judged_by_the_one_in_force(
    partnership: dict[str, Any], make_user: Any
) -> None:
    manager = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    april, october = JULY.before, Quarter(dt.date(2026, 10, 1))
    minute = "Board, 14 March 2026, minute 6: the strategy's first year"
    strategy_target_set(acting_user=manager, measure="decided_within", comparison=Comparison.AT_LEAST, value=50,
                        from_quarter=april, reason=minute)
    strategy_target_set(acting_user=manager, measure="undecided_late", comparison=Comparison.AT_MOST, value=0,
                        from_quarter=JULY, reason=minute)
    strategy_target_set(acting_user=manager, measure="clock:assessment", comparison=Comparison.AT_LEAST, value=90,
                        from_quarter=JULY, reason=minute)
    # Raised later from October: July keeps the target it was set.
    strategy_target_set(acting_user=manager, measure="decided_within", comparison=Comparison.AT_LEAST, value=95,
                        from_quarter=october, reason="Board, 10 September 2026, minute 3")
    july = board_report(user=manager, quarter=JULY)
    assert targeted(july) == {
        "Decided within 1 working day": ("At least 50%", True),  # 50% (1 of 2)
        "Past their working day undecided at the quarter's end": ("At most 0", False),  # 1
        "Assessment completed within 45 working days": ("At least 90%", False),  # 33% (1 of 3)
    }
    assert (july.targets_met, july.targets_judged) == (1, 3)
    assert july.targets_summary == "Targets met: 1 of 3"
    # April had only the target set from April; a clock with a target and nothing due is not judged.
    assert targeted(board_report(user=manager, quarter=april)) == {"Decided within 1 working day": ("At least 50%", True)}
    autumn = targeted(board_report(user=manager, quarter=october))
    assert autumn["Decided within 1 working day"] == ("At least 95%", None)  # none decided in October
    assert autumn["Assessment completed within 45 working days"] == ("At least 90%", None)
    assert board_report(user=manager, quarter=october).targets_summary.endswith(  # "so far" while under way
        ": 0 of 1 (3 in force; 2 had nothing due)")
    # Withdrawn from October on: gone there, kept in July; every setting is its own audited row.
    strategy_target_set(acting_user=manager, measure="undecided_late", comparison="", value=None,
                        from_quarter=october, reason="Board, 10 September 2026, minute 4: measured elsewhere")
    assert "Past their working day undecided at the quarter's end" not in targeted(
        board_report(user=manager, quarter=october))
    assert "Past their working day undecided at the quarter's end" in targeted(board_report(user=manager, quarter=JULY))
    trail = AuditEvent.objects.filter(event_type=AuditEventType.STRATEGY_TARGET_SET, actor=manager)
    assert trail.count() == StrategyTarget.objects.count() == 5
    assert trail.order_by("-sequence").first().detail == {  # type: ignore[union-attr]
        "measure": "undecided_late", "comparison": "withdrawn", "value": None, "from_quarter": "2026-10"}


@pytest.mark.django_db
def test_a_target_that_does_not_hold_is_refused_with_the_field_at_fault(make_user: Any) -> None:
    manager = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    minute = "Board, minute 1"

    def refused(**asked: Any) -> tuple[str, str | None]:
        given = {"acting_user": manager, "measure": "decided_within", "comparison": Comparison.AT_LEAST,
                 "value": 95, "from_quarter": JULY, "reason": minute} | asked
        with pytest.raises(ServiceError) as refusal:
            strategy_target_set(**given)
        return str(refusal.value), refusal.value.field

    assert refused(value=101)[1] == "value"  # a percentage
    assert refused(measure="meetings", value=2_147_483_648)[1] == "value"  # beyond any count, and the column
    assert refused(measure="alerts_to_nowhere")[1] == "measure"
    assert refused(reason="  ")[1] == "reason"
    assert refused(comparison="", value=None) == ("That figure has no target in that quarter to withdraw", "comparison")
    assert refused(acting_user=make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))[0] == (
        "Only the partnership manager records the board's targets")
    strategy_target_set(acting_user=manager, measure="meetings", comparison=Comparison.AT_LEAST, value=150,
                        from_quarter=JULY, reason=minute)  # a count may exceed 100
    assert refused(measure="meetings", value=150, from_quarter=Quarter(dt.date(2026, 10, 1)))[1] == "value"
    assert StrategyTarget.objects.count() == 1
    assert not AuditEvent.objects.filter(event_type=AuditEventType.STRATEGY_TARGET_SET).exclude(
        target_id=str(StrategyTarget.objects.get().pk)).exists()


@pytest.mark.django_db
def test_the_partnership_manager_records_a_target_on_the_page_and_the_report_shows_it(
    partnership: dict[str, Any], make_user: Any
) -> None:
    manager = sign_in(Client(), make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL))
    asked = {"measure": "undecided_late", "comparison": "at_most", "value": "", "from_quarter": "2026-07",
             "reason": "Board, 2 June 2026, minute 5"}
    wrong = manager.post(reverse("insight:targets"), asked).content.decode()
    assert "Error: The board" in wrong and "Enter the target as a whole number, 0 or more" in wrong
    assert 'class="govuk-error-summary"' in wrong and 'href="#id_value"' in wrong
    for crafted, reason in ((dict(from_quarter="2031-01"), "Choose the quarter the target starts in"),
                            (dict(from_quarter="2026-08"), "Choose the quarter the target starts in"),
                            (dict(measure="nobody"), "Choose a figure of the board&#x27;s report"),
                            (dict(value="99999999999"), "Enter a target of 1,000,000 or less")):
        assert reason in manager.post(reverse("insight:targets"), {**asked, "value": "0", **crafted}).content.decode()
    assert "There is a problem" in manager.post(reverse("insight:targets"), {}).content.decode()  # empty, still checked
    assert not StrategyTarget.objects.exists()
    done = manager.post(reverse("insight:targets"), {**asked, "value": "0"}, follow=True).content.decode()
    assert "The board&#x27;s target is recorded" in done and "At most 0" in done and "Board, 2 June 2026, minute 5" in done
    report = manager.get(reverse("insight:board"), {"quarter": "2026-07"}).content.decode()
    assert "Targets met: 0 of 1. Each figure" in report
    assert "Target: at most 0." in report and "Not met</strong>" in report
    assert manager.get(reverse("insight:board-pdf"), {"quarter": "2026-07"}).status_code == 200
    # Those who read the report read the targets; only the partnership manager records them.
    officer = sign_in(Client(), make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL))
    page = officer.get(reverse("insight:targets")).content.decode()
    assert "At most 0" in page and "Record a target" not in page
    assert officer.post(reverse("insight:targets"), {**asked, "value": "3"}).status_code == 403
    referrer = sign_in(Client(), make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION))
    assert referrer.get(reverse("insight:targets")).status_code == 403
    assert StrategyTarget.objects.count() == 1


@pytest.mark.django_db
def test_the_report_counts_risk_levels_raised_and_lowered_and_lowerings_a_second_person_holds(make_user: Any) -> None:
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE)
    manager = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    asked = []
    for name in ("Amber", "Brooke", "Cerys"):
        child = PersonFactory(given_name=name)
        for level in ("medium", "high") if name == "Amber" else ("high",):
            level_confirm(acting_user=practitioner, child=child, level_code=level, reasoning="Panel agreed",
                          confirmed_at="Panel of 3 November")
        asked.append(level_confirm(acting_user=practitioner, child=child, level_code="at_risk", reasoning="Calmer",
                                   confirmed_at="Panel of 17 November", downgrade_reason="No missing episode since"))
    assert all(a.approval == "awaiting" for a in asked)
    downgrade_approve(acting_user=coordinator, assessment=asked[0], reason="Agreed at the panel")
    downgrade_refuse(acting_user=coordinator, assessment=asked[1], reason="She was seen with him last week")
    report = board_report(user=manager, quarter=Quarter.containing(timezone.localdate()))
    assert figures(report, "risk-levels") == {
        "Screenings completed": ("7", "0"),
        "Risk levels raised": ("4", "0"),  # Amber twice, Brooke and Cerys once
        "Risk levels lowered": ("1", "0"),  # only Amber's, approved
        "Judgements below the level in force or the tool's, refused by the second person": ("1", "0"),
        "Judgements below the level in force or the tool's, awaiting a second person at the quarter's end": (
            "1", "0"),  # Cerys's
    }
