"""Reads that compose several rooms: the child's single view, put together from each room's own
selectors (no room reads another's tables, and no template tag runs a query)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from safeguarding.accounts.access import Capability, has, sees_panel
from safeguarding.accounts.models import User
from safeguarding.clocks.models import StatutoryClock
from safeguarding.clocks.selectors import ProtectionPlan, clocks_for_person, protection_plan_for_person
from safeguarding.contexts.models import Entity, EntityKind
from safeguarding.contexts.selectors import direct_links_of
from safeguarding.core.lists import Listing, listing
from safeguarding.dataprotection.selectors import sealed_person_ids as sealed_person_ids  # for pages of lower rooms
from safeguarding.earlywarning.models import Alert
from safeguarding.earlywarning.selectors import alerts_for_person
from safeguarding.frontdoor.selectors import concerns_for_person, raise_token
from safeguarding.linkage.selectors import pending_review_record_ids
from safeguarding.mace.models import Allocation, Plan, PlanAction
from safeguarding.mace.selectors import allocation_for_child, plan_actions, plan_for_person, sees_plans
from safeguarding.panel.models import PanelReferral
from safeguarding.panel.selectors import open_referral_for_person
from safeguarding.people.forms import ChronologyFilters
from safeguarding.people.models import EventType, Person, PersonRole, Relationship, SourceRecord
from safeguarding.people.selectors import PersonRecords, TimelineEntry, person_records
from safeguarding.screening.selectors import ScreeningSummary, screening_summary
from safeguarding.support.selectors import SupportSummary, support_summary

# --- the single view at a glance (issue 16) -------------------------------------------------------

CHRONOLOGY_PAGE = 50
ACTIVITY_MONTHS = 24  # the visual timeline: the last two years, a column a month
_MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"]
# Each agency's row has its own shape as well as its own colour (GOV.UK palette), and its name beside it,
# so no one needs to tell colours apart.
_SHAPES = ["circle", "square", "triangle", "diamond"]
_COLOURS = ["#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#505a5f", "#912b88", "#0b0c0c", "#6f72af"]
_LABEL_WIDTH, _MONTH_WIDTH, _ROW_HEIGHT, _TOP = 210, 30, 36, 40


@dataclass(frozen=True)
class ActivityMark:
    """One agency's events in one month: where the mark is drawn and what it says."""

    month: dt.date
    count: int
    cx: int
    cy: int
    size: int
    points: str  # for a triangle or a diamond

    @property
    def left(self) -> int:
        return self.cx - self.size

    @property
    def top(self) -> int:
        return self.cy - self.size

    @property
    def side(self) -> int:
        return self.size * 2

    @property
    def text(self) -> str:
        return f"{self.count} in {_MONTH_NAMES[self.month.month - 1]} {self.month.year}"


@dataclass(frozen=True)
class ActivityRow:
    agency: str
    shape: str
    colour: str
    y: int  # the row's middle
    marks: list[ActivityMark]
    by_quarter: list[int]

    @property
    def total(self) -> int:
        return sum(self.by_quarter)


@dataclass(frozen=True)
class Activity:
    """The last two years by agency, as the visual timeline draws it and as its table lists it: built
    only from the entries in this viewer's chronology."""

    months: list[dt.date]
    quarters: list[str]
    rows: list[ActivityRow]

    @property
    def width(self) -> int:
        return _LABEL_WIDTH + _MONTH_WIDTH * len(self.months) + 10

    @property
    def height(self) -> int:
        return _TOP + _ROW_HEIGHT * len(self.rows) + 10

    @property
    def axis(self) -> list[dict[str, Any]]:
        """A letter a month (J F M …), and the year over each January and the first month."""
        return [
            {"x": _LABEL_WIDTH + _MONTH_WIDTH * i + _MONTH_WIDTH // 2, "letter": _MONTH_NAMES[m.month - 1][0],
             "year": str(m.year) if i == 0 or m.month == 1 else ""}
            for i, m in enumerate(self.months)
        ]

    @property
    def period_text(self) -> str:
        first, last = self.months[0], self.months[-1]
        return f"{_MONTH_NAMES[first.month - 1]} {first.year} to {_MONTH_NAMES[last.month - 1]} {last.year}"

    @property
    def description(self) -> str:
        if not self.rows:
            return f"Nothing you can see was recorded from {self.period_text}."
        each = "; ".join(f"{row.agency}: {row.total}" for row in self.rows)
        return f"Events and concerns a month by agency, {self.period_text}. {each}."


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _mark(month: dt.date, index: int, count: int, row: int, shape: str) -> ActivityMark:
    cx = _LABEL_WIDTH + _MONTH_WIDTH * index + _MONTH_WIDTH // 2
    cy = _TOP + _ROW_HEIGHT * row + _ROW_HEIGHT // 2
    size = min(5 + count, 13)  # bigger for more, within the row
    if shape == "triangle":
        points = f"{cx},{cy - size} {cx + size},{cy + size} {cx - size},{cy + size}"
    elif shape == "diamond":
        points = f"{cx},{cy - size} {cx + size},{cy} {cx},{cy + size} {cx - size},{cy}"
    else:
        points = ""
    return ActivityMark(month, count, cx, cy, size, points)


def activity_of(timeline: list[TimelineEntry], *, today: dt.date | None = None) -> Activity:
    """The visual timeline's figures from a chronology already built for its viewer."""
    today = today or timezone.localdate()
    months = [_month_start(today, back) for back in range(ACTIVITY_MONTHS - 1, -1, -1)]
    position = {m: i for i, m in enumerate(months)}
    counts: Counter[tuple[str, int]] = Counter()
    for entry in timeline:
        month = _month_start(timezone.localtime(entry.when).date() if timezone.is_aware(entry.when) else entry.when.date())
        if month in position:
            counts[(entry.agency, position[month])] += 1
    agencies = sorted({agency for agency, _ in counts})
    quarters = []
    for start in range(0, ACTIVITY_MONTHS, 3):
        first, last = months[start], months[min(start + 2, ACTIVITY_MONTHS - 1)]
        quarters.append(f"{_MONTH_NAMES[first.month - 1][:3]} {first.year} to {_MONTH_NAMES[last.month - 1][:3]} {last.year}")
    rows = []
    for row, agency in enumerate(agencies):
        shape = _SHAPES[row % len(_SHAPES)]
        marks = [_mark(months[i], i, counts[(agency, i)], row, shape) for i in range(ACTIVITY_MONTHS) if counts[(agency, i)]]
        by_quarter = [sum(counts[(agency, i)] for i in range(q, min(q + 3, ACTIVITY_MONTHS))) for q in range(0, ACTIVITY_MONTHS, 3)]
        rows.append(ActivityRow(agency, shape, _COLOURS[row % len(_COLOURS)], _TOP + _ROW_HEIGHT * row + _ROW_HEIGHT // 2,
                                marks, by_quarter))
    return Activity(months=months, quarters=quarters, rows=rows)


def chronology_listing(timeline: list[TimelineEntry], *, query: Mapping[str, Any]) -> Listing[TimelineEntry]:
    """The chronology (agencies' events and concerns raised in the hub, newest first), narrowed on the
    server by the address's agency, kind and period and paged, with the true count. The filter's
    choices are what this viewer's chronology holds."""
    agencies = sorted({(e.agency_code, e.agency) for e in timeline if e.agency_code}, key=lambda pair: pair[1])
    kinds_held = {e.event_type for e in timeline if e.event_type}
    labels = dict(EventType.choices)
    kinds = sorted(((k, labels.get(k, k)) for k in kinds_held if k != "concern"), key=lambda pair: pair[1])
    if "concern" in kinds_held:
        kinds.append(("concern", "Concern raised in the hub"))
    filters = ChronologyFilters(query or None, agencies=agencies, kinds=kinds)
    values = filters.values()
    rows = timeline
    if values.get("agency"):
        rows = [e for e in rows if e.agency_code == values["agency"]]
    if values.get("kind"):
        rows = [e for e in rows if e.event_type == values["kind"]]
    start, end = values.get("from"), values.get("to")
    if start or end:
        def day(entry: TimelineEntry) -> dt.date:
            return timezone.localtime(entry.when).date() if timezone.is_aware(entry.when) else entry.when.date()
        rows = [e for e in rows if (start is None or day(e) >= start) and (end is None or day(e) <= end)]
    return listing(rows, query=query, noun=("entry", "entries"), filters=filters, per_page=CHRONOLOGY_PAGE)


@dataclass
class AtAGlance:
    """The summary at the top of the single view, for one viewer."""

    agencies: list[str]  # every agency holding a record of the person or an entry this viewer may see
    open_alerts: int
    key_adults: list[Person]  # adults linked by agencies' relationships or (for network viewers) the networks
    linked_children: list[Person]  # children likewise (an adult's page lists them)
    sealed_children: list[Person]  # children linked but sealed away from this viewer: a restricted record
    vehicles: list[Entity]
    places: list[Entity]
    sees_networks: bool


def _related(people: PersonRecords, person: Person) -> list[tuple[Person, str]]:
    """The other people in agencies' relationships, with the relationship's words."""
    own = {r.pk for r in people.records}
    found = []
    for rel in people.relationships:
        for mine, other in ((rel.from_record, rel.to_record), (rel.to_record, rel.from_record)):
            if mine.pk in own and other.pk not in own and other.person.root_id != person.root_id:
                found.append((other.person, rel.get_relationship_display()))
    return found


def at_a_glance(*, user: User, person: Person, people: PersonRecords, timeline: list[TimelineEntry],
                alerts: list[Alert]) -> AtAGlance:
    agencies = {r.source_system.agency.name for r in people.records} | {e.agency for e in timeline}
    links = direct_links_of(user=user, person=person)
    by_root: dict[int, Person] = {}
    for other, _ in _related(people, person):
        by_root.setdefault(other.root_id, other)
    for other in links.people:
        by_root.setdefault(other.root_id, other)
    def name_order(p: Person) -> tuple[str, str, int]:
        return (p.family_name, p.given_name, p.pk)
    kinds = [(p, p.child_or_adult()) for p in by_root.values()]
    return AtAGlance(
        agencies=sorted(agencies),
        open_alerts=sum(1 for a in alerts if a.is_open),
        key_adults=sorted((p for p, kind in kinds if kind == PersonRole.ADULT), key=name_order),
        linked_children=sorted((p for p, kind in kinds if kind == PersonRole.CHILD), key=name_order),
        sealed_children=[p for p in people.sealed_related if p.child_or_adult() != PersonRole.ADULT],
        vehicles=[e for e in links.entities if e.kind == EntityKind.VEHICLE],
        places=[e for e in links.entities if e.kind == EntityKind.PLACE],
        sees_networks=has(user, Capability.VIEW_NETWORKS),
    )


@dataclass
class ChildView:
    """Everything the single view shows about a person, for one viewer."""

    person: Person
    people: PersonRecords  # records, events, relationships (the people room's part)
    timeline: list[TimelineEntry]  # agencies' events and concerns raised in the hub, newest first
    awaiting_review: set[int]  # source records in a pair awaiting match review
    alerts: list[Alert]
    can_work_alerts: bool
    screening: ScreeningSummary
    open_referral: PanelReferral | None
    raise_url: str  # where this viewer raises a concern about the child ("" if they may not)
    support: SupportSummary  # support plans held (who holds them, not what), and a wish for no contact
    plan: Plan | None = None  # the plan in force (open), else the latest
    plan_actions: list[PlanAction] | None = None  # its open actions and who owns them
    clocks: list[StatutoryClock] | None = None
    protection_plan: ProtectionPlan | None = None  # a child protection plan a conference made (in force or ended)
    can_record_casework: bool = False
    can_record_interview: bool = False
    can_allocate: bool = False
    allocation: Allocation | None = None
    glance: AtAGlance | None = None
    activity: Activity | None = None
    chronology: Listing[TimelineEntry] | None = None
    sees_panel: bool = False  # may open the panel referral
    sees_plans: bool = False

    @property
    def is_adult(self) -> bool:
        """An adult today: by the date of birth, else the records' role (``people.models.child_or_adult``)."""
        return self.person.child_or_adult() == PersonRole.ADULT

    @property
    def shows_child_work(self) -> bool:
        """The sections of a child's work (risk of exploitation, the panel, the plan and clocks): for a child
        today, and for an adult with a child's work on record (screened, referred, a plan, a clock), so that
        none of it leaves the page on their 18th birthday."""
        return (not self.is_adult or self.plan is not None or self.open_referral is not None or bool(self.clocks)
                or self.protection_plan is not None or self.screening.current is not None
                or bool(self.screening.screenings))

    @property
    def records(self) -> list[SourceRecord]:
        return self.people.records

    @property
    def relationships(self) -> list[Relationship]:
        return self.people.relationships

    @property
    def hidden_restricted(self) -> int:
        return self.people.hidden_restricted

    @property
    def police_may_hold(self) -> bool:
        return self.people.police_may_hold


def child_view(*, user: User, person: Person, query: Mapping[str, Any] | None = None) -> ChildView:
    """The single view of ``person``, who must come from ``people.selectors.person_for_user_or_404``
    (which checks access and logs the view). ``query`` (the address) narrows and pages the chronology."""
    people = person_records(user=user, person=person)
    timeline = list(people.timeline)
    for concern in concerns_for_person(user=user, person=person):
        decision = getattr(concern, "decision", None)
        timeline.append(
            TimelineEntry(
                when=concern.raised_at,
                date_only=False,
                title=f"Concern {concern.reference}{' (urgent)' if concern.urgent else ''}",
                agency=concern.agency.name,
                source=f"raised in the hub by {concern.raised_by.get_full_name() or concern.raised_by.username}",
                detail=concern.description,
                kind="concern",
                agency_code=concern.agency.code,
                event_type="concern",
                extra={
                    "concern_id": concern.pk,
                    "indicators": concern.indicator_labels(),
                    "decision": decision.get_outcome_display() if decision else "Awaiting decision",
                },
            )
        )
    timeline.sort(key=lambda entry: entry.when, reverse=True)
    raise_url = ""
    if has(user, Capability.RAISE_CONCERN) and person.child_or_adult() != PersonRole.ADULT:
        raise_url = f"{reverse('frontdoor:raise')}?{urlencode({'child': raise_token(user=user, person=person)})}"
    sees_panel_referral = sees_panel(user)
    plan = plan_for_person(user=user, person=person)
    alerts = list(alerts_for_person(user=user, person=person))
    return ChildView(
        person=person,
        people=people,
        timeline=timeline,
        awaiting_review=pending_review_record_ids([r.pk for r in people.records]),
        alerts=alerts,
        can_work_alerts=has(user, Capability.WORK_ALERTS),
        screening=screening_summary(user=user, person=person),
        open_referral=open_referral_for_person(person) if sees_panel_referral else None,
        raise_url=raise_url,
        support=support_summary(user=user, person=person),
        plan=plan,
        plan_actions=[a for a in plan_actions(plan=plan) if a.is_open] if plan is not None else [],
        clocks=clocks_for_person(user=user, person=person),
        protection_plan=protection_plan_for_person(user=user, person=person),
        can_record_casework=has(user, Capability.RECORD_CASEWORK),
        can_record_interview=has(user, Capability.RECORD_CASEWORK),
        can_allocate=has(user, Capability.ALLOCATE),
        allocation=allocation_for_child(person) if has(user, Capability.VIEW_PLANS) else None,
        glance=at_a_glance(user=user, person=person, people=people, timeline=timeline, alerts=alerts),
        activity=activity_of(timeline),
        chronology=chronology_listing(timeline, query=query or {}),
        sees_panel=sees_panel(user),
        sees_plans=sees_plans(user),
    )
