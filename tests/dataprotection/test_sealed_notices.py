"""Notices about a sealed child reach only those the seal names: a notice to anyone else would lead to a
page that answers not found, and would say on its own that a sealed child is there. Nor may an action on a
sealed child's plan be given to someone the seal does not name."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.core.errors import ServiceError
from safeguarding.dataprotection.sealing import record_seal
from safeguarding.frontdoor.services import concern_raise
from safeguarding.mace import services as mace
from safeguarding.notifications.models import Notification, NotificationKind
from safeguarding.panel.services import panel_refer
from safeguarding.people.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _sealed_child(make_user: Any, named: list[User]) -> Person:
    child = PersonFactory(given_name="Sealed", family_name="Child")
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=child, reason="A witness in an open investigation", named_users=named)
    return child


def _told(user: User, kind: str) -> bool:
    return Notification.objects.filter(recipient=user, kind=kind).exists()


def test_a_referral_of_a_sealed_child_is_told_only_to_the_coordinators_the_seal_names(make_user: Any) -> None:
    referring = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    named = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE)
    other = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.HEALTH)
    child = _sealed_child(make_user, [referring, named])

    panel_refer(child=child, referred_by=referring, reason="Seen with older men")

    assert _told(named, NotificationKind.REFERRAL_RECEIVED)
    assert not _told(other, NotificationKind.REFERRAL_RECEIVED)


def test_an_urgent_concern_about_a_sealed_child_is_told_only_to_the_front_door_the_seal_names(
    make_user: Any,
) -> None:
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    named = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    other = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = _sealed_child(make_user, [referrer, named])

    concern_raise(raised_by=referrer, child=child, seen_on=timezone.localdate(), description="Picked up by a car",
                  immediate_danger=True)

    assert _told(named, NotificationKind.CONCERN_URGENT)
    assert not _told(other, NotificationKind.CONCERN_URGENT)


def test_an_action_on_a_sealed_childs_plan_goes_only_to_someone_the_seal_names(make_user: Any) -> None:
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    named = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    other = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child = _sealed_child(make_user, [coordinator, named])
    plan = mace.plan_open(acting_user=coordinator, child=child)
    due = timezone.localdate() + dt.timedelta(days=14)

    with pytest.raises(ServiceError, match="seal does not name that person"):
        mace.action_create(acting_user=coordinator, plan=plan, description="Visit at home", owner=other, due_on=due)
    action = mace.action_create(acting_user=coordinator, plan=plan, description="Visit at home", owner=named,
                                due_on=due)

    assert action.owner == named and _told(named, NotificationKind.ACTION_ASSIGNED)
    assert not _told(other, NotificationKind.ACTION_ASSIGNED)


@pytest.mark.parametrize("kind", ["persons", "alerts", "clocks", "networks"])
def test_the_files_the_hub_hands_out_name_no_one_under_a_seal(make_user: Any, tmp_path: Any, kind: str) -> None:
    """``safeguarding export`` writes for readers the hub cannot check: a sealed child's records, alerts,
    clocks and networks are not in the file; another child's are."""
    import csv

    from django.core.management import call_command

    from safeguarding.clocks.models import ClockKind, ClockStatus, StatutoryClock
    from safeguarding.contexts.services import links_build
    from safeguarding.earlywarning.models import Rule
    from safeguarding.earlywarning.scan import scan_run
    from safeguarding.people.models import EventType
    from tests.factories import EventFactory, SourceRecordFactory, SourceSystemFactory

    police = SourceSystemFactory(code="police-records", agency=make_user(
        role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE).agency)
    children = [PersonFactory(given_name=name) for name in ("Open", "Sealed")]
    for n, child in enumerate(children):
        record = SourceRecordFactory(source_system=police, person=child, record_id=f"NICHE-{n}")
        for days in (30, 20, 10):  # three missing episodes in one car: an alert, and a network
            EventFactory(source_record=record, event_type=EventType.MISSING_EPISODE, vehicle_registration="KX21ABC",
                         occurred_at=timezone.now() - dt.timedelta(days=days))
    scan_run(rules=[Rule.objects.get(code="repeat-missing")])
    links_build(raise_alerts=False)
    now = timezone.now()
    for child in children:
        StatutoryClock.objects.create(child=child, kind=ClockKind.ASSESSMENT, start_key=f"test:{child.pk}",
                                      started_at=now, due_at=now, status=ClockStatus.OPEN, status_at=now)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=children[1], reason="A witness",
                    named_users=[make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)])

    call_command("export", kind, out=tmp_path / f"{kind}.csv")

    text = (tmp_path / f"{kind}.csv").read_text()
    assert children[1].reference not in text
    if kind != "networks":  # a network needs two people: the open child is alone once the other is left out
        assert children[0].reference in text
    assert len(list(csv.reader(text.splitlines()))) >= 1
