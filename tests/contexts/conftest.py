"""A small partnership for the contexts room: children seen in vehicles and at places, an adult
with them, police intelligence held with conditions, and values that must never link anyone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind
from safeguarding.people.models import Event, EventType, Handling, Person, PersonRole, SourceRecord, SourceSystem
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory

RESTRICTED_REG = "RS19 XYZ"  # seen only in police intelligence held with conditions
SHARED_REG = "YA19 ABC"


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


@dataclass
class Partnership:
    police: SourceSystem
    school: SourceSystem
    council: SourceSystem

    def person(self, system: SourceSystem, record_id: str, *, role: str = PersonRole.CHILD,
               given: str = "Chloe", **kwargs: Any) -> tuple[Person, SourceRecord]:
        person = PersonFactory(role=role, given_name=given, date_of_birth="2010-03-14" if role == "child" else "1980-01-01")
        record = SourceRecordFactory(source_system=system, record_id=record_id, person=person, role=role, **kwargs)
        return person, record

    def event(self, record: SourceRecord, event_type: str = EventType.SEEN_IN_VEHICLE, *, days: int = 10,
              **kwargs: Any) -> Event:
        return EventFactory(source_record=record, source_system=record.source_system, event_type=event_type,
                            occurred_at=days_ago(days), **kwargs)


@pytest.fixture
def partnership(agencies) -> Partnership:  # type: ignore[no-untyped-def]
    return Partnership(
        police=SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE]),
        school=SourceSystemFactory(code="school-sims", agency=agencies[AgencyKind.EDUCATION]),
        council=SourceSystemFactory(code="council-social-care", agency=agencies[AgencyKind.COUNCIL]),
    )


@dataclass
class World:
    child_a: Person
    child_b: Person
    child_c: Person
    adult: Person
    record_a: SourceRecord
    record_b: SourceRecord
    record_c: SourceRecord
    record_adult: SourceRecord


@pytest.fixture
def world(partnership: Partnership) -> World:
    """Child A is seen in YA19 ABC with an adult, then child B in the same car (with the adult too);
    police intelligence held with conditions puts child A and child C in RS19 XYZ."""
    p = partnership
    child_a, record_a = p.person(p.police, "NICHE-A", given="Amber")
    child_b, record_b = p.person(p.police, "NICHE-B", given="Bella")
    child_c, record_c = p.person(p.police, "NICHE-C", given="Cara")
    adult, record_adult = p.person(p.police, "NICHE-X", role=PersonRole.ADULT, given="Xavier")
    p.event(record_a, vehicle_registration=SHARED_REG, other_record_ids="NICHE-X", days=40,
            location_name="Hotel, High Street", location_postcode="S60 1AA")
    p.event(record_b, vehicle_registration="ya19abc", other_record_ids="NICHE-X", days=5)
    p.event(record_a, EventType.INTELLIGENCE, handling=Handling.CONDITIONS, vehicle_registration=RESTRICTED_REG,
            days=30, detail="restricted-intel-text")
    p.event(record_c, EventType.INTELLIGENCE, handling=Handling.CONDITIONS, vehicle_registration=RESTRICTED_REG,
            days=3, detail="restricted-intel-text")
    return World(child_a, child_b, child_c, adult, record_a, record_b, record_c, record_adult)
