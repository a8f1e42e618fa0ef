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
from safeguarding.dataprotection.models import SealedRecord
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


def _action_on_a_plan(coordinator: User, child: Person, owner: User, description: str) -> Any:
    """An open plan for the child, with one action given to ``owner``, due in a fortnight."""
    plan = mace.plan_open(acting_user=coordinator, child=child)
    return mace.action_create(acting_user=coordinator, plan=plan, description=description, owner=owner,
                              due_on=timezone.localdate() + dt.timedelta(days=14))


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
    child = _sealed_child(make_user, [named])

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


def _withheld(dpo: User) -> list[Notification]:
    return list(Notification.objects.filter(recipient=dpo, kind=NotificationKind.SEAL_WITHHELD))


def test_an_urgent_concern_the_seal_keeps_from_the_whole_front_door_reaches_the_data_protection_officer(
    make_user: Any,
) -> None:
    """A child in immediate danger must reach someone: when the seal names no one at the front door, the
    officer who keeps the seals is told, by reference only, so that the seal can name whoever must act."""
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    front_door = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = _sealed_child(make_user, [make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.EDUCATION)])
    dpo = User.objects.get(role=Role.DATA_PROTECTION_OFFICER)

    concern_raise(raised_by=referrer, child=child, seen_on=timezone.localdate(), description="Picked up by a car",
                  immediate_danger=True)

    assert not _told(front_door, NotificationKind.CONCERN_URGENT)
    [notice] = _withheld(dpo)
    seal = SealedRecord.objects.get(person=child)
    assert child.reference in notice.subject and "reached no one who had to hear it" in notice.subject
    assert "An urgent concern" in notice.body and "Sealed Child" not in notice.body
    assert f"these may be named on the seal: {front_door.username}" in notice.body
    assert notice.link == f"/audit/sealed/{seal.pk}/"


def test_a_notice_the_seal_lets_through_to_someone_troubles_no_one(make_user: Any) -> None:
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    named = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = _sealed_child(make_user, [named])

    concern_raise(raised_by=referrer, child=child, seen_on=timezone.localdate(), description="Picked up by a car",
                  immediate_danger=True)

    assert _told(named, NotificationKind.CONCERN_URGENT)
    assert not Notification.objects.filter(kind=NotificationKind.SEAL_WITHHELD).exists()


def test_an_overdue_action_the_seal_keeps_from_every_manager_is_still_noticed(make_user: Any) -> None:
    """The owner the seal names is told the action is escalated; the agency's managers it does not name
    are not; and because no manager was told, the data protection officer is."""
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    owner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    manager = make_user(role=Role.AGENCY_MANAGER, agency_kind=AgencyKind.COUNCIL)
    child = _sealed_child(make_user, [coordinator, owner])
    dpo = User.objects.get(role=Role.DATA_PROTECTION_OFFICER)
    action = _action_on_a_plan(coordinator, child, owner, "Visit at home")
    type(action).objects.filter(pk=action.pk).update(due_on=dt.date(2026, 3, 2))

    mace.escalations_run(now=dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC))

    assert _told(owner, NotificationKind.ESCALATED)
    assert not _told(manager, NotificationKind.ESCALATED)
    [notice] = _withheld(dpo)  # once, though the owner was told
    assert f"Action {action.reference} is overdue" in notice.body and manager.username in notice.body
    assert owner.username not in notice.body


def test_an_overdue_action_of_an_agency_with_no_manager_reaches_the_keeper_when_the_seal_hides_its_owner(
    make_user: Any,
) -> None:
    """The action was given before the child was sealed, to someone the seal does not name, in an agency
    with no safeguarding manager: the escalation would reach no one, so the keeper is told."""
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    owner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.HEALTH)
    child = PersonFactory(given_name="Sealed", family_name="Child")
    action = _action_on_a_plan(coordinator, child, owner, "Clinic visit")
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=child, reason="A witness", named_users=[coordinator])
    type(action).objects.filter(pk=action.pk).update(due_on=dt.date(2026, 3, 2))

    mace.escalations_run(now=dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC))

    assert not _told(owner, NotificationKind.ESCALATED)
    [notice] = _withheld(dpo)
    assert owner.username in notice.body


def test_a_seal_stops_naming_no_one_who_holds_work_for_the_child(make_user: Any) -> None:
    from safeguarding.dataprotection.models import SealedRecord
    from safeguarding.dataprotection.sealing import seal_name

    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    owner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child = _sealed_child(make_user, [coordinator, owner])
    dpo = User.objects.get(role=Role.DATA_PROTECTION_OFFICER)
    action = _action_on_a_plan(coordinator, child, owner, "Visit at home")
    seal = SealedRecord.objects.get(person=child)

    with pytest.raises(ServiceError, match=f"{owner.username} holds action {action.reference}"):
        seal_name(acting_user=dpo, seal=seal, named_users=[coordinator], reason="A new team")
    mace.action_complete(acting_user=owner, action=action, outcome="Visited: safe at home")
    seal_name(acting_user=dpo, seal=seal, named_users=[coordinator], reason="A new team")
    assert list(seal.named_users.all()) == [coordinator]


def test_the_data_protection_officer_changes_who_a_seal_names(make_user: Any) -> None:
    from safeguarding.accounts.access import persons_hidden_from
    from safeguarding.audit.models import AuditEvent, AuditEventType
    from safeguarding.dataprotection.models import SealedRecord
    from safeguarding.dataprotection.sealing import seal_name

    leaving = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    arriving = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child = _sealed_child(make_user, [leaving])
    dpo = User.objects.get(role=Role.DATA_PROTECTION_OFFICER)
    seal = SealedRecord.objects.get(person=child)
    assert child.pk in persons_hidden_from(arriving)

    with pytest.raises(ServiceError, match="Only the data protection officer"):
        seal_name(acting_user=leaving, seal=seal, named_users=[arriving], reason="A new social worker")
    with pytest.raises(ServiceError, match="Say why"):
        seal_name(acting_user=dpo, seal=seal, named_users=[arriving], reason=" ")
    scrutineer = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    with pytest.raises(ServiceError, match=f"cannot open people's records: {scrutineer.username}"):
        seal_name(acting_user=dpo, seal=seal, named_users=[arriving, scrutineer], reason="A new social worker")
    seal_name(acting_user=dpo, seal=seal, named_users=[arriving], reason="A new social worker")

    assert child.pk not in persons_hidden_from(arriving)
    assert child.pk in persons_hidden_from(leaving)
    row = AuditEvent.objects.get(event_type=AuditEventType.SEAL_NAMES_CHANGED)
    assert row.detail == {"added": [arriving.username], "removed": [leaving.username]}
    assert row.reason == "A new social worker" and row.actor == dpo


def test_the_seals_page_shows_and_changes_who_it_names(make_user: Any) -> None:
    from django.test import Client
    from django.urls import reverse

    from safeguarding.dataprotection.models import SealedRecord
    from tests.factories import sign_in

    leaving = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    arriving = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    child = _sealed_child(make_user, [leaving])
    seal = SealedRecord.objects.get(person=child)
    page = reverse("dataprotection:seal", args=[seal.pk])
    client = sign_in(Client(), User.objects.get(role=Role.DATA_PROTECTION_OFFICER))

    shown = client.get(page).content.decode()
    assert f"({leaving.username}, " in shown and f'value="{leaving.username}"' in shown

    wrong = client.post(page, {"change": "named", "named": f"{arriving.username}, nobody-here", "reason": "New"})
    assert "No one who can sign in to the hub has the username nobody-here" in wrong.content.decode()
    assert list(seal.named_users.all()) == [leaving]

    done = client.post(page, {"change": "named", "named": arriving.username, "reason": "A new social worker"})
    assert done.status_code == 302
    assert list(seal.named_users.all()) == [arriving]
    assert f"({arriving.username}, " in client.get(page).content.decode()
    child_page = reverse("people:detail", args=[child.pk])
    assert sign_in(Client(), leaving).get(child_page).status_code == 404
    assert sign_in(Client(), arriving).get(child_page).status_code == 200


def test_a_second_child_notice_the_seal_keeps_from_everyone_who_works_on_contexts_reaches_the_keeper(
    make_user: Any,
) -> None:
    """A child linked to a vehicle another child is linked to is news for everyone who works on contexts;
    when a seal on either child names none of them, no one would hear it: the officer who keeps the seals
    is told, by the seal's reference (never the child's name), so that the seal can name whoever must act."""
    from safeguarding.contexts.models import EntityKind, LinkNature
    from safeguarding.contexts.services import Reported, information_submit

    youth_worker = make_user(role=Role.REFERRER, agency_kind=AgencyKind.VOLUNTARY)
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    first = PersonFactory(given_name="Open", family_name="Child")
    child = _sealed_child(make_user, [make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)])
    dpo = User.objects.get(role=Role.DATA_PROTECTION_OFFICER)
    seal = SealedRecord.objects.get(person=child)
    car = [Reported(kind=EntityKind.VEHICLE, value="YA19 ABC", nature=LinkNature.VEHICLE_USED)]

    for person in (first, child):
        information_submit(acting_user=youth_worker, person=person, observed_on=timezone.localdate(),
                           summary="Picked up outside school", reported=car)

    assert not _told(coordinator, NotificationKind.SECOND_CHILD_LINKED)
    [notice] = _withheld(dpo)
    assert child.reference in notice.subject and notice.link == f"/audit/sealed/{seal.pk}/"
    assert "A second child linked to the same vehicle" in notice.body and coordinator.username in notice.body
    assert "Sealed Child" not in notice.subject + notice.body and first.reference not in notice.body


def test_a_second_child_notice_the_seal_lets_through_to_someone_troubles_no_one(make_user: Any) -> None:
    from safeguarding.contexts.models import EntityKind, LinkNature
    from safeguarding.contexts.services import Reported, information_submit

    youth_worker = make_user(role=Role.REFERRER, agency_kind=AgencyKind.VOLUNTARY)
    named = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    other = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    first = PersonFactory(given_name="Open", family_name="Child")
    child = _sealed_child(make_user, [named])
    car = [Reported(kind=EntityKind.VEHICLE, value="YA19 ABC", nature=LinkNature.VEHICLE_USED)]

    for person in (first, child):
        information_submit(acting_user=youth_worker, person=person, observed_on=timezone.localdate(),
                           summary="Picked up outside school", reported=car)

    assert _told(named, NotificationKind.SECOND_CHILD_LINKED)
    assert not _told(other, NotificationKind.SECOND_CHILD_LINKED)
    assert not Notification.objects.filter(kind=NotificationKind.SEAL_WITHHELD).exists()


def test_a_notice_of_police_work_a_seal_keeps_from_the_police_goes_to_no_keeper_outside_them(make_user: Any) -> None:
    """A submission naming a car the police hold with conditions tells the police intelligence unit,
    and tells the police's casework staff of the other child linked to it only through the police's
    intelligence. When a seal keeps the child from every one of them, the keeper (a council officer)
    was told instead, in notices whose subjects said what the police hold."""
    from safeguarding.contexts.models import EntityKind, LinkNature
    from safeguarding.contexts.services import Reported, information_submit, intelligence_record
    from safeguarding.dataprotection.assemble import gather

    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    other = PersonFactory(given_name="Olive", family_name="Dean")
    intelligence_record(
        acting_user=officer, observed_on=timezone.localdate(), source_evaluation="1", assessment="A", handling="C",
        handling_conditions="Police only", sanitised_text="Seen in the car", source_description="CHIS 9",
        persons=[other], reported=[Reported(kind=EntityKind.VEHICLE, value="RS19 XYZ", nature=LinkNature.VEHICLE_USED)])
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = _sealed_child(make_user, [worker])
    dpo = User.objects.get(role=Role.DATA_PROTECTION_OFFICER)

    information_submit(acting_user=worker, person=child, observed_on=timezone.localdate(), summary="Picked up",
                       reported=[Reported(kind=EntityKind.VEHICLE, value="RS19 XYZ", nature=LinkNature.VEHICLE_USED)])

    assert not _told(officer, NotificationKind.POLICE_HOLDING_TOUCHED)  # the seal keeps the child from him
    assert not Notification.objects.filter(recipient=dpo).exists()
    # Nor does the child's subject access bundle say the police were told: it is withheld as police work.
    items, _ = gather(user=dpo, person=child)
    assert not any("police intelligence unit" in i.title.lower() for i in items)
    assert any(i.kind == "withheld_police" for i in items)
