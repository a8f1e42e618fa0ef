"""Reads about people, each applying the access policy: opening a person's record, the events a
user may see, search, and the people room's part of the child's single view (records, events,
relationships). The whole single view is composed above the rooms (``workflows.selectors``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, one_or_404, sees_restricted_intelligence
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core import normalise
from safeguarding.people.models import Event, EventType, Handling, Person, PersonRole, Relationship, SourceRecord


def person_for_user_or_404(user: User, person_id: int, *, purpose: str = "") -> Person:
    """The person, if this user may open their single view; logs the view and why. Else Http404."""
    return one_or_404(
        Person.objects.filter(pk=person_id),
        user=user,
        allowed=has(user, Capability.VIEW_PERSON),
        event_type=AuditEventType.PERSON_VIEWED,
        target_kind="person",
        person_of=lambda person: person.pk,
        reason=lambda _person: purpose or "opened the single view",
    )


def events_visible_to(user: User) -> Q:
    """A filter on ``Event`` for what this user may see: police intelligence without handling code
    P only for police casework staff (``accounts.access.sees_restricted_intelligence``)."""
    if not has(user, Capability.VIEW_PERSON):
        return Q(pk__in=[])
    if sees_restricted_intelligence(user):
        return Q()
    return ~Q(event_type=EventType.INTELLIGENCE) | Q(handling=Handling.SHAREABLE)


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

    @property
    def has_identifier(self) -> bool:
        return bool(self.nhs_number.strip() or self.upn.strip())

    def specific_enough_for_referrer(self) -> bool:
        """A referrer must already know who the child is: an exact identifier, or the whole family
        name with the full date of birth. This stops the search being used to browse the hub's records."""
        return self.has_identifier or bool(normalise.clean_name(self.family_name) and self.date_of_birth)


REFERRER_RESULT_LIMIT = 10
SEARCH_RESULT_LIMIT = 50
# A referrer may search this many times in REFERRER_WINDOW; more is refused until the window passes.
REFERRER_SEARCHES_PER_WINDOW = 15
REFERRER_WINDOW = dt.timedelta(minutes=10)
# A run of this many searches in the window that name a date of birth but no identifier (the way
# one would look through the children born on a day) is flagged to the data protection officer.
BROAD_SEARCHES_FLAGGED_FROM = 6


class SearchRefused(Exception):
    """A referrer has searched too often in a short time; the message says when they may again."""


def _records_matching(criteria: SearchCriteria) -> Q:
    """Casework staff's search: names match whole, by their start or among other names."""
    q = Q()
    if criteria.given_name:
        name = criteria.given_name.strip()
        q &= Q(given_name__iexact=name) | Q(other_names__icontains=name) | Q(given_name__istartswith=name)
    if criteria.family_name:
        name = criteria.family_name.strip()
        q &= Q(family_name__iexact=name) | Q(family_name__istartswith=name) | Q(other_names__icontains=name)
    return q & _exact_matching(criteria)


def _exact_matching(criteria: SearchCriteria) -> Q:
    q = Q()
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


def _name_agrees(wanted: str, name: str, other_names: str) -> bool:
    """A referrer's family name against a record: the whole name, as record linkage counts spellings
    (accents, apostrophes, hyphens and double-barrelled parts), never a prefix."""
    want = normalise.clean_name(wanted)
    if not want:
        return True
    compact = want.replace(" ", "")
    spellings = normalise.name_words(name)
    for other in other_names.split(";"):
        spellings |= normalise.name_words(other)
    return want in spellings or compact in spellings


def _referrer_records(criteria: SearchCriteria) -> list[int]:
    """A referrer's search: exact identifiers and the full date of birth narrow it in the database
    (indexed), then names must agree whole."""
    if not criteria.has_identifier and not criteria.date_of_birth:
        return []
    rows = SourceRecord.objects.filter(_exact_matching(criteria)).values_list(
        "person_id", "family_name", "given_name", "other_names"
    )[:2000]
    given = normalise.clean_name(criteria.given_name)
    found = []
    for person_id, family, first, others in rows:
        if criteria.family_name and not _name_agrees(criteria.family_name, family, others):
            continue
        if given and not (_name_agrees(criteria.given_name, first, others)):
            continue
        found.append(person_id)
    return found


def _referrer_searches_since(user: User, since: dt.datetime) -> list[dict[str, Any]]:
    """The criteria of this user's searches since a moment, from the audit trail (durable across
    the server's processes and restarts)."""
    return [
        detail.get("criteria", {})
        for detail in AuditEvent.objects.filter(
            event_type=AuditEventType.PERSON_SEARCHED, actor=user, occurred_at__gte=since
        ).values_list("detail", flat=True)
    ]


def _referrer_limits(user: User, criteria: SearchCriteria) -> None:
    """Refuse a referrer's search past the limit (audited), and flag a run of broad searches to the
    data protection officer (once per window)."""
    now = timezone.now()
    since = now - REFERRER_WINDOW
    earlier = _referrer_searches_since(user, since)
    if len(earlier) >= REFERRER_SEARCHES_PER_WINDOW:
        with transaction.atomic():
            audit_record(
                event_type=AuditEventType.SEARCH_REFUSED,
                actor=user,
                target_kind="search",
                reason=f"more than {REFERRER_SEARCHES_PER_WINDOW} searches in {REFERRER_WINDOW.seconds // 60} minutes",
                detail={"criteria": criteria.as_dict()},
            )
        minutes = REFERRER_WINDOW.seconds // 60
        raise SearchRefused(
            f"You have searched {len(earlier)} times in the last {minutes} minutes. Wait {minutes} minutes before "
            "searching again, or call the front door if a child is in danger now."
        )
    broad = [c for c in [*earlier, criteria.as_dict()]
             if c.get("date_of_birth") and not (c.get("nhs_number") or c.get("upn"))]
    already = AuditEvent.objects.filter(
        event_type=AuditEventType.SEARCHES_FLAGGED, actor=user, occurred_at__gte=since
    ).exists()
    if len(broad) >= BROAD_SEARCHES_FLAGGED_FROM and not already:
        with transaction.atomic():
            audit_record(
                event_type=AuditEventType.SEARCHES_FLAGGED,
                actor=user,
                target_kind="search",
                reason=(
                    f"{len(broad)} searches by date of birth without an identifier in "
                    f"{REFERRER_WINDOW.seconds // 60} minutes"
                ),
                detail={"searches": broad},
            )


def people_search(*, user: User, criteria: SearchCriteria) -> list[Person]:
    """People whose records (in any agency's system) match; audited.

    Casework roles search everyone. A referrer finds only children, needs the whole family name and
    the full date of birth or an exact identifier, sees few results, may search only so often
    (``SearchRefused``), and a run of broad searches is flagged to the data protection officer.
    """
    if criteria.is_empty:
        return []
    if has(user, Capability.SEARCH_PEOPLE):
        person_ids = list(
            SourceRecord.objects.filter(_records_matching(criteria))
            .values_list("person_id", flat=True)
            .distinct()[: SEARCH_RESULT_LIMIT * 4]
        )
        limit, scope = SEARCH_RESULT_LIMIT, Q()
    elif has(user, Capability.RAISE_CONCERN):
        if not criteria.specific_enough_for_referrer():
            return []
        _referrer_limits(user, criteria)
        person_ids = _referrer_records(criteria)
        limit, scope = REFERRER_RESULT_LIMIT, ~Q(role=PersonRole.ADULT)
    else:
        return []
    # Records linkage has merged lead to the person they are now.
    roots = set(Person.objects.filter(pk__in=person_ids).values_list("root_id", flat=True))
    people = list(Person.objects.filter(scope, pk__in=roots).order_by("family_name", "given_name", "pk")[:limit])
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.PERSON_SEARCHED,
            actor=user,
            target_kind="search",
            detail={"criteria": criteria.as_dict(), "results": [p.pk for p in people]},
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
class PersonRecords:
    """The people room's part of the single view: what each agency's system holds, their events
    this user may see (newest first), and the relationships agencies recorded."""

    person: Person
    records: list[SourceRecord]
    timeline: list[TimelineEntry]
    relationships: list[Relationship]
    # Entries the viewer may not see (police intelligence with conditions). The page says only that
    # the police hold more, so the viewer knows whom to ask, never what it is.
    hidden_restricted: int


def person_records(*, user: User, person: Person) -> PersonRecords:
    """Everything the agencies' systems hold about a person that this user may see.

    ``person`` must come from ``person_for_user_or_404`` (which checks access and logs the view).
    """
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
    relationships = list(
        Relationship.objects.filter(Q(from_record_id__in=record_ids) | Q(to_record_id__in=record_ids)).select_related(
            "from_record__person", "to_record__person", "source_system__agency"
        )
    )
    return PersonRecords(
        person=person, records=records, timeline=timeline, relationships=relationships, hidden_restricted=hidden
    )
