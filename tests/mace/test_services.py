"""Panel meetings, plans and actions as a coordinator, co-chairs and owners use them; bad input
refused with a clear message; locked minutes cannot change; overdue work escalated."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.accounts.services import custom_role_create
from safeguarding.core.calendar import ENGLAND
from safeguarding.core.errors import ServiceError
from safeguarding.mace import services
from safeguarding.mace.models import (
    ActionStatus,
    AgendaReason,
    AttendanceStatus,
    Escalation,
    MeetingStatus,
    PanelDecision,
    PlanStatus,
)
from safeguarding.mace.services import ActionInput
from safeguarding.notifications.models import Notification, NotificationKind
from safeguarding.screening.models import RiskLevelChange, ScreeningStatus
from tests.mace.conftest import Panel, hours_on

pytestmark = pytest.mark.django_db


def next_weekday(weekday: int) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=7)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return day


def held(panel: Panel) -> None:
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    council = panel.coordinator.agency_id
    police = panel.officer.agency_id
    services.attendance_record(acting_user=panel.coordinator, meeting=panel.meeting, entries={
        council: (AttendanceStatus.ATTENDED, "Helen Ward"), police: (AttendanceStatus.APOLOGIES, ""),
    })


def held_later(panel: Panel, note: str):  # type: ignore[no-untyped-def]
    """A later meeting, held, with the panel's child on its agenda: that item."""
    [later] = services.meetings_schedule(
        acting_user=panel.coordinator, first_at=hours_on(2), place="Town hall",
        police_chair=panel.police_chair, council_chair=panel.council_chair,
    )
    services.agenda_item_add(acting_user=panel.coordinator, meeting=later, person=panel.child, note=note)
    services.attendance_record(acting_user=panel.coordinator, meeting=later,
                               entries={panel.coordinator.agency_id: (AttendanceStatus.ATTENDED, "")})
    return later.items.get()


def discuss(panel: Panel, **kwargs):  # type: ignore[no-untyped-def]
    item = panel.meeting.items.get()
    defaults = dict(
        acting_user=panel.coordinator, item=item, summary="Missing three times; seen with adults.",
        decision=PanelDecision.OPEN_PLAN, confirmed_level="high", level_reasons="Pattern across agencies",
        goals=["Chloe is safe at night"],
        actions=[ActionInput("Visit the takeaway with licensing", panel.officer, next_weekday(2), step="disruption")],
    )
    defaults.update(kwargs)
    return services.discussion_record(**defaults)


def test_a_meeting_needs_two_co_chairs(panel: Panel) -> None:
    with pytest.raises(ServiceError, match="needs two co-chairs"):
        services.meetings_schedule(acting_user=panel.coordinator, first_at=timezone.now() + dt.timedelta(days=2),
                                   place="Town hall", police_chair=None, council_chair=panel.council_chair)
    with pytest.raises(ServiceError, match="police co-chair must be"):
        services.meetings_schedule(acting_user=panel.coordinator, first_at=timezone.now() + dt.timedelta(days=2),
                                   place="Town hall", police_chair=panel.practitioner,
                                   council_chair=panel.council_chair)


@pytest.mark.parametrize("role", [Role.REFERRER, Role.ADMINISTRATOR, Role.DATA_PROTECTION_OFFICER])
def test_a_co_chair_must_be_able_to_open_the_meeting(panel: Panel, make_user, role: str) -> None:  # type: ignore[no-untyped-def]
    """A chair is e-mailed the agenda and approves the minutes, both on the meeting's page: someone whose
    role cannot open it is neither offered nor accepted."""
    from safeguarding.mace.forms import ScheduleForm

    chair = make_user(role=role, agency_kind=AgencyKind.POLICE)
    with pytest.raises(ServiceError, match="cannot open the panel's meetings"):
        services.meetings_schedule(acting_user=panel.coordinator, first_at=timezone.now() + dt.timedelta(days=2),
                                   place="Town hall", police_chair=chair, council_chair=panel.council_chair)
    offered = ScheduleForm().fields["police_chair"].queryset
    assert chair not in offered and panel.police_chair in offered


def test_an_action_row_without_words_is_refused_not_dropped(panel: Panel) -> None:
    """A panel typed an owner and a date for a second action but no words: before, the first action was
    saved, the second dropped, and the page said all was well."""
    from safeguarding.mace.forms import DiscussionForm
    from safeguarding.mace.models import PanelDecision

    due = timezone.localdate() + dt.timedelta(days=14)
    data = {"decision": PanelDecision.values[0], "action_1": "Visit at home", "owner_1": panel.officer.pk,
            "due_1_0": due.day, "due_1_1": due.month, "due_1_2": due.year,
            "owner_2": panel.officer.pk, "due_2_0": due.day, "due_2_1": due.month, "due_2_2": due.year}
    form = DiscussionForm(data, levels=[], steps=[])

    assert not form.is_valid()
    assert form.errors["action_2"] == ["Say what action 2 is, or clear its other boxes"]
    assert "action_1" not in form.errors


def test_a_series_every_two_weeks(panel: Panel) -> None:
    meetings = services.meetings_schedule(
        acting_user=panel.coordinator, first_at=timezone.now() + dt.timedelta(days=1), place="Town hall",
        police_chair=panel.police_chair, council_chair=panel.council_chair, every_weeks=2, count=4,
    )
    assert len(meetings) == 4 and len({m.series for m in meetings}) == 1
    gaps = {(b.scheduled_for - a.scheduled_for).days for a, b in itertools.pairwise(meetings)}
    assert gaps <= {13, 14, 15}  # a fortnight in local time, whatever the clocks do


def test_agenda_holds_new_referrals_and_tells_members_without_names(panel: Panel) -> None:
    added = services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    assert [(i.person_id, i.reason) for i in added] == [(panel.child.pk, AgendaReason.NEW_REFERRAL)]
    notes = Notification.objects.filter(kind=NotificationKind.MEETING_AGENDA)
    assert {n.recipient_id for n in notes} >= {panel.police_chair.pk, panel.council_chair.pk}
    assert all("Chloe" not in n.body and "Barker" not in n.subject for n in notes)
    assert len([m for m in mail.outbox if m.subject.startswith("Agenda for")]) == notes.count()


def test_the_whole_meeting_from_agenda_to_locked_minutes(panel: Panel) -> None:
    held(panel)
    discussion = discuss(panel)
    plan = discussion.plan
    assert plan is not None and plan.status == PlanStatus.OPEN
    assert plan.goals.get().text == "Chloe is safe at night"
    [action] = plan.actions.all()
    assert action.owner == panel.officer and action.owner_agency == panel.officer.agency
    level = RiskLevelChange.objects.get(child=panel.child)
    assert level.level_code == "high"
    assert Notification.objects.filter(recipient=panel.officer, kind=NotificationKind.ACTION_ASSIGNED).exists()

    services.minutes_draft(acting_user=panel.council_chair, meeting=panel.meeting, text="Minutes of the meeting.")
    with pytest.raises(ServiceError, match="You drafted these minutes"):
        services.minutes_approve(acting_user=panel.council_chair, meeting=panel.meeting)
    with pytest.raises(ServiceError, match="Only one of the meeting's co-chairs"):
        services.minutes_approve(acting_user=panel.coordinator, meeting=panel.meeting)
    meeting = services.minutes_approve(acting_user=panel.police_chair, meeting=panel.meeting)
    assert meeting.status == MeetingStatus.LOCKED and len(meeting.approved_hash) == 64
    assert meeting.approved_record["items"][0]["discussion"]["decision"] == PanelDecision.OPEN_PLAN


def test_locked_minutes_cannot_change(panel: Panel) -> None:
    held(panel)
    discuss(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Draft")
    services.minutes_approve(acting_user=panel.police_chair, meeting=panel.meeting)
    for attempt in (
        lambda: services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Changed"),
        lambda: services.attendance_record(acting_user=panel.coordinator, meeting=panel.meeting,
                                           entries={panel.coordinator.agency_id: (AttendanceStatus.ATTENDED, "")}),
        lambda: services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting),
    ):
        with pytest.raises(ServiceError, match="approved and locked: add an addendum"):
            attempt()
    panel.meeting.refresh_from_db()
    assert panel.meeting.minutes == "Draft"
    assert services.record_hash(services.meeting_record(panel.meeting)) == panel.meeting.approved_hash
    services.minutes_addendum_add(acting_user=panel.coordinator, meeting=panel.meeting,
                                  text="Correction: police sent apologies")
    assert panel.meeting.addenda.count() == 1


def test_discussion_needs_the_meeting_held_and_is_recorded_once(panel: Panel) -> None:
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    with pytest.raises(ServiceError, match="Record who attended first"):
        discuss(panel)
    held(panel)
    discuss(panel)
    with pytest.raises(ServiceError, match="already been recorded"):
        discuss(panel, actions=[])


def test_an_action_without_an_owner_is_refused(panel: Panel) -> None:
    held(panel)
    with pytest.raises(ServiceError, match="Every action needs an owner"):
        discuss(panel, actions=[ActionInput("Do something", None, next_weekday(1))])


def test_a_due_date_on_a_weekend_or_bank_holiday_moves_and_says_so() -> None:
    assert services.working_due_date(dt.date(2026, 3, 14)) == (
        dt.date(2026, 3, 16),
        "Due date moved from Saturday 14 March 2026 to Monday 16 March 2026: a weekend is not a working day",
    )
    moved, note = services.working_due_date(dt.date(2026, 12, 25))
    assert moved == dt.date(2026, 12, 29) and "a bank holiday is not a working day" in note
    assert services.working_due_date(dt.date(2026, 12, 31)) == (dt.date(2026, 12, 31), "")
    assert services.working_due_date(dt.date(2027, 1, 1))[0] == dt.date(2027, 1, 4)


def test_a_lower_level_at_the_panel_waits_for_a_second_person(panel: Panel) -> None:
    held(panel)
    discuss(panel)
    # A later panel lowers the level: the screening rules apply, so it waits for approval.
    item = held_later(panel, "Early review")
    with pytest.raises(ServiceError, match="Give the reason for lowering the level"):
        services.discussion_record(acting_user=panel.coordinator, item=item, summary="Doing better",
                                   decision=PanelDecision.CONTINUE_PLAN, confirmed_level="medium",
                                   level_reasons="Fewer episodes")
    discussion = services.discussion_record(
        acting_user=panel.coordinator, item=item, summary="Doing better", decision=PanelDecision.CONTINUE_PLAN,
        confirmed_level="medium", level_reasons="Fewer episodes", downgrade_reason="No episodes for 8 weeks",
    )
    assert discussion.screening is not None and discussion.screening.status == ScreeningStatus.AWAITING_APPROVAL
    assert RiskLevelChange.objects.filter(child=panel.child).count() == 1  # still high until approved


def test_the_panel_opens_a_plan_for_a_child_and_continues_it_past_18(panel: Panel) -> None:
    """By the date of birth before the records' role: no plan opened for a man whose records still say "child";
    a plan opened at 17 is continued at 18 until the panel closes it (a move to adult services is planned)."""
    held(panel)
    Person = type(panel.child)
    Person.objects.filter(pk=panel.child.pk).update(role="child", date_of_birth="2001-01-01")
    with pytest.raises(ServiceError, match="Plans are for children"):
        discuss(panel, confirmed_level="", level_reasons="")
    Person.objects.filter(pk=panel.child.pk).update(date_of_birth="2010-01-01")
    plan = discuss(panel, confirmed_level="", level_reasons="").plan
    item = held_later(panel, "At 18")
    # 18 since January, and an agency's records now say "adult".
    Person.objects.filter(pk=panel.child.pk).update(date_of_birth="2007-01-01", role="adult")
    continued = services.discussion_record(acting_user=panel.coordinator, item=item, summary="Turned 18",
                                           decision=PanelDecision.CONTINUE_PLAN)
    assert continued.plan == plan


def test_an_officer_completes_their_action_and_others_cannot(panel: Panel) -> None:
    held(panel)
    action = discuss(panel).plan.actions.get()
    with pytest.raises(ServiceError, match="Only the action's owner"):
        services.action_complete(acting_user=panel.practitioner, action=action, outcome="Done")
    services.action_note_add(acting_user=panel.officer, action=action, text="Visited on Tuesday")
    with pytest.raises(ServiceError, match="Say what was done"):
        services.action_complete(acting_user=panel.officer, action=action, outcome=" ")
    done = services.action_complete(acting_user=panel.officer, action=action, outcome="Premises visited, staff warned")
    assert done.status == ActionStatus.COMPLETED and done.completed_by == panel.officer
    # The owner's agency manager may complete an action too; another agency's may not.
    assert services.can_update_action(panel.police_manager, action)
    assert not services.can_update_action(panel.council_manager, action)


def test_a_plan_closes_only_with_an_outcome_and_reopens_with_its_history(panel: Panel) -> None:
    held(panel)
    plan = discuss(panel, actions=[]).plan
    with pytest.raises(ServiceError, match="Choose the plan's outcome"):
        services.plan_close(acting_user=panel.coordinator, plan=plan, outcome="", reason="Better")
    services.plan_close(acting_user=panel.coordinator, plan=plan, outcome="risk_reduced", reason="No episodes")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED
    services.plan_reopen(acting_user=panel.coordinator, plan=plan, reason="Missing again")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.OPEN
    assert [h.what for h in plan.history.all()][-2:] == ["Closed: Risk reduced: no longer needs a multi-agency plan",
                                                         "Reopened"]


def test_a_reopened_plan_has_its_review_clock_and_an_earlier_clock_keeps_its_first_closure(panel: Panel) -> None:
    from safeguarding.clocks.models import ClockKind, ClockStatus, StatutoryClock
    from safeguarding.clocks.services import clocks_refresh
    from safeguarding.mace.models import PanelMeeting

    held(panel)
    # Held three days ago: the discussion's review clock starts from the meeting's date.
    PanelMeeting.objects.filter(pk=panel.meeting.pk).update(scheduled_for=timezone.now() - dt.timedelta(days=3))
    plan = discuss(panel, actions=[]).plan
    services.plan_close(acting_user=panel.coordinator, plan=plan, outcome="risk_reduced", reason="No episodes")
    first_closure = plan.history.get(what__startswith="Closed").at
    services.plan_reopen(acting_user=panel.coordinator, plan=plan, reason="Missing again")
    clocks_refresh()

    def reviews() -> list[StatutoryClock]:
        return list(StatutoryClock.objects.filter(child=plan.child, kind=ClockKind.PANEL_REVIEW).order_by("started_at"))

    discussed, reopened = reviews()
    assert discussed.status == ClockStatus.MET and discussed.met_at == first_closure
    # The reopened plan is due its review 12 weeks on, as its page says, and the clock shows it.
    assert reopened.status == ClockStatus.OPEN
    plan.refresh_from_db()
    assert reopened.due_at.astimezone(ENGLAND).date() == plan.review_due_on
    services.plan_close(acting_user=panel.coordinator, plan=plan, outcome="risk_reduced", reason="Settled")
    clocks_refresh()
    discussed, reopened = reviews()
    assert reopened.status == ClockStatus.MET and "closed" in reopened.met_by
    assert discussed.met_at == first_closure  # met when the plan first closed, not moved to the second closure


def test_the_scheduled_run_starts_and_meets_panel_review_clocks_of_meetings_since_it_last_ran(panel: Panel) -> None:
    """A discussion that keeps a plan open starts a review clock at the worker's next run (no agency's
    event needed), and the plan's closure meets it at the run after."""
    from safeguarding.clocks.models import ClockKind, ClockStatus, StatutoryClock
    from safeguarding.mace.models import PanelMeeting
    from safeguarding.workflows.scheduled import clocks_and_chasing

    clocks_and_chasing()  # the first run, before the meeting
    held(panel)
    plan = discuss(panel, actions=[]).plan
    PanelMeeting.objects.filter(pk=panel.meeting.pk).update(scheduled_for=timezone.now() - dt.timedelta(days=3))
    clocks_and_chasing()
    review = StatutoryClock.objects.get(child=panel.child, kind=ClockKind.PANEL_REVIEW)
    assert review.status == ClockStatus.OPEN
    services.plan_close(acting_user=panel.coordinator, plan=plan, outcome="risk_reduced", reason="No episodes")
    clocks_and_chasing()
    review.refresh_from_db()
    assert review.status == ClockStatus.MET and "closed" in review.met_by


def test_a_discussion_starts_the_panel_review_clock_at_once_and_closing_the_plan_meets_it(panel: Panel) -> None:
    """No worker run between: the single view shows the review clock as soon as the panel keeps the
    plan open, and met as soon as the plan closes (before, both waited for the worker's next run)."""
    from safeguarding.clocks.models import ClockKind, ClockStatus, StatutoryClock
    from safeguarding.mace.models import PanelMeeting

    held(panel)
    PanelMeeting.objects.filter(pk=panel.meeting.pk).update(scheduled_for=timezone.now() - dt.timedelta(days=3))
    plan = discuss(panel, actions=[]).plan
    review = StatutoryClock.objects.get(child=panel.child, kind=ClockKind.PANEL_REVIEW)
    assert review.status == ClockStatus.OPEN
    services.plan_close(acting_user=panel.coordinator, plan=plan, outcome="risk_reduced", reason="No episodes")
    review.refresh_from_db()
    assert review.status == ClockStatus.MET and "closed" in review.met_by


def test_a_childs_subject_access_bundle_holds_the_panels_work_with_every_agencys_actions(
    panel: Panel, make_user
) -> None:  # type: ignore[no-untyped-def]
    """An action the police own, agreed at the panel and on the plan every agency reads, is the child's
    as the plan is: disclosed, not withheld as police work (DOMAIN.md: survivors have been failed by
    over-redaction)."""
    from safeguarding.dataprotection.assemble import gather

    held(panel)
    discuss(panel, actions=[
        ActionInput("Visit the takeaway with licensing", panel.officer, next_weekday(2), step="disruption"),
        ActionInput("Weekly visit by her social worker", panel.practitioner, next_weekday(3)),
    ])
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    items, _ = gather(user=dpo, person=panel.child)
    panel_items = [i for i in items if i.section == "The panel's discussions and plans"]
    kinds = sorted(i.kind for i in panel_items)
    assert kinds == ["panel_discussion", "plan", "plan_action", "plan_action"]
    text = " ".join(v for i in panel_items for _, v in i.fields)
    assert "Weekly visit by her social worker" in text and "Chloe is safe at night" in text
    assert "Visit the takeaway with licensing" in text  # the police's action on the plan, as the plan shows it
    police = next(i for i in panel_items if "takeaway" in " ".join(v for _, v in i.fields))
    assert police.title == f"Action for {panel.officer.agency.name}" and not police.withheld_reason
    # Nobody else reads the panel's work through subject access.
    assert [i for i in gather(user=panel.coordinator, person=panel.child)[0] if i.section.startswith("The panel")] == []


def test_the_childs_wishes_and_feelings_are_kept_with_the_discussion_shown_and_theirs(panel: Panel, make_user) -> None:  # type: ignore[no-untyped-def]
    import html

    from django.test import Client
    from django.urls import reverse

    from safeguarding.dataprotection.assemble import gather
    from tests.factories import sign_in

    held(panel)
    before = services.meeting_record(panel.meeting)
    said = "She told her social worker she wants to stay at her nan's and not go back to the flat"
    discussion = discuss(panel, child_views=f"  {said}  ")
    assert discussion.child_views == said
    record = services.meeting_record(panel.meeting)["items"][0]["discussion"]  # type: ignore[index]
    assert record["child_views"] == said and "child_views" not in str(before)
    page = sign_in(Client(), panel.practitioner).get(reverse("mace:meeting", args=[panel.meeting.pk])).content.decode()
    assert "The child's views: " + said in html.unescape(page)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    words = [i for i in gather(user=dpo, person=panel.child)[0] if i.kind == "own_words" and i.section.startswith("The panel")]
    assert len(words) == 1 and words[0].own_words and words[0].fields == [("What you want", said)]


def test_a_plan_with_open_actions_does_not_close(panel: Panel) -> None:
    held(panel)
    plan = discuss(panel).plan
    with pytest.raises(ServiceError, match="1 action is still open"):
        services.plan_close(acting_user=panel.coordinator, plan=plan, outcome="moved_area", reason="Moved")


def test_overdue_actions_escalate_to_the_agency_manager_then_the_strategic_group(panel: Panel, make_user) -> None:  # type: ignore[no-untyped-def]
    # The strategic group is whoever holds its capability: the partnership manager, and a role of the
    # partnership's own for the group's chair.
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    chair_role = custom_role_create(acting_user=admin, name="Chair of the strategic group",
                                    capabilities=["strategic_group", "view_escalations", "view_aggregates"])
    chair = make_user(role=chair_role.code, agency_kind=AgencyKind.HEALTH)
    held(panel)
    action = discuss(panel).plan.actions.get()
    type(action).objects.filter(pk=action.pk).update(due_on=dt.date(2026, 3, 2))  # a Monday
    first = services.escalations_run(now=dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC))
    assert [(e.action_id, e.level) for e in first] == [(action.pk, 1)]
    told = Notification.objects.filter(kind=NotificationKind.ESCALATED)
    assert {n.recipient_id for n in told} == {panel.police_manager.pk, panel.officer.pk}
    assert all("Chloe" not in n.body for n in told)
    assert services.escalations_run(now=dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC)) == []
    second = services.escalations_run(now=dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC))
    assert [(e.action_id, e.level) for e in second] == [(action.pk, 2)]
    assert Notification.objects.filter(kind=NotificationKind.ESCALATED, recipient=panel.strategic).exists()
    assert Notification.objects.filter(kind=NotificationKind.ESCALATED, recipient=chair).exists()
    # The group sees no child's records: its notice leads to the escalations page, not the action's.
    assert {n.link for n in Notification.objects.filter(recipient__in=[chair, panel.strategic])} == {
        reverse("mace:escalations")}
    assert Escalation.objects.count() == 2


def test_a_concern_undecided_past_its_working_day_is_chased_then_escalated(panel: Panel, make_user) -> None:  # type: ignore[no-untyped-def]
    """Every concern decided within 1 working day (DOMAIN.md): one left waiting goes at once to the
    front door's team and their agencies' managers, then past the threshold to the strategic group;
    each once, and never one decided in time."""
    from django.test import Client
    from django.urls import reverse

    from safeguarding.frontdoor.models import Concern, DecisionOutcome
    from safeguarding.frontdoor.services import concern_raise, triage_decide
    from tests.factories import sign_in

    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    waiting = concern_raise(raised_by=referrer, child=panel.child, seen_on=timezone.localdate(), description="x")
    decided = concern_raise(raised_by=referrer, child=panel.child, seen_on=timezone.localdate(), description="y")
    triage_decide(acting_user=triage, concern=decided, outcome=DecisionOutcome.EARLY_HELP)
    raised = dt.datetime(2026, 3, 2, 10, tzinfo=ENGLAND)  # a Monday: due by the end of Tuesday
    due = dt.datetime(2026, 3, 3, 23, 59, 59, tzinfo=ENGLAND)
    Concern.objects.update(raised_at=raised, decision_due_at=due)
    assert services.escalations_run(now=dt.datetime(2026, 3, 3, 23, 59, 59, 500_000, tzinfo=ENGLAND)) == []
    first = services.escalations_run(now=dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC))
    assert [(e.concern_id, e.level) for e in first] == [(waiting.pk, 1)]
    told = Notification.objects.filter(kind=NotificationKind.ESCALATED)
    # the front door (triage workers and the panel's coordinators) and the council's manager
    assert {n.recipient for n in told} == {triage, panel.coordinator, panel.council_chair, panel.council_manager}
    assert all("Chloe" not in n.body and waiting.reference in n.body for n in told)
    assert services.escalations_run(now=dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC)) == []
    second = services.escalations_run(now=dt.datetime(2026, 3, 11, 9, tzinfo=dt.UTC))
    assert [(e.concern_id, e.level) for e in second] == [(waiting.pk, 2)]
    assert told.filter(recipient=panel.strategic).count() == 1
    page = sign_in(Client(), panel.strategic).get(reverse("mace:escalations")).content.decode()
    assert f"Concern {waiting.reference} awaiting the front door" in page and "The front door" in page
    assert "Chloe" not in page
    # The council runs the front door here: its manager's work list has it; the police's does not.
    ours = sign_in(Client(), panel.council_manager).get(reverse("mace:agency-work")).content.decode()
    assert f"concern <a class=\"govuk-link\" href=\"/concerns/{waiting.pk}/\">{waiting.reference}</a>" in ours
    theirs = sign_in(Client(), panel.police_manager).get(reverse("mace:agency-work")).content.decode()
    assert waiting.reference not in theirs


def test_a_child_on_a_plan_seen_at_a_and_e_is_told_to_those_working_with_them_once(panel: Panel, make_user, agencies) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.mace.models import Allocation, AllocationKind, HealthNotice
    from safeguarding.people.models import EventType
    from tests.factories import EventFactory, SourceRecordFactory, SourceSystemFactory

    nhs = SourceSystemFactory(code="nhs-ae", agency=agencies[AgencyKind.HEALTH])
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    record = SourceRecordFactory(source_system=nhs, person=panel.child)
    plan = services.plan_open(acting_user=panel.coordinator, child=panel.child)
    now = timezone.now()
    known = EventFactory(source_record=record, event_type=EventType.AE_ATTENDANCE,
                         occurred_at=plan.opened_at - dt.timedelta(days=3))
    type(known).objects.filter(pk=known.pk).update(imported_at=plan.opened_at - dt.timedelta(days=2))  # the panel knew
    EventFactory(source_record=record, event_type=EventType.POLICE_STOP, occurred_at=now - dt.timedelta(hours=2))
    EventFactory(source_record=SourceRecordFactory(source_system=police, person=panel.child),
                 event_type=EventType.INJURY, handling="C", occurred_at=now - dt.timedelta(hours=2))
    assert services.health_notices_send(now=now) == 0  # before the plan, not health, or the police's own
    visit = EventFactory(source_record=record, event_type=EventType.AE_ATTENDANCE, occurred_at=now - dt.timedelta(hours=1),
                         detail="Chloe Barker: overdose, brought in by two older men")
    # No one allocated, no open action: the panel's coordinators hear of it.
    assert services.health_notices_send(now=now) == 1
    told = Notification.objects.filter(kind=NotificationKind.HEALTH_RECORD)
    assert {n.recipient for n in told} == {panel.coordinator, panel.council_chair}
    note = told.first()
    assert note is not None and plan.reference in note.subject and "1 new health record" in note.body
    assert "Health agency" not in note.body  # a service's name can say what the record is
    assert "Chloe" not in note.body and "overdose" not in note.body and "A&E" not in note.body
    assert HealthNotice.objects.get().event == visit
    assert services.health_notices_send(now=now) == 0  # once per record
    # With a worker allocated, the worker hears, not the coordinators.
    Allocation.objects.create(kind=AllocationKind.CHILD, child=panel.child, worker=panel.practitioner,
                              allocated_by=panel.coordinator, allocated_at=now)
    EventFactory(source_record=record, event_type=EventType.SEXUAL_HEALTH_ATTENDANCE, occurred_at=now)
    assert services.health_notices_send(now=now + dt.timedelta(minutes=1)) == 1
    assert told.filter(recipient=panel.practitioner).count() == 1 and told.all().count() == 3
    # A record dated before the plan opened but received after it is news to those working with the child.
    EventFactory(source_record=record, event_type=EventType.PREGNANCY, occurred_at=plan.opened_at - dt.timedelta(days=5))
    assert services.health_notices_send(now=now + dt.timedelta(minutes=2)) == 1


def test_a_child_subject_to_a_child_protection_plan_seen_at_a_and_e_is_told_as_cp_is_tells_the_council(  # type: ignore[no-untyped-def]
    panel: Panel, make_user, agencies
) -> None:
    from safeguarding.clocks.models import StepKind
    from safeguarding.clocks.services import casework_step_record
    from safeguarding.mace.models import Allocation, AllocationKind, HealthNotice
    from safeguarding.people.models import EventType
    from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory

    nhs = SourceSystemFactory(code="nhs-ae", agency=agencies[AgencyKind.HEALTH])
    social_worker = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory(given_name="Mia")
    record = SourceRecordFactory(source_system=nhs, person=child)
    now = timezone.now()

    def conference(kind: str, days_ago: int, plan: bool | None = None) -> None:
        casework_step_record(acting_user=social_worker, child=child, kind=kind, positive=plan,
                             occurred_at=now - dt.timedelta(days=days_ago))

    def attends(hours_ago: int) -> None:
        EventFactory(source_record=record, event_type=EventType.AE_ATTENDANCE,
                     occurred_at=now - dt.timedelta(hours=hours_ago), detail="Mia: found drunk with older men")

    conference(StepKind.STRATEGY_DISCUSSION, 20)
    conference(StepKind.INITIAL_CONFERENCE, 6, plan=False)
    attends(5)
    assert services.health_notices_send(now=now) == 0  # the conference made no plan
    conference(StepKind.INITIAL_CONFERENCE, 4, plan=True)
    attends(3)
    # The attendance 5 hours ago, and the one 3 hours ago: both after the plan was made, told once, to
    # the social worker who recorded the conference (no one is allocated).
    assert services.health_notices_send(now=now) == 2
    [note] = Notification.objects.filter(kind=NotificationKind.HEALTH_RECORD)
    assert note.recipient == social_worker and "Child protection plan of" in note.subject
    assert "subject to a child protection plan" in note.body and "2 new health records" in note.body
    assert "Mia" not in note.subject + note.body and "drunk" not in note.body
    assert services.health_notices_send(now=now) == 0
    assert HealthNotice.objects.filter(plan__isnull=True).count() == 2
    # The review conference ends the plan: a later attendance is not told.
    conference(StepKind.REVIEW_CONFERENCE, 1, plan=False)
    attends(0)
    assert services.health_notices_send(now=now + dt.timedelta(minutes=1)) == 0
    # A child on a panel plan and a child protection plan is told of through the panel plan; when the
    # panel plan closes, the child protection plan's watch does not tell the same record again.
    nia = PersonFactory(given_name="Nia")
    casework_step_record(acting_user=social_worker, child=nia, kind=StepKind.STRATEGY_DISCUSSION,
                         occurred_at=now - dt.timedelta(days=9))
    casework_step_record(acting_user=social_worker, child=nia, kind=StepKind.INITIAL_CONFERENCE, positive=True,
                         occurred_at=now - dt.timedelta(days=8))
    plan = services.plan_open(acting_user=panel.coordinator, child=nia)
    Allocation.objects.create(kind=AllocationKind.CHILD, child=nia, worker=social_worker,
                              allocated_by=panel.coordinator, allocated_at=now)
    EventFactory(source_record=SourceRecordFactory(source_system=nhs, person=nia), event_type=EventType.AE_ATTENDANCE,
                 occurred_at=timezone.now())
    assert services.health_notices_send(now=timezone.now() + dt.timedelta(minutes=2)) == 1
    services.plan_close(acting_user=panel.coordinator, plan=plan, outcome="risk_reduced", reason="Safer at home")
    assert services.health_notices_send(now=timezone.now() + dt.timedelta(minutes=3)) == 0


def test_reminders_go_once_before_the_due_date(panel: Panel) -> None:
    held(panel)
    action = discuss(panel).plan.actions.get()
    type(action).objects.filter(pk=action.pk).update(due_on=timezone.localdate() + dt.timedelta(days=1))
    assert services.reminders_send() == 1
    assert Notification.objects.filter(recipient=panel.officer, kind=NotificationKind.ACTION_DUE_SOON).count() == 1
    assert services.reminders_send() == 0


def test_raci_suggests_the_owner_agency_and_refuses_a_broken_matrix(panel: Panel, make_user) -> None:  # type: ignore[no-untyped-def]
    assert services.suggested_agency("disruption").kind == AgencyKind.LICENSING
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    current = services.raci_current()
    from safeguarding.mace import raci

    broken = raci.with_letter(raci.parse(current.matrix), "disruption", AgencyKind.COUNCIL, "A")
    with pytest.raises(raci.RaciError, match="exactly one kind of agency must be accountable"):
        services.raci_change(acting_user=admin, based_on=current.number, matrix=broken, change_note="x")
    fixed = raci.with_letter(raci.parse(current.matrix), "disruption", AgencyKind.LICENSING, "C")
    version = services.raci_change(acting_user=admin, based_on=current.number, matrix=fixed, change_note="Police lead")
    assert version.number == current.number + 1
    assert services.suggested_agency("disruption").kind == AgencyKind.POLICE


def test_a_plan_and_its_clocks_follow_the_child_through_a_merge(panel: Panel) -> None:
    from safeguarding.clocks.models import StepKind
    from safeguarding.clocks.selectors import clocks_for_person
    from safeguarding.clocks.services import casework_step_record
    from safeguarding.mace.selectors import plan_for_person
    from tests.factories import PersonFactory, merge

    recorded_as = PersonFactory(given_name="Chloe", family_name="Barker")
    plan = services.plan_open(acting_user=panel.coordinator, child=recorded_as)
    casework_step_record(acting_user=panel.coordinator, child=recorded_as, kind=StepKind.STRATEGY_DISCUSSION,
                         occurred_at=timezone.now())
    merge(recorded_as, into=panel.child)  # record linkage finds them to be the child already referred
    assert plan_for_person(user=panel.practitioner, person=panel.child) == plan
    assert plan.child_id == recorded_as.pk  # nothing moved: read through the child's identity
    with pytest.raises(ServiceError, match="already has an open plan"):
        services.plan_open(acting_user=panel.coordinator, child=panel.child)
    assert [c.kind for c in clocks_for_person(user=panel.practitioner, person=panel.child)] == [
        "initial_child_protection_conference"
    ]


def test_escalations_of_a_clock_the_police_now_hold_stay_with_the_police(panel: Panel, make_user) -> None:  # type: ignore[no-untyped-def]
    """A return home interview clock whose missing episode the police have since marked C is theirs alone
    (clocks.selectors.police_only_clocks): so are its escalations, on the strategic group's page and an
    agency manager's; a child sealed from the reader is left out likewise."""
    from safeguarding.clocks.models import ClockKind, ClockStatus, StatutoryClock
    from safeguarding.mace.models import Escalation
    from safeguarding.mace.selectors import agency_work, strategic_escalations
    from safeguarding.people.models import EventType, Handling
    from tests.factories import EventFactory, SourceRecordFactory, SourceSystemFactory

    police = SourceSystemFactory(code="police-records", agency=panel.officer.agency)
    episode = EventFactory(source_record=SourceRecordFactory(source_system=police, person=panel.child),
                           event_type=EventType.MISSING_EPISODE, handling=Handling.SHAREABLE)
    now = timezone.now()
    clock = StatutoryClock.objects.create(child=panel.child, kind=ClockKind.RETURN_HOME_INTERVIEW,
                                          start_key=f"event:{episode.pk}", started_at=now, due_at=now,
                                          status=ClockStatus.OVERDUE, status_at=now, agency=panel.coordinator.agency)
    for level in (1, 2):
        Escalation.objects.create(clock=clock, level=level, agency=panel.coordinator.agency, escalated_at=now,
                                  working_days_overdue=3)
    council_manager = make_user(role=Role.AGENCY_MANAGER, agency_kind=AgencyKind.COUNCIL)
    assert [e.clock_id for e in strategic_escalations(user=panel.strategic)] == [clock.pk]
    assert [e.clock_id for e in agency_work(user=council_manager).escalations] == [clock.pk]

    type(episode).objects.filter(pk=episode.pk).update(handling=Handling.CONDITIONS)  # the police's next extract

    assert strategic_escalations(user=panel.strategic) == []
    assert agency_work(user=council_manager).escalations == []

    type(episode).objects.filter(pk=episode.pk).update(handling=Handling.SHAREABLE)
    from django.db import transaction

    from safeguarding.dataprotection.sealing import record_seal

    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=panel.child, reason="A witness", named_users=[panel.coordinator])
    assert agency_work(user=council_manager).escalations == []
