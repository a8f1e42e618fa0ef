"""Reads about people, each through the access gateway: search, and the child's single view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest

from safeguarding.accounts.access import Capability, events_visible_to, has
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core import normalise
from safeguarding.people.models import Event, Person, PersonRole, Relationship, SourceRecord


@dataclass(frozen=True)
class SearchCriteria:
    given_name: str = ""
    family_name: str = ""
    date_of_birth: dt.date | None = None
    nhs_number: str = ""
    upn: str = ""
    postcode: str = ""
    address: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v}

    @property
    def is_empty(self) -> bool:
        return not self.as_dict()

    def specific_enough_for_referrer(self) -> bool:
        """A referrer must already know who the child is: an exact identifier, or a name with the
        full date of birth. This stops the search being used to browse the hub's records."""
        return bool(self.nhs_number or self.upn or (self.family_name and self.date_of_birth))


REFERRER_RESULT_LIMIT = 10
SEARCH_RESULT_LIMIT = 50


def _records_matching(criteria: SearchCriteria) -> Q:
    q = Q()
    if criteria.given_name:
        name = criteria.given_name.strip()
        q &= Q(given_name__iexact=name) | Q(other_names__icontains=name) | Q(given_name__istartswith=name)
    if criteria.family_name:
        name = criteria.family_name.strip()
        q &= Q(family_name__iexact=name) | Q(family_name__istartswith=name) | Q(other_names__icontains=name)
    if criteria.date_of_birth:
        q &= Q(date_of_birth=criteria.date_of_birth.isoformat())
    if criteria.nhs_number:
        q &= Q(nhs_number=normalise.nhs_number_digits(criteria.nhs_number) or criteria.nhs_number.strip())
    if criteria.upn:
        q &= Q(upn=normalise.upn(criteria.upn) or criteria.upn.strip().upper())
    if criteria.postcode:
        q &= Q(postcode=normalise.postcode(criteria.postcode) or criteria.postcode.strip().upper())
    if criteria.address:
        q &= Q(address__icontains=criteria.address.strip())
    return q


def people_search(*, user: User, criteria: SearchCriteria, request: HttpRequest | None = None) -> list[Person]:
    """People whose records (in any agency's system) match; audited.

    Casework roles search everyone. A referrer finds only children, needs specific details, and
    sees few results.
    """
    if criteria.is_empty:
        return []
    if has(user, Capability.SEARCH_PEOPLE):
        limit = SEARCH_RESULT_LIMIT
        scope = Q()
    elif has(user, Capability.RAISE_CONCERN):
        if not criteria.specific_enough_for_referrer():
            return []
        limit = REFERRER_RESULT_LIMIT
        scope = ~Q(role=PersonRole.ADULT)
    else:
        return []
    person_ids = (
        SourceRecord.objects.filter(_records_matching(criteria))
        .values_list("person_id", flat=True)
        .distinct()[: limit * 4]
    )
    people = list(
        Person.objects.filter(scope, pk__in=list(person_ids)).order_by("family_name", "given_name", "pk")[:limit]
    )
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.PERSON_SEARCHED,
            actor=user,
            target_kind="search",
            detail={"criteria": criteria.as_dict(), "results": [p.pk for p in people]},
            request=request,
        )
    return people


@dataclass
class TimelineEntry:
    when: dt.datetime
    date_only: bool
    title: str
    agency: str
    source: str
    detail: str
    kind: str  # "event" or "concern"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SingleView:
    person: Person
    records: list[SourceRecord]
    timeline: list[TimelineEntry]
    relationships: list[Relationship]
    awaiting_review: set[int]  # source records in a pair awaiting match review
    # Entries the viewer may not see (police intelligence with conditions). The page says only that
    # the police hold more, so the viewer knows whom to ask, never what it is.
    hidden_restricted: int


def single_view(*, user: User, person: Person) -> SingleView:
    """Everything the agencies hold about a person that this user may see, newest first.

    ``person`` must come from ``person_for_user_or_404`` (which checks access and logs the view).
    """
    from safeguarding.frontdoor.models import Concern

    records = list(
        SourceRecord.objects.filter(person=person)
        .select_related("source_system__agency")
        .order_by("source_system__code")
    )
    record_ids = [r.pk for r in records]
    visible = events_visible_to(user)
    events = list(
        Event.objects.filter(visible, source_record_id__in=record_ids)
        .select_related("source_system__agency")
        .order_by("-occurred_at")
    )
    hidden = Event.objects.filter(source_record_id__in=record_ids).count() - len(events)
    timeline = [
        TimelineEntry(
            when=e.occurred_at,
            date_only=e.occurred_date_only,
            title=e.get_event_type_display(),
            agency=e.source_system.agency.name,
            source=f"{e.source_system.code} {e.event_id}",
            detail=e.detail,
            kind="event",
            extra={
                "ended_at": e.ended_at,
                "location": ", ".join(p for p in (e.location_name, e.location_postcode) if p),
                "vehicle": e.vehicle_registration,
                "phone": e.phone,
                "handling": e.get_handling_display() if e.handling else "",
            },
        )
        for e in events
    ]
    concerns = Concern.objects.filter(child_id__in=identity_ids(person)).select_related("agency", "raised_by", "decision")
    for c in concerns:
        decision = getattr(c, "decision", None)
        timeline.append(
            TimelineEntry(
                when=c.raised_at,
                date_only=False,
                title=f"Concern {c.reference}{' (urgent)' if c.urgent else ''}",
                agency=c.agency.name,
                source=f"raised in the hub by {c.raised_by.get_full_name() or c.raised_by.username}",
                detail=c.description,
                kind="concern",
                extra={
                    "concern_id": c.pk,
                    "indicators": c.indicator_labels(),
                    "decision": decision.get_outcome_display() if decision else "Awaiting decision",
                },
            )
        )
    timeline.sort(key=lambda entry: entry.when, reverse=True)
    relationships = list(
        Relationship.objects.filter(Q(from_record_id__in=record_ids) | Q(to_record_id__in=record_ids)).select_related(
            "from_record__person", "to_record__person", "source_system__agency"
        )
    )
    from safeguarding.linkage.selectors import pending_review_record_ids

    return SingleView(
        person=person,
        records=records,
        timeline=timeline,
        relationships=relationships,
        awaiting_review=pending_review_record_ids(record_ids),
        hidden_restricted=hidden,
    )


def current_person(person: Person) -> Person:
    """The person record linkage says this one is now (itself unless merged into another), read
    afresh from the database: the caller's copy may predate the merge."""
    return Person.objects.get(pk=current_person_ids([person.pk])[person.pk])


def identity_ids(person: Person) -> list[int]:
    """The person and every person record linkage merged into them (at any depth): what was
    recorded about any of them (screenings, level history, alerts) belongs to the child they
    turned out to be. For services and selectors that have already checked access to ``person``."""
    ids = [person.pk]
    frontier = [person.pk]
    while frontier:
        frontier = list(Person.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
        ids.extend(pk for pk in frontier if pk not in ids)
    return ids


def current_person_ids(person_ids: Iterable[int]) -> dict[int, int]:
    """Each person id to the person record linkage says they are now (following merges; an id
    never merged maps to itself). One query per step of the longest chain of merges."""
    wanted = set(person_ids)
    parent: dict[int, int | None] = {}
    pending = set(wanted)
    while pending:
        rows = Person.objects.filter(pk__in=pending).values_list("pk", "merged_into_id")
        parent.update(rows)
        pending = {p for _, p in rows if p is not None and p not in parent}
    roots: dict[int, int] = {}
    for pk in wanted:
        current, seen = pk, set()
        while parent.get(current) is not None and current not in seen:
            seen.add(current)
            current = parent[current]  # type: ignore[assignment]
        roots[pk] = current
    return roots
