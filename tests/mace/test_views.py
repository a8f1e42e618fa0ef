"""The panel's pages as users see them: the agenda and the work lists use a fixed number of queries
whatever their length; police-only intelligence never reaches a non-police reader of the agenda."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.mace import services
from safeguarding.mace.models import AttendanceStatus, PanelDecision
from safeguarding.panel.services import panel_refer
from safeguarding.people.models import EventType, Handling
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, sign_in
from tests.mace.conftest import Panel

pytestmark = pytest.mark.django_db


def refer_more(panel: Panel, count: int) -> None:
    for _ in range(count):
        panel_refer(child=PersonFactory(), referred_by=panel.coordinator, reason="More")


def plans_with_actions(panel: Panel, actions_each: int) -> None:
    """Discuss every child on the agenda, opening a plan with actions owned by the officer."""
    services.attendance_record(acting_user=panel.coordinator, meeting=panel.meeting,
                               entries={panel.coordinator.agency_id: (AttendanceStatus.ATTENDED, "")})
    due = timezone.localdate() + dt.timedelta(days=10)
    for item in panel.meeting.items.all():
        services.discussion_record(
            acting_user=panel.coordinator, item=item, summary="Discussed", decision=PanelDecision.OPEN_PLAN,
            actions=[services.ActionInput(f"Action {n}", panel.officer, due) for n in range(actions_each)],
        )


def test_agenda_queries_do_not_grow_with_the_agenda(panel: Panel, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    sign_in(client, panel.coordinator)
    url = reverse("mace:meeting", args=[panel.meeting.pk])
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    [later] = services.meetings_schedule(acting_user=panel.coordinator, first_at=panel.meeting.scheduled_for,
                                         place="Room 3", police_chair=panel.police_chair,
                                         council_chair=panel.council_chair)
    refer_more(panel, 12)
    services.agenda_build(acting_user=panel.coordinator, meeting=later)
    assert later.items.count() == 13
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("mace:meeting", args=[later.pk]))
    assert response.content.decode().count("New referral") == 13


def test_my_work_queries_do_not_grow_with_the_work(panel: Panel, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    plans_with_actions(panel, 1)
    client = Client()
    sign_in(client, panel.officer)
    manager = Client()
    sign_in(manager, panel.police_manager)
    with django_assert_max_num_queries(40) as few:
        assert client.get(reverse("mace:my-work")).status_code == 200
    with django_assert_max_num_queries(40) as few_agency:
        assert manager.get(reverse("mace:agency-work")).status_code == 200
    [later] = services.meetings_schedule(acting_user=panel.coordinator, first_at=panel.meeting.scheduled_for,
                                         place="Room 3", police_chair=panel.police_chair,
                                         council_chair=panel.council_chair)
    refer_more(panel, 5)
    services.agenda_build(acting_user=panel.coordinator, meeting=later)
    services.attendance_record(acting_user=panel.coordinator, meeting=later,
                               entries={panel.coordinator.agency_id: (AttendanceStatus.ATTENDED, "")})
    assert later.items.count() == 5  # the new referrals (the first child's review is not due)
    for item in later.items.all():
        services.discussion_record(
            acting_user=panel.coordinator, item=item, summary="Discussed", decision=PanelDecision.OPEN_PLAN,
            actions=[services.ActionInput(f"Action {n}", panel.officer, timezone.localdate() + dt.timedelta(days=9))
                     for n in range(3)],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("mace:my-work"))
    assert response.content.decode().count("Action ") >= 16
    with django_assert_max_num_queries(len(few_agency.captured_queries)):
        assert manager.get(reverse("mace:agency-work")).content.decode().count("Action ") >= 16


def test_restricted_intelligence_never_reaches_the_agenda_for_non_police(panel: Panel, make_user) -> None:  # type: ignore[no-untyped-def]
    police = SourceSystemFactory(code="police-records", agency=panel.officer.agency)
    record = SourceRecordFactory(source_system=police, person=panel.child)
    EventFactory(source_record=record, event_type=EventType.INTELLIGENCE, handling=Handling.CONDITIONS,
                 detail="restricted-intel-text")
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    plans_with_actions(panel, 1)
    for reader in (panel.coordinator, panel.practitioner, panel.council_manager):
        client = Client()
        sign_in(client, reader)
        for url in (reverse("mace:meeting", args=[panel.meeting.pk]), reverse("mace:my-work")):
            assert "restricted-intel-text" not in client.get(url).content.decode()
    from safeguarding.notifications.models import Notification

    assert not Notification.objects.filter(body__contains="restricted-intel-text").exists()


def test_the_strategic_group_sees_references_not_names(panel: Panel) -> None:
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    plans_with_actions(panel, 1)
    action = panel.child.mace_plans.get().actions.get()
    type(action).objects.filter(pk=action.pk).update(due_on=timezone.localdate() - dt.timedelta(days=21))
    services.escalations_run()
    client = Client()
    sign_in(client, panel.strategic)
    page = client.get(reverse("mace:escalations")).content.decode()
    assert action.reference in page and "Chloe" not in page and "Barker" not in page
    manager = Client()
    sign_in(manager, panel.police_manager)
    work = manager.get(reverse("mace:agency-work")).content.decode()
    assert action.reference in work and "escalated" in work.lower()


def test_the_meeting_lists_the_contexts_due_for_review_beside_its_children(panel: Panel) -> None:
    from safeguarding.contexts.models import Entity, EntityKind, PlaceKind
    from safeguarding.contexts.services import context_open

    place = Entity.objects.create(kind=EntityKind.PLACE, key="S601AA", label="Takeaway, High Street",
                                  place_kind=PlaceKind.TAKEAWAY)
    [meeting] = services.meetings_schedule(acting_user=panel.coordinator, first_at=timezone.now() + dt.timedelta(days=7),
                                           place="Room 3", police_chair=panel.police_chair,
                                           council_chair=panel.council_chair)
    due = timezone.localdate() + dt.timedelta(days=5)
    context_open(acting_user=panel.coordinator, entity=place, assessment="Children seen with adults here",
                 plan="Patrols on Friday nights", review_due_on=due)
    later = Entity.objects.create(kind=EntityKind.PLACE, key="S602BB", label="Hotel, Station Road",
                                  place_kind=PlaceKind.HOTEL)
    context_open(acting_user=panel.coordinator, entity=later, assessment="Seen once", plan="Visit the manager",
                 review_due_on=due + dt.timedelta(days=60))
    client = Client()
    sign_in(client, panel.coordinator)
    page = client.get(reverse("mace:meeting", args=[meeting.pk])).content.decode()
    listed = page.split('id="contexts-due"', 1)[1].split("</table>", 1)[0]
    assert "Takeaway, High Street" in listed and "Hotel, Station Road" not in listed


def test_a_sealed_child_on_the_agenda_is_a_restricted_record_to_those_the_seal_does_not_let_in(  # type: ignore[no-untyped-def]
    panel: Panel, make_user
) -> None:
    from django.db import transaction

    from safeguarding.accounts.models import AgencyKind, Role
    from safeguarding.dataprotection.sealing import record_seal

    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=panel.child, reason="A witness", named_users=[panel.council_chair])
    url = reverse("mace:meeting", args=[panel.meeting.pk])
    coordinator, chair = Client(), Client()
    sign_in(coordinator, panel.coordinator)
    sign_in(chair, panel.council_chair)
    agenda = coordinator.get(url).content.decode().split('id="agenda"', 1)[1].split("</table>", 1)[0]
    assert "Chloe" not in agenda and "A restricted record" in agenda
    # Nothing beside it names the child either: not their reference, nor a link to their record or plan.
    assert panel.child.reference not in agenda and reverse("people:detail", args=[panel.child.pk]) not in agenda
    assert "Chloe" in chair.get(url).content.decode()
    listed = AuditEvent.objects.filter(event_type=AuditEventType.PERSONS_LISTED, actor=panel.coordinator)
    assert panel.child.pk not in {pk for event in listed for pk in event.detail["persons"]}
    # Naming the child by reference to add them again answers as for someone the hub does not hold.
    added = coordinator.post(reverse("mace:agenda-add", args=[panel.meeting.pk]),
                             {"person": panel.child.reference, "note": "Again"}, follow=True).content.decode()
    assert "No one in the hub has that reference" in added
    # Nor does the agenda say why the child is there, or what the panel decided.
    assert "New referral" not in agenda and agenda.count("Not shown") == 4


def test_the_minutes_of_a_meeting_about_a_sealed_child_are_read_and_written_only_by_those_the_seal_names(  # type: ignore[no-untyped-def]
    panel: Panel, make_user
) -> None:
    """The minutes are free text about every child on the agenda: they name the child, and may carry
    what the police said. A member the seal does not name is told they are not shown, and cannot write,
    approve or add to them."""
    from django.db import transaction

    from safeguarding.accounts.models import AgencyKind, Role
    from safeguarding.dataprotection.sealing import record_seal
    from tests.mace.test_services import held

    held(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Chloe Barker: plan agreed")
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=panel.child, reason="A witness", named_users=[panel.council_chair])
    url = reverse("mace:meeting", args=[panel.meeting.pk])

    outside = sign_in(Client(), panel.coordinator).get(url).content.decode()
    named = sign_in(Client(), panel.council_chair).get(url).content.decode()

    assert "Chloe Barker: plan agreed" not in outside and 'id="minutes-withheld"' in outside
    assert "Save the draft minutes" not in outside
    assert "Chloe Barker: plan agreed" in named and "Approve and lock the minutes" in named
    with pytest.raises(ServiceError, match="sealed record that does not name you"):
        services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Redrafted")
    services.minutes_approve(acting_user=panel.council_chair, meeting=panel.meeting)
    with pytest.raises(ServiceError, match="sealed record that does not name you"):
        services.minutes_addendum_add(acting_user=panel.coordinator, meeting=panel.meeting, text="A correction")


def test_a_sealed_childs_work_is_allocated_only_to_a_worker_the_seal_names_and_listed_only_for_them(  # type: ignore[no-untyped-def]
    panel: Panel, make_user
) -> None:
    from django.db import transaction

    from safeguarding.accounts.models import AgencyKind, Role
    from safeguarding.dataprotection.sealing import record_seal
    from safeguarding.mace.models import Allocation

    open_child = PersonFactory(given_name="Openchild", family_name="Dale")
    services.allocate(acting_user=panel.coordinator, worker=panel.practitioner, child=panel.child)
    services.allocate(acting_user=panel.coordinator, worker=panel.practitioner, child=open_child)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=panel.child, reason="A witness", named_users=[panel.coordinator])
    for reader in (panel.practitioner, panel.council_manager):
        page = sign_in(Client(), reader).get(reverse("mace:my-work" if reader == panel.practitioner else "mace:agency-work"))
        body = page.content.decode()
        assert page.status_code == 200 and reverse("people:detail", args=[open_child.pk]) in body
        assert reverse("people:detail", args=[panel.child.pk]) not in body and panel.child.reference not in body
    with pytest.raises(ServiceError, match="restricted"):
        services.allocate(acting_user=panel.coordinator, worker=panel.officer, child=panel.child)
    assert not Allocation.objects.filter(worker=panel.officer).exists()


# --- plans and work as lists (issue 16) ---------------------------------------------------------


def test_plans_list_pages_filters_and_shows_each_childs_level(panel: Panel, settings) -> None:
    settings.LIST_PAGE_SIZE = 3
    children = [PersonFactory(given_name="Plan", family_name=f"Child{n}") for n in range(5)]
    plans = [services.plan_open(acting_user=panel.coordinator, child=child) for child in children]
    type(plans[0]).objects.filter(pk=plans[0].pk).update(review_due_on=timezone.localdate() - dt.timedelta(days=3))
    client = sign_in(Client(), panel.practitioner)
    page = client.get(reverse("mace:plans"))
    assert page.context["plans"].total == 5 and len(page.context["plans"].items) == 3
    body = page.content.decode()
    assert "5 plans" in body and plans[0].reference in body and "Overdue" in body and "Not screened" in body
    overdue = client.get(reverse("mace:plans"), {"review": "overdue"})
    assert [p.pk for p in overdue.context["plans"].items] == [plans[0].pk]
    named = client.get(reverse("mace:plans"), {"child": children[3].reference})
    assert [p.pk for p in named.context["plans"].items] == [plans[3].pk]
    download = client.get(reverse("mace:plans"), {"download": "csv"}).content.decode().strip().splitlines()
    assert len(download) == 6 and download[0].startswith("Plan,Child's hub reference")


def test_the_plans_and_the_agenda_show_a_level_by_the_name_the_partnership_gives_it_now(  # type: ignore[no-untyped-def]
    panel: Panel, make_user
) -> None:
    import csv
    import io

    from safeguarding.accounts.models import AgencyKind, Role
    from safeguarding.screening import selectors as screening
    from safeguarding.screening import services as screening_services
    from tests.screening.conftest import screen

    type(panel.child).objects.filter(pk=panel.child.pk).update(nhs_number="9434765919")
    screen(panel.practitioner, panel.child, "high", yes={"disclosure": "Told her teacher"})
    services.plan_open(acting_user=panel.coordinator, child=panel.child)
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    config = screening_services.config_copy(screening.tool_current())
    next(level for level in config["levels"] if level["code"] == "high")["name"] = "Significant risk"
    screening_services.tool_change(acting_user=admin, based_on=screening.tool_current().number, config=config,
                                   change_note="Our partnership's words")
    client = sign_in(Client(), panel.coordinator)
    plans = client.get(reverse("mace:plans")).content.decode()
    agenda = client.get(reverse("mace:meeting", args=[panel.meeting.pk])).content.decode()
    assert "Significant risk" in plans and "Significant risk" in agenda
    assert "High risk" not in plans and "High risk" not in agenda
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("mace:plans"), {"download": "csv"}).content.decode())))
    assert [row["Risk level in force"] for row in rows] == ["Significant risk"]
    assert [row["NHS number"] for row in rows] == ["9434765919"]


def test_plans_opened_and_closed_by_month_and_outcome_with_no_one_named(panel: Panel, make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.accounts.models import AgencyKind, Role
    from safeguarding.core.calendar import ENGLAND
    from safeguarding.mace.models import Plan, PlanHistory, PlanOutcome

    children = [PersonFactory(given_name="Plan", family_name=f"Child{n}") for n in range(3)]
    plans = [services.plan_open(acting_user=panel.coordinator, child=child) for child in children]
    services.plan_close(acting_user=panel.coordinator, plan=plans[0], outcome=PlanOutcome.RISK_REDUCED,
                        reason="No episodes for six months")
    services.plan_close(acting_user=panel.coordinator, plan=plans[1], outcome=PlanOutcome.MOVED_AREA,
                        reason="Handed to the new area")
    services.plan_reopen(acting_user=panel.coordinator, plan=plans[1], reason="Came back")
    january = dt.datetime(2026, 1, 15, 12, tzinfo=ENGLAND)
    Plan.objects.filter(pk__in=[p.pk for p in plans]).update(opened_at=january)
    PlanHistory.objects.filter(plan=plans[0]).update(at=dt.datetime(2026, 3, 2, 12, tzinfo=ENGLAND))
    PlanHistory.objects.filter(plan=plans[1]).update(at=dt.datetime(2026, 3, 20, 12, tzinfo=ENGLAND))
    client = sign_in(Client(), make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL))
    page = client.get(reverse("mace:figures"))
    rows = {row.month: row for row in page.context["rows"]}
    assert list(rows) == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert (rows[dt.date(2026, 1, 1)].opened, rows[dt.date(2026, 1, 1)].open_at_end) == (3, 3)
    assert rows[dt.date(2026, 2, 1)].open_at_end == 3  # a quiet month is shown too
    march = rows[dt.date(2026, 3, 1)]
    assert (march.closed_total, march.reopened, march.open_at_end) == (2, 1, 2)
    assert march.closed[PlanOutcome.RISK_REDUCED.label] == 1 and march.closed[PlanOutcome.MOVED_AREA.label] == 1
    body = page.content.decode()
    assert "March 2026" in body and "Plan Child0" not in body and plans[0].reference not in body
    practitioner = sign_in(Client(), panel.practitioner)
    assert practitioner.get(reverse("mace:figures")).status_code == 403


def test_timeliness_by_agency_counts_actions_and_clocks_each_agency_answers_for(panel: Panel, make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.accounts.models import AgencyKind, Role
    from safeguarding.clocks.models import ClockKind, ClockStatus, StatutoryClock
    from safeguarding.mace.models import PlanAction

    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    type(panel.meeting).objects.filter(pk=panel.meeting.pk).update(scheduled_for=timezone.now() - dt.timedelta(hours=1))
    plans_with_actions(panel, 3)  # three police actions, due in ten days
    first, second, third = PlanAction.objects.order_by("pk")
    services.action_complete(acting_user=panel.officer, action=first, outcome="Visited the takeaway")
    PlanAction.objects.filter(pk=second.pk).update(due_on=timezone.localdate() - dt.timedelta(days=3))
    services.action_complete(acting_user=panel.officer, action=PlanAction.objects.get(pk=second.pk),
                             outcome="Done, late")
    PlanAction.objects.filter(pk=third.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    now = timezone.now()
    for n, status in enumerate((ClockStatus.MET, ClockStatus.OVERDUE, ClockStatus.OVERDUE)):
        StatutoryClock.objects.create(child=panel.child, kind=ClockKind.ASSESSMENT, start_key=f"test:{n}",
                                      started_at=now, due_at=now, status=status, status_at=now,
                                      agency=panel.coordinator.agency)
    page = sign_in(Client(), make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)).get(
        reverse("mace:figures"))
    rows = {row.agency: row for row in page.context["agencies"]}
    police = rows[panel.officer.agency.name]
    assert (police.actions_in_time, police.actions_late, police.actions_open, police.actions_overdue) == (1, 1, 1, 1)
    council = rows[panel.coordinator.agency.name]
    assert (council.clocks_in_time, council.clocks_late, council.clocks_overdue) == (1, 0, 2)
    table = page.content.decode().split('id="timeliness-by-agency"', 1)[1]
    assert panel.officer.agency.name in table and "Chloe" not in table


def test_work_lists_page_each_list_on_its_own(panel: Panel, settings) -> None:
    settings.LIST_PAGE_SIZE = 4
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    plans_with_actions(panel, 7)
    client = sign_in(Client(), panel.officer)
    first = client.get(reverse("mace:my-work"))
    work = first.context["work"]
    assert work.actions_total == 7 and len(work.actions.items) == 4
    assert 'href="?actions-page=2"' in first.content.decode()
    second = client.get(reverse("mace:my-work"), {"actions-page": "2"}).context["work"]
    assert len(second.actions.items) == 3 and set(second.actions.items).isdisjoint(work.actions.items)
    due_this_week = client.get(reverse("mace:my-work"), {"actions-due": "week"}).context["work"]
    assert due_this_week.actions.total == 0  # due in ten days


# --- sent twice ---------------------------------------------------------------------------------


def _once_token(page: str, form: str) -> str:
    import re

    match = re.search(rf'name="form" value="{form}">[^<]*<input type="hidden" name="once" value="([0-9a-f]+)"', page)
    assert match, "the form carries its one-time token"
    return match.group(1)


def test_agree_the_action_clicked_twice_agrees_one_action_and_sends_one_e_mail(panel: Panel) -> None:
    from django.core import mail

    from safeguarding.mace.models import PlanAction

    plan = services.plan_open(acting_user=panel.coordinator, child=panel.child)
    client = sign_in(Client(), panel.coordinator)
    url = reverse("mace:plan", args=[plan.pk])
    page = client.get(url).content.decode()
    assert 'data-prevent-double-click="true">Agree the action' in page
    due = timezone.localdate() + dt.timedelta(days=14)
    sent = {"form": "action", "description": "Visit at home with the youth worker", "owner": panel.officer.pk,
            "due_on_0": due.day, "due_on_1": due.month, "due_on_2": due.year, "once": _once_token(page, "action")}
    mail.outbox.clear()
    first, second = client.post(url, sent), client.post(url, sent)
    assert first.status_code == second.status_code == 302 and second["Location"] == url
    assert PlanAction.objects.filter(plan=plan).count() == 1
    assert len([m for m in mail.outbox if "assigned to you" in m.subject]) == 1
    shown = client.get(url).content.decode()
    assert "The action was already agreed: this page was sent twice, and it was done once" in shown
    # The page offers a new form: another action is agreed as before.
    client.post(url, {**sent, "description": "Disruption visit to the address", "once": _once_token(shown, "action")})
    assert PlanAction.objects.filter(plan=plan).count() == 2


def test_a_goal_sent_twice_is_added_once_and_a_refused_send_can_be_sent_again(panel: Panel) -> None:
    from safeguarding.mace.models import PlanGoal

    plan = services.plan_open(acting_user=panel.coordinator, child=panel.child)
    client = sign_in(Client(), panel.coordinator)
    url = reverse("mace:plan", args=[plan.pk])
    token = _once_token(client.get(url).content.decode(), "goal")
    empty = client.post(url, {"form": "goal", "text": "", "once": token})  # refused: nothing made, token unspent
    assert empty.status_code == 200 and _once_token(empty.content.decode(), "goal") == token
    sent = {"form": "goal", "text": "Chloe goes to school every day", "once": token}
    assert client.post(url, sent).status_code == client.post(url, sent).status_code == 302
    assert list(PlanGoal.objects.filter(plan=plan).values_list("text", flat=True)) == ["Chloe goes to school every day"]


def test_a_plan_refused_closing_while_its_actions_are_open_says_why(panel: Panel) -> None:
    plan = services.plan_open(acting_user=panel.coordinator, child=panel.child)
    services.action_create(acting_user=panel.coordinator, plan=plan, description="Visit at home",
                           owner=panel.practitioner, due_on=timezone.localdate() + dt.timedelta(days=14))
    client = sign_in(Client(), panel.coordinator)
    url = reverse("mace:plan", args=[plan.pk])
    refused = client.post(url, {"form": "close", "outcome": "risk_reduced", "reason": "Chloe is safe at home"})
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "There is a problem" in page and "1 action is still open" in page
    assert '<details class="govuk-details" open><summary class="govuk-details__summary"><span class="govuk-details__summary-text">Close the plan' in page
    empty_goal = client.post(url, {"form": "goal", "text": ""}).content.decode()
    assert "There is a problem" in empty_goal and "Describe the goal" in empty_goal
    assert AuditEvent.objects.filter(event_type=AuditEventType.PLAN_CLOSED).count() == 0


# --- what the work lists keep -------------------------------------------------------------------


def test_clocks_long_overdue_stay_on_my_work_and_the_agencys_work_until_met(panel: Panel) -> None:
    """A return home interview clock 60 days overdue is still a duty not met: it stays on the lead
    practitioner's work and on their agency manager's, counted as listed, until it is met."""
    from safeguarding.clocks.models import ClockKind, ClockStatus, StatutoryClock

    services.allocate(acting_user=panel.coordinator, worker=panel.practitioner, child=panel.child)
    now = timezone.now()
    made = {}
    for key, days in (("long", 60), ("recent", 1)):
        made[key] = StatutoryClock.objects.create(
            child=panel.child, kind=ClockKind.RETURN_HOME_INTERVIEW, start_key=f"test:{key}",
            started_at=now - dt.timedelta(days=days + 3), due_at=now - dt.timedelta(days=days),
            status=ClockStatus.OVERDUE, status_at=now, agency=panel.practitioner.agency)
    StatutoryClock.objects.create(child=panel.child, kind=ClockKind.RETURN_HOME_INTERVIEW, start_key="test:met",
                                  started_at=now - dt.timedelta(days=90), due_at=now - dt.timedelta(days=87),
                                  met_at=now - dt.timedelta(days=88), status=ClockStatus.MET, status_at=now,
                                  agency=panel.practitioner.agency)
    for reader, url in ((panel.practitioner, "mace:my-work"), (panel.council_manager, "mace:agency-work")):
        response = sign_in(Client(), reader).get(reverse(url))
        page = response.content.decode()
        listed = page.split('id="work-clocks"', 1)[1].split("</table>", 1)[0]
        for clock in made.values():
            assert reverse("clocks:clock", args=[clock.pk]) in listed, (url, clock.start_key)
        assert listed.count("Overdue</strong>") == 2
        assert 'id="count-clocks">2<' in page


def test_decisions_awaiting_you_are_listed_each_with_a_link_to_where_it_is_made(panel: Panel) -> None:
    """A co-chair with minutes another drafted, and a lower level another practitioner judged, sees
    both under "Decisions awaiting you", each linking to the page where it is decided; the count is
    the rows listed."""
    from tests.screening.conftest import screen

    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    services.attendance_record(acting_user=panel.coordinator, meeting=panel.meeting,
                               entries={panel.coordinator.agency_id: (AttendanceStatus.ATTENDED, "")})
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Plan agreed for Chloe.")
    screen(panel.practitioner, panel.child, "high", yes={"disclosure": "Told her teacher"})
    lower = screen(panel.practitioner, panel.child, "at_risk", reason="Settled in placement")

    page = sign_in(Client(), panel.council_chair).get(reverse("mace:my-work")).content.decode()
    assert 'id="count-approvals">2<' in page
    listed = page.split('id="work-decisions"', 1)[1].split("</ul>", 1)[0]
    assert f'href="{reverse("mace:meeting", args=[panel.meeting.pk])}#approve">{panel.meeting.reference}<' in listed
    assert f'href="{reverse("screening:detail", args=[lower.pk])}">{lower.reference}<' in listed
    assert "Chloe Barker" in listed and listed.count("<li>") == 2

    # The one who drafted the minutes has no minutes awaiting them; the practitioner approves no level.
    drafter = sign_in(Client(), panel.coordinator).get(reverse("mace:my-work")).content.decode()
    assert 'id="count-approvals">1<' in drafter and panel.meeting.reference not in drafter.split(
        'id="work-decisions"', 1)[1].split("</ul>", 1)[0]
    assert 'id="count-approvals">0<' in sign_in(Client(), panel.practitioner).get(reverse("mace:my-work")).content.decode()


def test_a_plans_actions_are_listed_open_first_the_overdue_at_the_top(panel: Panel) -> None:
    """The plan's actions table says "open first": a completed action due earliest comes after the
    open ones, and an overdue open action comes before one not yet due."""
    from safeguarding.mace.models import PlanAction

    plan = services.plan_open(acting_user=panel.coordinator, child=panel.child)
    today = timezone.localdate()
    done, _later, overdue = (
        services.action_create(acting_user=panel.coordinator, plan=plan, description=text, owner=panel.officer,
                               due_on=today + dt.timedelta(days=14))
        for text in ("Done-visit", "Later-visit", "Overdue-visit"))
    PlanAction.objects.filter(pk=done.pk).update(due_on=today - dt.timedelta(days=30))
    PlanAction.objects.filter(pk=overdue.pk).update(due_on=today - dt.timedelta(days=3))
    services.action_complete(acting_user=panel.officer, action=PlanAction.objects.get(pk=done.pk), outcome="Seen")
    page = sign_in(Client(), panel.coordinator).get(reverse("mace:plan", args=[plan.pk])).content.decode()
    table = page.split('id="plan-actions"', 1)[1].split("</table>", 1)[0]
    order = sorted(("Done-visit", "Later-visit", "Overdue-visit"), key=table.index)
    assert order == ["Overdue-visit", "Later-visit", "Done-visit"]


def test_a_meeting_already_held_is_not_listed_as_coming_up(panel: Panel) -> None:
    """A meeting held this morning and its minutes locked is not among "Panel meetings coming up";
    the next meeting, still to be held, is."""
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    services.attendance_record(acting_user=panel.coordinator, meeting=panel.meeting,
                               entries={panel.coordinator.agency_id: (AttendanceStatus.ATTENDED, "")})
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Plan agreed for Chloe.")
    services.minutes_approve(acting_user=panel.council_chair, meeting=panel.meeting)
    type(panel.meeting).objects.filter(pk=panel.meeting.pk).update(scheduled_for=timezone.now() - dt.timedelta(hours=3))
    [later] = services.meetings_schedule(acting_user=panel.coordinator, first_at=timezone.now() + dt.timedelta(days=14),
                                         place="Room 3", police_chair=panel.police_chair,
                                         council_chair=panel.council_chair)
    page = sign_in(Client(), panel.practitioner).get(reverse("mace:my-work")).content.decode()
    coming = page.split("Panel meetings coming up", 1)[1]
    assert later.reference in coming and panel.meeting.reference not in coming


def test_the_discussion_page_names_each_kind_of_action_in_words(panel: Panel, agencies) -> None:  # type: ignore[no-untyped-def]
    """The roles and responsibilities' suggestions on the discussion page name each kind of action as
    the partnership's matrix does ("Return home interview after a missing episode"), not its code run
    together ("Returnhomeinterview")."""
    from safeguarding.accounts.models import AgencyKind

    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    item = panel.meeting.items.get()
    page = sign_in(Client(), panel.coordinator).get(
        reverse("mace:discuss", args=[panel.meeting.pk, item.pk])).content.decode()
    suggested = page.split("suggest who leads each kind:", 1)[1].split("</ul>", 1)[0]
    voluntary = agencies[AgencyKind.VOLUNTARY].name
    assert f"<li>Return home interview after a missing episode: {voluntary}</li>" in suggested
    assert "Returnhomeinterview" not in suggested and "Safetyplan" not in suggested


def test_the_action_forms_say_who_may_own_an_action_and_name_the_agencies_with_no_one_who_may(  # type: ignore[no-untyped-def]
    panel: Panel, agencies, make_user
) -> None:
    """Health has only a referrer: the plan's action form and the discussion page say an owner is
    someone whose role sees plans and name Health as an agency with no one such; once Health has a
    safeguarding manager, they are offered as an owner and Health is no longer named."""
    from safeguarding.accounts.models import AgencyKind, Role

    health = agencies[AgencyKind.HEALTH].name
    make_user(role=Role.REFERRER, agency_kind=AgencyKind.HEALTH, first_name="Nina", last_name="Nurse")
    plan = services.plan_open(acting_user=panel.coordinator, child=panel.child)
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    item = panel.meeting.items.get()
    client = sign_in(Client(), panel.coordinator)

    def pages() -> tuple[str, str]:
        plan_page = html.unescape(client.get(reverse("mace:plan", args=[plan.pk])).content.decode())
        discuss = html.unescape(client.get(reverse("mace:discuss", args=[panel.meeting.pk, item.pk])).content.decode())
        return plan_page, discuss.split('id="owners-note">', 1)[1].split("</p>", 1)[0]

    plan_page, note = pages()
    for shown in (plan_page, note):
        assert "owned by a named person whose role lets them see children's plans" in shown
        assert health in shown.split("No one in ", 1)[1].split(" has such a role", 1)[0]
    assert "Nina Nurse" not in plan_page

    make_user(role=Role.AGENCY_MANAGER, agency_kind=AgencyKind.HEALTH, first_name="Hana", last_name="Lead")
    plan_page, note = pages()
    assert "Hana Lead" in plan_page and health not in note


def test_the_roles_and_responsibilities_without_a_change_note_say_so_beside_the_note_and_keep_the_change(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.accounts.models import AgencyKind, Role
    from safeguarding.mace import raci
    from safeguarding.mace.models import RaciVersion

    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    client = sign_in(Client(), admin)
    current = services.raci_current()
    sent = {"based_on": str(current.number)}
    for step in raci.parse(current.matrix):
        sent.update({f"{step.code}__{kind}": letter for kind, letter in step.roles.items()})
    sent["triage__health"] = "I" if sent["triage__health"] != "I" else "C"
    versions = RaciVersion.objects.count()

    page = client.post(reverse("mace:raci"), {**sent, "change_note": "   "})

    assert page.status_code == 200
    body = page.content.decode()
    assert '<a href="#change_note">Say what you changed and why</a>' in body  # the summary links to the note
    beside = body.split('for="change_note"')[1].split("</textarea>")[0]
    assert "govuk-error-message" in beside and "Say what you changed and why" in beside
    cell = body.split('name="triage__health">')[1].split("</select>")[0]
    assert f'value="{sent["triage__health"]}" selected' in cell  # the change is still there to save
    assert RaciVersion.objects.count() == versions

    saved = client.post(reverse("mace:raci"), {**sent, "change_note": "Health told, not consulted"})
    assert saved.status_code == 302
    assert AuditEvent.objects.filter(event_type=AuditEventType.RACI_CHANGED).count() == 1


def test_two_administrators_saving_the_roles_and_responsibilities_at_once_are_told_not_shown_an_error(  # type: ignore[no-untyped-def]
        make_user, monkeypatch) -> None:
    from safeguarding.accounts.models import AgencyKind, Role
    from safeguarding.mace import raci
    from safeguarding.mace.models import RaciVersion

    client = sign_in(Client(), make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL))
    current = services.raci_current()
    sent = {"based_on": str(current.number), "change_note": "Health told, not consulted"}
    for step in raci.parse(current.matrix):
        sent.update({f"{step.code}__{kind}": letter for kind, letter in step.roles.items()})
    sent["triage__health"] = "I" if sent["triage__health"] != "I" else "C"
    read, calls = services.raci_current, []

    def other_saves_after_this_save_read(*args, **kwargs):  # type: ignore[no-untyped-def]
        version = read(*args, **kwargs)
        calls.append(version)
        if len(calls) == 2:  # the save's own read (the page read first): the other's version lands now
            # (in this save's transaction here, so rolled back with it: only the refusal is asserted)
            RaciVersion.objects.create(number=version.number + 1, matrix=version.matrix, created_at=timezone.now(),
                                       change_note="The other administrator's")
        return version

    monkeypatch.setattr(services, "raci_current", other_saves_after_this_save_read)
    page = client.post(reverse("mace:raci"), sent)

    assert page.status_code == 200
    assert "Someone else saved a new version" in page.content.decode()
    assert not RaciVersion.objects.filter(change_note="Health told, not consulted").exists()
    assert not AuditEvent.objects.filter(event_type=AuditEventType.RACI_CHANGED).exists()


def test_a_plan_is_for_a_child_today_and_stays_on_the_page_after_18(panel: Panel) -> None:
    """Judged by the date of birth before the records' role: no plan for a man whose records still say
    "child"; a plan for a girl of 16 the police hold as an adult; and a child's plan, with its section of
    the single view, does not leave the page on the 18th birthday."""
    from safeguarding.people.models import PersonRole

    grown = PersonFactory(given_name="Ryan", role=PersonRole.CHILD, date_of_birth="2001-01-01")
    with pytest.raises(ServiceError, match="Plans are for children"):
        services.plan_open(acting_user=panel.coordinator, child=grown)
    held = PersonFactory(given_name="Bella", role=PersonRole.ADULT, date_of_birth="2010-02-02")
    assert services.plan_open(acting_user=panel.coordinator, child=held).child_id == held.pk

    plan = services.plan_open(acting_user=panel.coordinator, child=panel.child)
    type(panel.child).objects.filter(pk=panel.child.pk).update(date_of_birth="2007-01-01")  # 18 since January
    client = sign_in(Client(), panel.coordinator)
    page = client.get(reverse("people:detail", args=[panel.child.pk])).content.decode()
    assert "Multi-agency plan" in page and f"Plan <a class=\"govuk-link\" href=\"{reverse('mace:plan', args=[plan.pk])}\"" in page
    assert 'id="glance-plan"' in page
    other = client.get(reverse("people:detail", args=[grown.pk])).content.decode()
    assert "Multi-agency plan" not in other and 'id="glance-plan"' not in other
