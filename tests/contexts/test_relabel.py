"""A place's label keeps none of the police's words: migration 0003 for labels written before the rule,
an import that marks an event C after the fact, and the new-link alerts that quoted a label."""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.contexts import services
from safeguarding.contexts.models import Entity, EntityKind
from safeguarding.earlywarning.models import Alert
from safeguarding.notifications.models import Notification, NotificationKind
from safeguarding.people.models import EventType, Handling
from tests.contexts.conftest import Partnership
from tests.factories import sign_in

pytestmark = pytest.mark.django_db

SECRET = "Op KESTREL safe house"
MIGRATION = "safeguarding.contexts.migrations.0003_places_labelled_only_from_shared_records"


def _c_intelligence(officer, person, postcode: str = "S60 9ZZ") -> None:  # type: ignore[no-untyped-def]
    services.intelligence_record(
        acting_user=officer, observed_on=dt.date.today() - dt.timedelta(days=20), source_evaluation="1",
        assessment="A", handling="C", handling_conditions="Police only", sanitised_text="x",
        source_description="CHIS 9", persons=[person],
        reported=[services.Reported(kind=EntityKind.PLACE, value=SECRET, postcode=postcode, nature="seen_at")])


def _seen(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_migration_takes_the_words_of_c_intelligence_off_a_place_a_shared_record_named_later(  # type: ignore[no-untyped-def]
    make_user, partnership: Partnership
) -> None:
    """Before, a place first named by intelligence held with conditions kept its words once a submission
    (or shared intelligence) named it too: the intelligence link keeps no words, so they were never known
    as the police's, and the place had a shared link. Now the first record labelled it, and it was the
    police's. Every agency, the police too, reads the same label, and no one finds it by the words."""
    p = partnership
    bella, _ = p.person(p.school, "SIMS-B", given="Bella")
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    _c_intelligence(officer, bella)
    Entity.objects.filter(key="S60 9ZZ").update(label=f"{SECRET} (S60 9ZZ)", place_kind="house")  # as labelled before
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    services.information_submit(acting_user=worker, person=bella, observed_on=timezone.localdate(), summary="Seen",
                                reported=[services.Reported(kind=EntityKind.PLACE, value="Corner shop",
                                                            postcode="S60 9ZZ", nature="seen_at")])
    # A place a submission named first keeps its label: the police's later intelligence gave none of it.
    carl, _ = p.person(p.school, "SIMS-C", given="Carl")
    services.information_submit(acting_user=worker, person=carl, observed_on=timezone.localdate(), summary="Seen",
                                reported=[services.Reported(kind=EntityKind.PLACE, value="Bus station",
                                                            postcode="S60 8YY", nature="seen_at")])
    _c_intelligence(officer, carl, postcode="S60 8YY")

    import_module(MIGRATION).relabel_places(apps, None)

    place = Entity.objects.get(key="S60 9ZZ")
    assert (place.label, place.place_kind) == ("S60 9ZZ", "")
    assert Entity.objects.get(key="S60 8YY").label == "Bus station (S60 8YY)"
    police = sign_in(Client(), officer)
    council = sign_in(Client(), make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.COUNCIL))
    for client in (council, police):
        assert "KESTREL" not in _seen(client, reverse("contexts:entity", args=[place.public_id]))
        assert "KESTREL" not in _seen(client, reverse("contexts:person", args=[bella.pk]))
        assert place.public_id not in _seen(client, reverse("contexts:networks") + "?text=KESTREL")


def _two_children_at(p: Partnership, postcode: str) -> None:
    """Two children of the school seen at the place, days apart (no name for it): the second one's
    new-link alert quotes the place's label."""
    for record_id, given, days in (("SIMS-1", "Bella", 20), ("SIMS-2", "Cara", 10)):
        _child, record = p.person(p.school, record_id, given=given)
        p.event(record, EventType.FOUND_WITH_ADULT, location_name="", location_postcode=postcode, days=days)


def test_the_migration_gives_alerts_that_quoted_the_police_words_the_new_label(  # type: ignore[no-untyped-def]
    make_user, partnership: Partnership
) -> None:
    """Before, a new-link alert written while a place wore the police's words kept them in its stored text:
    on the alert page and alerts.csv for every alert worker, and in a concern started from it."""
    p = partnership
    _amber, record_a = p.person(p.police, "NICHE-A", given="Amber")
    p.event(record_a, EventType.INTELLIGENCE, handling=Handling.CONDITIONS, location_name=SECRET,
            location_postcode="S60 1AA", days=3)
    services.links_build()
    Entity.objects.filter(key="S60 1AA").update(label=f"{SECRET} (S60 1AA)", place_kind="house")  # as labelled before
    _two_children_at(p, "S60 1AA")
    services.links_build()
    alert = Alert.objects.get(rule__kind="new_link", explanation__contains=SECRET)  # as written before

    import_module(MIGRATION).relabel_places(apps, None)

    alert.refresh_from_db()
    assert SECRET not in alert.explanation and "place: S60 1AA. The same place" in alert.explanation
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    police = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE)
    for who in (worker, police):
        assert "KESTREL" not in _seen(sign_in(Client(), who), reverse("earlywarning:detail", args=[alert.pk]))


def test_an_import_marking_c_the_event_that_named_a_place_rewords_the_shared_alerts_that_quote_it(  # type: ignore[no-untyped-def]
    make_user, partnership: Partnership, tmp_path: Path
) -> None:
    """Before, the place lost the name, but a still-shared new-link alert on the same place (resting on two
    other children's shared records) kept it in its words for every alert worker. Now its words take the
    new label in the import's transaction, audited with the place's new label (never the words taken off),
    the alerts reworded and the concerns started from them, whose text is left as written."""
    from safeguarding.exchange.importer import import_extract
    from safeguarding.frontdoor.models import Concern

    p = partnership
    people = "source_system,record_id,given_name,family_name,date_of_birth,role\n" \
             "police-records,NICHE-1,Amber,Hill,2010-03-14,child\n"
    header = "source_system,event_id,record_id,event_type,occurred_at,location_name,location_postcode,handling\n"
    day = (timezone.localdate() - dt.timedelta(days=5)).isoformat()

    def extract(name: str, handling: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "people.csv").write_text(people)
        (folder / "events.csv").write_text(
            header + f"police-records,E1,NICHE-1,found_with_adult,{day},Flat over Ali kebab,S60 1AA,{handling}\n")
        return folder

    import_extract(extract("first", "P"))
    _two_children_at(p, "S60 1AA")
    services.links_build()
    shared = Alert.objects.get(person__given_name="Cara")
    assert "Flat over Ali kebab (S60 1AA)" in shared.explanation
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    concern = Concern.objects.create(child=shared.person, raised_by=worker, agency=worker.agency,
                                     raised_at=timezone.now(), seen_on=timezone.localdate(),
                                     decision_due_at=timezone.now(), description=f"Alert: {shared.explanation}")
    Alert.objects.filter(pk=shared.pk).update(concern=concern)

    import_extract(extract("marked-c", "C"))

    shared.refresh_from_db()
    assert "Ali kebab" not in shared.explanation and "place: S60 1AA. The same place" in shared.explanation
    assert Entity.objects.get(key="S60 1AA").label == "S60 1AA"
    for who in (worker, make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE)):
        client = sign_in(Client(), who)
        assert "Ali kebab" not in _seen(client, reverse("earlywarning:detail", args=[shared.pk]))
    audit = AuditEvent.objects.get(event_type=AuditEventType.PLACE_RELABELLED)
    assert audit.target_id == str(Entity.objects.get(key="S60 1AA").pk) and audit.actor_id is None
    quoting = sorted(Alert.objects.filter(rule__kind="new_link").values_list("pk", flat=True))  # Amber's too
    assert shared.pk in quoting and not Alert.objects.filter(explanation__contains="Ali kebab").exists()
    assert audit.detail == {"label": "S60 1AA", "place_kind": "", "alerts_reworded": quoting,
                            "concerns_started_from_them": [concern.pk]}
    assert "Ali kebab" not in str(audit.detail) + audit.reason
    assert "Ali kebab" in Concern.objects.get(pk=concern.pk).description  # a professional's text, left as written


def test_a_submission_naming_a_place_held_by_its_postcode_alone_is_audited(  # type: ignore[no-untyped-def]
    make_user, partnership: Partnership
) -> None:
    """Before, the place's label and kind changed with no row in the trail."""
    p = partnership
    bella, _ = p.person(p.school, "SIMS-B", given="Bella")
    _c_intelligence(make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE), bella)
    assert not AuditEvent.objects.filter(event_type=AuditEventType.PLACE_RELABELLED).exists()
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    services.information_submit(acting_user=worker, person=bella, observed_on=timezone.localdate(), summary="Seen",
                                reported=[services.Reported(kind=EntityKind.PLACE, value="Corner shop",
                                                            postcode="S60 9ZZ", nature="seen_at")])
    place = Entity.objects.get(key="S60 9ZZ")
    audit = AuditEvent.objects.get(event_type=AuditEventType.PLACE_RELABELLED)
    assert (audit.actor_id, audit.target_id) == (worker.pk, str(place.pk))
    assert audit.detail == {"label_before": "S60 9ZZ", "place_kind_before": "", "label": "Corner shop (S60 9ZZ)",
                            "place_kind": "shop"}


def test_the_police_are_not_told_of_a_submission_naming_a_placeholder(  # type: ignore[no-untyped-def]
    make_user, partnership: Partnership
) -> None:
    """Before, naming a hospital's postcode (a placeholder the police hold links to) told the intelligence
    unit every time; it is no one's operation. A real place they hold still tells them."""
    p = partnership
    bella, _ = p.person(p.school, "SIMS-B", given="Bella")
    unit = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    _c_intelligence(unit, bella, postcode="S60 2UD")
    _c_intelligence(unit, bella, postcode="S60 9ZZ")
    Entity.objects.filter(key="S60 2UD").update(placeholder=True, placeholder_reason="Many people")
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    for postcode, told in (("S60 2UD", 0), ("S60 9ZZ", 1)):
        before = Notification.objects.filter(kind=NotificationKind.POLICE_HOLDING_TOUCHED).count()
        services.information_submit(acting_user=worker, person=bella, observed_on=timezone.localdate(), summary="Seen",
                                    reported=[services.Reported(kind=EntityKind.PLACE, value="", postcode=postcode)])
        assert Notification.objects.filter(kind=NotificationKind.POLICE_HOLDING_TOUCHED).count() - before == told
