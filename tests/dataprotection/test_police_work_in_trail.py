"""The leak audit of 7 December 2026, through the audit trail and the messages already sent: who the
police suspect, what they hold on an adult, a police-only addendum and a sealed child reached readers
outside the police, or not named on the seal, though every page about them kept them out. Each test
reads as the reader who may not see a thing and as the one who may."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEventType
from safeguarding.people.models import EventType, Handling, Relationship
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, sign_in

pytestmark = pytest.mark.django_db


def _trail(user: Any, *, download: bool = True, **query: str) -> tuple[list[Any], str]:
    """The trail's page as this reader reads it, and its download (unless not wanted)."""
    client = sign_in(Client(), user)
    page = client.get(reverse("dataprotection:trail"), query)
    csv = client.get(reverse("dataprotection:trail"), {**query, "download": "csv"}).content.decode() if download else ""
    return list(page.context["events"].items), csv


def _police_rows(rows: list[Any], officer: Any) -> list[str]:
    """What the officer's rows say they looked at (a page listing people says which page)."""
    return [row.target_id for row in rows if row.actor_id == officer.pk]


def test_the_police_looking_at_a_suspect_or_the_childs_page_that_lists_him_stays_with_the_police(
    make_user: Any, agencies: Any,
) -> None:
    """The police's relationship names Dean as Chloe's suspected perpetrator: a council reader of the
    trail, asking for Dean, was shown "intel.officer viewed a page listing people: single view of
    Chloe", and asking for Chloe, "single view of Dean": whom the police link to whom."""
    niche = SourceSystemFactory(code="niche", agency=agencies[AgencyKind.POLICE])
    chloe = SourceRecordFactory(source_system=niche, given_name="Chloe", family_name="Barker")
    dean = SourceRecordFactory(source_system=niche, role="adult",
                               person=PersonFactory(given_name="Kyle", family_name="Dean", role="adult"))
    Relationship.objects.create(source_system=niche, from_record=dean, to_record=chloe,
                                relationship="suspected_perpetrator")
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    for reader in (officer, worker):
        for person in (chloe.person, dean.person):
            assert sign_in(Client(), reader).get(reverse("people:detail", args=[person.pk])).status_code == 200
    council_dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    police_dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.POLICE)
    listing_chloe = f"single view of {chloe.person.reference}"
    listing_dean = f"single view of {dean.person.reference}"

    as_police = {who: _police_rows(_trail(police_dpo, download=False, person=who.reference)[0], officer)
                 for who in (chloe.person, dean.person)}
    assert listing_chloe in as_police[dean.person] and listing_dean in as_police[chloe.person]
    for who in (chloe.person, dean.person):
        rows, download = _trail(council_dpo, person=who.reference)
        shown = _police_rows(rows, officer)
        assert listing_chloe not in shown and listing_dean not in shown, (who, shown)
        assert f"single view of {dean.person.reference}" not in download
        if who == dean.person:
            assert f"single view of {chloe.person.reference}" not in download
    # The officer opening Chloe's record is seen (the police looking at a child is not police work);
    # the council worker's every row is seen.
    rows, _ = _trail(council_dpo, download=False, person=chloe.person.reference)
    assert any(r.actor_id == officer.pk and r.event_type == AuditEventType.PERSON_VIEWED for r in rows)
    assert {r.event_type for r in rows if r.actor_id == worker.pk} >= {AuditEventType.PERSON_VIEWED}


def test_the_adults_the_police_hold_work_about_are_suspects_in_every_room(make_user: Any, agencies: Any) -> None:
    """The suspects came only from the police's relationship records: an adult named as a suspect in graded
    intelligence, one with intelligence on his own record not to go beyond the police, and an operation's
    subject were not, so the trail showed the police looking at them."""
    from safeguarding.contexts import services as contexts
    from safeguarding.dataprotection.assemble import police_suspects
    from safeguarding.justice import services as justice

    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    niche = SourceSystemFactory(code="niche", agency=agencies[AgencyKind.POLICE])
    child, fox, fisher, willow, passer_by = (PersonFactory(given_name="Amy"),
                                             *(PersonFactory(role="adult") for _ in range(4)))
    contexts.intelligence_record(
        acting_user=officer, observed_on=timezone.localdate(), source_evaluation="2", assessment="B", handling="P",
        handling_conditions="", sanitised_text="Girls taken to a hotel", source_description="CHIS 44",
        persons=[child], adult=fox,
    )
    EventFactory(source_record=SourceRecordFactory(source_system=niche, person=fisher),
                 event_type=EventType.INTELLIGENCE, handling=Handling.CONDITIONS, detail="Supplies cannabis to girls")
    EventFactory(source_record=SourceRecordFactory(source_system=niche, person=passer_by),
                 event_type=EventType.INTELLIGENCE, handling=Handling.SHAREABLE, detail="Lives above the takeaway")
    operation = justice.operation_open(acting_user=officer, name="Operation Willow", kind="operation",
                                       summary="Grooming at the takeaway", opened_on=timezone.localdate())
    justice.operation_add_subject(acting_user=officer, operation=operation, person=willow, role="suspect")
    justice.operation_add_subject(acting_user=officer, operation=operation, person=child, role="child_victim")

    assert set(police_suspects().values_list("pk", flat=True)) == {fox.pk, fisher.pk, willow.pk}

    # As the reader outside the police meets it: the officer opening each one's record, and Amy's.
    for person in (child, fox, fisher, willow, passer_by):
        assert sign_in(Client(), officer).get(reverse("people:detail", args=[person.pk])).status_code == 200
    council_dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    police_dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.POLICE)
    for person in (fox, fisher, willow):
        assert _police_rows(_trail(council_dpo, download=False, person=person.reference)[0], officer) == [], person
        assert _police_rows(_trail(police_dpo, download=False, person=person.reference)[0], officer), person
    assert _police_rows(_trail(council_dpo, download=False, person=passer_by.reference)[0], officer)


def test_an_adults_bundle_does_not_say_the_police_looked_at_him_when_they_hold_intelligence_on_him(
    agencies: Any, make_user: Any,
) -> None:
    """His four items of intelligence marked C were withheld, and his bundle listed "Viewed a person's
    record, by intel.officer (eastshire-police)" beside them: the police's interest, told anyway. And the
    intelligence marked P about him was disclosed to him word for word."""
    from safeguarding.dataprotection import services

    niche = SourceSystemFactory(code="niche", agency=agencies[AgencyKind.POLICE])
    fisher = SourceRecordFactory(source_system=niche, role="adult", given_name="Ryan", family_name="Fisher",
                                 person=PersonFactory(given_name="Ryan", family_name="Fisher", role="adult"))
    EventFactory(source_record=fisher, event_type=EventType.INTELLIGENCE, handling=Handling.CONDITIONS,
                 detail="Supplies cannabis to girls at the park")
    # Intelligence marked P may go to the police's partners, not to the man it is about.
    EventFactory(source_record=fisher, event_type=EventType.INTELLIGENCE, handling=Handling.SHAREABLE,
                 detail="Believed to be buying alcohol for girls")
    EventFactory(source_record=fisher, event_type=EventType.POLICE_STOP, detail="Stopped in his car, nothing found")
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    for reader in (officer, worker):
        assert sign_in(Client(), reader).get(reverse("people:detail", args=[fisher.person.pk])).status_code == 200
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    sar = services.sar_log(acting_user=dpo, person=fisher.person, requester_name="Ryan Fisher",
                           requester_relationship="the person themselves", received_on=timezone.localdate())
    sar = services.sar_verify_identity(acting_user=dpo, sar=sar, verified_on=timezone.localdate(), evidence="Passport")
    sar = services.sar_assemble(acting_user=dpo, sar=sar)
    services.sar_redactions_accept_all(acting_user=dpo, sar=sar)
    bundle = json.dumps(json.loads(bytes(services.sar_bundle_produce(acting_user=dpo, sar=sar).data)),
                        ensure_ascii=False)
    assert "Supplies cannabis" not in bundle
    assert "buying alcohol" not in bundle
    assert "Stopped in his car" in bundle  # his own record is his
    # Withheld whole, and listed for the officer, to refer to the police.
    assert [r.title for r in sar.items.all() if r.withheld_reason].count("Police intelligence (withheld)") == 2
    assert f"{officer.username} (" not in bundle  # no row names the officer
    assert f"{worker.username} (" in bundle  # the council looking at him is his to know


def test_a_police_only_addendum_is_nowhere_in_the_trail_outside_the_police(make_user: Any) -> None:
    """The meeting's page said "Addenda: None" to the council's co-chair, and the trail said the police
    had added one."""
    from django.db import transaction

    from safeguarding.audit.services import audit_record

    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():  # as mace.services.minutes_addendum_add writes them
        audit_record(event_type=AuditEventType.MINUTES_ADDENDUM, actor=officer, target_kind="panel_meeting",
                     target_id=7, detail={"addendum": 1, "police_only": True})
        audit_record(event_type=AuditEventType.MINUTES_ADDENDUM, actor=coordinator, target_kind="panel_meeting",
                     target_id=7, detail={"addendum": 2, "police_only": False})
    action = str(AuditEventType.MINUTES_ADDENDUM)
    council_dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    police_dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.POLICE)
    assert [r.actor_id for r in _trail(council_dpo, download=False, action=action)[0]] == [coordinator.pk]
    assert [r.actor_id for r in _trail(police_dpo, download=False, action=action)[0]] == [coordinator.pk, officer.pk]


def test_a_sealed_child_is_nowhere_in_the_trail_nor_in_the_messages_of_those_the_seal_does_not_name(
    make_user: Any,
) -> None:
    """Asking for the sealed child answered "No person has this hub reference", and asking for her mother
    listed "single view of P0000064" (the child's own page, which lists her parents), before and after
    the seal; the messages page went on naming her among the children linked to a car."""
    from safeguarding.accounts.services import custom_role_create
    from safeguarding.dataprotection import sealing
    from safeguarding.notifications.models import Notification

    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    # The partnership's own information governance auditor: the trail, and nothing else.
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    auditor = make_user(role=custom_role_create(acting_user=admin, name="Information governance auditor",
                                                capabilities=["view_audit"]).code, agency_kind=AgencyKind.HEALTH)
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    council = SourceSystemFactory(code="council-care", agency=practitioner.agency)
    child = SourceRecordFactory(source_system=council, given_name="Mia", family_name="Hart")
    mother = SourceRecordFactory(source_system=council, role="adult", given_name="Lisa", family_name="Hart",
                                 person=PersonFactory(given_name="Lisa", family_name="Hart", role="adult"))
    Relationship.objects.create(source_system=council, from_record=mother, to_record=child, relationship="parent")
    other = PersonFactory()
    text = f"links a child ({other.reference}) to a vehicle already linked to 1 other child ({child.person.reference})"
    for user in (coordinator, practitioner):
        Notification.objects.create(recipient=user, kind="second_child_linked", subject="A new link", body=text,
                                    created_at=timezone.now())
    assert sign_in(Client(), practitioner).get(reverse("people:detail", args=[child.person.pk])).status_code == 200
    sealing.record_seal(acting_user=dpo, person=child.person, named_users=[practitioner],
                        reason="Witness in a forthcoming trial")
    assert sign_in(Client(), practitioner).get(reverse("people:detail", args=[child.person.pk])).status_code == 200

    page = f"single view of {child.person.reference}"
    rows, download = _trail(auditor, person=mother.person.reference)
    assert page not in [r.target_id for r in rows] and page not in download
    rows, download = _trail(auditor)
    assert page not in [r.target_id for r in rows] and page not in download
    assert page in [r.target_id for r in _trail(dpo, download=False, person=mother.person.reference)[0]]  # the seal's keeper

    messages = sign_in(Client(), coordinator).get(reverse("notifications:mine")).content.decode()
    assert child.person.reference not in messages and other.reference in messages
    assert "a restricted record (ask the data protection officer)" in messages
    named = sign_in(Client(), practitioner).get(reverse("notifications:mine")).content.decode()
    assert child.person.reference in named and "a restricted record" not in named  # the seal names her
