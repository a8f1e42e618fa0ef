"""Reads about people, each applying the access policy: opening a person's record, the events a
user may see, search, and the people room's part of the child's single view (records, events,
relationships). The whole single view is composed above the rooms (``workflows.selectors``)."""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Case, F, Func, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from safeguarding.accounts.access import (
    Capability,
    has,
    not_hidden,
    one_or_404,
    persons_hidden_from,
    require,
    sees_restricted_intelligence,
)
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core import normalise
from safeguarding.core.lists import Listing, Sort, listing
from safeguarding.people import identity
from safeguarding.people.models import (
    Event,
    EventType,
    Handling,
    Person,
    PersonRole,
    Relationship,
    SourceRecord,
    police_only_relationships,
    restricted_events,
)


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
    P, and any event marked C, only for police casework staff
    (``accounts.access.sees_restricted_intelligence``)."""
    if not has(user, Capability.VIEW_PERSON):
        return Q(pk__in=[])
    if sees_restricted_intelligence(user):
        return Q()
    return ~restricted_events()


@dataclass(frozen=True)
class SearchCriteria:
    given_name: str = ""
    family_name: str = ""
    date_of_birth: dt.date | None = None
    nhs_number: str = ""
    upn: str = ""
    postcode: str = ""
    address: str = ""
    reference: str = ""  # a hub reference (P0000239): casework search only
    phone: str = ""  # casework search only

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


def _reference_and_phone(criteria: SearchCriteria) -> Q:
    """Casework search by a hub reference (the person under any id they have had) or a phone number in
    any format."""
    q = Q()
    if criteria.reference:
        pk = normalise.person_reference(criteria.reference)
        q &= Q(person__root_id=identity.root_id(pk)) if pk is not None else Q(pk__in=[])
    if criteria.phone:
        number = normalise.phone(criteria.phone)
        q &= Q(phones__contains=number) if number else Q(pk__in=[])
    return q


class _Filled(Func):
    """``column > ''`` (not empty) with the empty text written out, not passed as a parameter: SQLite's planner uses a
    partial index (``WHERE column > ''``) only when the query states the index's condition literally."""

    template = "%(expressions)s > ''"
    output_field = BooleanField()


def _starts_with(field: str, key: str) -> Q:
    """``field`` starts with ``key`` (letters a-z only), as a range an index answers on either database:
    key <= value < the next key of its length ("smith" <= value < "smiti")."""
    stem = key.rstrip("z")
    if not stem:
        return Q(**{f"{field}__gte": key})
    following = stem[:-1] + chr(ord(stem[-1]) + 1)
    return Q(**{f"{field}__gte": key, f"{field}__lt": following})


def _name_found_by(name: str, *, key_field: str, sound_field: str, last_field: str = "") -> list[Q]:
    """The ways a record answers to a name, each on an index of its own (docs/decisions.md): its key
    starts with the name's, it sounds the same, it is the last word of a name of several (Smith-Jones
    for Jones), or it is among the record's other names (whole, by its start, or by its sound)."""
    key, sound = normalise.name_key(name), normalise.name_sound(name)
    if not key:
        return []
    has_others = Q(_Filled(F("other_keys")))
    ways = [_starts_with(key_field, key), has_others & Q(other_keys__contains=f" {key}")]
    if last_field:
        ways.append(Q(_Filled(F(last_field))) & Q(**{last_field: key}))
    if sound:
        ways += [Q(**{sound_field: sound}), has_others & Q(other_keys__contains=f" #{sound} ")]
    return ways


def _given_name_forms(name: str) -> list[str]:
    """The keys of the other forms of a given name, from the nicknames list record linkage uses: the formal
    names it is short for and its short forms (Dan: Daniel; Daniel: Dan, Danny), so Find a person finds Dan
    Johnson when asked for Daniel. Names the list does not know have none."""
    key = normalise.name_key(name)
    if not key or " " in key:
        return []
    namer = normalise.nicknamer()
    forms = {*namer.canonicals_of(key), *namer.nicknames_of(key)}
    return sorted({k for k in (normalise.name_key(f) for f in forms) if k and k != key})


# A transliteration that Metaphone hears differently (Ayesha: Aisha; Nadiya: Nadia; Kahn: Khan; Kovalski:
# Kowalski) is still a close spelling. Jaro-Winkler similarity from which a name counts as a close spelling
# of the one typed: a given name among the records of the family name typed (few names, so a looser mark),
# and a family name among those that begin with its letter (every family in the hub, so a stricter one).
# Measured on the demo generator's transliterations and on FEBRL4: docs/benchmarks.md.
GIVEN_SPELLING_SIMILAR = 0.8
FAMILY_SPELLING_SIMILAR = 0.85
# At most this many letters changed, added, dropped or swapped (Damerau-Levenshtein): Jaro-Winkler alone counts
# a shared start for much, and took Carl, Char and Charles for Charlotte. A transliteration changes one or two
# letters (Ayesha, Aisha; Kovalski, Kowalski), a typo one.
SPELLING_EDITS = 2
_SPELLING_FROM = 3  # letters typed before close spellings are looked for (a name begun is found by its start)


def _close_spellings(key: str, keys: Iterable[str], at_least: float) -> list[str]:
    import jellyfish  # only where names are read

    return sorted({k for k in keys if k and k != key and jellyfish.jaro_winkler_similarity(key, k) >= at_least
                   and jellyfish.damerau_levenshtein_distance(key, k) <= SPELLING_EDITS})


def _close_family_spellings(key: str) -> list[str]:
    """The family names in the hub spelled close to the one typed, among those beginning with its letter
    (a range of the family-and-given-name index, read without the table)."""
    if len(key) < _SPELLING_FROM:
        return []
    held = SourceRecord.objects.filter(_starts_with("family_key", key[0])).values_list("family_key", flat=True)
    return _close_spellings(key, held.distinct(), FAMILY_SPELLING_SIMILAR)


_GIVEN_NAMES_READ = 5000  # given names read from the records an identifier or a date narrows a search to


def _close_given_spellings(key: str, among: Q) -> list[str]:
    """The given names spelled close to the one typed among some records: those of the family name typed and
    its close spellings (the family-and-given-name index again), or those a date of birth, a postcode or an
    identifier finds."""
    if len(key) < _SPELLING_FROM:
        return []
    held = SourceRecord.objects.filter(among).values_list("given_key", flat=True).distinct()
    return _close_spellings(key, held[:_GIVEN_NAMES_READ], GIVEN_SPELLING_SIMILAR)


@dataclass(frozen=True)
class _Matching:
    """The records a casework search finds: by a name's start, sound, other forms or other names (``ways``),
    and only by a close spelling (``close``, listed after them)."""

    ways: list[Q]
    close: list[Q] = field(default_factory=list)


def _records_matching(criteria: SearchCriteria) -> _Matching:
    """Casework staff's search, as alternatives each answered by an index: names match by their start,
    their sound, a word of a name of several, or among the record's other names, and by a close spelling
    (Find a person answers in well under a second at a million records: docs/benchmarks.md). Several
    alternatives are asked as one query of UNIONs, so that each is planned on its own index."""
    exact = _exact_matching(criteria) & _reference_and_phone(criteria)
    family = _name_found_by(criteria.family_name, key_field="family_key", sound_field="family_sound",
                            last_field="family_last") if criteria.family_name.strip() else []
    given = _name_found_by(criteria.given_name, key_field="given_key", sound_field="given_sound") \
        if criteria.given_name.strip() else []
    if given and (forms := _given_name_forms(criteria.given_name)):
        given.append(Q(given_key__in=forms))
    if (criteria.family_name.strip() and not family) or (criteria.given_name.strip() and not given):
        return _Matching([Q(pk__in=[])])  # a name with no letters in it finds no one
    # A date of birth, a postcode or an identifier: found on their own indexes, they narrow the close
    # spellings a name finds (part of an address is read from every record, so it does not).
    indexed = criteria.date_of_birth or criteria.nhs_number or criteria.upn or criteria.postcode
    if family:
        given_any = reduce(operator.or_, given) if given else Q()
        found = _Matching([way & given_any & exact for way in family])
        family_keys = [normalise.name_key(criteria.family_name)]
        # A family name's close spellings beside a given name or such a detail: alone, a typo of a common
        # name (Smiht) would list every Smith in the hub after the few it names.
        if (given or indexed) and (spellings := _close_family_spellings(family_keys[0])):
            found.close.append(Q(family_key__in=spellings) & given_any & exact)
            family_keys += spellings
        if given and (spellings := _close_given_spellings(normalise.name_key(criteria.given_name),
                                                          Q(family_key__in=family_keys))):
            found.close.append(Q(family_key__in=family_keys, given_key__in=spellings) & exact)
        return found
    if given:
        found = _Matching([way & exact for way in given])
        # A given name without a family name: its close spellings among the few records such a detail finds
        # (alone, they would be every spelling in the hub).
        if indexed and (spellings := _close_given_spellings(normalise.name_key(criteria.given_name), exact)):
            found.close.append(Q(given_key__in=spellings) & exact)
        return found
    return _Matching([exact])


_CLOSE_READ = 2000  # people found only by a close spelling, read into the server before the list is asked


def _roots_of_records(ways: list[Q]) -> QuerySet[SourceRecord, Any]:
    """The people (as they are now: merged records lead to their root) whose records any way finds."""
    found = [SourceRecord.objects.filter(way).values("person__root_id") for way in ways]
    return found[0].union(*found[1:]) if len(found) > 1 else found[0]


def _people_found(user: User, criteria: SearchCriteria) -> QuerySet[Person]:
    """Casework staff's search: the people found that the user may see, the names as typed first, then
    those found by a name's start, sound or other forms, then those found only by a close spelling."""
    matching = _records_matching(criteria)
    people = Person.objects.filter(not_hidden(user, "pk"))
    # The people found only by a close spelling are few (a rarer spelling, within a family): they are read
    # first, and those with a record that the other ways find too are taken out. The list's query asks the
    # other ways once, with those people as one more branch of its union: "in the union or in a list" made
    # PostgreSQL read every person (measured: docs/benchmarks.md). Should they be many, the database
    # tells them apart itself (slower, but no list of thousands of ids is sent to it).
    close = {row["person__root_id"] for row in _roots_of_records(matching.close)[:_CLOSE_READ + 1]} \
        if matching.close else set()
    if len(close) > _CLOSE_READ:
        nearer_ways = _roots_of_records(matching.ways)
        everyone = _roots_of_records([*matching.ways, *matching.close])
        nearer = Case(When(pk__in=nearer_ways, then=Value(1)), default=Value(0), output_field=IntegerField())
        return _as_typed_first(people.filter(pk__in=everyone), criteria, nearer=nearer)
    if close:
        close -= set(SourceRecord.objects.filter(reduce(operator.or_, matching.ways), person__root_id__in=close)
                     .values_list("person__root_id", flat=True))
    if not close:
        return _as_typed_first(people.filter(pk__in=_roots_of_records(matching.ways)), criteria)
    found = _roots_of_records([*matching.ways, Q(person__root_id__in=close)])
    nearer = Case(When(pk__in=close, then=Value(0)), default=Value(1), output_field=IntegerField())
    return _as_typed_first(people.filter(pk__in=found), criteria, nearer=nearer)


def _exact_matching(criteria: SearchCriteria) -> Q:
    q = Q()
    if criteria.date_of_birth:
        q &= Q(date_of_birth=criteria.date_of_birth.isoformat())
    if criteria.nhs_number:
        q &= Q(nhs_number=normalise.nhs_number_digits(criteria.nhs_number) or criteria.nhs_number.strip())
    if criteria.upn:
        q &= Q(upn=normalise.upn(criteria.upn) or criteria.upn.strip().upper())
    if criteria.postcode:
        q &= _postcode_matching(criteria.postcode)
    if criteria.address:
        q &= Q(address__icontains=criteria.address.strip())
    return q


_OUTWARD = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")


def _postcode_matching(text: str) -> Q:
    """A whole postcode exactly; part of one by its start: the outward code ("S60" finds S60 1AB but
    not S601), or the outward code and sector ("S60 1")."""
    whole = normalise.postcode(text)
    if whole:
        return Q(postcode=whole)
    compact = re.sub(r"\s+", " ", text.strip().upper())
    if " " in compact:
        return Q(postcode__startswith=compact)
    if _OUTWARD.match(compact):
        return Q(postcode__startswith=f"{compact} ")
    if len(compact) > 2 and _OUTWARD.match(compact[:-1]) and compact[-1].isdecimal():
        return Q(postcode__startswith=f"{compact[:-1]} {compact[-1]}")
    return Q(postcode=compact)


def _name_agrees(wanted: str, name: str, other_names: str, *, family: bool) -> bool:
    """A referrer's name against a record: the whole name, as record linkage counts spellings (accents,
    apostrophes, hyphens and double-barrelled parts), or a close spelling of it as casework search takes one
    (Kahn for Khan, Ayesha for Aisha) no more than a letter longer or shorter, never a name begun."""
    want = normalise.clean_name(wanted)
    if not want:
        return True
    compact = want.replace(" ", "")
    spellings = normalise.name_words(name)
    for other in other_names.split(";"):
        spellings |= normalise.name_words(other)
    if want in spellings or compact in spellings:
        return True
    if len(compact) < _SPELLING_FROM:
        return False
    close = [s for s in spellings if abs(len(s) - len(compact)) <= 1 and not s.startswith(compact)
             and (not family or s[0] == compact[0])]
    return bool(_close_spellings(compact, close, FAMILY_SPELLING_SIMILAR if family else GIVEN_SPELLING_SIMILAR))


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
        if criteria.family_name and not _name_agrees(criteria.family_name, family, others, family=True):
            continue
        if given and not (_name_agrees(criteria.given_name, first, others, family=False)):
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


def _as_typed_first(
    people: QuerySet[Person], criteria: SearchCriteria, *, nearer: Case | Value | None = None
) -> QuerySet[Person]:
    """People found, the names as typed first (asked for Demi, the list showed thirteen Tommys before her,
    by family name), then those found by their start, sound or another form (``nearer`` 1), then by a close
    spelling (``nearer`` 0); each by family and given name."""
    typed = [When(**{f"{field}__iexact": text.strip()}, then=Value(1))
             for field, text in (("given_name", criteria.given_name), ("family_name", criteria.family_name))
             if text.strip()]
    as_typed = sum((Case(when, default=Value(0), output_field=IntegerField()) for when in typed),
                   Value(0, output_field=IntegerField()))
    ordered = people.annotate(as_typed=as_typed)
    if nearer is None:
        return ordered.order_by("-as_typed", "family_name", "given_name", "pk")
    return ordered.annotate(nearer=nearer).order_by("-as_typed", "-nearer", "family_name", "given_name", "pk")


def people_search(*, user: User, criteria: SearchCriteria) -> list[Person]:
    """People whose records (in any agency's system) match; audited.

    Casework roles search everyone. A referrer finds only children, needs the whole family name and
    the full date of birth or an exact identifier, sees few results, may search only so often
    (``SearchRefused``), and a run of broad searches is flagged to the data protection officer.
    """
    if criteria.is_empty:
        return []
    if has(user, Capability.SEARCH_PEOPLE):
        # Ordered before it is cut to a page: the 50 shown are the nearest, not any 50 found.
        people = list(_people_found(user, criteria)[:SEARCH_RESULT_LIMIT])
    elif has(user, Capability.RAISE_CONCERN):
        if not criteria.specific_enough_for_referrer():
            return []
        _referrer_limits(user, criteria)
        person_ids = _referrer_records(criteria)
        # Records linkage has merged lead to the person they are now.
        roots = set(Person.objects.filter(pk__in=person_ids).values_list("root_id", flat=True))
        children = Person.objects.filter(~Q(role=PersonRole.ADULT), not_hidden(user, "pk"), pk__in=roots)
        people = list(_as_typed_first(children, criteria)[:REFERRER_RESULT_LIMIT])
    else:
        return []
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.PERSON_SEARCHED,
            actor=user,
            target_kind="search",
            detail={"criteria": criteria.as_dict(), "results": [p.pk for p in people]},
            shown=[p.pk for p in people],
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
    agency_code: str = ""  # for the chronology's filter by agency
    event_type: str = ""  # the event's type (``EventType``), or "concern" for a concern raised in the hub


@dataclass
class PersonRecords:
    """The people room's part of the single view: what each agency's system holds, their events
    this user may see (newest first), and the relationships agencies recorded."""

    person: Person
    records: list[SourceRecord]
    timeline: list[TimelineEntry]
    relationships: list[Relationship]
    # Entries the viewer may not see (police intelligence with conditions, a police record naming a
    # suspected perpetrator). Never shown: the page tells every reader outside the police the same
    # sentence (``police_may_hold``), whatever the police hold, so it says whom to ask and not whether
    # the police hold anything (about an adult, a tip-off).
    hidden_restricted: int
    # People sealed away from this viewer whom agencies' relationships link to this person: an adult's
    # page names them only as a restricted record (``accounts.templatetags.sealed``).
    sealed_related: list[Person] = field(default_factory=list)
    police_may_hold: bool = False  # the reader is outside the police: told whom to ask, on every person's page


def police_only_among(relationships: Collection[Relationship]) -> set[int]:
    """Which of these relationships stay with the police (``police_only_relationships``): a police record
    naming a suspected perpetrator or a victim, and the police's every other row about the same two
    people. Police-only everywhere, subject access too. One query."""
    if not relationships:
        return set()
    return set(Relationship.objects.filter(police_only_relationships(), pk__in=[r.pk for r in relationships])
               .values_list("pk", flat=True))


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
    # Read as values, not model instances (about three times faster for a child with 2,000 events): the
    # single view pages its chronology, but draws and counts all of it.
    events = list(
        Event.objects.filter(visible, source_record_id__in=record_ids)
        .order_by("-occurred_at", "-pk")
        .values(
            "occurred_at", "occurred_date_only", "event_type", "event_id", "detail", "ended_at", "location_name",
            "location_postcode", "vehicle_registration", "phone", "handling", "source_system__code",
            "source_system__agency__name", "source_system__agency__code",
        )
    )
    hidden = Event.objects.filter(source_record_id__in=record_ids).count() - len(events)
    kinds, handlings = dict(EventType.choices), dict(Handling.choices)
    timeline = [
        TimelineEntry(
            when=e["occurred_at"],
            date_only=e["occurred_date_only"],
            title=kinds.get(e["event_type"], e["event_type"]),
            agency=e["source_system__agency__name"],
            source=f"{e['source_system__code']} {e['event_id']}",
            detail=e["detail"],
            kind="event",
            agency_code=e["source_system__agency__code"],
            event_type=e["event_type"],
            extra={
                "ended_at": e["ended_at"],
                "location": ", ".join(p for p in (e["location_name"], e["location_postcode"]) if p),
                "vehicle": e["vehicle_registration"],
                "phone": e["phone"],
                "handling": handlings.get(e["handling"], e["handling"]) if e["handling"] else "",
            },
        )
        for e in events
    ]
    sealed_away = sorted(persons_hidden_from(user))
    relationships = list(
        Relationship.objects.filter(Q(from_record_id__in=record_ids) | Q(to_record_id__in=record_ids))
        .exclude(Q(from_record__person__in=sealed_away) | Q(to_record__person__in=sealed_away))
        .select_related("from_record__person", "to_record__person", "source_system__agency")
    )
    # A police record naming a suspected perpetrator, or a victim (and so who offended), is police-only,
    # as in the networks (docs/decisions.md, "Who sees which links"): a named suspect shared beyond the police risks
    # tipping them off. So is the police's every other row about the same two people (an "associate"
    # row sent before the suspect row). Others are told only that the police hold more.
    police = sees_restricted_intelligence(user)
    if not police:
        held = police_only_among(relationships)
        shown = [rel for rel in relationships if rel.pk not in held]
        hidden += len(relationships) - len(shown)
        relationships = shown
    sealed_related: list[Person] = []
    if sealed_away:
        seen: set[int] = set()
        rows = Relationship.objects.filter(
            Q(from_record_id__in=record_ids, to_record__person__in=sealed_away)
            | Q(to_record_id__in=record_ids, from_record__person__in=sealed_away)
        )
        if not police:
            # its row would say the police hold a suspect's link, as the ones above do not
            rows = rows.exclude(police_only_relationships())
        for rel in rows.select_related("from_record__person", "to_record__person"):
            for other in (rel.from_record.person, rel.to_record.person):
                if other.pk in sealed_away and other.pk not in seen:
                    seen.add(other.pk)
                    sealed_related.append(other)
    return PersonRecords(
        person=person, records=records, timeline=timeline, relationships=relationships, hidden_restricted=hidden,
        sealed_related=sealed_related, police_may_hold=not police,
    )


# --- for a subject access request ----------------------------------------------------------------


@dataclass
class SubjectRecords:
    """What the agencies' systems hold about a person, for their own subject access request.

    Police intelligence with handling conditions never leaves this room with its content: it is
    answered only by its date, system and reference, so the data protection officer can be told it
    exists and ask the police, and no bundle can carry it."""

    records: list[SourceRecord]
    events: list[Event]  # on the person's own records
    naming: list[Event]  # on other people's records, naming the person among ``other_record_ids``
    withheld: list[tuple[dt.datetime, str, str]]  # restricted intelligence: (when, system code, event id)
    relationships: list[Relationship]
    others: list[SourceRecord]  # the records of everyone else those events and relationships name


def subject_access_records(*, user: User, person: Person) -> SubjectRecords:
    """Everything the agencies' systems hold about the person under any id they have had."""
    if not has(user, Capability.SUBJECT_ACCESS):
        return SubjectRecords([], [], [], [], [], [])
    root = identity.root_id(person)
    records = list(
        SourceRecord.objects.filter(person__root_id=root).select_related("source_system__agency").order_by("pk")
    )
    record_ids = [r.pk for r in records]
    events = list(
        Event.objects.filter(source_record_id__in=record_ids)
        .exclude(restricted_events())
        .select_related("source_system__agency")
        .order_by("occurred_at", "pk")
    )
    # Events on other people's records that name this person (police intelligence about an adult that
    # names the child, say): found by the person's record ids in each system, checked exactly.
    by_system: dict[int, set[str]] = {}
    for r in records:
        by_system.setdefault(r.source_system_id, set()).add(r.record_id)
    naming_q = Q(pk__in=[])
    for system_id, ids in by_system.items():
        for rid in ids:
            naming_q |= Q(source_system_id=system_id, other_record_ids__contains=rid)
    candidates = (
        Event.objects.filter(naming_q).exclude(source_record_id__in=record_ids).select_related("source_system__agency")
        if by_system else Event.objects.none()
    )
    naming: list[Event] = []
    withheld: list[tuple[dt.datetime, str, str]] = []
    for event in candidates.order_by("occurred_at", "pk"):
        if not set(event.other_record_ids.split(";")) & by_system.get(event.source_system_id, set()):
            continue
        if event.is_restricted_intelligence:
            withheld.append((event.occurred_at, event.source_system.code, event.event_id))
        else:
            naming.append(event)
    withheld += list(
        Event.objects.filter(restricted_events(), source_record_id__in=record_ids).values_list(
            "occurred_at", "source_system__code", "event_id"
        )
    )
    relationships = list(
        Relationship.objects.filter(Q(from_record_id__in=record_ids) | Q(to_record_id__in=record_ids))
        .select_related("from_record", "to_record", "source_system__agency")
        .order_by("pk")
    )
    # Everyone else named: in relationships, in the person's events, and holding the naming events.
    other_ids = {rel.from_record_id for rel in relationships} | {rel.to_record_id for rel in relationships}
    other_ids |= {event.source_record_id for event in naming}
    wanted: dict[int, set[str]] = {}
    for event in events:
        if event.other_record_ids:
            wanted.setdefault(event.source_system_id, set()).update(event.other_record_ids.split(";"))
    others_q = Q(pk__in=sorted(other_ids - set(record_ids)))
    for system_id, ids in wanted.items():
        others_q |= Q(source_system_id=system_id, record_id__in=sorted(ids))
    others = list(SourceRecord.objects.filter(others_q).exclude(person__root_id=root))
    return SubjectRecords(records, events, naming, sorted(withheld), relationships, others)


def records_named(pairs: set[tuple[str, str]]) -> list[SourceRecord]:
    """Source records whose given and family names are one of the (given, family) pairs, in any case:
    for finding people the hub holds named in free text."""
    if not pairs:
        return []
    families = {f for _, f in pairs}
    spellings = {variant for f in families for variant in (f, f.title(), f.upper(), f.capitalize())}
    found = []
    for start in range(0, len(spellings), 500):
        chunk = sorted(spellings)[start : start + 500]
        for record in SourceRecord.objects.filter(family_name__in=chunk).only(
            "pk", "person_id", "given_name", "family_name", "role"
        ):
            if (record.given_name.lower(), record.family_name.lower()) in pairs:
                found.append(record)
    return found


# --- lists: finding a person in a list by reference or name (issue 16) ---------------------------


def person_named(field: str, text: str) -> Q:
    """A list's filter on the person in ``field`` (a foreign key to Person): by hub reference (the
    person under any id they have had), else every word a start of their first or last name."""
    pk = normalise.person_reference(text)
    if pk is not None:
        return Q(**{f"{field}__root_id": identity.root_id(pk)})
    q = Q()
    for word in (text or "").split():
        q &= Q(**{f"{field}__given_name__istartswith": word}) | Q(**{f"{field}__family_name__istartswith": word})
    return q


PEOPLE_SORTS = [
    Sort("name", ("family_name", "given_name")),
    Sort("born", ("date_of_birth",)),
]


def people_listing(*, user: User, criteria: SearchCriteria, query: Mapping[str, Any]) -> Listing[Person]:
    """Casework staff's search as a list: everyone whose records (in any agency's system) match, as
    they are now, with the true count, a page at a time; each page's results audited."""
    require(user, Capability.SEARCH_PEOPLE)
    found = listing(_people_found(user, criteria), query=query, noun=("person", "people"), sorts=PEOPLE_SORTS)
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.PERSON_SEARCHED,
            actor=user,
            target_kind="search",
            detail={"criteria": criteria.as_dict(), "results": [p.pk for p in found.items], "total": found.total,
                    "page": found.page},
            shown=[p.pk for p in found.items],
        )
    return found
