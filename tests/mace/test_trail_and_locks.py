"""The panel's scheduled and bulk work stands in each child's audit trail; reading the roles and
responsibilities never writes them; a plan never closes with an action added while it was closing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType, about_person
from safeguarding.mace import services
from safeguarding.mace.defaults import DEFAULT_CHANGE_NOTE
from safeguarding.mace.models import Plan, PlanAction, PlanOutcome, RaciVersion
from safeguarding.people import identity
from tests.concurrently import postgresql_only, second_while_first_holds
from tests.factories import sign_in
from tests.mace.conftest import Panel

pytestmark = pytest.mark.django_db


def trail_of(person_id: int) -> set[str]:
    return set(AuditEvent.objects.filter(about_person(identity.ids_of(person_id))).values_list("event_type", flat=True))


def test_building_the_agenda_stands_in_the_child_s_trail(panel: Panel) -> None:
    assert AuditEventType.MEETING_AGENDA_CHANGED not in trail_of(panel.child.pk)
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    assert AuditEventType.MEETING_AGENDA_CHANGED in trail_of(panel.child.pk)


def test_an_escalation_and_a_health_notice_stand_in_the_child_s_trail(panel: Panel, agencies) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.people.models import EventType
    from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory

    other = PersonFactory(given_name="Ava", family_name="Hart")
    plan = services.plan_open(acting_user=panel.coordinator, child=panel.child)
    action = services.action_create(acting_user=panel.coordinator, plan=plan, description="Visit at home",
                                    owner=panel.officer, due_on=timezone.localdate() + dt.timedelta(days=7))
    PlanAction.objects.filter(pk=action.pk).update(due_on=dt.date(2026, 3, 2))
    assert services.escalations_run(now=dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC))
    assert AuditEventType.ESCALATED in trail_of(panel.child.pk)
    assert AuditEventType.ESCALATED not in trail_of(other.pk)

    nhs = SourceSystemFactory(code="nhs-ae", agency=agencies[AgencyKind.HEALTH])
    EventFactory(source_record=SourceRecordFactory(source_system=nhs, person=panel.child),
                 event_type=EventType.AE_ATTENDANCE, occurred_at=timezone.now() - dt.timedelta(hours=1))
    assert services.health_notices_send() == 1
    assert AuditEventType.HEALTH_NOTICES_SENT in trail_of(panel.child.pk)
    assert AuditEventType.HEALTH_NOTICES_SENT not in trail_of(other.pk)


def test_the_default_roles_and_responsibilities_are_installed_and_reading_them_writes_nothing(
    client, make_user  # type: ignore[no-untyped-def]
) -> None:
    assert RaciVersion.objects.get().change_note == DEFAULT_CHANGE_NOTE  # installed with the hub
    RaciVersion.objects.all().delete()
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    sign_in(client, admin)
    page = client.get(reverse("mace:raci"))
    assert page.status_code == 200 and "Version 1: The partnership" in page.content.decode()
    services.suggested_agency("disruption")  # nor does a service reading it
    assert not RaciVersion.objects.exists()  # before, the page's GET saved version 1, unaudited
    current = services.raci_current()
    from safeguarding.mace import raci

    changed = raci.with_letter(raci.parse(current.matrix), "disruption", AgencyKind.LICENSING, "C")
    changed = raci.with_letter(raci.parse(changed), "disruption", AgencyKind.POLICE, "A")
    version = services.raci_change(acting_user=admin, based_on=1, matrix=changed, change_note="Police lead")
    assert [v.number for v in RaciVersion.objects.order_by("number")] == [1, 2] and version.number == 2
    assert AuditEvent.objects.filter(event_type=AuditEventType.RACI_CHANGED, target_id="2").exists()


@pytest.mark.django_db(transaction=True)
def test_an_action_added_while_the_plan_closes_waits_and_is_refused(panel: Panel) -> None:
    """Two coordinators at once: one closing the plan (its row locked), one agreeing an action. The
    action waits for the close and is then refused; before, it was saved on a plan closed without it."""
    postgresql_only()
    plan = services.plan_open(acting_user=panel.coordinator, child=panel.child)

    def close(held: Callable[[], None]) -> None:  # the close, held open where it has checked no action is open
        with transaction.atomic():
            Plan.objects.select_for_update().get(pk=plan.pk)
            held()
            Plan.objects.filter(pk=plan.pk).update(status="closed", outcome=PlanOutcome.values[0])

    adding = second_while_first_holds(close, lambda: services.action_create(
        acting_user=panel.coordinator, plan=plan, description="Visit at home", owner=panel.officer,
        due_on=timezone.localdate() + dt.timedelta(days=7)))
    assert adding.waited  # for the close
    assert adding.refused == "The plan is closed: reopen it first"
    assert not PlanAction.objects.filter(plan=plan).exists()


@pytest.mark.django_db(transaction=True)
def test_a_child_allocated_by_two_people_at_once_has_one_worker_and_the_second_is_told(panel: Panel) -> None:
    """Two allocations of the same child at the same moment: each ended the allocation before it (none)
    and both stood, two workers each told the child was theirs. Now the second is refused and told who
    has the child."""
    postgresql_only()
    from safeguarding.mace.models import Allocation

    def first(held: Callable[[], None]) -> None:  # the first allocation, held open just before it commits
        with transaction.atomic():
            services.allocate(acting_user=panel.coordinator, worker=panel.practitioner, child=panel.child)
            held()

    second = second_while_first_holds(first, lambda: services.allocate(
        acting_user=panel.council_chair, worker=panel.officer, child=panel.child))
    assert second.refused == (f"{panel.coordinator} allocated this child to {panel.practitioner} at the same "
                              "moment: allocate it again to change that")
    live = Allocation.objects.filter(child=panel.child, ended_at__isnull=True)
    assert [a.worker for a in live] == [panel.practitioner]
    # Allocating again, knowing, moves the child.
    services.allocate(acting_user=panel.council_chair, worker=panel.officer, child=panel.child)
    assert [a.worker for a in Allocation.objects.filter(child=panel.child, ended_at__isnull=True)] == [panel.officer]


@pytest.mark.django_db(transaction=True)
def test_a_discussion_continuing_a_plan_that_is_closing_waits_and_is_refused(panel: Panel) -> None:
    """The coordinator closes the child's plan while the panel records its discussion continuing it:
    the discussion waits for the close and is told there is no open plan to continue. Before, it
    continued (and set a review date on) a plan closed a moment earlier."""
    from safeguarding.mace.models import PanelDecision
    from tests.mace.test_services import discuss, held

    postgresql_only()
    plan = services.plan_open(acting_user=panel.coordinator, child=panel.child)
    held(panel)

    def close(held_open: Callable[[], None]) -> None:
        with transaction.atomic():
            services.plan_close(acting_user=panel.coordinator, plan=plan, outcome=PlanOutcome.values[0],
                                reason="Risk reduced: settled at college, no missing episodes for six months")
            held_open()

    continuing = second_while_first_holds(close, lambda: discuss(
        panel, decision=PanelDecision.CONTINUE_PLAN, goals=[], actions=[]))
    assert continuing.waited  # for the close
    assert continuing.refused is not None and "no open plan" in continuing.refused
    plan.refresh_from_db()
    assert plan.status == "closed"
