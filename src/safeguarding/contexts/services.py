"""Writes of the contexts room: building links from the agencies' records (and raising new-link
alerts from what is new), information practitioners submit, graded police intelligence and its
disclosures, peer groups, and work on contexts. Every write is audited in its transaction."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.access import (
    Capability,
    has,
    roles_with,
    sees_intelligence_sources,
    sees_police_only_links,
    sees_restricted_intelligence,
)
from safeguarding.accounts.models import Agency, AgencyKind, User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.contexts import build, keys, relabel
from safeguarding.contexts.models import (
    ContextCase,
    ContextReview,
    ContextStatus,
    Disclosure,
    Entity,
    EntityKind,
    HandlingCode,
    IntelligenceAssessment,
    IntelligenceReport,
    IntelligenceSource,
    LawfulBasis,
    Link,
    LinkBuild,
    LinkNature,
    LinkOrigin,
    PlaceKind,
    SourceEvaluation,
    Submission,
)
from safeguarding.core.bulk import BulkTable
from safeguarding.core.calendar import local_date
from safeguarding.core.errors import ServiceError
from safeguarding.earlywarning import services as earlywarning
from safeguarding.earlywarning.models import Alert, AlertStatus, RuleKind
from safeguarding.earlywarning.sources import children_under_plan
from safeguarding.notifications.models import NotificationKind
from safeguarding.notifications.services import names_of, notify
from safeguarding.people.models import (
    NAMES_AN_OFFENDER,
    Event,
    Person,
    PersonRole,
    Relationship,
    SourceRecord,
    child_or_adult_of_age,
    is_restricted,
    of_age,
    person_reference,
    police_only_relationships,
)
from safeguarding.screening.selectors import children_screened_at_risk

# A value linked to more different people than this is a placeholder many records share (a
# switchboard number, an "unknown" plate typed as a real one, a hospital's postcode): it never links.
PLACEHOLDER_PEOPLE = getattr(settings, "CONTEXTS_PLACEHOLDER_PEOPLE", 25)  # an intelligence officer can clear a mark
_CHUNK = 5000
PLACEHOLDER_REASON = ("a value many records share (a switchboard, an unknown plate, an institution's postcode), so it "
                      "does not link them")


def _as_datetime(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else _day_start(day)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


@dataclass
class BuildResult:
    build: LinkBuild
    links_added: int
    entities_added: int
    set_aside: dict[str, int]
    placeholders: list[str]
    alerts: list[Alert] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _event_rows(after: int) -> tuple[list[build.EventRow], int, int]:
    """Events newer than the last build that name a vehicle, phone, place or other person."""
    named = (
        Q(vehicle_registration__gt="") | Q(phone__gt="") | Q(location_postcode__gt="") | Q(location_name__gt="")
        | Q(other_record_ids__gt="")
    )
    raw = list(
        Event.objects.filter(named, pk__gt=after)
        .order_by("pk")
        .values_list(
            "pk", "source_record_id", "source_record__person_id", "source_system_id", "source_system__agency_id",
            "source_system__agency__kind", "event_type", "occurred_at", "ended_at", "location_name",
            "location_postcode", "vehicle_registration", "phone", "other_record_ids", "handling",
        )
        .iterator(chunk_size=_CHUNK)
    )
    last = Event.objects.aggregate(last=Max("pk"))["last"] or after
    # Other people present are named by their record id in the same system.
    wanted: dict[int, set[str]] = defaultdict(set)
    for row in raw:
        if row[13]:
            wanted[row[3]].update(part.strip() for part in row[13].split(";") if part.strip())
    record_pk: dict[tuple[int, str], int] = {}
    for system, ids in wanted.items():
        listed = sorted(ids)
        for start in range(0, len(listed), _CHUNK):
            for pk, rid in SourceRecord.objects.filter(
                source_system_id=system, record_id__in=listed[start : start + _CHUNK]
            ).values_list("pk", "record_id"):
                record_pk[(system, rid)] = pk
    rows = [
        build.EventRow(
            pk=r[0], record_pk=r[1], person_pk=r[2], system_pk=r[3], agency_pk=r[4], agency_kind=r[5],
            event_type=r[6], occurred_at=r[7], ended_at=r[8], location_name=r[9], location_postcode=r[10],
            vehicle=r[11], phone=r[12],
            others=[record_pk[(r[3], p.strip())] for p in r[13].split(";") if (r[3], p.strip()) in record_pk],
            handling=r[14],
        )
        for r in raw
    ]
    return rows, last, len(raw)


def _relationship_rows(after: int) -> tuple[list[build.RelationshipRow], int]:
    new = Relationship.objects.filter(pk__gt=after, relationship__in=list(keys.NETWORK_RELATIONSHIPS))
    # The police-only rows among them are few (a pair the police name as suspect): read apart, so the
    # rows themselves are read without a subquery each.
    police_only = set(new.filter(police_only_relationships()).values_list("pk", flat=True))
    rows = [
        build.RelationshipRow(
            pk=r[0], record_pk=r[1], person_pk=r[2], other_record_pk=r[3], other_person_pk=r[4], system_pk=r[5],
            agency_pk=r[6], agency_kind=r[7], relationship=r[8],
            start=_as_datetime(r[9]) or r[11], end=_as_datetime(r[10]), police_only=r[0] in police_only,
        )
        for r in new
        .order_by("pk")
        .values_list(
            "pk", "from_record_id", "from_record__person_id", "to_record_id", "to_record__person_id",
            "source_system_id", "source_system__agency_id", "source_system__agency__kind", "relationship",
            "start_date", "end_date", "imported_at",
        )
        .iterator(chunk_size=_CHUNK)
    ]
    last = Relationship.objects.aggregate(last=Max("pk"))["last"] or after
    return rows, last


def _record_rows(since: dt.datetime | None) -> list[build.RecordRow]:
    records = SourceRecord.objects.exclude(phones="")
    if since is not None:
        records = records.filter(changed_at__gte=since)
    return [
        build.RecordRow(pk=r[0], person_pk=r[1], system_pk=r[2], agency_pk=r[3], phones=r[4], seen=r[5] or r[6],
                        role=r[7], date_of_birth=r[8])
        for r in records.values_list(
            "pk", "person_id", "source_system_id", "source_system__agency_id", "phones", "updated_at", "imported_at",
            "role", "date_of_birth",
        ).iterator(chunk_size=_CHUNK)
    ]


def _entity_ids(named: dict[tuple[str, str], keys.Named]) -> tuple[dict[tuple[str, str], int], int]:
    """The entity of each (kind, key), made where new; how many were made."""
    ids: dict[tuple[str, str], int] = {}
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, key in named:
        by_kind[kind].append(key)
    for kind, values in by_kind.items():
        for start in range(0, len(values), _CHUNK):
            for pk, key in Entity.objects.filter(kind=kind, key__in=values[start : start + _CHUNK]).values_list("pk", "key"):
                ids[(kind, key)] = pk
    new = [Entity(kind=n.kind, key=n.key, label=n.label[:300], place_kind=n.place_kind)
           for k, n in named.items() if k not in ids]
    Entity.objects.bulk_create(new, batch_size=1000)
    if new:
        for kind, values in by_kind.items():
            for start in range(0, len(values), _CHUNK):
                for pk, key in Entity.objects.filter(kind=kind, key__in=values[start : start + _CHUNK]).values_list(
                    "pk", "key"
                ):
                    ids[(kind, key)] = pk
    return ids, len(new)


def _name_bare_places(named: dict[tuple[str, str], keys.Named], ids: dict[tuple[str, str], int]) -> int:
    """Places held by their postcode alone (only police-only records had named them) take the name,
    and the kind guessed from it, that a shared record now gives; a kind a person set is kept."""
    wanted = {ids[k]: n for k, n in named.items()
              if k in ids and n.kind == EntityKind.PLACE and n.label != keys.bare_label(n.key)}
    pks = sorted(wanted)
    changed: list[Entity] = []
    for start in range(0, len(pks), _CHUNK):
        for entity in Entity.objects.filter(pk__in=pks[start : start + _CHUNK]).only("pk", "key", "label", "place_kind"):
            if entity.label == keys.bare_label(entity.key):
                entity.label = wanted[entity.pk].label[:300]
                entity.place_kind = entity.place_kind or wanted[entity.pk].place_kind
                changed.append(entity)
    Entity.objects.bulk_update(changed, ["label", "place_kind"], batch_size=1000)
    return len(changed)


def _mark_placeholders(entity_ids: Iterable[int]) -> list[Entity]:
    """Entities linked to more different people than a real vehicle, phone or place ever is."""
    ids = sorted(set(entity_ids))
    found: list[Entity] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        roots = (
            Link.objects.filter(entity_id__in=chunk, entity__placeholder=False, entity__placeholder_cleared="")
            .values("entity_id")
            .annotate(people=Count("source_record__person__root", distinct=True))
            .filter(people__gt=PLACEHOLDER_PEOPLE)
        )
        over = {row["entity_id"]: row["people"] for row in roots}
        for entity in Entity.objects.filter(pk__in=over):
            entity.placeholder = True
            # No number: the count is of every link, the police's too, and the reason is read by everyone.
            # The entity's page says how many people to the police alone (``selectors.entity_page``).
            entity.placeholder_reason = PLACEHOLDER_REASON
            entity.save(update_fields=["placeholder", "placeholder_reason"])
            found.append(entity)
    return found


def links_build(*, acting_user: User | None = None, raise_alerts: bool = True) -> BuildResult:
    """Build links from what the agencies' records say that is new since the last build: each
    event's vehicle, phone, place and others present, each relationship that makes a network, and
    each record's phones. Malformed values are counted and set aside (never joined on); a value
    too many people share is marked a placeholder. Then the new links are checked for the
    patterns early warning alerts on, in time proportional to the new links."""
    seconds: dict[str, float] = {}
    tick = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal tick
        now_ = time.perf_counter()
        seconds[stage] = now_ - tick
        tick = now_

    with transaction.atomic():
        previous = LinkBuild.objects.order_by("-pk").first()
        run = LinkBuild.objects.create(
            started_at=timezone.now(),
            last_event_id=previous.last_event_id if previous else 0,
            last_relationship_id=previous.last_relationship_id if previous else 0,
        )
        events, last_event, events_read = _event_rows(run.last_event_id)
        relationships, last_relationship = _relationship_rows(run.last_relationship_id)
        # A suspect or victim row that came in other than by an import (which follows it at once) takes the
        # pair's links built before with it.
        links_follow_police_suspects([(r.record_pk, r.other_record_pk) for r in relationships
                                      if r.relationship in NAMES_AN_OFFENDER])
        records = _record_rows(previous.started_at if previous else None)
        record_person = {row.record_pk: row.person_pk for row in events}
        others = {o for row in events for o in row.others}
        record_person.update(
            dict(SourceRecord.objects.filter(pk__in=sorted(others - record_person.keys())).values_list("pk", "person_id"))
        )
        lap("read new events, relationships and records")
        built = build.Built()
        build.links_from_events(events, built, record_person)
        build.links_from_relationships(relationships, built)
        build.links_from_records(records, built)
        entity_ids, entities_added = _entity_ids(built.entities)
        places_named = _name_bare_places(built.entities, entity_ids)
        existing = set(
            Link.objects.filter(origin_key__in=[link["origin_key"] for link in built.links]).values_list(
                "origin_key", flat=True
            )
        ) if len(built.links) < 50_000 else _existing_keys(built.links)
        now = timezone.now()
        rows = []
        seen: set[str] = set()
        for link in built.links:
            key = link["origin_key"]
            if key in existing or key in seen:
                continue
            seen.add(key)
            entity = link.pop("entity")
            rows.append({**link, "entity_id": entity_ids[entity] if entity else None, "recorded_at": now})
        first_new = (Link.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
        BulkTable(Link).insert(rows, now)
        lap("build and write links")
        placeholders = _mark_placeholders(r["entity_id"] for r in rows if r["entity_id"])
        lap("find placeholders")
        alerts = new_link_alerts(first_link_id=first_new) if raise_alerts else []
        lap("check new links and raise alerts")
        run.finished_at = timezone.now()
        run.last_event_id = last_event
        run.last_relationship_id = last_relationship
        run.events_read = events_read
        run.relationships_read = len(relationships)
        run.links_added = len(rows)
        run.entities_added = entities_added
        run.values_set_aside = {k: {"count": v, "examples": built.examples.get(k, [])} for k, v in built.set_aside.items()}
        run.placeholders = [f"{e.get_kind_display()} {e.label}" for e in placeholders]
        run.alerts_raised = len(alerts)
        run.save()
        audit_record(
            event_type=AuditEventType.LINKS_BUILT,
            actor=acting_user,
            target_kind="link_build",
            target_id=run.pk,
            detail={
                "links_added": len(rows), "entities_added": entities_added, "set_aside": dict(built.set_aside),
                "placeholders": run.placeholders, "alerts": [a.pk for a in alerts], "places_named": places_named,
            },
        )
    return BuildResult(run, len(rows), entities_added, dict(built.set_aside), run.placeholders, alerts, seconds)


def links_follow_reclassified_events(event_pks: Sequence[int]) -> int:
    """Links built from events an import has since reclassified take the events' marking now: a link
    from an event the police now mark C (or intelligence no longer marked P) becomes police-only, and one
    whose event's restriction was lifted is shared again. ``links_build`` reads only new events, so
    without this a link would keep the marking its event had when it was built. Called inside the
    import's transaction (``exchange.hooks``); answers how many links changed."""
    changed = {"restricted": 0, "shared": 0}
    touched: set[int] = set()
    for start in range(0, len(event_pks), _CHUNK):
        chunk = set(event_pks[start : start + _CHUNK])
        read = Event.objects.filter(pk__in=chunk).values_list("pk", "source_record_id", "event_type", "handling")
        events = {pk: (record, is_restricted(event_type, handling)) for pk, record, event_type, handling in read}
        now_restricted = {pk for pk, (_, restricted) in events.items() if restricted}
        # An event's links carry its record (indexed), so the links table is not read whole in the import.
        from_events = Link.objects.filter(origin=LinkOrigin.EVENT,
                                          source_record_id__in={record for record, _ in events.values()})
        touched.update(from_events.filter(event_id__in=now_restricted, restricted=False, entity__kind=EntityKind.PLACE)
                       .values_list("entity_id", flat=True))
        changed["restricted"] += from_events.filter(event_id__in=now_restricted, restricted=False).update(restricted=True)
        changed["shared"] += from_events.filter(event_id__in=chunk - now_restricted, restricted=True).update(
            restricted=False)
    # A place a now police-only event named keeps none of its words (docs/decisions.md, "Who sees which links"),
    # nor do the new-link alerts that quoted them.
    relabelled = relabel.relabel(entity_model=Entity, audit_model=AuditEvent, link_model=Link, alert_model=Alert,
                                 entity_ids=touched) if touched else []
    for place in relabelled:
        _place_relabelled_audit(place, why="an import marked police-only an event whose words labelled it")
    if changed["restricted"] or changed["shared"]:
        audit_record(event_type=AuditEventType.LINKS_REMARKED, actor=None, target_kind="link_build", target_id=None,
                     detail={"events": len(event_pks), "links_made_police_only": changed["restricted"],
                             "links_shared_again": changed["shared"],
                             **({"places_relabelled": len(relabelled)} if relabelled else {})})
    return changed["restricted"] + changed["shared"]


def _place_relabelled_audit(place: relabel.Relabelled, *, why: str) -> None:
    """One audit row for a place relabelled because police-only words labelled it: the label it has now,
    never the words taken off (the trail is read outside the police); the alerts whose words were given
    the new label; and the concerns started from them, whose text a professional wrote and which is left
    as written, for the data protection officer to look at."""
    audit_record(event_type=AuditEventType.PLACE_RELABELLED, actor=None, target_kind="entity",
                 target_id=place.entity_id, reason=why,
                 detail={"label": place.label, "place_kind": place.place_kind, "alerts_reworded": place.alerts,
                         "concerns_started_from_them": place.concerns})


def links_follow_police_suspects(pairs: Sequence[tuple[int, int]]) -> int:
    """Links built from the police's relationships between two records (``pairs``, either way round) that
    a police record now names as suspected perpetrator, or as victim, become police-only
    (``people.models.police_only_relationships``): an "associate" link sent before the suspect row would
    otherwise stay shared, and tell everyone outside the police whom they suspect. ``links_build`` reads
    only new relationships, so the import calls this in its own transaction (``exchange.hooks``), before
    anyone builds links again. A pair named by another agency's record changes nothing. Audited; answers
    how many links changed."""
    changed = 0
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs[start : start + _CHUNK]
        records = {pk for pair in chunk for pk in pair}
        wanted = {frozenset(pair) for pair in chunk}
        held = [pk for pk, one, other in Relationship.objects.filter(police_only_relationships(),
                                                                     from_record_id__in=records, to_record_id__in=records)
                .values_list("pk", "from_record_id", "to_record_id") if frozenset((one, other)) in wanted]
        # By origin key (unique, so indexed): the links' relationship column has no index, and reading by it
        # scanned the links table once a chunk, inside the import's transaction.
        changed += Link.objects.filter(origin_key__in=[f"rel:{pk}" for pk in held],
                                       restricted=False).update(restricted=True)
    if changed:
        audit_record(event_type=AuditEventType.LINKS_HELD_AS_SUSPECTS, actor=None, target_kind="link_build",
                     target_id=None, detail={"pairs": len(pairs), "links_made_police_only": changed})
    return changed


def _existing_keys(links: Sequence[dict[str, Any]]) -> set[str]:
    keys_ = [link["origin_key"] for link in links]
    found: set[str] = set()
    for start in range(0, len(keys_), _CHUNK):
        found.update(Link.objects.filter(origin_key__in=keys_[start : start + _CHUNK]).values_list("origin_key", flat=True))
    return found


# --- new-link alerts -----------------------------------------------------------------------------

_WITHHELD = (
    "The police hold information under handling conditions that links this child to another child "
    "through the same person, vehicle, phone or place. Ask the police intelligence unit."
)


@dataclass(frozen=True)
class _LinkFact:
    link_id: int
    child: int  # root
    counterpart: int  # entity id, or the adult's root
    event_id: int | None
    start: dt.datetime
    restricted: bool


# What ``_resolved_links`` reads of each link: read with the links, not one by one.
_LINK_PEOPLE = ("source_record__person", "person", "other_record__person", "other_person", "entity")


def _resolved_links(links: Iterable[Link]) -> list[tuple[Link, int, int | None]]:
    """Each link with its person (root, following the record) and other person (root)."""
    out = []
    for link in links:
        person = link.source_record.person.root_id if link.source_record is not None else link.person.root_id
        other = None
        if link.other_record is not None:
            other = link.other_record.person.root_id
        elif link.other_person is not None:
            other = link.other_person.root_id
        out.append((link, person, other))
    return out


def _children_at_risk() -> set[int]:
    """Children with an alert not dismissed from a rule in use, screened above the lowest level, or
    under a plan (asked of the rooms above early warning). An alert of a duty the agencies did not
    meet (an interview not held) says nothing about the child, so it does not count; nor does one
    from a rule the partnership has switched off."""
    alerted = set(
        Alert.objects.exclude(status=AlertStatus.DISMISSED)
        .filter(rule__enabled=True)
        .exclude(rule__kind__in=[RuleKind.NEW_LINK, RuleKind.NO_FOLLOW_UP])
        .values_list("person__root_id", flat=True)
    )
    return alerted | children_screened_at_risk() | children_under_plan()


def new_link_alerts(*, first_link_id: int) -> list[Alert]:
    """Alerts for the links numbered from ``first_link_id`` (those just built): a second child
    linked to a vehicle, phone or place already linked to another child; an adult already linked
    to a child at risk now linked to another child. Reads only the links that share an entity or
    an adult with the new ones, so its cost follows the number of new links."""
    new = _resolved_links(
        Link.objects.filter(pk__gte=first_link_id, event__isnull=False).select_related(*_LINK_PEOPLE)
    )
    if not new:
        return []
    kind = _kinds(Person.objects.filter(pk__in={p for _, p, _ in new} | {o for _, _, o in new if o}))
    entity_links: list[tuple[Link, int]] = []
    adult_links: list[tuple[Link, int, int]] = []  # (link, child, adult)
    for link, p, o in new:
        day = _day_of(link)
        of_p = kind(p, day)
        if link.entity is not None and not link.entity.placeholder and of_p == PersonRole.CHILD:
            entity_links.append((link, p))
        if o is None:
            continue
        of_o = kind(o, day)
        if of_p == PersonRole.CHILD and of_o == PersonRole.ADULT:
            adult_links.append((link, p, o))
        elif of_o == PersonRole.CHILD and of_p == PersonRole.ADULT:
            adult_links.append((link, o, p))
    alerts: list[Alert] = []
    if entity_links:
        alerts += _second_child_alerts(entity_links)
    if adult_links:
        alerts += _adult_alerts(adult_links)
    return alerts


def _kinds(persons: QuerySet[Person]) -> Callable[[int | None, dt.date], str]:
    """For these persons, whether each was a child or an adult on a day (``child_or_adult``: by the date
    of birth, read once a person, else the records' role; "" for a person not among them or not known)."""
    known = {pk: (role, of_age(dob)) for pk, role, dob in persons.values_list("pk", "role", "date_of_birth")}

    def kind(pk: int | None, day: dt.date) -> str:
        if pk is None or pk not in known:
            return ""
        return child_or_adult_of_age(*known[pk], day)

    return kind


def _day_of(link: Link) -> dt.date:
    """The day in England a link began: the day a person is judged child or adult for it."""
    return local_date(link.start)


def _earliest_other_child(
    candidates: list[tuple[Link, int]], child: int, link: Link
) -> tuple[Link, int] | None:
    """The first link (by date) of another child to the same entity or adult, dated no later."""
    earlier = [(c, p) for c, p in candidates if p != child and (c.start, c.pk) < (link.start, link.pk)]
    return min(earlier, key=lambda cp: (cp[0].start, cp[0].pk)) if earlier else None


def _people_and_events(groups: Iterable[list[tuple[Link, int]]]) -> tuple[dict[int, Person], dict[int, Event]]:
    """The persons and events the alerts may name, read at once rather than one by one."""
    person_ids: set[int] = set()
    event_ids: set[int] = set()
    for group in groups:
        for link, person in group:
            person_ids.add(person)
            if link.event_id is not None:
                event_ids.add(link.event_id)
    return Person.objects.in_bulk(person_ids), Event.objects.in_bulk(event_ids)


def _linked_before(candidates: list[tuple[Link, int]], child: int, link: Link) -> bool:
    return any(p == child and (c.start, c.pk) < (link.start, link.pk) for c, p in candidates)


def _explain(kind: str, link: Link, other_link: Link, other_child: int, what: str) -> tuple[str, str]:
    """The alert's words for every reader, and, where a link is police-only, the full words for the
    police's readers (the shared words then say only whom to ask, as an alert resting on police
    intelligence does: a subject access bundle withholds such an alert whole)."""
    full = _explain_in_full(kind, link, other_link, other_child, what)
    if link.restricted or other_link.restricted:
        return _WITHHELD, full
    return full, ""


def _explain_in_full(kind: str, link: Link, other_link: Link, other_child: int, what: str) -> str:
    when = timezone.localtime(other_link.start).strftime("%-d %B %Y")
    agency = other_link.agency.name
    if kind == "entity":
        assert link.entity is not None
        return (
            f"{link.get_nature_display()}: {what}. The same {link.entity.get_kind_display().lower()} is linked to "
            f"another child ({person_reference(other_child)}) since {when}, recorded by {agency}."
        )
    return (
        f"{link.get_nature_display()}: linked to an adult ({what}) who is already linked to another child at risk "
        f"({person_reference(other_child)}) since {when}, recorded by {agency}."
    )


def _second_child_alerts(entity_links: list[tuple[Link, int]]) -> list[Alert]:
    rule = earlywarning.new_link_rule("second_child_entity")
    entities = sorted({link.entity_id for link, _ in entity_links if link.entity_id is not None})
    on_entity: dict[int, list[tuple[Link, int]]] = defaultdict(list)
    for link, person, _ in _resolved_links(
        Link.objects.filter(entity_id__in=entities, event__isnull=False).select_related(*_LINK_PEOPLE, "agency")
    ):
        assert link.entity_id is not None
        on_entity[link.entity_id].append((link, person))
    kind = _kinds(Person.objects.filter(pk__in={p for ls in on_entity.values() for _, p in ls}))
    # Each entity's links to a child (a child on the day of the link), read once for all its new links.
    child_links = {entity: [(c, p) for c, p in links if kind(p, _day_of(c)) == PersonRole.CHILD]
                   for entity, links in on_entity.items()}
    people, events = _people_and_events(on_entity.values())
    alerts = []
    for link, child in sorted(entity_links, key=lambda lp: (lp[0].start, lp[0].pk)):
        assert link.entity is not None and link.entity_id is not None
        candidates = child_links[link.entity_id]
        if _linked_before(candidates, child, link):
            continue  # not a new link: the child was linked to it already
        # Two children each found at a place after going missing are not linked by it: children who
        # run from the same children's home are found there, and unrelated children are found at
        # the same car park (the same reason such links join no networks). A child found where
        # another was seen with an adult, or in a car, is.
        earlier = _earliest_other_child(
            [(c, p) for c, p in candidates if c.joins_networks or link.joins_networks], child, link)
        if earlier is None:
            continue
        other_link, other_child = earlier
        assert link.event_id is not None and other_link.event_id is not None
        shared, full = _explain("entity", link, other_link, other_child, link.entity.label)
        alert = earlywarning.alert_raise_for_link(
            rule=rule,
            person=people[child],
            trigger_event=events[link.event_id],
            evidence=[events[other_link.event_id]],
            explanation=shared, explanation_restricted=full,
        )
        if alert is not None:
            alerts.append(alert)
    return alerts


def _adult_alerts(adult_links: list[tuple[Link, int, int]]) -> list[Alert]:
    rule = earlywarning.new_link_rule("adult_of_child_at_risk")
    at_risk = _children_at_risk()
    adults = sorted({adult for _, _, adult in adult_links})
    adult_ids = sorted(set(Person.objects.filter(root_id__in=adults).values_list("pk", flat=True)))
    touching = _resolved_links(
        Link.objects.filter(
            Q(person_id__in=adult_ids) | Q(other_person_id__in=adult_ids)
            | Q(source_record__person_id__in=adult_ids) | Q(other_record__person_id__in=adult_ids),
            event__isnull=False,
        ).select_related(*_LINK_PEOPLE, "agency")
    )
    by_adult: dict[int, list[tuple[Link, int]]] = defaultdict(list)
    every: dict[int, list[tuple[Link, int]]] = defaultdict(list)  # adult -> (link, other person), at risk or not
    for link, p, o in touching:
        if o is None:
            continue
        if p in adults:
            every[p].append((link, o))
        if o in adults:
            every[o].append((link, p))
        if p in adults and o in at_risk:
            by_adult[p].append((link, o))
        if o in adults and p in at_risk:
            by_adult[o].append((link, p))
    people, events = _people_and_events([[(link, child) for link, child, _ in adult_links], *by_adult.values()])
    alerts = []
    for link, child, adult in sorted(adult_links, key=lambda x: (x[0].start, x[0].pk)):
        if _linked_before(every[adult], child, link):
            continue
        earlier = _earliest_other_child(by_adult[adult], child, link)
        if earlier is None:
            continue
        other_link, other_child = earlier
        assert link.event_id is not None and other_link.event_id is not None
        shared, full = _explain("adult", link, other_link, other_child, person_reference(adult))
        alert = earlywarning.alert_raise_for_link(
            rule=rule,
            person=people[child],
            trigger_event=events[link.event_id],
            evidence=[events[other_link.event_id]],
            explanation=shared, explanation_restricted=full,
        )
        if alert is not None:
            alerts.append(alert)
    return alerts


def placeholder_clear(*, acting_user: User, entity: Entity, reason: str) -> Entity:
    """An intelligence officer finds a value marked a placeholder to be real (a taxi that carried
    dozens of children is still a taxi): it links again, and is never marked again."""
    if not sees_intelligence_sources(acting_user):
        raise ServiceError("Only police intelligence officers can clear a placeholder")
    if not entity.placeholder:
        raise ServiceError("This is not marked a placeholder")
    if not reason.strip():
        raise ServiceError("Say why it is a real vehicle, phone or place", field="reason")
    with transaction.atomic():
        entity.placeholder = False
        entity.placeholder_cleared = reason.strip()
        entity.save(update_fields=["placeholder", "placeholder_cleared"])
        audit_record(event_type=AuditEventType.PLACEHOLDER_CLEARED, actor=acting_user, target_kind="entity",
                     target_id=entity.pk, reason=reason.strip())
    return entity


def place_kind_set(*, acting_user: User, entity: Entity, place_kind: str, reason: str) -> Entity:
    """Correct what kind of place an entity is. The kind is guessed from the first name any record
    gave it ("Red Lion" says nothing; "Flat above the shop" may be a takeaway), and hotspots by kind
    read it, so those who work on contexts may put it right, saying why."""
    if not has(acting_user, Capability.WORK_CONTEXTS):
        raise ServiceError("You cannot change what kind of place this is")
    if entity.kind != EntityKind.PLACE:
        raise ServiceError("Only a place has a kind of place")
    if place_kind not in PlaceKind.values:
        raise ServiceError("Choose the kind of place", field="place_kind")
    if not reason.strip():
        raise ServiceError("Say how you know what kind of place it is", field="reason")
    with transaction.atomic():
        locked = Entity.objects.select_for_update().get(pk=entity.pk)
        if locked.place_kind == place_kind:
            raise ServiceError(f"It is already recorded as {PlaceKind(place_kind).label.lower()}", field="place_kind")
        before = locked.place_kind
        locked.place_kind = place_kind
        locked.save(update_fields=["place_kind"])
        audit_record(event_type=AuditEventType.PLACE_KIND_CHANGED, actor=acting_user, target_kind="entity",
                     target_id=locked.pk, reason=reason.strip(), detail={"from": before, "to": place_kind})
    return locked


# --- information from practitioners ------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """One thing a practitioner reports: a vehicle, phone or place (``value``; a place's name and
    ``postcode``), and how it is linked to the person."""

    kind: str
    value: str
    postcode: str = ""
    nature: str = LinkNature.OTHER


def _named(item: Reported) -> keys.Named:
    if item.kind == EntityKind.VEHICLE:
        named = keys.vehicle(item.value)
        problem = "Enter the registration as it is on the plate, like AB12 CDE"
    elif item.kind == EntityKind.PHONE:
        named = keys.phone(item.value)
        problem = "Enter a phone number, like 07700 900123"
    elif item.kind == EntityKind.PLACE:
        named = keys.place(item.value, item.postcode)
        problem = "Enter the place's postcode, like S65 1AB, or a name that says where it is, like Taxi rank, Station Road"
    else:
        raise ServiceError("Choose a vehicle, phone or place")
    if named is None:
        raise ServiceError(problem)
    return named


def _entity_for(named: keys.Named, *, restricted: bool, acting_user: User) -> Entity:
    """The entity a submission or graded intelligence names, inside the caller's transaction. Police-only
    intelligence names a place by its postcode alone; a shared record's name replaces a label that is
    only the postcode (audited, with the label and kind before and after)."""
    if restricted:
        named = keys.bare(named)
    entity, made = Entity.objects.get_or_create(
        kind=named.kind, key=named.key, defaults={"label": named.label[:300], "place_kind": named.place_kind}
    )
    if not made and named.kind == EntityKind.PLACE and entity.label == keys.bare_label(entity.key) != named.label:
        before = {"label_before": entity.label, "place_kind_before": entity.place_kind}
        entity.label = named.label[:300]
        entity.place_kind = entity.place_kind or named.place_kind
        entity.save(update_fields=["label", "place_kind"])
        audit_record(event_type=AuditEventType.PLACE_RELABELLED, actor=acting_user, target_kind="entity",
                     target_id=entity.pk, reason="a shared record named a place held by its postcode alone",
                     detail={**before, "label": entity.label, "place_kind": entity.place_kind})
    return entity


def information_submit(
    *,
    acting_user: User,
    person: Person,
    observed_on: dt.date,
    summary: str,
    reported: Sequence[Reported],
) -> Submission:
    """A practitioner of any agency reports what they know (a taxi licensing officer a driver and
    his vehicle; a youth worker a place): each thing reported becomes a dated link from the person,
    with the submission as its source. Values that cannot be read are refused, never stored as links."""
    if not has(acting_user, Capability.SUBMIT_INFORMATION) or acting_user.agency is None:
        raise ServiceError("You cannot submit information")
    if not summary.strip():
        raise ServiceError("Say what you saw or were told")
    if not reported:
        raise ServiceError("Add at least one vehicle, phone or place")
    if observed_on > timezone.localdate():
        raise ServiceError("The date seen must be today or in the past")
    named = [(item, _named(item)) for item in reported]
    with transaction.atomic():
        submission = Submission.objects.create(
            submitted_by=acting_user, agency=acting_user.agency, submitted_at=timezone.now(), observed_on=observed_on,
            summary=summary.strip(),
        )
        for index, (item, name) in enumerate(named):
            entity = _entity_for(name, restricted=False, acting_user=acting_user)
            Link.objects.create(
                origin=LinkOrigin.SUBMISSION, origin_key=f"sub:{submission.pk}:{index}", nature=item.nature,
                person=person, entity=entity, start=_day_start(observed_on), agency=acting_user.agency,
                submission=submission, recorded_by=acting_user, recorded_at=submission.submitted_at,
            )
        _second_child_notices(Link.objects.filter(submission=submission), seen_on=observed_on)
        audit_record(
            event_type=AuditEventType.INFORMATION_SUBMITTED, actor=acting_user, target_kind="submission",
            target_id=submission.pk, person_id=person.pk,
            detail={"reported": [f"{n.kind}:{n.key}" for _, n in named]},
        )
        if not sees_police_only_links(acting_user):
            _police_told_of_submission(submission, person=person)
    return submission


def _police_told_of_submission(submission: Submission, *, person: Person) -> int:
    """Another agency's submission names a vehicle, phone or place the police hold police-only links
    to: the police intelligence unit is told, by reference, so they can deconflict (the submitter may
    be about to stop the car an operation is following). The submitter is told nothing different:
    what they see would say whether the police hold it. Answers how many e-mails were recorded."""
    # A placeholder (a hospital's postcode, a switchboard) links no one and is no one's operation: telling
    # the unit each time someone names it would bury the notices that matter.
    entities = list(Entity.objects.filter(
        pk__in=Link.objects.filter(submission=submission).values("entity_id"),
        links__restricted=True, placeholder=False,
    ).distinct().order_by("pk"))
    if not entities:
        return 0
    unit = list(User.objects.filter(role__in=roles_with(Capability.GRADE_INTELLIGENCE), is_active=True,
                                    agency__kind=AgencyKind.POLICE))
    told = []
    for entity in entities:
        kind = entity.get_kind_display().lower()
        told += notify(
            recipients=unit, kind=NotificationKind.POLICE_HOLDING_TOUCHED,
            subject=f"Another agency submitted information about a {kind} the police hold intelligence on",
            body=f"{submission.agency.name} submitted information {submission.reference} (seen on "
                 f"{submission.observed_on:%-d %B %Y}) linking {person_reference(person.pk)} to {kind} "
                 f"{entity.reference}, which the police hold links to that are not shared. Open its page to "
                 "see the submission beside what the police hold, and deconflict if it touches police work.",
            link=reverse("contexts:entity", args=[entity.public_id]), keep_out=names_of(person), about=person.pk,
            tell_keeper=False,  # police work: a keeper outside the police must not learn what the police hold
        )
    audit_record(
        event_type=AuditEventType.POLICE_TOLD_OF_SUBMISSION, actor=None, target_kind="submission",
        target_id=submission.pk, person_id=person.pk,
        detail={"entities": [e.pk for e in entities], "told": sorted({n.recipient_id for n in told})},
    )
    return len(told)


def _second_child_notices(new_links: QuerySet[Link], *, seen_on: dt.date) -> int:
    """A submission or graded intelligence that links a child to a vehicle, phone or place already
    linked to another child (or two children to the same one): the pattern the scan's new-link alert
    finds in agencies' events, but an alert hangs on an agency's event, and these links have none. So
    the people who work on contexts are told at once, once per vehicle, phone or place, by reference,
    with its page to open. What the police keep to themselves (a link from intelligence not marked P)
    is told to the police's casework staff only, and a child sealed from someone is not told to them.
    Two children each found at a place after running are not linked by it (as for the alert and the
    networks); a child linked to it already is not news. Returns how many e-mails were recorded."""
    links_made = list(new_links.select_related(*_LINK_PEOPLE))
    fresh: dict[int, list[tuple[Link, int]]] = defaultdict(list)
    for link, child, _ in _resolved_links(links_made):
        if link.entity is not None and link.entity_id is not None and not link.entity.placeholder:
            fresh[link.entity_id].append((link, child))
    if not fresh:
        return 0
    before: dict[int, list[tuple[Link, int]]] = defaultdict(list)
    for link, person, _ in _resolved_links(
        Link.objects.filter(entity_id__in=list(fresh)).exclude(pk__in={link.pk for link in links_made})
        .select_related(*_LINK_PEOPLE)
    ):
        assert link.entity_id is not None
        before[link.entity_id].append((link, person))
    everyone = {p for links in (*fresh.values(), *before.values()) for _, p in links}
    people = {pk: p for pk, p in Person.objects.in_bulk(list(everyone)).items()
              if p.child_or_adult() == PersonRole.CHILD}
    workers = list(User.objects.filter(role__in=roles_with(Capability.WORK_CONTEXTS), is_active=True)
                   .select_related("agency"))
    police_workers = [user for user in workers if sees_restricted_intelligence(user)]
    told = 0
    for entity_id, links in fresh.items():
        known = {p for _, p in before[entity_id]}
        new = [(link, child) for link, child in links if child in people and child not in known]
        if not new:
            continue
        joins = any(link.joins_networks for link, _ in new)
        restricted = any(link.restricted for link, _ in new)
        # The children linked to it before, through a link that joins (found-at beside found-at does not).
        earlier = [(c, p) for c, p in before[entity_id] if p in people and (c.joins_networks or joins)]
        newly = sorted({child for _, child in new})
        if len(newly) < 2 and not earlier:
            continue
        entity = new[0][0].entity
        assert entity is not None
        kind = entity.get_kind_display().lower()
        # One notice for the police's casework staff, naming the children they alone may know of too, and
        # one for everyone else who works on contexts; notify leaves out whoever a seal hides any of its
        # children from, and tells the seal's keeper when that leaves none of those it was meant for.
        for police in (True, False):
            if restricted and not police:
                continue
            recipients = police_workers if police else [user for user in workers if user not in police_workers]
            named = sorted({p for c, p in earlier if police or not c.restricted})
            if not recipients or len(newly) + len(named) < 2:
                continue
            which = ", ".join(person_reference(p) for p in newly)
            if named:
                refs = ", ".join(person_reference(p) for p in named)
                body = (f"links {'a child' if len(newly) == 1 else 'children'} ({which}) to a {kind} already linked "
                        f"to {len(named)} other child{'ren' if len(named) != 1 else ''} ({refs})")
            else:
                body = f"links children ({which}) to the same {kind}"
            told += len(notify(
                recipients=recipients, kind=NotificationKind.SECOND_CHILD_LINKED,
                subject=f"A second child linked to the same {kind}",
                body=f"Information recorded in the hub (seen on {seen_on:%-d %B %Y}) {body}. Open the {kind}'s page "
                     "to see the links, and whether the children's plans need to change.",
                link=reverse("contexts:entity", args=[entity.public_id]),
                keep_out=[name for p in (*newly, *named) for name in names_of(people[p])],
                about=[*newly, *named],
                # The police's notice may rest on what they alone hold: it goes to no keeper outside them.
                tell_keeper=not police,
            ))
    return told


# --- graded police intelligence ----------------------------------------------------------------

_REFERENCE_TRIES = 5


def _next_intelligence_reference(prefix: str) -> str:
    """The next reference in a year's sequence for one handling code (``INT-2026-P-00001``). Reports
    that may be shared and those the police keep are numbered apart: one sequence would show readers
    outside the police, in the gaps between the references they see, how many reports the police keep."""
    last = (IntelligenceReport.objects.filter(reference__startswith=prefix)
            .order_by(Length("reference").desc(), "-reference").values_list("reference", flat=True).first())
    return f"{prefix}{int(last.removeprefix(prefix)) + 1 if last else 1:05d}"


def intelligence_record(
    *,
    acting_user: User,
    observed_on: dt.date,
    source_evaluation: str,
    assessment: str,
    handling: str,
    handling_conditions: str,
    sanitised_text: str,
    source_description: str,
    original_text: str = "",
    persons: Sequence[Person] = (),
    reported: Sequence[Reported] = (),
    adult: Person | None = None,
) -> IntelligenceReport:
    """Police intelligence graded 3x5x2, its source kept apart. Each person named is linked to each
    vehicle, phone or place reported (and to ``adult``, as a suspected perpetrator); links from
    handling code C are police-only, and so is every link naming a suspected perpetrator, whatever
    the handling code (as for a police record naming one: shared, it could tip the suspect off)."""
    if not sees_intelligence_sources(acting_user):
        raise ServiceError("Only police intelligence officers record graded intelligence")
    if source_evaluation not in SourceEvaluation.values:
        raise ServiceError("Choose the source evaluation (1, 2 or 3)")
    if assessment not in IntelligenceAssessment.values:
        raise ServiceError("Choose the intelligence assessment (A to E)")
    if handling not in HandlingCode.values:
        raise ServiceError("Choose the handling code (P or C)")
    if handling == HandlingCode.C and not handling_conditions.strip():
        raise ServiceError("Say the conditions under which handling code C intelligence may be shared")
    if not sanitised_text.strip():
        raise ServiceError("Enter the sanitised text, which says nothing that could identify the source")
    if not source_description.strip():
        raise ServiceError("Describe the source (kept apart, seen only by police intelligence officers)")
    if not persons:
        raise ServiceError("Name at least one person the intelligence is about")
    named = [(item, _named(item)) for item in reported]
    assert acting_user.agency is not None
    with transaction.atomic():
        now = timezone.now()
        prefix = f"INT-{now:%Y}-{handling}-"
        for attempt in range(_REFERENCE_TRIES):
            try:
                with transaction.atomic():  # a savepoint: a reference taken meanwhile is tried again
                    report = IntelligenceReport.objects.create(
                        reference=_next_intelligence_reference(prefix), recorded_by=acting_user,
                        agency=acting_user.agency, recorded_at=now, observed_on=observed_on,
                        source_evaluation=source_evaluation, assessment=assessment, handling=handling,
                        handling_conditions=handling_conditions.strip(), sanitised_text=sanitised_text.strip(),
                    )
                break
            except IntegrityError:
                if attempt == _REFERENCE_TRIES - 1:
                    raise
        IntelligenceSource.objects.create(
            report=report, source_description=source_description.strip(), original_text=original_text.strip()
        )
        restricted = handling != HandlingCode.P
        start = _day_start(observed_on)
        index = 0
        for person in persons:
            for item, name in named:
                Link.objects.create(
                    origin=LinkOrigin.INTELLIGENCE, origin_key=f"int:{report.pk}:{index}", nature=item.nature,
                    person=person, entity=_entity_for(name, restricted=restricted, acting_user=acting_user),
                    start=start, agency=acting_user.agency,
                    intelligence=report, recorded_by=acting_user, recorded_at=now, restricted=restricted,
                )
                index += 1
            if adult is not None and adult.pk != person.pk:
                Link.objects.create(
                    origin=LinkOrigin.INTELLIGENCE, origin_key=f"int:{report.pk}:{index}",
                    nature=LinkNature.SUSPECTED_PERPETRATOR, person=person, other_person=adult, start=start,
                    agency=acting_user.agency, intelligence=report, recorded_by=acting_user, recorded_at=now,
                    restricted=True,
                )
                index += 1
        _second_child_notices(Link.objects.filter(intelligence=report), seen_on=observed_on)
        audit_record(
            event_type=AuditEventType.INTELLIGENCE_RECORDED, actor=acting_user, target_kind="intelligence",
            target_id=report.pk, person_id=persons[0].pk,
            detail={"grading": report.grading, "persons": [p.pk for p in persons], "adult": adult.pk if adult else None,
                    "links": index},
        )
    return report


def intelligence_disclose(
    *,
    acting_user: User,
    report: IntelligenceReport,
    to_agency: Agency,
    to_person: str,
    purpose: str,
    lawful_basis: str,
) -> Disclosure:
    """Share a report's sanitised text with another agency, recorded: to whom, why, on what lawful
    basis, and exactly what was shared. The source is never part of a disclosure."""
    if not sees_intelligence_sources(acting_user):
        raise ServiceError("Only police intelligence officers disclose intelligence")
    if to_agency.kind == AgencyKind.POLICE:
        raise ServiceError("Choose the agency outside the police the intelligence is shared with")
    if not to_person.strip():
        raise ServiceError("Enter the name of the person it is shared with")
    if not purpose.strip():
        raise ServiceError("Say why it is shared")
    if lawful_basis not in LawfulBasis.values:
        raise ServiceError("Choose the lawful basis for sharing")
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            report=report, disclosed_by=acting_user, disclosed_at=timezone.now(), to_agency=to_agency,
            to_person=to_person.strip(), purpose=purpose.strip(), lawful_basis=lawful_basis,
            text_shared=report.sanitised_text,
        )
        audit_record(
            event_type=AuditEventType.INTELLIGENCE_DISCLOSED, actor=acting_user, target_kind="intelligence",
            target_id=report.pk, reason=purpose.strip(),
            detail={"disclosure": disclosure.pk, "to_agency": to_agency.code, "to_person": to_person.strip(),
                    "lawful_basis": lawful_basis, "handling": report.handling},
        )
    return disclosure


# --- peer groups and contexts ------------------------------------------------------------------


def peer_group_record(*, acting_user: User, name: str, members: Sequence[Person], since: dt.date) -> Entity:
    """A peer group as an entity of its own, its members linked to it from a date."""
    if not has(acting_user, Capability.WORK_CONTEXTS) or acting_user.agency is None:
        raise ServiceError("You cannot record peer groups")
    key = keys.place_name_key(name)
    if not key or len(members) < 2:
        raise ServiceError("Give the group a name of two words or more, and at least two members")
    with transaction.atomic():
        group, _ = Entity.objects.get_or_create(
            kind=EntityKind.PEER_GROUP, key=key.removeprefix("name:"), defaults={"label": name.strip()[:300]}
        )
        now = timezone.now()
        for member in members:
            Link.objects.get_or_create(
                origin_key=f"peer:{group.pk}:{member.pk}",
                defaults={"origin": LinkOrigin.SUBMISSION, "nature": LinkNature.MEMBER, "person": member, "entity": group,
                          "start": _day_start(since), "agency": acting_user.agency, "recorded_by": acting_user,
                          "recorded_at": now},
            )
        audit_record(
            event_type=AuditEventType.PEER_GROUP_RECORDED, actor=acting_user, target_kind="entity", target_id=group.pk,
            detail={"members": [m.pk for m in members]},
        )
    return group


def context_open(*, acting_user: User, entity: Entity, assessment: str, plan: str, review_due_on: dt.date) -> ContextCase:
    """Open work on a place or peer group: the assessment, the plan, and when it is reviewed."""
    if not has(acting_user, Capability.WORK_CONTEXTS):
        raise ServiceError("You cannot open work on a context")
    if entity.kind not in (EntityKind.PLACE, EntityKind.PEER_GROUP, EntityKind.VEHICLE):
        raise ServiceError("Work can be opened on a place, a peer group or a vehicle (a taxi firm's car)")
    if not assessment.strip() or not plan.strip():
        raise ServiceError("Enter the assessment and the plan")
    if review_due_on <= timezone.localdate():
        raise ServiceError("The review must be due after today")
    with transaction.atomic():
        # Open work the user may not see (the police's, on an entity then police-only) neither blocks
        # nor is told: "there is already open work" would say that the police work on it.
        open_work = ContextCase.objects.select_for_update().filter(entity=entity, status=ContextStatus.OPEN)
        if not sees_police_only_links(acting_user):
            open_work = open_work.filter(police_only=False)
        if open_work.exists():
            raise ServiceError("There is already open work on this context")
        links = Link.objects.filter(entity=entity)
        police_only = links.exists() and not links.filter(restricted=False).exists()
        case = ContextCase.objects.create(
            entity=entity, opened_by=acting_user, opened_at=timezone.now(), assessment=assessment.strip(),
            plan=plan.strip(), review_due_on=review_due_on, police_only=police_only,
        )
        audit_record(event_type=AuditEventType.CONTEXT_OPENED, actor=acting_user, target_kind="context",
                     target_id=case.pk, detail={"entity": entity.pk, "review_due_on": review_due_on.isoformat(),
                                                "police_only": police_only})
    return case


def context_review(*, acting_user: User, case: ContextCase, summary: str, next_review_on: dt.date) -> ContextReview:
    if not has(acting_user, Capability.WORK_CONTEXTS):
        raise ServiceError("You cannot review work on a context")
    if case.status != ContextStatus.OPEN:
        raise ServiceError("This work has been closed")
    if not summary.strip():
        raise ServiceError("Say what the review found")
    if next_review_on <= timezone.localdate():
        raise ServiceError("The next review must be due after today")
    with transaction.atomic():
        review = ContextReview.objects.create(case=case, reviewed_by=acting_user, reviewed_at=timezone.now(),
                                              summary=summary.strip(), next_review_on=next_review_on)
        case.review_due_on = next_review_on
        case.save(update_fields=["review_due_on"])
        audit_record(event_type=AuditEventType.CONTEXT_REVIEWED, actor=acting_user, target_kind="context",
                     target_id=case.pk, detail={"review": review.pk, "next_review_on": next_review_on.isoformat()})
    return review


def context_close(*, acting_user: User, case: ContextCase, reason: str) -> ContextCase:
    if not has(acting_user, Capability.WORK_CONTEXTS):
        raise ServiceError("You cannot close work on a context")
    if not reason.strip():
        raise ServiceError("Give the reason for closing the work")
    with transaction.atomic():
        locked = ContextCase.objects.select_for_update().get(pk=case.pk)
        if locked.status != ContextStatus.OPEN:
            raise ServiceError("This work has already been closed")
        locked.status = ContextStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.closed_reason = reason.strip()
        locked.save(update_fields=["status", "closed_at", "closed_reason"])
        audit_record(event_type=AuditEventType.CONTEXT_CLOSED, actor=acting_user, target_kind="context",
                     target_id=locked.pk, reason=reason.strip())
    return locked


