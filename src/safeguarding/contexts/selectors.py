"""Reads of the contexts room, each built for the viewer from what they may see: police-only links
(``accounts.access.sees_police_only_links``) are left out for everyone else before anything is
worked out from the links, so no network, chart, table, CSV or count derived here can carry them."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.access import (
    Capability,
    has,
    not_hidden,
    one_or_404,
    persons_hidden_from,
    persons_shown,
    sees_intelligence_sources,
    sees_police_only_links,
)
from safeguarding.accounts.models import Agency, AgencyKind, User
from safeguarding.audit.models import AuditEventType
from safeguarding.contexts import networks as nx
from safeguarding.contexts.models import (
    ContextCase,
    ContextStatus,
    Disclosure,
    Entity,
    EntityKind,
    IntelligenceReport,
    IntelligenceSource,
    Link,
    LinkBuild,
    LinkNature,
)
from safeguarding.core.arrow import query_arrow
from safeguarding.core.calendar import keep_latest
from safeguarding.core.lists import Listing, listing
from safeguarding.dataprotection.sources import Shared
from safeguarding.people.models import Person, PersonRole, SourceRecord, children_on, person_reference

# A child's network larger than this is drawn as the child's world: everything within three steps.
CHART_LIMIT = 600
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def links_visible_to(user: User) -> Q:
    """A filter on ``Link`` for what this user may see."""
    if not has(user, Capability.VIEW_NETWORKS):
        return Q(pk__in=[])
    return Q() if sees_police_only_links(user) else Q(restricted=False)


def _seconds(moment: dt.datetime | None) -> int | None:
    return None if moment is None else int((moment - _EPOCH).total_seconds())


@dataclass(frozen=True)
class Window:
    """The time a network is drawn over: links dated from ``start`` up to (not including) ``end``."""

    start: dt.date | None = None
    end: dt.date | None = None

    def bounds(self) -> tuple[int | None, int | None]:
        start = _seconds(dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC)) if self.start else None
        end = _seconds(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)) if self.end else None
        return start, end


@dataclass
class LinkTable:
    ids: np.ndarray
    arrays: nx.LinkArrays
    children: np.ndarray


_LINK_SQL = """
    SELECT l.id, COALESCE(rp.root_id, pp.root_id), COALESCE(l.entity_id, -1), COALESCE(orp.root_id, op.root_id, -1),
           {start}, CASE WHEN l.restricted THEN 1 ELSE 0 END, CASE WHEN l.joins_networks THEN 1 ELSE 0 END
    FROM contexts_link l
    JOIN people_person pp ON pp.id = l.person_id
    LEFT JOIN people_sourcerecord r ON r.id = l.source_record_id
    LEFT JOIN people_person rp ON rp.id = r.person_id
    LEFT JOIN people_sourcerecord orr ON orr.id = l.other_record_id
    LEFT JOIN people_person orp ON orp.id = orr.person_id
    LEFT JOIN people_person op ON op.id = l.other_person_id
    LEFT JOIN contexts_entity e ON e.id = l.entity_id
    WHERE (e.id IS NULL OR NOT e.placeholder){shared}
"""
_LINK_SCHEMA = pa.schema([
    ("id", pa.int64()), ("person", pa.int64()), ("entity", pa.int64()), ("other", pa.int64()), ("start", pa.string()),
    ("restricted", pa.int64()), ("joins", pa.int64()),
])


def _start_text() -> str:
    """The link's start as UTC text, the same on both databases."""
    if connection.vendor == "postgresql":
        return "to_char(l.start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    return "substr(l.start, 1, 19)"


def link_table(*, shared_only: bool) -> LinkTable:
    """Every link as arrays (read through ``core.arrow``, never row by row), each person as identity
    knows them now (a link from an agency's record follows the record), links to placeholders left
    out, and police-only links left out unless asked for."""
    sql = _LINK_SQL.format(start=_start_text(), shared=" AND NOT l.restricted" if shared_only else "")
    table = query_arrow(sql, _LINK_SCHEMA)
    starts = pc.strptime(table["start"], format="%Y-%m-%d %H:%M:%S", unit="s")
    seconds = pc.cast(starts, pa.int64()).to_numpy(zero_copy_only=False)
    children = np.asarray(
        sorted(Person.objects.filter(children_on(timezone.localdate()), merged_into__isnull=True)
               .values_list("pk", flat=True)),
        dtype=np.int64,
    )
    column = lambda name: table[name].to_numpy(zero_copy_only=False).astype(np.int64)  # noqa: E731
    arrays = nx.LinkArrays(
        column("person"), column("entity"), column("other"), seconds.astype(np.int64),
        column("restricted").astype(bool), column("joins").astype(bool),
    )
    return LinkTable(column("id"), arrays, children)


# --- one entity --------------------------------------------------------------------------------


def entities_visible_to(user: User) -> Q:
    """A filter on ``Entity``: an entity known only from police-only links is itself police-only
    (its registration or number is the intelligence), so others do not find it at all. One no record
    links yet (a place the panel opened work on) is known from nothing the police hold."""
    if not has(user, Capability.VIEW_NETWORKS):
        return Q(pk__in=[])
    if sees_police_only_links(user):
        return Q()
    # The few entities with a police-only link and no other: read from the police-only links (each
    # checked for a shared one on the links' entity index), not from every link in the hub.
    police_only = (Link.objects.filter(restricted=True, entity__isnull=False)
                   .exclude(Exists(Link.objects.filter(entity_id=OuterRef("entity_id"), restricted=False)))
                   .values("entity_id"))
    return ~Q(pk__in=police_only)


def entity_for_user_or_404(user: User, public_id: str) -> Entity:
    """By its public id (``Entity.public_id``): its primary key finds nothing, for anyone."""
    return one_or_404(
        Entity.objects.filter(entities_visible_to(user), public_id=public_id),
        user=user,
        allowed=has(user, Capability.VIEW_NETWORKS),
        event_type=AuditEventType.ENTITY_VIEWED,
        target_kind="entity",
        person_of=lambda _entity: None,
    )


@dataclass
class LinkLine:
    """A link as a page shows it."""

    link: Link
    person: Person
    other: Person | None
    source: str


def _source(link: Link, user: User) -> str:
    if link.event is not None:
        return f"{link.source_system.code if link.source_system else ''} event {link.event.event_id}"
    if link.relationship_id is not None:
        return f"{link.source_system.code if link.source_system else ''} relationship"
    if link.submission_id is not None:
        assert link.submission is not None
        return f"Submitted by {link.recorded_by} ({link.submission.reference})"
    if link.intelligence_id is not None:
        assert link.intelligence is not None
        return f"Police intelligence {link.intelligence.reference} graded {link.intelligence.grading}"
    return f"{link.source_system.code if link.source_system else ''} record"


def without_persons(links: nx.LinkArrays, persons: Collection[int]) -> nx.LinkArrays:
    """The links touching none of these persons (any id they have had), on either side."""
    if not persons:
        return links
    ids = np.fromiter(persons, dtype=np.int64, count=len(persons))
    return links.where(~np.isin(links.person, ids) & ~np.isin(links.other, ids))


def _without_sealed(links: nx.LinkArrays, user: User) -> nx.LinkArrays:
    """A sealed person (``accounts.access.persons_hidden_from``) is in no network, chart or count for
    a viewer who is neither named on the seal nor holding break-glass access: their links are left
    out before anything is worked out, as police-only links are."""
    return without_persons(links, persons_hidden_from(user))


def _lines(links: QuerySet[Link], user: User) -> list[LinkLine]:
    rows = list(
        links.select_related(
            "agency", "source_system", "event", "submission", "intelligence", "recorded_by", "entity",
            "source_record__person__root", "person__root", "other_record__person__root", "other_person__root",
        ).order_by("-start", "-pk")
    )
    out = []
    for link in rows:
        person = link.source_record.person.root if link.source_record is not None else link.person.root
        other = None
        if link.other_record is not None:
            other = link.other_record.person.root
        elif link.other_person is not None:
            other = link.other_person.root
        out.append(LinkLine(link, person, other, _source(link, user)))
    return out


@dataclass
class EntityPage:
    entity: Entity
    lines: list[LinkLine]
    children: list[Person]
    adults: list[Person]
    agencies: list[str]
    police_view: bool  # everyone else is told, for every entity alike, whom to ask
    cases: list[ContextCase]
    # How many different people a placeholder is linked to: for the police, who see every link. Others
    # are told none: their count beside the mark would say how many more the police hold.
    people_linked: int | None = None


def entity_page(*, user: User, entity: Entity) -> EntityPage:
    """What is linked to an entity, when, by which agency, and the children involved: only the
    links this viewer may see (``entity`` comes from ``entity_for_user_or_404``)."""
    # No one sealed from the viewer, whether as the link's person when it was built or as whom its
    # records belong to now (a record can move to another person after its links were built).
    unsealed = Link.objects.filter(
        not_hidden(user, "person"), not_hidden(user, "source_record__person"), not_hidden(user, "other_person"),
        not_hidden(user, "other_record__person"), entity=entity,
    )
    lines = _lines(unsealed.filter(links_visible_to(user)), user)
    people = {line.person.pk: line.person for line in lines}
    today = timezone.localdate()
    is_child = {pk: p.child_or_adult(today) == PersonRole.CHILD for pk, p in people.items()}
    children = sorted((p for p in people.values() if is_child[p.pk]), key=lambda p: p.pk)
    adults = sorted((p for p in people.values() if not is_child[p.pk]), key=lambda p: p.pk)
    persons_shown(user=user, page=f"entity {entity.reference}", person_ids=people)
    return EntityPage(
        entity=entity, lines=lines, children=children, adults=adults,
        agencies=sorted({line.link.agency.name for line in lines}), police_view=sees_police_only_links(user),
        cases=list(entity.cases.filter(contexts_visible_to(user)).order_by("-opened_at")),
        people_linked=len(people) if entity.placeholder and sees_police_only_links(user) else None,
    )


def entities_search(*, user: User, kind: str, text: str) -> list[Entity]:
    """Vehicles, phones or places by the value a user types, normalised as the hub stores it."""

    if not has(user, Capability.VIEW_NETWORKS) or not text.strip():
        return []
    return [e for e in _entities_search(kind, text) if Entity.objects.filter(entities_visible_to(user), pk=e.pk).exists()]


def _entities_search(kind: str, text: str) -> list[Entity]:
    from safeguarding.contexts import keys

    if kind == EntityKind.VEHICLE:
        named = keys.vehicle(text)
        return list(Entity.objects.filter(kind=kind, key=named.key)) if named else []
    if kind == EntityKind.PHONE:
        named = keys.phone(text)
        return list(Entity.objects.filter(kind=kind, key=named.key)) if named else []
    if kind == EntityKind.PLACE:
        named = keys.place("", text) or keys.place(text, "")
        query = Q(key=named.key) if named else Q()
        return list(Entity.objects.filter(Q(kind=kind) & (query | Q(label__icontains=text.strip())))[:50])
    if kind == EntityKind.PEER_GROUP:
        return list(Entity.objects.filter(kind=kind, label__icontains=text.strip())[:50])
    return []


# --- networks ----------------------------------------------------------------------------------


@dataclass
class NetworkSummary:
    number: int
    people: int
    children: int
    entities: int
    connectors: list[tuple[str, int, int]]  # (node label, children directly, within two steps)
    anchor_child: Person | None


@dataclass
class Overview:
    window: Window
    networks: Listing[NetworkSummary]  # a page of them, with the true number (``networks-page``)
    hotspots: Listing[tuple[Entity, int]]  # likewise (``hotspots-page``)
    links: int


def _node_labels(nodes: np.ndarray) -> tuple[dict[int, Person], dict[int, Entity]]:
    people = {p.pk: p for p in Person.objects.filter(pk__in=nx.node_id(nodes[nx.is_person(nodes)]).tolist())}
    entities = {e.pk: e for e in Entity.objects.filter(pk__in=nx.node_id(nodes[~nx.is_person(nodes)]).tolist())}
    return people, entities


def _label(node: int, people: dict[int, Person], entities: dict[int, Entity]) -> str:
    if node % 2 == 0:
        person = people.get(node // 2)
        return f"{person.full_name or 'Unnamed'} ({person.reference})" if person else person_reference(node // 2)
    entity = entities.get(node // 2)
    return str(entity) if entity else "A vehicle, phone or place"


def networks_overview(
    *, user: User, window: Window, least_children: int = 2, query: Mapping[str, Any] | None = None
) -> Overview:
    """The networks that join at least ``least_children`` children over the window, largest first,
    with who connects the most children in each, and the hotspots, a page of each at a time with
    their true numbers. Built from the links this viewer may see."""
    if not has(user, Capability.VIEW_NETWORKS):
        raise Http404
    query = query or {}
    table = link_table(shared_only=not sees_police_only_links(user))
    start, end = window.bounds()
    links = _without_sealed(nx.in_window(table.arrays, start, end, shared_only=not sees_police_only_links(user)), user)
    found = nx.find_networks(links, table.children)
    direct, two = nx.children_reached(found, table.children)
    chosen = np.flatnonzero(found.children >= least_children)
    chosen = chosen[np.argsort(-found.children[chosen], kind="stable")]
    network_page = listing(chosen.tolist(), query=query, noun=("network", "networks"), prefix="networks")
    all_hot_nodes, all_hot_counts = nx.hotspots(found, table.children)
    hot_page = listing(list(range(len(all_hot_nodes))), query=query, noun=("hotspot", "hotspots"), prefix="hotspots")
    hot_nodes, hot_counts = all_hot_nodes[hot_page.items], all_hot_counts[hot_page.items]
    wanted_nodes: list[int] = []
    tops: dict[int, np.ndarray] = {}
    for number in network_page.items:
        positions = np.flatnonzero(found.membership == number)
        order = positions[np.lexsort((-direct[positions], -two[positions]))][:3]
        tops[int(number)] = order
        wanted_nodes += found.nodes[order].tolist()
        child_positions = positions[nx.is_person(found.nodes[positions]) & np.isin(nx.node_id(found.nodes[positions]), table.children)]
        wanted_nodes += found.nodes[child_positions[:1]].tolist()
    people, entities = _node_labels(np.asarray(wanted_nodes + hot_nodes.tolist(), dtype=np.int64))
    summaries = []
    for number in network_page.items:
        positions = np.flatnonzero(found.membership == number)
        child_positions = positions[nx.is_person(found.nodes[positions]) & np.isin(nx.node_id(found.nodes[positions]), table.children)]
        anchor = people.get(int(found.nodes[child_positions[0]]) // 2) if len(child_positions) else None
        summaries.append(NetworkSummary(
            number=int(number), people=int(found.persons[number]), children=int(found.children[number]),
            entities=int(found.size[number] - found.persons[number]),
            connectors=[(_label(int(found.nodes[p]), people, entities), int(direct[p]), int(two[p])) for p in tops[int(number)]],
            anchor_child=anchor,
        ))
    network_page.items = summaries
    hot_page.items = [(entities[int(n) // 2], int(c)) for n, c in zip(hot_nodes, hot_counts, strict=True)
                      if int(n) // 2 in entities]
    persons_shown(user=user, page="networks", person_ids=[s.anchor_child.pk for s in summaries if s.anchor_child]
                  + [n // 2 for n in wanted_nodes if n % 2 == 0])
    return Overview(window=window, networks=network_page, hotspots=hot_page,
                    links=len(links))


@dataclass
class ChartNode:
    id: str
    label: str
    kind: str  # child, adult, person, vehicle, place, phone, peer_group
    href: str
    children_direct: int = 0
    children_two_steps: int = 0


@dataclass
class ChartEdge:
    id: str
    source: str
    target: str
    nature: str
    date: dt.date
    agency: str
    agency_kind: str
    origin: str
    source_label: str = ""
    target_label: str = ""

    # Written once in Python for the table's rows: a child's network can hold hundreds of links, and the
    # template's date filter, twice a row, was a quarter of the page's time.
    @property
    def date_text(self) -> str:
        return f"{self.date:%-d %B %Y}"

    @property
    def date_iso(self) -> str:
        return self.date.isoformat()


@dataclass
class Chart:
    """A child's network (or world) as nodes and edges: the chart's data, its table alternative and
    its CSV are all this one object, built for the viewer."""

    title: str
    nodes: list[ChartNode]
    edges: list[ChartEdge]
    window: Window
    trimmed: bool
    withheld: bool  # the reader is outside the police: told whom to ask, on every chart, whatever the police hold
    agencies: list[str] = field(default_factory=list)
    first: dt.date | None = None
    last: dt.date | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "nodes": [{"data": vars(n)} for n in self.nodes],
            "edges": [
                {"data": {**vars(e), "date": e.date.isoformat()}} for e in self.edges
            ],
        }


def _node_kind(person: Person) -> str:
    return person.child_or_adult() or "person"


def chart_for_person(*, user: User, person: Person, window: Window) -> Chart:
    """The network of a child (``person`` from ``people.selectors.person_for_user_or_404``): every
    node joined to them by links this viewer may see over the window; the nearest ``CHART_LIMIT``
    nodes when the network is larger."""
    if not has(user, Capability.VIEW_NETWORKS):
        raise Http404
    shared_only = not sees_police_only_links(user)
    table = link_table(shared_only=shared_only)
    start, end = window.bounds()
    keep = np.ones(len(table.ids), dtype=bool)
    if start is not None:
        keep &= table.arrays.start >= start
    if end is not None:
        keep &= table.arrays.start < end
    keep &= (table.arrays.entity >= 0) | (table.arrays.other >= 0)
    hidden = persons_hidden_from(user)
    if hidden:  # a sealed person is in no one's chart but those the seal lets in (_without_sealed)
        sealed = np.fromiter(hidden, dtype=np.int64, count=len(hidden))
        keep &= ~np.isin(table.arrays.person, sealed) & ~np.isin(table.arrays.other, sealed)
    ids = table.ids[keep]
    links = table.arrays.where(keep)
    found = nx.find_networks(links, table.children)
    own = int(nx.person_node(person.root_id))
    network = found.network_of(own)
    members = np.asarray([own], dtype=np.int64) if network is None else found.members(network)
    trimmed = False
    a, b = links.edges()
    in_network = np.isin(a, members)
    if len(members) > CHART_LIMIT:
        trimmed = True
        members = _within_steps(a[in_network], b[in_network], own, CHART_LIMIT)
        in_network = np.isin(a, members) & np.isin(b, members)
    else:
        # Where the network's people were found on return from missing: drawn, joining nothing.
        in_network = np.isin(a, members) & (np.isin(b, members) | ~links.joins)
        members = np.union1d(members, b[in_network])
    link_ids = ids[in_network].tolist()
    direct, two = nx.children_reached(found, table.children)
    position = {int(n): i for i, n in enumerate(found.nodes)}
    people, entities = _node_labels(members)
    nodes = []
    for node in members.tolist():
        at = position.get(node)
        counts = (int(direct[at]), int(two[at])) if at is not None else (0, 0)
        if node % 2 == 0 and node // 2 in people:
            p = people[node // 2]
            nodes.append(ChartNode(f"p{p.pk}", f"{p.full_name or 'Unnamed'} ({p.reference})", _node_kind(p),
                                   reverse("contexts:person", args=[p.pk]), *counts))
        elif node % 2 == 1 and node // 2 in entities:
            e = entities[node // 2]
            nodes.append(ChartNode(f"e{e.public_id}", e.label, e.kind, reverse("contexts:entity", args=[e.public_id]),
                                   *counts))
    labels = {n.id: n.label for n in nodes}
    keyed = sorted(((e.date, pk, e) for pk, e in _chart_edges(link_ids, {pk: e.public_id for pk, e in entities.items()})
                    if e.source in labels and e.target in labels), key=lambda row: row[:2])
    edges = [edge for _, _, edge in keyed]
    # Numbered in this chart's order, never by the links' keys: the gaps between keys would count the
    # links recorded meanwhile that the reader does not see (the police's).
    for number, edge in enumerate(edges, start=1):
        edge.id = f"l{number}"
        edge.source_label, edge.target_label = labels[edge.source], labels[edge.target]
    # The same sentence on every chart, never whether the police hold links about the person: about an
    # adult, that alone would tell the reader (and whoever they tell) that the police are looking.
    withheld = shared_only
    persons_shown(user=user, page=f"network of {person.pk}", person_ids=[n // 2 for n in members.tolist() if n % 2 == 0],
                  detail={"links": len(edges)})
    return Chart(
        title=f"Network of {person.full_name or person.reference}", nodes=nodes, edges=edges, window=window,
        trimmed=trimmed, withheld=withheld, agencies=sorted({e.agency for e in edges}),
        first=edges[0].date if edges else None, last=edges[-1].date if edges else None,
    )


_NATURES = dict(LinkNature.choices)


def _chart_edges(link_ids: list[int], public_ids: Mapping[int, str]) -> list[tuple[int, ChartEdge]]:
    """The chart's links, read as values (a chart of hundreds of links is drawn from one query, not
    from hundreds of model instances), their source said as ``_source`` says it. An entity is named by
    its public id (``public_ids``, by key); a link to one not among them is left out. Each edge comes
    with its link's key, and without an id: the chart numbers its links."""
    agencies = {pk: (name, dict(AgencyKind.choices).get(kind, kind)) for pk, name, kind in
                Agency.objects.values_list("pk", "name", "kind")}
    edges: list[tuple[int, ChartEdge]] = []
    rows = Link.objects.filter(pk__in=link_ids).values_list(
        "pk", "source_record__person__root_id", "person__root_id", "entity_id", "other_record__person__root_id",
        "other_person__root_id", "nature", "start", "agency_id", "source_system__code", "event__event_id",
        "relationship_id", "submission_id", "recorded_by__username", "intelligence__reference",
        "intelligence__source_evaluation", "intelligence__assessment", "intelligence__handling",
    )
    for (pk, record_root, person_root, entity, other_record_root, other_root, nature, start, agency, system, event,
         relationship, submission, recorded_by, intelligence, grade_1, grade_2, grade_3) in rows:
        other = other_record_root or other_root
        target = (f"e{public_ids[entity]}" if entity in public_ids else None) if entity else f"p{other}" if other else None
        if target is None:
            continue
        if event is not None:
            source = f"{system or ''} event {event}"
        elif relationship is not None:
            source = f"{system or ''} relationship"
        elif submission is not None:
            source = f"Submitted by {recorded_by} (S{submission:06d})"
        elif intelligence is not None:
            source = f"Police intelligence {intelligence} graded {grade_1}{grade_2}{grade_3}"
        else:
            source = f"{system or ''} record"
        name, kind = agencies[agency]
        edges.append((pk, ChartEdge(
            id="", source=f"p{record_root or person_root}", target=target, nature=_NATURES.get(nature, nature),
            date=timezone.localtime(start).date(), agency=name, agency_kind=kind, origin=source,
        )))
    return edges


def _within_steps(a: np.ndarray, b: np.ndarray, start: int, limit: int) -> np.ndarray:
    """The nodes nearest ``start`` (breadth first, by steps) up to ``limit``."""
    neighbours: dict[int, set[int]] = defaultdict(set)
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        neighbours[x].add(y)
        neighbours[y].add(x)
    seen = [start]
    known = {start}
    frontier = [start]
    while frontier and len(seen) < limit:
        following = []
        for node in frontier:
            for other in sorted(neighbours[node]):
                if other not in known and len(seen) < limit:
                    known.add(other)
                    seen.append(other)
                    following.append(other)
        frontier = following
    return np.asarray(sorted(seen), dtype=np.int64)


# --- intelligence ------------------------------------------------------------------------------


def intelligence_visible_to(user: User) -> Q:
    """Reports: police casework staff see every report; other casework staff only handling code P,
    and those only as their sanitised text."""
    if not has(user, Capability.VIEW_NETWORKS):
        return Q(pk__in=[])
    return Q() if sees_police_only_links(user) else Q(handling="P")


def intelligence_for_user_or_404(user: User, reference: str) -> IntelligenceReport:
    return one_or_404(
        IntelligenceReport.objects.filter(intelligence_visible_to(user), reference=reference),
        user=user,
        allowed=has(user, Capability.VIEW_NETWORKS),
        event_type=AuditEventType.INTELLIGENCE_VIEWED,
        target_kind="intelligence",
        person_of=lambda _report: None,
    )


def intelligence_source(*, user: User, report: IntelligenceReport) -> IntelligenceSource | None:
    """The source, kept apart: police intelligence officers only, and each look audited."""
    if not sees_intelligence_sources(user):
        return None
    from django.db import transaction

    from safeguarding.audit.services import audit_record

    with transaction.atomic():
        audit_record(event_type=AuditEventType.INTELLIGENCE_SOURCE_VIEWED, actor=user, target_kind="intelligence",
                     target_id=report.pk)
    return IntelligenceSource.objects.filter(report=report).first()


def intelligence_list(*, user: User) -> QuerySet[IntelligenceReport]:
    return IntelligenceReport.objects.filter(intelligence_visible_to(user)).select_related("agency", "recorded_by")


def disclosures_of(*, user: User, report: IntelligenceReport) -> list[Disclosure]:
    """Who a report was shared with: for police intelligence officers, who keep the record."""
    if not sees_intelligence_sources(user):
        return []
    return list(report.disclosures.select_related("to_agency", "disclosed_by"))


# --- contexts ----------------------------------------------------------------------------------


def contexts_visible_to(user: User) -> Q:
    """A filter on ``ContextCase``: work on an entity the viewer may not see (one known only from
    police-only links) is police-only too, and so is work opened while it was (``police_only``),
    whatever is linked to the entity since; others are told it does not exist, as for the entity."""
    visible = Q(entity_id__in=Entity.objects.filter(entities_visible_to(user)).values("pk"))
    return visible if sees_police_only_links(user) else visible & Q(police_only=False)


def context_for_user_or_404(user: User, public_id: str) -> ContextCase:
    """Work on a context by its public id (never its primary key: an address by key answers not found)."""
    return one_or_404(
        ContextCase.objects.filter(contexts_visible_to(user), public_id=public_id).select_related("entity", "opened_by"),
        user=user,
        allowed=has(user, Capability.VIEW_NETWORKS),
        event_type=AuditEventType.CONTEXT_VIEWED,
        target_kind="context",
        person_of=lambda _case: None,
    )


def contexts_open(*, user: User) -> QuerySet[ContextCase]:
    if not has(user, Capability.VIEW_NETWORKS):
        return ContextCase.objects.none()
    return (ContextCase.objects.filter(contexts_visible_to(user), status=ContextStatus.OPEN).select_related("entity")
            .order_by("review_due_on"))


def contexts_due_for_panel(*, user: User, on: dt.date | None = None, within_days: int = 14) -> list[ContextCase]:
    """Open work on contexts whose review falls due by ``on`` plus ``within_days`` (overdue first):
    what the panel's agenda lists beside its children. For the panel room's agenda to call."""
    if not has(user, Capability.VIEW_NETWORKS):
        return []
    day = on or timezone.localdate()
    return list(
        ContextCase.objects.filter(contexts_visible_to(user), status=ContextStatus.OPEN,
                                   review_due_on__lte=day + dt.timedelta(days=within_days))
        .select_related("entity")
        .order_by("review_due_on", "pk")
    )


def children_of_context(*, user: User, case: ContextCase) -> list[Person]:
    """The children linked to a context's entity, through links this viewer may see."""
    page = entity_page(user=user, entity=case.entity)
    return page.children


def last_build() -> LinkBuild | None:
    return LinkBuild.objects.order_by("-pk").first()


def link_counts_by_kind(*, user: User) -> Counter[str]:
    return Counter(Link.objects.filter(links_visible_to(user)).values_list("entity__kind", flat=True))


_REFERENCE = __import__("re").compile(r"^P0*(\d+)$")


def person_by_reference(*, user: User, reference: str) -> Person | None:
    """The person a practitioner names: their hub reference (P0001234), for those who may search
    the hub, or their own agency's record id for them (a licensing officer's licence record). The
    person as identity knows them now; None if not found, not theirs to name, or sealed from them (a
    sealed person answers *not found* to everyone the seal does not let in)."""
    from safeguarding.people import identity
    from safeguarding.people.models import SourceRecord

    text = reference.strip().upper()
    match = _REFERENCE.match(text)
    found: Person | None = None
    if match and has(user, Capability.SEARCH_PEOPLE):
        found = Person.objects.filter(pk=int(match.group(1))).first()
    elif user.agency_id is not None:
        record = (
            SourceRecord.objects.filter(source_system__agency_id=user.agency_id, record_id__iexact=reference.strip())
            .select_related("person")
            .first()
        )
        found = record.person if record else None
    if found is None:
        return None
    person = identity.current(found)
    return None if person.pk in persons_hidden_from(user) else person


# --- a person's own links, for the single view's summary (issue 16) ----------------------------


@dataclass
class DirectLinks:
    """What is linked straight to one person by links this viewer may see: vehicles, places and
    phones, and other people (as identity knows them now), sealed people left out."""

    entities: list[Entity] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)


def direct_links_of(*, user: User, person: Person) -> DirectLinks:
    """``person`` comes from ``people.selectors.person_for_user_or_404``. Nothing without
    ``Capability.VIEW_NETWORKS``; police-only links only for police casework staff
    (``links_visible_to``), so no vehicle, place or person known only from them is shown to others."""
    if not has(user, Capability.VIEW_NETWORKS):
        return DirectLinks()
    root = person.root_id
    # As subqueries: the person under every id they have had, and every agency's record of them.
    person_ids = Person.objects.filter(root_id=root).values("pk")
    record_ids = SourceRecord.objects.filter(person__root_id=root).values("pk")
    mine = Q(source_record_id__in=record_ids) | Q(source_record__isnull=True, person_id__in=person_ids)
    theirs = Q(other_record_id__in=record_ids) | Q(other_record__isnull=True, other_person_id__in=person_ids)
    visible = Link.objects.filter(links_visible_to(user))
    entity_ids = set(
        visible.filter(mine, entity__isnull=False, entity__placeholder=False).values_list("entity_id", flat=True)
    )
    others: set[int] = set()
    for own_record, own_person, other_record_person, other_person in visible.filter(
        (mine & (Q(other_record__isnull=False) | Q(other_person__isnull=False))) | theirs
    ).values_list("source_record__person__root_id", "person__root_id", "other_record__person__root_id",
                  "other_person__root_id"):
        for candidate in (own_record or own_person, other_record_person or other_person):
            if candidate is not None and candidate != root:
                others.add(candidate)
    others -= persons_hidden_from(user)
    entities = sorted(Entity.objects.filter(pk__in=entity_ids), key=lambda e: (e.kind, e.label)) if entity_ids else []
    people = sorted(Person.objects.filter(pk__in=others), key=lambda p: (p.family_name, p.given_name, p.pk)) \
        if others else []
    return DirectLinks(entities=entities, people=people)


def intelligence_shared() -> list[Shared]:
    """Every disclosure of police intelligence beyond the police, for the data protection officer's
    record of sharing: the report's reference and grading, never its text or source."""
    return [
        Shared(at=d.disclosed_at, to=f"{d.to_person}, {d.to_agency.name}",
               what=f"Police intelligence {d.report.reference} (graded {d.report.grading})", why=d.purpose,
               lawful_basis=d.get_lawful_basis_display(), by=d.disclosed_by.display_name)
        for d in Disclosure.objects.select_related("report", "to_agency", "disclosed_by").order_by("-disclosed_at")[:500]
    ]


def last_links_about(person_ids: Collection[int]) -> dict[int, dt.datetime]:
    """For retention (``dataprotection.sources``): the latest link the hub recorded naming each of
    these people (as they are now), on either side, by when it was recorded, began or ended."""
    ids = list(person_ids)
    latest: dict[int, dt.datetime] = {}
    for side in ("person", "other_person"):
        rows = (Link.objects.filter(**{f"{side}__root_id__in": ids}).values(f"{side}__root_id")
                .annotate(a=Max("recorded_at"), b=Max("start"), c=Max("end")))
        for row in rows:
            keep_latest(latest, row[f"{side}__root_id"], row["a"], row["b"], row["c"])
    return latest


def police_suspects_here() -> QuerySet[Any]:
    """For the audit trail and subject access (``dataprotection.sources.register_suspect_source``): the
    people a police-only link names, on either side (a suspect named in graded intelligence, intelligence
    without handling code P, a police record of a suspected perpetrator), as person ids."""
    restricted = Link.objects.filter(restricted=True)
    return Person.objects.filter(Q(pk__in=restricted.values("person")) | Q(pk__in=restricted.values("other_person"))
                                 ).values("pk")
