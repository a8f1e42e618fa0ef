"""The audit trail as the data protection officer reads it: every entry, a page at a time, narrowed
by person, by who acted, by what they did and when; downloaded as CSV (and the download audited)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from tests.factories import PersonFactory, sign_in

pytestmark = pytest.mark.django_db


def test_the_trail_filters_by_user_action_person_and_date(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LIST_PAGE_SIZE = 5
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    nosy = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, username="nosy.parker")
    other = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, username="quiet.one")
    child = PersonFactory()
    for user in (nosy, nosy, nosy, other):
        sign_in(Client(), user).get(reverse("people:detail", args=[child.pk]))
    sign_in(Client(), other).get(reverse("people:search"), {"family_name": "Barker"})
    client = sign_in(Client(), dpo)

    everything = client.get(reverse("dataprotection:trail"))
    assert everything.context["events"].total == AuditEvent.objects.count()  # this reading's own row too
    assert everything.context["events"].pages > 1

    by_user = client.get(reverse("dataprotection:trail"), {"user": "nosy"})
    assert {e.actor_id for e in by_user.context["events"].items} == {nosy.pk}
    viewed = client.get(reverse("dataprotection:trail"), {"user": "nosy", "action": str(AuditEventType.PERSON_VIEWED)})
    assert viewed.context["events"].total == 3
    searched = client.get(reverse("dataprotection:trail"), {"action": str(AuditEventType.PERSON_SEARCHED)})
    assert [e.actor_id for e in searched.context["events"].items] == [other.pk]
    about = client.get(reverse("dataprotection:trail"), {"person": child.reference})
    assert about.context["person"] == child
    # The views of their record (the search found no record of theirs: they have none).
    assert {e.event_type for e in about.context["events"].items} <= {AuditEventType.PERSON_VIEWED,
                                                                     AuditEventType.PERSON_SEARCHED,
                                                                     AuditEventType.AUDIT_TRAIL_VIEWED}
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    future = client.get(reverse("dataprotection:trail"), {
        "occurred_from_0": tomorrow.day, "occurred_from_1": tomorrow.month, "occurred_from_2": tomorrow.year})
    assert future.context["events"].total == 0 and "Nothing recorded that matches the filters" in future.content.decode()
    unknown = client.get(reverse("dataprotection:trail"), {"person": "P9999999"})
    assert "No person has this hub reference" in unknown.content.decode()

    download = client.get(reverse("dataprotection:trail"), {"user": "nosy", "download": "csv"})
    lines = download.content.decode().strip().splitlines()
    assert lines[0].startswith("Number,When,Who") and len(lines) == 1 + by_user.context["events"].total
    row = AuditEvent.objects.filter(event_type=AuditEventType.LIST_DOWNLOADED, actor=dpo).get()
    assert row.detail["filters"] == {"user": "nosy"} and row.detail["persons"] == [child.pk]


def test_only_the_data_protection_officer_reads_the_trail(make_user) -> None:  # type: ignore[no-untyped-def]
    for role in (Role.TRIAGE_WORKER, Role.ADMINISTRATOR, Role.PARTNERSHIP_MANAGER):
        client = sign_in(Client(), make_user(role=role, agency_kind=AgencyKind.COUNCIL))
        assert client.get(reverse("dataprotection:trail"), {"download": "csv"}).status_code == 403


def test_who_saw_a_child_includes_every_list_search_and_download_that_showed_them(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.dataprotection.assemble import gather
    from tests.factories import SourceRecordFactory

    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, username="triage.one")
    child = SourceRecordFactory(given_name="Chloe", family_name="Barker").person
    unrelated = SourceRecordFactory(given_name="Amy", family_name="Smith").person
    reader = sign_in(Client(), triage)
    reader.get(reverse("people:search"), {"family_name": "Barker"})  # a search that found her
    reader.get(reverse("people:search"), {"family_name": "Smith"})  # one that did not
    client = sign_in(Client(), dpo)
    about = client.get(reverse("dataprotection:trail"), {"person": child.reference})
    rows = [(e.event_type, e.actor_id) for e in about.context["events"].items]
    assert (AuditEventType.PERSON_SEARCHED, triage.pk) in rows
    assert rows.count((AuditEventType.PERSON_SEARCHED, triage.pk)) == 1
    theirs = client.get(reverse("dataprotection:trail"), {"person": unrelated.reference})
    assert [e.event_type for e in theirs.context["events"].items].count(AuditEventType.PERSON_SEARCHED) == 1
    # A subject access bundle's "who has viewed or changed your record" lists the search too.
    items, _ = gather(user=dpo, person=child)
    assert any(i.kind == "audit" and "triage.one" in dict(i.fields)["By"] and "earch" in i.title for i in items)


def test_the_trail_keeps_a_sealed_person_from_a_reader_the_seal_does_not_name(make_user) -> None:  # type: ignore[no-untyped-def]
    """A partnership role that reads the trail without keeping the seals (an information governance
    auditor) finds a sealed person nowhere in it: not by reference (answered as an unknown one), not in
    the whole trail, not in its download. The data protection officer, who keeps the seals, sees all."""
    from safeguarding.accounts.services import custom_role_create
    from safeguarding.dataprotection.sealing import record_seal

    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    auditor = make_user(role=custom_role_create(acting_user=admin, name="Information governance auditor",
                                                capabilities=["view_audit"]).code, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory(given_name="Keziah", family_name="Oduya")
    other = PersonFactory(given_name="Amy", family_name="Smith")
    for person in (child, other):
        sign_in(Client(), practitioner).get(reverse("people:detail", args=[person.pk]))
    record_seal(acting_user=dpo, person=child, reason="Witness in a forthcoming trial", named_users=[practitioner])

    reader = sign_in(Client(), auditor)
    about = reader.get(reverse("dataprotection:trail"), {"person": child.reference})
    page = about.content.decode()
    assert "No person has this hub reference" in page and "Oduya" not in page
    assert about.context["events"].total == 0
    everything = reader.get(reverse("dataprotection:trail"))
    rows = everything.content.decode()
    assert "Witness in a forthcoming trial" not in rows
    assert all(e.person_id != child.pk for e in everything.context["events"].items)
    assert any(e.person_id == other.pk for e in everything.context["events"].items)
    download = reader.get(reverse("dataprotection:trail"), {"download": "csv"}).content.decode()
    assert child.reference not in download and "Witness in a forthcoming trial" not in download
    assert other.reference in download

    keeper = sign_in(Client(), dpo).get(reverse("dataprotection:trail"), {"person": child.reference})
    assert "Oduya" in keeper.content.decode() and keeper.context["events"].total > 0
    assert "Witness in a forthcoming trial" in keeper.content.decode()


def test_rows_of_police_work_stay_with_the_police_readers_of_the_trail(make_user) -> None:  # type: ignore[no-untyped-def]
    """A row's title that says the police recorded intelligence about a person, or were told of a
    submission, tells its reader what the police hold: the council's data protection officer reads
    the trail without them (told so, in one fixed sentence), the police's own reads them."""
    from django.db import transaction

    from safeguarding.audit.services import audit_record

    council_dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    police_dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.POLICE)
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    adult = PersonFactory(given_name="Darren", family_name="Cole")
    with transaction.atomic():
        audit_record(event_type=AuditEventType.INTELLIGENCE_RECORDED, actor=officer, target_kind="intelligence",
                     target_id="C-0001", person_id=adult.pk)
        audit_record(event_type=AuditEventType.PERSONS_LISTED, actor=officer, target_kind="page",
                     target_id="network of P0000001", person_id=adult.pk)
    sign_in(Client(), officer).get(reverse("people:detail", args=[adult.pk]))  # not police work: seen by both
    # A man a police record names as a child's suspected perpetrator: the police opening his record is
    # police work (it says they are looking at him); a council worker opening it is not.
    from safeguarding.people.models import Relationship
    from tests.factories import SourceRecordFactory, SourceSystemFactory

    niche = SourceSystemFactory(code="niche", agency=officer.agency)
    suspect = SourceRecordFactory(source_system=niche, person=PersonFactory(role="adult", family_name="Dean"))
    Relationship.objects.create(source_system=niche, from_record=suspect, to_record=SourceRecordFactory(
        source_system=niche), relationship="suspected_perpetrator")
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    for reader in (officer, worker):
        sign_in(Client(), reader).get(reverse("people:detail", args=[suspect.person_id]))

    council = sign_in(Client(), council_dpo).get(reverse("dataprotection:trail"), {"person": adult.reference})
    kinds = {e.event_type for e in council.context["events"].items}
    assert AuditEventType.INTELLIGENCE_RECORDED not in kinds and AuditEventType.PERSONS_LISTED not in kinds
    assert AuditEventType.PERSON_VIEWED in kinds
    about_suspect = sign_in(Client(), council_dpo).get(reverse("dataprotection:trail"),
                                                       {"person": suspect.person.reference})
    viewers = {e.actor_id for e in about_suspect.context["events"].items if e.event_type == AuditEventType.PERSON_VIEWED}
    assert viewers == {worker.pk}
    as_police = sign_in(Client(), police_dpo).get(reverse("dataprotection:trail"), {"person": suspect.person.reference})
    assert {e.actor_id for e in as_police.context["events"].items
            if e.event_type == AuditEventType.PERSON_VIEWED} == {worker.pk, officer.pk}
    assert "shown only to readers in the police" in council.content.decode()
    download = sign_in(Client(), council_dpo).get(reverse("dataprotection:trail"), {"download": "csv"}).content.decode()
    assert "intelligence" not in download.lower() and "network of" not in download

    police = sign_in(Client(), police_dpo).get(reverse("dataprotection:trail"), {"person": adult.reference})
    kinds = {e.event_type for e in police.context["events"].items}
    assert {AuditEventType.INTELLIGENCE_RECORDED, AuditEventType.PERSONS_LISTED, AuditEventType.PERSON_VIEWED} <= kinds
    assert "shown only to readers in the police" not in police.content.decode()
