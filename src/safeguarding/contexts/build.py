"""Links from the agencies' records: each event's vehicle, phone, place and other people present,
each relationship that makes a network, and each record's own phones. Pure: rows in, the entities
named and the links (as plain dicts) out, with every value that could not be read counted and set
aside. ``services.links_build`` reads the rows and writes what comes out."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from safeguarding.contexts import keys
from safeguarding.contexts.keys import Named
from safeguarding.contexts.models import LinkNature, LinkOrigin
from safeguarding.core.calendar import local_date
from safeguarding.people.models import NAMES_AN_OFFENDER, PersonRole, child_or_adult, is_restricted

POLICE = "police"


@dataclass(frozen=True)
class EventRow:
    pk: int
    record_pk: int
    person_pk: int
    system_pk: int
    agency_pk: int
    agency_kind: str
    event_type: str
    occurred_at: dt.datetime
    ended_at: dt.datetime | None
    location_name: str
    location_postcode: str
    vehicle: str
    phone: str
    others: list[int]  # source record pks of the other people present (already resolved)
    handling: str


@dataclass(frozen=True)
class RelationshipRow:
    pk: int
    record_pk: int
    person_pk: int
    other_record_pk: int
    other_person_pk: int
    system_pk: int
    agency_pk: int
    agency_kind: str
    relationship: str
    start: dt.datetime
    end: dt.datetime | None
    # The police name one of the pair the other's suspected perpetrator, or the other's victim
    # (``people.models.police_only_relationships``): every row of theirs about the two stays with them,
    # whatever its kind.
    police_only: bool = False


@dataclass(frozen=True)
class RecordRow:
    pk: int
    person_pk: int
    system_pk: int
    agency_pk: int
    phones: str
    seen: dt.datetime
    role: str
    date_of_birth: str = ""


@dataclass
class Built:
    entities: dict[tuple[str, str], Named] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)
    set_aside: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def _aside(self, kind: str, value: str) -> None:
        self.set_aside[kind] += 1
        examples = self.examples.setdefault(kind, [])
        if len(examples) < 5 and value not in examples:
            examples.append(value)

    def name(self, named: Named | None, kind: str, raw: str) -> Named | None:
        if named is None:
            self._aside(kind, raw)
            return None
        self.entities.setdefault((named.kind, named.key), named)
        return named

    def place(self, named: Named, *, restricted: bool) -> Named:
        """A place named by an event. A police-only event registers it by its postcode alone, with no
        kind; the first shared event that names it gives it its label and kind, in place of a label
        that is only the postcode."""
        if restricted:
            named = keys.bare(named)
        held = self.entities.get((named.kind, named.key))
        if held is None or (held.label == keys.bare_label(held.key) and named.label != held.label):
            self.entities[(named.kind, named.key)] = named
        return named


def is_restricted_event(row: EventRow) -> bool:
    """Police intelligence without handling code P, and anything marked C, stays with the police
    (as in the single view)."""
    return is_restricted(row.event_type, row.handling)


def _entity_link(row: EventRow, named: Named, nature: str) -> dict[str, Any]:
    return {
        "origin": LinkOrigin.EVENT,
        "origin_key": f"ev:{row.pk}:{named.kind}:{named.key}"[:120],
        "nature": nature,
        "person_id": row.person_pk,
        "source_record_id": row.record_pk,
        "entity": (named.kind, named.key),
        "other_person_id": None,
        "other_record_id": None,
        "start": row.occurred_at,
        "end": row.ended_at,
        "agency_id": row.agency_pk,
        "source_system_id": row.system_pk,
        "event_id": row.pk,
        "relationship_id": None,
        "restricted": is_restricted_event(row),
        "joins_networks": nature != LinkNature.FOUND_AT,
    }


def links_from_events(rows: Iterable[EventRow], built: Built, record_person: dict[int, int]) -> None:
    """Every vehicle, phone, place and other person present on each event."""
    for row in rows:
        if row.vehicle:
            named = built.name(keys.vehicle(row.vehicle), "vehicle", row.vehicle)
            if named:
                nature = LinkNature.SEEN_IN_VEHICLE if row.event_type == "seen_in_vehicle" else LinkNature.VEHICLE_USED
                built.links.append(_entity_link(row, named, nature))
        if row.phone:
            named = built.name(keys.phone(row.phone), "phone", row.phone)
            if named:
                built.links.append(_entity_link(row, named, LinkNature.PHONE_USED))
        if (row.location_name or row.location_postcode) and row.event_type in keys.PLACE_EVENT_TYPES:
            named = keys.place(row.location_name, row.location_postcode)
            if named is None and row.location_postcode:
                built._aside("place", row.location_postcode)
            elif named is not None:
                built.place(named, restricted=is_restricted_event(row))
                nature = LinkNature.FOUND_AT if row.event_type == "missing_episode" else LinkNature.SEEN_AT
                built.links.append(_entity_link(row, named, nature))
        for other in row.others:
            if other == row.record_pk or other not in record_person:
                continue
            built.links.append({
                "origin": LinkOrigin.EVENT,
                "origin_key": f"ev:{row.pk}:with:{other}",
                "nature": LinkNature.PRESENT_WITH,
                "person_id": row.person_pk,
                "source_record_id": row.record_pk,
                "entity": None,
                "other_person_id": record_person[other],
                "other_record_id": other,
                "start": row.occurred_at,
                "end": row.ended_at,
                "agency_id": row.agency_pk,
                "source_system_id": row.system_pk,
                "event_id": row.pk,
                "relationship_id": None,
                "restricted": is_restricted_event(row),
                "joins_networks": True,
            })


def links_from_relationships(rows: Iterable[RelationshipRow], built: Built) -> None:
    """Relationships that make a network. A police record naming a suspected perpetrator, or a victim
    (and so the one who offended against them), stays with the police (docs/decisions.md, "Who sees
    which links"), and so does every other police row about the same two people."""
    for row in rows:
        nature = keys.NETWORK_RELATIONSHIPS.get(row.relationship)
        if nature is None:
            continue
        built.links.append({
            "origin": LinkOrigin.RELATIONSHIP,
            "origin_key": f"rel:{row.pk}",
            "nature": nature,
            "person_id": row.person_pk,
            "source_record_id": row.record_pk,
            "entity": None,
            "other_person_id": row.other_person_pk,
            "other_record_id": row.other_record_pk,
            "start": row.start,
            "end": row.end,
            "agency_id": row.agency_pk,
            "source_system_id": row.system_pk,
            "event_id": None,
            "relationship_id": row.pk,
            "restricted": row.police_only or (row.relationship in NAMES_AN_OFFENDER and row.agency_kind == POLICE),
            "joins_networks": True,
        })


def links_from_records(rows: Iterable[RecordRow], built: Built) -> None:
    """The phones each agency holds for an adult (people.csv). A child's record holds how to reach
    the child: a parent's, a carer's or a children's home's number, which says nothing about whom
    the child is with, so children's records make no links (a phone on an event still does). A child
    as the hub counts one (``people.models.child_or_adult``) on the day the record was last seen: by
    the date of birth, so that an extract without roles does not link every child of a children's home
    to its number (and so to each other), and by the role without one."""
    for row in rows:
        if not row.phones or child_or_adult(row.role, row.date_of_birth, local_date(row.seen)) == PersonRole.CHILD:
            continue
        for raw in filter(None, (part.strip() for part in row.phones.split(";"))):
            named = built.name(keys.phone(raw), "phone", raw)
            if named is None:
                continue
            built.links.append({
                "origin": LinkOrigin.RECORD,
                "origin_key": f"rec:{row.pk}:phone:{named.key}",
                "nature": LinkNature.PHONE_USED,
                "person_id": row.person_pk,
                "source_record_id": row.pk,
                "entity": (named.kind, named.key),
                "other_person_id": None,
                "other_record_id": None,
                "start": row.seen,
                "end": None,
                "agency_id": row.agency_pk,
                "source_system_id": row.system_pk,
                "event_id": None,
                "relationship_id": None,
                "restricted": False,
                "joins_networks": True,
            })
