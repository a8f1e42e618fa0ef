"""The contexts pages as each viewer sees them: police-only links never reach another agency
through an entity page, the chart's data, its table, its CSV, the networks page or networks.csv."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.contexts import services
from safeguarding.contexts.exporters import export_networks
from safeguarding.contexts.models import Entity, EntityKind, Link
from tests.contexts.conftest import World
from tests.factories import sign_in

pytestmark = pytest.mark.django_db

MARKERS = ("RS19 XYZ", "RS19XYZ")
_WHOM_TO_ASK = ('id="withheld">The police may hold information they do not share. Ask the police intelligence unit '
                'if you need to know.</div>')


def _client(make_user, role: str, agency_kind: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    sign_in(client, make_user(role=role, agency_kind=agency_kind))
    return client


def _everything(client: Client, world: World) -> str:
    pages = [
        client.get(reverse("contexts:networks")),
        client.get(reverse("contexts:person", args=[world.child_a.pk])),
        client.get(reverse("contexts:person-json", args=[world.child_a.pk])),
        client.get(reverse("contexts:person-csv", args=[world.child_a.pk])),
        client.get(reverse("contexts:person", args=[world.child_c.pk])),
    ]
    assert all(page.status_code == 200 for page in pages), [p.status_code for p in pages]
    for entity in Entity.objects.all():
        page = client.get(reverse("contexts:entity", args=[entity.public_id]))
        assert page.status_code in (200, 404)
        pages.append(page)
    pages.append(client.get(reverse("contexts:networks"), {"kind": "vehicle", "text": "rs19xyz"}))
    return "\n".join(page.content.decode() for page in pages)


def test_police_only_links_reach_police_casework_staff_and_no_one_else(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    services.links_build()
    police = _everything(_client(make_user, Role.INTELLIGENCE_OFFICER, AgencyKind.POLICE), world)
    assert any(marker in police for marker in MARKERS)
    for agency_kind in (AgencyKind.COUNCIL, AgencyKind.HEALTH, AgencyKind.VOLUNTARY, AgencyKind.LICENSING):
        council = _everything(_client(make_user, Role.MACE_COORDINATOR, agency_kind), world)
        assert not any(marker in council for marker in MARKERS)
        assert "The police may hold" in council and "The police hold" not in council  # whom to ask, never what


def test_work_on_a_police_only_vehicle_is_police_only_too(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    """A registration known only from police intelligence held with conditions is the intelligence:
    work the police open on it is neither listed, shown nor changeable outside the police."""
    import datetime as dt

    from django.utils import timezone

    from safeguarding.contexts.models import ContextReview
    from safeguarding.contexts.selectors import contexts_due_for_panel

    services.links_build()
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    car = Entity.objects.get(kind=EntityKind.VEHICLE, key="RS19XYZ")
    soon = timezone.localdate() + dt.timedelta(days=5)
    case = services.context_open(acting_user=officer, entity=car, assessment="Used to ferry children at night",
                                 plan="Stop checks", review_due_on=soon)
    police = _client(make_user, Role.MACE_COORDINATOR, AgencyKind.POLICE)
    assert "RS19 XYZ" in police.get(reverse("contexts:contexts")).content.decode()
    assert police.get(reverse("contexts:context-detail", args=[case.public_id])).status_code == 200
    later = soon + dt.timedelta(days=30)
    review = {"review": "1", "summary": "Seen again", "next_review_on_0": str(later.day),
              "next_review_on_1": str(later.month), "next_review_on_2": str(later.year)}
    for role, agency_kind in ((Role.MACE_COORDINATOR, AgencyKind.COUNCIL), (Role.LEAD_PRACTITIONER, AgencyKind.HEALTH),
                              (Role.TRIAGE_WORKER, AgencyKind.EDUCATION)):
        user = make_user(role=role, agency_kind=agency_kind)
        client = Client()
        sign_in(client, user)
        listing = client.get(reverse("contexts:contexts")).content.decode()
        assert not any(marker in listing for marker in MARKERS) and "ferry children" not in listing
        assert client.get(reverse("contexts:context-detail", args=[case.public_id])).status_code == 404
        assert client.post(reverse("contexts:context-detail", args=[case.public_id]), review).status_code == 404
        assert contexts_due_for_panel(user=user) == []
    assert not ContextReview.objects.filter(case=case).exists()
    assert contexts_due_for_panel(user=officer) == [case]


def test_the_chart_data_table_and_csv_hold_the_same_links(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    services.links_build()
    client = _client(make_user, Role.MACE_COORDINATOR, AgencyKind.COUNCIL)
    data = json.loads(client.get(reverse("contexts:person-json", args=[world.child_a.pk])).content)
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("contexts:person-csv", args=[world.child_a.pk])).content.decode())))
    page = client.get(reverse("contexts:person", args=[world.child_a.pk])).content.decode()
    labels = {n["data"]["label"] for n in data["nodes"]}
    assert {"YA19 ABC"} <= labels and any("Bella" in label for label in labels)
    assert len(rows) == len(data["edges"]) == page.count('data-edge="')
    assert page.count('data-node="') == len(data["nodes"])


def test_the_networks_csv_download_cannot_start_a_formula_in_a_spreadsheet(  # type: ignore[no-untyped-def]
    make_user, world: World, partnership
) -> None:
    """Labels come from agencies' records and practitioners' submissions: a place named like a formula
    is written as text."""
    partnership.event(world.record_a, location_name='=HYPERLINK("http://evil.example/","Open")', days=2)
    services.links_build()
    client = _client(make_user, Role.MACE_COORDINATOR, AgencyKind.COUNCIL)

    body = client.get(reverse("contexts:person-csv", args=[world.child_a.pk])).content.decode()

    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert any("evil.example" in cell for cell in cells)
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_a_child_in_nobody_s_network_is_shown_alone(make_user, partnership) -> None:  # type: ignore[no-untyped-def]
    lone, _ = partnership.person(partnership.school, "SIMS-LONE")
    client = _client(make_user, Role.LEAD_PRACTITIONER, AgencyKind.COUNCIL)
    response = client.get(reverse("contexts:person", args=[lone.pk]))
    assert response.status_code == 200 and "1 in all, 0 links" in response.content.decode()


def test_networks_csv_as_the_exchange_format_says(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    services.links_build()
    out = tmp_path / "networks.csv"
    export_networks(out)
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["network_id", "entity_kind", "entity_key"]
    keys = {(kind, key) for _, kind, key in rows[1:]}
    assert ("vehicle", "YA19ABC") in keys and ("place", "S60 1AA") in keys
    assert ("person", f"P{world.child_a.pk:07d}") in keys
    assert ("vehicle", "RS19XYZ") not in keys  # police-only unless asked for
    assert {r[0] for r in rows[1:]} == {f"N{min(world.child_a.pk, world.child_b.pk, world.adult.pk):07d}"}
    export_networks(out, include_police_only=True)
    police_keys = {(kind, key) for _, kind, key in list(csv.reader(out.open()))[1:]}
    assert ("vehicle", "RS19XYZ") in police_keys and ("person", f"P{world.child_c.pk:07d}") in police_keys


def test_submitting_information_by_ones_own_record_id(make_user, partnership) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import SourceSystemFactory

    officer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.LICENSING)
    licensing = SourceSystemFactory(code="licensing-register", agency=officer.agency)
    partnership.person(licensing, "LIC-10234", role="adult")
    client = Client()
    sign_in(client, officer)
    form = {"person_ref": "LIC-10234", "kind": "vehicle", "value": "ya19 abc", "nature": "vehicle_used",
            "observed_on_0": "1", "observed_on_1": "3", "observed_on_2": "2025", "summary": "Girls in the car"}
    assert client.post(reverse("contexts:submit"), form).status_code == 302
    assert Entity.objects.filter(kind=EntityKind.VEHICLE, key="YA19ABC").exists()
    # A referrer cannot look people up by hub reference.
    response = client.post(reverse("contexts:submit"), {**form, "person_ref": "P0000001"})
    assert response.status_code == 200 and "We could not find that person" in response.content.decode()


def test_a_peer_group_is_an_entity_its_members_are_linked_to(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = _client(make_user, Role.LEAD_PRACTITIONER, AgencyKind.COUNCIL)
    response = client.post(reverse("contexts:peer-group-new"), {
        "name": "Clifton Park group", "member_refs": f"P{world.child_a.pk:07d}, P{world.child_b.pk:07d}",
        "since_0": "1", "since_1": "9", "since_2": "2025",
    })
    group = Entity.objects.get(kind=EntityKind.PEER_GROUP)
    assert response.status_code == 302 and group.label == "Clifton Park group"
    # A girl of 16 the records now call an adult is a child on the page, by her date of birth.
    type(world.child_b).objects.filter(pk=world.child_b.pk).update(role="adult")
    page = client.get(reverse("contexts:entity", args=[group.public_id])).content.decode()
    assert "Amber" in page and "Bella" in page
    assert f"({world.child_b.reference}, child)" in page and f"({world.child_a.reference}, child)" in page
    support = _client(make_user, Role.SUPPORT_WORKER, AgencyKind.VOLUNTARY)
    assert support.get(reverse("contexts:peer-group-new")).status_code == 403


def test_a_sealed_child_is_in_no_network_chart_or_entity_page_but_for_those_the_seal_lets_in(  # type: ignore[no-untyped-def]
    make_user, world: World
) -> None:
    from django.db import transaction

    from safeguarding.dataprotection.sealing import record_seal

    services.links_build()
    named = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=world.child_b, reason="A witness", named_users=[named])
    other = _client(make_user, Role.MACE_COORDINATOR, AgencyKind.COUNCIL)
    allowed = Client()
    sign_in(allowed, named)
    chart_url = reverse("contexts:person-json", args=[world.child_a.pk])
    entity = Entity.objects.get(kind=EntityKind.VEHICLE, key="YA19ABC")
    for url in (chart_url, reverse("contexts:entity", args=[entity.public_id]), reverse("contexts:networks")):
        assert "Bella" not in other.get(url).content.decode(), url
    assert "Bella" in allowed.get(chart_url).content.decode()
    assert "Bella" in allowed.get(reverse("contexts:entity", args=[entity.public_id])).content.decode()


def test_an_entity_page_leaves_out_a_record_that_has_moved_to_a_sealed_person_since_its_links_were_built(  # type: ignore[no-untyped-def]
    make_user, world: World
) -> None:
    from django.db import transaction

    from safeguarding.dataprotection.sealing import record_seal
    from safeguarding.people.models import SourceRecord
    from tests.factories import PersonFactory

    services.links_build()
    # Bella's record turns out to be someone else's (a split, or a later linkage run), who is sealed.
    sealed = PersonFactory(given_name="Sealedsam", family_name="Quill")
    SourceRecord.objects.filter(pk=world.record_b.pk).update(person=sealed)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=sealed, reason="A witness",
                    named_users=[make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)])
    entity = Entity.objects.get(kind=EntityKind.VEHICLE, key="YA19ABC")
    page = _client(make_user, Role.MACE_COORDINATOR, AgencyKind.COUNCIL).get(
        reverse("contexts:entity", args=[entity.public_id])).content.decode()
    assert "Amber" in page and "Sealedsam" not in page and sealed.reference not in page
    assert _WHOM_TO_ASK in page and "more link" not in page  # nor counted among the links the police hold back


def test_closing_the_work_on_a_context_asks_are_you_sure_first(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    from safeguarding.contexts.models import ContextStatus

    services.links_build()
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    hotel = Entity.objects.get(kind=EntityKind.PLACE, key="S60 1AA")
    case = services.context_open(acting_user=coordinator, entity=hotel, assessment="Girls taken there",
                                 plan="Engage", review_due_on=timezone.localdate() + dt.timedelta(days=7))
    url = reverse("contexts:context-detail", args=[case.public_id])
    client = sign_in(Client(), coordinator)
    close = {"close": "1", "reason": "Hotel closed down"}
    asked = client.post(url, close).content.decode()
    assert "Are you sure you want to close the work on this context?" in asked and "Hotel closed down" in asked
    assert 'name="close" value="1"' in asked  # the button that was pressed is carried to the yes
    case.refresh_from_db()
    assert case.status == ContextStatus.OPEN
    assert client.post(url, {**close, "confirm": "yes"}).status_code == 302
    case.refresh_from_db()
    assert case.status == ContextStatus.CLOSED


def test_those_who_work_on_contexts_correct_what_kind_of_place_it_is(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.audit.models import AuditEvent, AuditEventType
    from safeguarding.contexts.models import PlaceKind

    services.links_build()
    place = Entity.objects.get(kind=EntityKind.PLACE, key="S60 1AA")
    assert place.place_kind == PlaceKind.HOTEL
    url = reverse("contexts:entity", args=[place.public_id])
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    client = Client()
    sign_in(client, coordinator)
    assert "Correct what kind of place this is" in client.get(url).content.decode()
    refused = client.post(url, {"kind-place_kind": PlaceKind.TAKEAWAY, "kind-reason": ""}).content.decode()
    assert "govuk-error-summary" in refused and "Say how you know what kind of place it is" in refused
    done = client.post(url, {"kind-place_kind": PlaceKind.TAKEAWAY, "kind-reason": "A kebab shop with rooms above"})
    assert done.status_code == 302
    place.refresh_from_db()
    assert place.place_kind == PlaceKind.TAKEAWAY
    audit = AuditEvent.objects.get(event_type=AuditEventType.PLACE_KIND_CHANGED)
    assert audit.actor == coordinator and audit.detail == {"from": "hotel", "to": "takeaway"}
    # A triage worker sees networks but does not work on contexts: no form, and a post changes nothing.
    triage = _client(make_user, Role.TRIAGE_WORKER, AgencyKind.COUNCIL)
    assert "Correct what kind of place this is" not in triage.get(url).content.decode()
    assert triage.post(url, {"kind-place_kind": PlaceKind.HOUSE, "kind-reason": "x"}).status_code == 404
    place.refresh_from_db()
    assert place.place_kind == PlaceKind.TAKEAWAY


# --- a place's name from police-only records (the audit of 2026-12) ----------------------------

POLICE_NAME = "Op KESTREL stash flat above Ali kebab"


def test_a_place_first_named_by_a_police_only_record_is_shown_by_its_postcode_and_the_shared_name_only(  # type: ignore[no-untyped-def]
    make_user, partnership
) -> None:
    """The label and kind are shared data: every agency reads them on the entity page, the chart, its
    CSV, the hotspots and the single view, and searches them. Police words never reach them."""
    from safeguarding.people.models import EventType, Handling

    p = partnership
    _amber, record_a = p.person(p.police, "NICHE-A", given="Amber")
    bella, record_b = p.person(p.school, "SIMS-B", given="Bella")
    p.event(record_a, EventType.INTELLIGENCE, handling=Handling.CONDITIONS, location_name=POLICE_NAME,
            location_postcode="S60 1AA", days=30, detail="restricted-intel-text")
    p.event(record_b, EventType.FOUND_WITH_ADULT, location_name="Near the shops", location_postcode="S60 1AA", days=5)
    services.links_build()
    place = Entity.objects.get(kind=EntityKind.PLACE)
    assert place.label == "Near the shops (S60 1AA)" and place.place_kind == "shop"
    for role, agency_kind in ((Role.MACE_COORDINATOR, AgencyKind.COUNCIL), (Role.LEAD_PRACTITIONER, AgencyKind.HEALTH),
                              (Role.INTELLIGENCE_OFFICER, AgencyKind.POLICE)):
        client = _client(make_user, role, agency_kind)
        pages = [client.get(reverse("contexts:entity", args=[place.public_id])),
                 client.get(reverse("contexts:person-json", args=[bella.pk])),
                 client.get(reverse("contexts:person-csv", args=[bella.pk])),
                 client.get(reverse("contexts:networks"))]
        assert all(page.status_code == 200 for page in pages)
        text = "\n".join(page.content.decode() for page in pages)
        assert "Near the shops (S60 1AA)" in text
        assert "KESTREL" not in text.upper() and "kebab" not in text.lower()
        found = client.get(reverse("contexts:networks"), {"kind": "place", "text": "kestrel"}).content.decode()
        assert 'id="found-entities">The hub holds no link to that.' in found


def test_a_place_only_police_only_records_name_is_its_postcode_until_a_shared_record_names_it(  # type: ignore[no-untyped-def]
    make_user, partnership
) -> None:
    from safeguarding.people.models import EventType, Handling

    p = partnership
    _amber, record_a = p.person(p.police, "NICHE-A", given="Amber")
    bella, record_b = p.person(p.school, "SIMS-B", given="Bella")
    p.event(record_a, EventType.INTELLIGENCE, handling=Handling.CONDITIONS, location_name=POLICE_NAME,
            location_postcode="S60 1AA", days=30)
    services.links_build()
    place = Entity.objects.get(kind=EntityKind.PLACE)
    assert (place.label, place.place_kind) == ("S60 1AA", "")
    # A shared record naming it by postcode alone says nothing more; the first to give a name names it.
    p.event(record_b, EventType.FOUND_WITH_ADULT, location_postcode="S60 1AA", days=6)
    services.links_build()
    place.refresh_from_db()
    assert (place.label, place.place_kind) == ("S60 1AA", "")
    p.event(record_b, EventType.FOUND_WITH_ADULT, location_name="Rotherham Interchange", location_postcode="S60 1AA",
            days=5)
    p.event(record_a, EventType.INTELLIGENCE, handling=Handling.CONDITIONS, location_name="Kebab house",
            location_postcode="S60 1AA", days=4)
    services.links_build()
    place.refresh_from_db()
    assert (place.label, place.place_kind) == ("Rotherham Interchange (S60 1AA)", "transport")
    # Graded intelligence held with conditions names a new place by its postcode too.
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    services.intelligence_record(
        acting_user=officer, observed_on=dt.date.today(), source_evaluation="1", assessment="A", handling="C",
        handling_conditions="Police only", sanitised_text="Seen going in", source_description="CHIS 9",
        persons=[bella], reported=[services.Reported(kind=EntityKind.PLACE, value="Op KESTREL safe house",
                                                     postcode="S60 9ZZ", nature="seen_at")],
    )
    assert Entity.objects.filter(kind=EntityKind.PLACE, key="S60 9ZZ").values_list("label", "place_kind").get() == (
        "S60 9ZZ", "")


# --- submitting a registration the police hold (the audit of 2026-12) ----------------------------


def _submit(user, person, value: str) -> None:  # type: ignore[no-untyped-def]
    services.information_submit(acting_user=user, person=person, observed_on=dt.date.today(), summary="Seen",
                                reported=[services.Reported(kind=EntityKind.VEHICLE, value=value)])


def test_work_the_police_open_on_a_police_only_vehicle_stays_theirs_when_another_agency_submits_it(  # type: ignore[no-untyped-def]
    make_user, world: World
) -> None:
    """Before, a submission naming the registration made the vehicle shared, and the police's work on
    it with it: every agency read the assessment and the plan."""
    services.links_build()
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    car = Entity.objects.get(kind=EntityKind.VEHICLE, key="RS19XYZ")
    soon = dt.date.today() + dt.timedelta(days=5)
    case = services.context_open(acting_user=officer, entity=car, assessment="POLICE-ASSESSMENT target car",
                                 plan="Covert stop checks", review_due_on=soon)
    nurse = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.HEALTH)
    _submit(nurse, world.child_b, "rs19 xyz")
    for user in (nurse, make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)):
        client = sign_in(Client(), user)
        assert client.get(reverse("contexts:entity", args=[car.public_id])).status_code == 200  # the submitter's own link
        seen = "\n".join(client.get(url).content.decode() for url in (
            reverse("contexts:entity", args=[car.public_id]), reverse("contexts:contexts"), reverse("contexts:networks")))
        assert "POLICE-ASSESSMENT" not in seen and case.reference not in seen and "Covert" not in seen
        assert client.get(reverse("contexts:context-detail", args=[case.public_id])).status_code == 404
    # Work another agency opens on it is its own: the police's open work neither blocks it nor is told.
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    theirs = services.context_open(acting_user=coordinator, entity=car, assessment="Seen outside school",
                                   plan="Tell licensing", review_due_on=soon)
    assert not theirs.police_only
    police = sign_in(Client(), make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE))
    listing = police.get(reverse("contexts:contexts")).content.decode()
    assert case.reference in listing and theirs.reference in listing
    assert police.get(reverse("contexts:context-detail", args=[case.public_id])).status_code == 200


def test_an_entity_page_says_the_same_to_everyone_outside_the_police_whatever_the_police_hold(  # type: ignore[no-untyped-def]
    make_user, world: World
) -> None:
    """Before, it said how many links the police held, and a submission made any registration's page
    answer: submit a plate, learn whether and how much the police hold on it."""
    services.links_build()
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    _submit(worker, world.child_b, "RS19 XYZ")  # two police-only links
    _submit(worker, world.child_b, "KX70 NEW")  # none
    client = sign_in(Client(), worker)
    police = sign_in(Client(), make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE))
    for key in ("RS19XYZ", "KX70NEW", "YA19ABC"):
        url = reverse("contexts:entity", args=[Entity.objects.get(key=key).public_id])
        page = client.get(url).content.decode()
        assert page.count('id="withheld"') == 1 and _WHOM_TO_ASK in page, key
        assert 'id="withheld"' not in police.get(url).content.decode()

def test_a_persons_chart_says_the_same_to_everyone_outside_the_police_whatever_the_police_hold(  # type: ignore[no-untyped-def]
    make_user, world: World
) -> None:
    """Before, the chart said "The police hold more links about this person" only when they did: about an
    adult, a tip-off. Now every chart says the same sentence to every reader outside the police (as the
    entity page does); the police read none."""
    services.links_build()
    assert Link.objects.filter(person=world.child_a, restricted=True).exists()
    assert not Link.objects.filter(Q(person=world.adult) | Q(other_person=world.adult), restricted=True).exists()
    council = sign_in(Client(), make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    police = sign_in(Client(), make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE))
    sentences = set()
    for person in (world.child_a, world.child_b, world.adult):
        url = reverse("contexts:person", args=[person.pk])
        page = council.get(url).content.decode()
        assert page.count('id="withheld"') == 1 and _WHOM_TO_ASK in page
        sentences.add(page[page.index('id="withheld"'):page.index("</div>", page.index('id="withheld"'))])
        assert 'id="withheld"' not in police.get(url).content.decode()
    assert len(sentences) == 1 and "more link" not in sentences.pop()


def test_no_reference_or_address_of_a_report_shows_others_how_many_reports_the_police_keep(  # type: ignore[no-untyped-def]
    make_user, world: World
) -> None:
    """Before, P and C reports shared one sequence (INT-2026-00001 ... 00005) and were opened by id, so
    the gaps a reader outside the police saw counted the reports held with conditions."""
    import re

    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)

    def record(handling: str) -> str:
        return services.intelligence_record(
            acting_user=officer, observed_on=dt.date.today(), source_evaluation="1", assessment="A", handling=handling,
            handling_conditions="Police only" if handling == "C" else "", sanitised_text=f"Text {handling}",
            source_description="CHIS", persons=[world.child_a]).reference

    made = [record(h) for h in ("P", "C", "C", "C", "P")]
    year = dt.date.today().year
    council = _client(make_user, Role.MACE_COORDINATOR, AgencyKind.COUNCIL)
    listing = council.get(reverse("contexts:intelligence")).content.decode()
    shown = sorted(set(re.findall(r"INT-[\w-]+", listing)))
    assert shown == [f"INT-{year}-P-00001", f"INT-{year}-P-00002"]
    links = re.findall(r'href="(/networks/intelligence/[^"]+)"', listing)
    assert sorted(links) == [f"/networks/intelligence/{ref}/" for ref in shown]
    assert council.get(links[0]).status_code == 200
    assert council.get(reverse("contexts:intelligence-detail", args=[made[1]])).status_code == 404
    police = _client(make_user, Role.INTELLIGENCE_OFFICER, AgencyKind.POLICE)
    assert police.get(reverse("contexts:intelligence-detail", args=[made[1]])).status_code == 200
    assert made[1:4] == [f"INT-{year}-C-0000{n}" for n in (1, 2, 3)]


def test_an_entity_is_addressed_and_referenced_by_a_random_id_that_says_nothing_of_its_age(  # type: ignore[no-untyped-def]
    make_user, world: World
) -> None:
    """Before, an entity's address and reference were its primary key (/networks/entities/7/,
    E0000007): a worker outside the police who submitted a registration beside a made-up one read
    that the real one's id was older, so records (police-only, to them) already named it."""
    import re

    from safeguarding.contexts.models import Link

    services.links_build()
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    _submit(worker, world.child_b, "RS19 XYZ")  # the police's vehicle
    _submit(worker, world.child_b, "KX70 NEW")  # made up
    client = sign_in(Client(), worker)
    police = sign_in(Client(), make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE))
    for key in ("RS19XYZ", "KX70NEW"):
        entity = Entity.objects.get(key=key)
        # The address by key finds nothing, for anyone; the one the reader finds by searching has no key.
        for reader in (client, police):
            assert reader.get(f"/networks/entities/{entity.pk}/").status_code == 404
            assert reader.get(f"/networks/entities/{entity.pk}/open-work/").status_code == 404
        found = client.get(reverse("contexts:networks"), {"kind": "vehicle", "text": key}).content.decode()
        address = re.search(r'id="found-entities"><li><a class="govuk-link" href="([^"]+)"', found).group(1)  # type: ignore[union-attr]
        page = client.get(address).content.decode()
        assert f"/{entity.pk}/" not in address and f"E{entity.pk:07d}" not in page
        assert re.fullmatch(r"E-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", entity.reference) and entity.reference in page
    # Made one after another, entities are not in the order of their addresses.
    Entity.objects.bulk_create([Entity(kind=EntityKind.PHONE, key=f"+4477009001{n:02d}", label="phone") for n in range(40)])
    made = list(Entity.objects.order_by("pk").values_list("public_id", flat=True))
    assert made != sorted(made) and len(set(made)) == len(made)
    # The chart names entities by their public ids, and numbers its links afresh: no link's key, whose
    # gaps would count the police's links, reaches the reader.
    chart = client.get(reverse("contexts:person-json", args=[world.child_b.pk])).json()
    entity_nodes = {n["data"]["id"] for n in chart["nodes"] if n["data"]["kind"] == "vehicle"}
    assert entity_nodes == {f"e{e.public_id}" for e in Entity.objects.filter(links__person=world.child_b).distinct()
                            if e.kind == EntityKind.VEHICLE} | {f"e{Entity.objects.get(key='YA19ABC').public_id}"}
    assert all(f"/networks/entities/{n['data']['id'][1:]}/" == n["data"]["href"] for n in chart["nodes"]
               if n["data"]["kind"] == "vehicle")
    edges = [e["data"]["id"] for e in chart["edges"]]
    assert edges == [f"l{i}" for i in range(1, len(edges) + 1)]
    assert Link.objects.filter(restricted=True).exists() and len(edges) > 2
    page = client.get(reverse("contexts:person", args=[world.child_b.pk])).content.decode()
    assert set(re.findall(r'data-edge="([^"]+)"', page)) == set(edges)


def test_a_placeholders_page_tells_no_one_outside_the_police_how_many_people_the_police_link_to_it(  # type: ignore[no-untyped-def]
    make_user, partnership
) -> None:
    """Before, the mark's reason said "Linked to 28 different people", counted over every link: beside
    the two people a council worker saw, it said the police held 26 more. Now the police are told the
    count, from the links they see; everyone else reads the same words for every placeholder."""
    from safeguarding.people.models import EventType, Handling

    p = partnership
    for n in range(services.PLACEHOLDER_PEOPLE + 1):  # police intelligence held with conditions
        _, record = p.person(p.police, f"NICHE-{n}")
        p.event(record, EventType.INTELLIGENCE, handling=Handling.CONDITIONS, phone="07700 900555", days=n + 1)
    for n in range(2):  # the council's own
        _, record = p.person(p.council, f"LCS-{n}")
        p.event(record, EventType.FOUND_WITH_ADULT, phone="07700 900555", days=n + 1)
    services.links_build()
    phone = Entity.objects.get(kind=EntityKind.PHONE)
    assert phone.placeholder
    url = reverse("contexts:entity", args=[phone.public_id])
    everyone = services.PLACEHOLDER_PEOPLE + 3
    for agency_kind in (AgencyKind.COUNCIL, AgencyKind.HEALTH):
        page = sign_in(Client(), make_user(role=Role.MACE_COORDINATOR, agency_kind=agency_kind)).get(url).content.decode()
        assert f"{everyone} different" not in page and "different people" not in page
        assert "Placeholder value: a value many records share" in page
    police = sign_in(Client(), make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE))
    assert f"linked to {everyone} different people" in police.get(url).content.decode()


def test_work_on_contexts_is_addressed_and_referenced_by_a_random_public_id(  # type: ignore[no-untyped-def]
    make_user, world: World
) -> None:
    """Before, work was X{pk} at /networks/contexts/{pk}/: the gap between two pieces of work a council
    coordinator opened counted the police-only work opened meanwhile. Now each has a random public id;
    the address by primary key answers not found, for everyone, the police too."""
    import re

    from django.utils import timezone

    services.links_build()
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    due = timezone.localdate() + dt.timedelta(days=7)

    def open_work(user, key: str):  # type: ignore[no-untyped-def]
        return services.context_open(acting_user=user, entity=Entity.objects.get(key=key), assessment="Seen",
                                     plan="Engage", review_due_on=due)

    first = open_work(coordinator, "S60 1AA")
    police_only = open_work(officer, "RS19XYZ")
    second = open_work(coordinator, "YA19ABC")
    assert police_only.police_only and not second.police_only
    council, police = sign_in(Client(), coordinator), sign_in(Client(), officer)
    listing = council.get(reverse("contexts:contexts")).content.decode()
    for case in (first, second):
        assert re.fullmatch(r"X-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", case.reference)
        assert case.reference in listing and f"/networks/contexts/{case.public_id}/" in listing
    assert police_only.reference not in listing and police_only.public_id not in listing
    assert not re.search(r"X\d{5}", listing)
    for client, case in ((council, first), (police, first), (police, police_only)):
        assert client.get(reverse("contexts:context-detail", args=[case.public_id])).status_code == 200
        assert client.get(f"/networks/contexts/{case.pk}/").status_code == 404
    assert council.get(reverse("contexts:context-detail", args=[police_only.public_id])).status_code == 404


def test_a_review_of_the_work_on_a_context_refused_for_its_next_review_date_says_why(  # type: ignore[no-untyped-def]
    make_user, world: World
) -> None:
    from django.utils import timezone

    from safeguarding.contexts.models import ContextReview

    services.links_build()
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    hotel = Entity.objects.get(kind=EntityKind.PLACE, key="S60 1AA")
    case = services.context_open(acting_user=coordinator, entity=hotel, assessment="Girls taken there",
                                 plan="Engage", review_due_on=timezone.localdate() + dt.timedelta(days=7))
    client = sign_in(Client(), coordinator)
    today = timezone.localdate()
    refused = client.post(reverse("contexts:context-detail", args=[case.public_id]), {
        "review": "1", "summary": "Still used at night",
        "next_review_on_0": today.day, "next_review_on_1": today.month, "next_review_on_2": today.year})
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "There is a problem" in page and "The next review must be due after today" in page
    assert not ContextReview.objects.filter(case=case).exists()
