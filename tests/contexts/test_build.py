"""Building links from rows (pure): what each event, relationship and record links, and what is set aside."""

from __future__ import annotations

import datetime as dt

from safeguarding.contexts import build, keys
from safeguarding.contexts.models import EntityKind, LinkNature, PlaceKind

MOMENT = dt.datetime(2025, 5, 1, 18, 0, tzinfo=dt.UTC)


def _event(**kwargs: object) -> build.EventRow:
    values: dict[str, object] = {
        "pk": 1, "record_pk": 10, "person_pk": 100, "system_pk": 1, "agency_pk": 1, "agency_kind": "police",
        "event_type": "seen_in_vehicle", "occurred_at": MOMENT, "ended_at": None, "location_name": "",
        "location_postcode": "", "vehicle": "", "phone": "", "others": [], "handling": "",
    }
    values.update(kwargs)
    return build.EventRow(**values)  # type: ignore[arg-type]


def test_registrations_in_any_format_are_one_vehicle_and_placeholders_are_set_aside() -> None:
    built = build.Built()
    rows = [_event(pk=1, vehicle="ya19 abc"), _event(pk=2, vehicle="YA19ABC"), _event(pk=3, vehicle="Ya19-Abc"),
            _event(pk=4, vehicle="UNKNOWN"), _event(pk=5, vehicle="N/A"), _event(pk=6, vehicle="not known")]
    build.links_from_events(rows, built, {})
    assert list(built.entities) == [(EntityKind.VEHICLE, "YA19ABC")]
    assert [link["nature"] for link in built.links] == [LinkNature.SEEN_IN_VEHICLE] * 3
    assert built.set_aside["vehicle"] == 3
    assert "UNKNOWN" in built.examples["vehicle"]


def test_phones_are_e164_and_a_repeated_digit_number_is_never_joined_on() -> None:
    built = build.Built()
    rows = [_event(pk=1, phone="07700 900123"), _event(pk=2, phone="+44 7700 900123"), _event(pk=3, phone="0000 000000")]
    build.links_from_events(rows, built, {})
    assert list(built.entities) == [(EntityKind.PHONE, "+447700900123")]
    assert built.set_aside["phone"] == 1


def test_places_by_postcode_or_name_with_their_kind_and_only_from_events_that_place_a_child_with_others() -> None:
    built = build.Built()
    rows = [
        _event(pk=1, event_type="missing_episode", location_name="Hotel, High Street", location_postcode="s601aa"),
        _event(pk=2, event_type="seen_in_vehicle", location_name="Taxi rank, Station Road"),
        _event(pk=3, event_type="police_stop", location_name="High Street", location_postcode="S60 1AA"),
        _event(pk=4, event_type="ae_attendance", location_name="Rotherham Hospital", location_postcode="S60 2UD"),
        _event(pk=5, event_type="found_with_adult", location_postcode="S60 1A"),
    ]
    build.links_from_events(rows, built, {})
    assert set(built.entities) == {(EntityKind.PLACE, "S60 1AA"), (EntityKind.PLACE, "name:taxi rank station road")}
    assert built.entities[(EntityKind.PLACE, "S60 1AA")].place_kind == PlaceKind.HOTEL
    natures = [(link["nature"], link["joins_networks"]) for link in built.links]
    # Where a missing child was found counts for hotspots, never as a bridge between networks.
    assert natures == [(LinkNature.FOUND_AT, False), (LinkNature.SEEN_AT, True)]
    assert built.set_aside["place"] == 1


def test_others_present_link_people_and_police_intelligence_with_conditions_is_restricted() -> None:
    built = build.Built()
    rows = [_event(pk=1, event_type="intelligence", handling="C", vehicle="YA19ABC", others=[11, 12]),
            _event(pk=2, event_type="intelligence", handling="P", vehicle="YA19ABC")]
    build.links_from_events(rows, built, {11: 101})
    people = [link for link in built.links if link["other_person_id"]]
    assert [(p["other_person_id"], p["nature"]) for p in people] == [(101, LinkNature.PRESENT_WITH)]
    assert [link["restricted"] for link in built.links] == [True, True, False]


def test_any_event_the_police_marked_c_makes_restricted_links() -> None:
    built = build.Built()
    rows = [_event(pk=1, event_type="seen_in_vehicle", handling="C", vehicle="YA19ABC", others=[11]),
            _event(pk=2, event_type="seen_in_vehicle", handling="", vehicle="YA19ABC"),
            _event(pk=3, event_type="seen_in_vehicle", handling="P", vehicle="YA19ABC")]
    build.links_from_events(rows, built, {11: 101})
    assert [link["restricted"] for link in built.links] == [True, True, False, False]


def test_family_relationships_make_no_network_link_and_police_suspects_stay_with_the_police() -> None:
    built = build.Built()
    common = {"record_pk": 10, "person_pk": 100, "other_record_pk": 11, "other_person_pk": 101, "system_pk": 1,
              "agency_pk": 1, "start": MOMENT, "end": None}
    rows = [
        build.RelationshipRow(pk=1, agency_kind="police", relationship="suspected_perpetrator", **common),  # type: ignore[arg-type]
        build.RelationshipRow(pk=2, agency_kind="council", relationship="suspected_perpetrator", **common),  # type: ignore[arg-type]
        build.RelationshipRow(pk=3, agency_kind="council", relationship="sibling", **common),  # type: ignore[arg-type]
    ]
    build.links_from_relationships(rows, built)
    assert [(link["origin_key"], link["restricted"]) for link in built.links] == [("rel:1", True), ("rel:2", False)]


def test_a_childs_record_phone_is_a_contact_number_and_links_nothing() -> None:
    built = build.Built()
    build.links_from_records([
        build.RecordRow(pk=1, person_pk=1, system_pk=1, agency_pk=1, phones="07700 900001;01709 336000", seen=MOMENT,
                        role="child"),
        build.RecordRow(pk=2, person_pk=2, system_pk=1, agency_pk=1, phones="07700 900002", seen=MOMENT, role="adult"),
    ], built)
    assert [link["entity"] for link in built.links] == [(EntityKind.PHONE, "+447700900002")]


def test_without_a_role_a_record_is_a_childs_by_its_date_of_birth_on_the_day_it_was_seen() -> None:
    """An extract without roles (the column is optional): two children of a children's home, each record
    holding the home's number, are not linked to it (nor so to each other); an adult's number is; a record
    still saying "child" of a man of 20 on the day it was seen is an adult's."""
    built = build.Built()
    home = "01709 336000"
    build.links_from_records([
        build.RecordRow(pk=1, person_pk=1, system_pk=1, agency_pk=1, phones=home, seen=MOMENT, role="",
                        date_of_birth="2011-04-04"),
        build.RecordRow(pk=2, person_pk=2, system_pk=1, agency_pk=1, phones=home, seen=MOMENT, role="",
                        date_of_birth="2012"),
        build.RecordRow(pk=3, person_pk=3, system_pk=1, agency_pk=1, phones="07700 900003", seen=MOMENT, role="",
                        date_of_birth="1980-01-01"),
        build.RecordRow(pk=4, person_pk=4, system_pk=1, agency_pk=1, phones="07700 900004", seen=MOMENT,
                        role="child", date_of_birth=f"{MOMENT.year - 20}-01-01"),
        build.RecordRow(pk=5, person_pk=5, system_pk=1, agency_pk=1, phones="07700 900005", seen=MOMENT, role=""),
    ], built)
    assert [link["person_id"] for link in built.links] == [3, 4, 5]


def test_place_kind_from_its_name() -> None:
    assert keys.place_kind("Car park behind shops") == PlaceKind.CAR_PARK
    assert keys.place_kind("Kebab house, Main Street") == PlaceKind.TAKEAWAY
    assert keys.place_kind("Snapchat") == PlaceKind.ONLINE
    # whole words only: a business park is no bus station, a public house no home, a cabinet maker no cab
    assert keys.place_kind("Parkgate Business Park") == PlaceKind.PARK
    assert keys.place_kind("The Red Lion public house") == PlaceKind.OTHER
    assert keys.place_kind("Cabinet makers, Mill Lane") == PlaceKind.OTHER
    assert keys.place_kind("Premier Inn hotels, Bridge Street") == PlaceKind.HOTEL
    assert keys.place_kind("B&B on Park Road") == PlaceKind.HOTEL
    assert keys.place_kind("Multi-storey car parks") == PlaceKind.CAR_PARK
    assert keys.place_kind("Flat 3, Moorgate") == PlaceKind.HOUSE
    assert keys.place_name_key("Park") is None
