"""Reads for the panel's meetings, plans and actions, and the work lists; each applies the access
policy. Lists are read with a fixed number of queries whatever their length (select_related and
prefetches), so the agenda and the work lists stay fast at ten thousand open actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, CharField, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from safeguarding.accounts.access import (
    Capability,
    has,
    not_hidden,
    one_or_404,
    persons_hidden_from,
    sees_restricted_intelligence,
)
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.clocks.models import ClockStatus, StatutoryClock
from safeguarding.clocks.selectors import clocks_visible_to, police_only_clocks
from safeguarding.clocks.sources import ClockFact
from safeguarding.core.calendar import end_of_day, local_date
from safeguarding.core.lists import Column, Listing, Sort, listing
from safeguarding.frontdoor.services import front_door_team
from safeguarding.mace.forms import MeetingFilters, PlanFilters, WorkActionFilters
from safeguarding.mace.models import (
    PLAN_CLOSED,
    PLAN_REOPENED,
    ActionStatus,
    AgendaItem,
    Allocation,
    Discussion,
    Escalation,
    MeetingStatus,
    MinutesAddendum,
    MinutesVersion,
    PanelDecision,
    PanelMeeting,
    Plan,
    PlanAction,
    PlanHistory,
    PlanOutcome,
    PlanStatus,
    PoliceMinutes,
)
from safeguarding.people import identity
from safeguarding.people.models import Person
from safeguarding.people.selectors import person_named
from safeguarding.screening.models import RiskLevelChange, ScreeningAssessment, ScreeningStatus
from safeguarding.screening.selectors import tool_current


def sees_meetings(user: User) -> bool:
    return has(user, Capability.VIEW_MEETINGS)


def sees_plans(user: User) -> bool:
    return has(user, Capability.VIEW_PLANS) and has(user, Capability.VIEW_PERSON)


# --- meetings -----------------------------------------------------------------------------------


def meetings_list(*, user: User, past: bool = False) -> QuerySet[PanelMeeting]:
    if not sees_meetings(user):
        raise PermissionDenied
    meetings = PanelMeeting.objects.select_related("police_chair__agency", "council_chair__agency").annotate(
        item_count=Count("items")
    )
    today_start = timezone.now() - dt.timedelta(hours=12)
    if past:
        return meetings.filter(scheduled_for__lt=today_start).order_by("-scheduled_for", "-pk")
    return meetings.filter(scheduled_for__gte=today_start).order_by("scheduled_for", "pk")


MEETING_SORTS = [Sort("when", ("scheduled_for",)), Sort("items", ("item_count",))]


def meetings_listing(*, user: User, query: Mapping[str, Any]) -> Listing[PanelMeeting]:
    """The panel's meetings to come (soonest first) or past (latest first), a page at a time."""
    filters = MeetingFilters(query or None)
    wanted = filters.values()
    meetings = meetings_list(user=user, past=wanted.get("show") == "past")
    if wanted.get("status"):
        meetings = meetings.filter(status__in=wanted["status"])
    return listing(meetings, query=query, noun=("meeting", "meetings"), filters=filters, sorts=MEETING_SORTS)


def meeting_for_user_or_404(user: User, meeting_id: int) -> PanelMeeting:
    return one_or_404(
        PanelMeeting.objects.filter(pk=meeting_id).select_related(
            "police_chair__agency", "council_chair__agency", "minutes_by", "approved_by", "created_by"
        ),
        user=user,
        allowed=sees_meetings(user),
        event_type=AuditEventType.MEETING_VIEWED,
        target_kind="panel_meeting",
        person_of=lambda _m: None,
        reason=lambda m: f"opened panel meeting {m.reference}",
    )


@dataclass
class AgendaRow:
    item: AgendaItem
    person: Person
    level_name: str
    plan: Plan | None
    open_actions: int
    overdue_actions: int
    discussion: Discussion | None


def agenda(*, meeting: PanelMeeting) -> list[AgendaRow]:
    """The meeting's agenda with, for each child, the level in force, the open plan and its actions'
    state: a fixed number of queries however long the agenda. Nothing here is drawn from agencies'
    events, so nothing restricted can reach a reader through it."""
    items = list(
        meeting.items.select_related("person__root", "referral", "discussion__recorded_by")
        .order_by("position", "pk")
    )
    roots = [item.person.root_id for item in items]
    plans = {
        p.child.root_id: p
        for p in Plan.objects.filter(child__root_id__in=roots, status=PlanStatus.OPEN)
        .select_related("child")
        .annotate(
            open_actions=Count("actions", filter=Q(actions__status=ActionStatus.OPEN)),
            overdue_actions=Count("actions", filter=Q(actions__status=ActionStatus.OPEN,
                                                      actions__due_on__lt=timezone.localdate())),
        )
    }
    levels = levels_in_force(roots)
    rows = []
    for item in items:
        plan = plans.get(item.person.root_id)
        rows.append(AgendaRow(
            item=item, person=item.person.root, level_name=levels.get(item.person.root_id, ""),
            plan=plan, open_actions=getattr(plan, "open_actions", 0), overdue_actions=getattr(plan, "overdue_actions", 0),
            discussion=getattr(item, "discussion", None),
        ))
    return rows


def minutes_sealed_from(user: User, meeting: PanelMeeting) -> bool:
    """Whether a seal hides a child on the meeting's agenda from this user: the minutes are about every
    one of them, so the user neither reads nor writes them."""
    hidden = persons_hidden_from(user)
    return bool(hidden) and AgendaItem.objects.filter(meeting=meeting, person_id__in=sorted(hidden)).exists()


def police_member(user: User) -> bool:
    """A member of the panel who may see police-only ("C") information, the same people as for police
    intelligence anywhere in the hub (``accounts.access.sees_restricted_intelligence``): the police
    co-chair and the police's members of the panel, no one from another agency."""
    return sees_meetings(user) and sees_restricted_intelligence(user)


def sees_police_minutes(user: User, meeting: PanelMeeting) -> bool:
    """Whether this user reads (and may write) the police-only part of the meeting's minutes: a police
    member of the panel from whom no seal hides a child on the agenda (``minutes_sealed_from``)."""
    return police_member(user) and not minutes_sealed_from(user, meeting)


def police_minutes(*, user: User, meeting: PanelMeeting) -> list[PoliceMinutes]:
    """The police-only part of the meeting's minutes (the meeting as a whole first, then each child's
    discussion in agenda order), each with its earlier drafts; nothing at all for anyone else. A reading
    is written to the audit trail, naming the children the parts are about."""
    if not sees_police_minutes(user, meeting):
        return []
    parts = list(
        PoliceMinutes.objects.filter(meeting=meeting).select_related("item__person", "written_by")
        .prefetch_related("versions__written_by", "versions__replaced_by")
        .order_by("item__position", "item_id", "pk")
    )
    parts.sort(key=lambda p: p.item_id is not None)  # the meeting as a whole first
    if parts:
        about = sorted({p.item.person_id for p in parts if p.item is not None})
        with transaction.atomic():
            audit_record(
                event_type=AuditEventType.POLICE_MINUTES_VIEWED, actor=user, target_kind="panel_meeting",
                target_id=meeting.pk, detail={"parts": [p.pk for p in parts]}, shown=about,
            )
    return parts


def minutes_versions(*, user: User, meeting: PanelMeeting) -> list[MinutesVersion]:
    """The earlier drafts of the minutes every member reads, oldest first, for those who may read the
    minutes (a seal keeps them from the same people as the minutes). The police-only part's drafts are
    read with it (``police_minutes``)."""
    if not sees_meetings(user) or minutes_sealed_from(user, meeting):
        return []
    versions = list(
        MinutesVersion.objects.filter(meeting=meeting, police_part__isnull=True)
        .select_related("written_by", "replaced_by", "withheld_by").order_by("replaced_at", "pk")
    )
    if not police_member(user):
        for version in versions:  # a draft the police withheld: that it was, and when, and not a word of it
            if version.withheld_at is not None:
                version.text = version.withheld_reason = ""
    return versions


def addenda(*, user: User, meeting: PanelMeeting) -> list[MinutesAddendum]:
    """The addenda beside the locked minutes, oldest first: a police-only one, like the part it adds to,
    only for those who read that part (``sees_police_minutes``)."""
    rows = meeting.addenda.select_related("added_by")
    return list(rows if sees_police_minutes(user, meeting) else rows.filter(police_only=False))


def agenda_item_or_404(*, user: User, meeting: PanelMeeting, item_id: int) -> AgendaItem:
    item = meeting.items.select_related("person").filter(pk=item_id).first()
    if item is None or not sees_meetings(user):
        from django.http import Http404

        raise Http404
    return item


# --- plans and actions --------------------------------------------------------------------------


def plan_for_person(*, user: User, person: Person) -> Plan | None:
    """The plan in force for the child (their open plan, else their latest), for the single view."""
    if not sees_plans(user):
        return None
    open_first = Case(When(status=PlanStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        Plan.objects.filter(identity.same_person("child", person)).select_related("opened_by", "closed_by")
        .order_by(open_first, "-opened_at", "-pk").first()
    )


PLAN_SORTS = [
    Sort("child", ("child__family_name", "child__given_name")),
    Sort("opened", ("opened_at",)),
    Sort("review", ("review_due_on",)),
    Sort("actions", ("open_actions",)),
]


def plans_listing(*, user: User, query: Mapping[str, Any]) -> Listing[Plan]:
    """Every child's multi-agency plan this user may see (open ones unless asked), the review due
    soonest first, with each plan's open and overdue actions and the child's risk level in force."""
    if not sees_plans(user):
        raise PermissionDenied
    filters = PlanFilters(query or None)
    wanted = filters.values()
    today = timezone.localdate()
    plans = Plan.objects.filter(not_hidden(user, "child"))
    status = wanted.get("status", "open")
    if status != "all":
        plans = plans.filter(status=status)
    if wanted.get("review") == "overdue":
        plans = plans.filter(status=PlanStatus.OPEN, review_due_on__lt=today)
    elif wanted.get("review") == "soon":
        plans = plans.filter(status=PlanStatus.OPEN, review_due_on__gte=today,
                             review_due_on__lte=today + dt.timedelta(days=14))
    if wanted.get("child"):
        plans = plans.filter(person_named("child", wanted["child"]))
    latest = RiskLevelChange.objects.filter(child__root_id=OuterRef("child__root_id")).order_by("-effective_at", "-pk")
    tool = tool_current().tool
    plans = plans.select_related("child").annotate(
        open_actions=Count("actions", filter=Q(actions__status=ActionStatus.OPEN)),
        overdue_actions=Count("actions", filter=Q(actions__status=ActionStatus.OPEN, actions__due_on__lt=today)),
        level_code=Subquery(latest.values("level_code")[:1]),
        # the level in force in the current tool's words (the partnership may have renamed it), on the
        # page and in its download alike
        level_in_force=Case(*[When(level_code=level.code, then=Value(level.name)) for level in tool.levels],
                            default=Coalesce(Subquery(latest.values("level_name")[:1]), Value("")),
                            output_field=CharField()),
    ).order_by("review_due_on", "pk")
    shown = listing(plans, query=query, noun=("plan", "plans"), filters=filters, sorts=PLAN_SORTS, downloadable=True)
    for plan in shown.items:  # what the page shows of each, worked out here so the template only renders
        plan.review_overdue = plan.is_open and plan.review_due_on < today
    return shown


def levels_in_force(roots: Collection[int]) -> dict[int, str]:
    """The risk level in force for each child (by the id they are now), in one query, in the current
    tool's words: the partnership may have renamed a level since it was put in force."""
    tool = tool_current().tool
    levels: dict[int, str] = {}
    for child_root, code, name in RiskLevelChange.objects.filter(child__root_id__in=list(roots)).values_list(
        "child__root_id", "level_code", "level_name"
    ).order_by("effective_at", "pk"):
        levels[child_root] = tool.level_name(code, name)
    return levels


@dataclass
class PlanMonth:
    """One month of the partnership's plans: how many opened, closed (by outcome) and reopened, and
    how many were open at its end."""

    month: dt.date
    opened: int = 0
    closed: dict[str, int] = field(default_factory=dict)
    reopened: int = 0
    open_at_end: int = 0

    @property
    def closed_total(self) -> int:
        return sum(self.closed.values())


def plan_figures(*, user: User) -> list[PlanMonth]:
    """Plans opened, closed and reopened by month, with the outcome of each closure, and the plans
    open at each month's end: counts for the partnership and its scrutineer, no one named. Children
    taken off monitoring in numbers when caseloads rose (DOMAIN.md) show here as a month of closures."""
    if not has(user, Capability.VIEW_AGGREGATES):
        raise PermissionDenied
    labels = {f"{PLAN_CLOSED}{outcome.label}": outcome.label for outcome in PlanOutcome}
    months: dict[dt.date, PlanMonth] = {}

    def month_of(moment: dt.datetime) -> PlanMonth:
        day = local_date(moment).replace(day=1)
        return months.setdefault(day, PlanMonth(day, closed={outcome.label: 0 for outcome in PlanOutcome}))

    for opened_at in Plan.objects.values_list("opened_at", flat=True).iterator(chunk_size=10_000):
        month_of(opened_at).opened += 1
    for at, what in PlanHistory.objects.filter(Q(what__startswith=PLAN_CLOSED) | Q(what=PLAN_REOPENED)).values_list(
        "at", "what"
    ).iterator(chunk_size=10_000):
        row = month_of(at)
        if what == PLAN_REOPENED:
            row.reopened += 1
        else:
            label = labels.get(what, PlanOutcome.OTHER.label)
            row.closed[label] += 1
    open_now = 0
    ordered: list[PlanMonth] = []
    day = min(months, default=None)
    while day is not None and day <= max(months):  # every month from the first, quiet ones too
        row = months.get(day) or PlanMonth(day, closed={outcome.label: 0 for outcome in PlanOutcome})
        open_now += row.opened + row.reopened - row.closed_total
        row.open_at_end = open_now
        ordered.append(row)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return ordered


@dataclass
class AgencyTimeliness:
    """One agency's record of doing what it agreed to and what the law asks of it on time: the plan
    actions it owns (done in time, done late, open past their due day, open) and the statutory
    clocks it answers for (met in time, met late, overdue)."""

    agency: str
    actions_in_time: int = 0
    actions_late: int = 0
    actions_overdue: int = 0
    actions_open: int = 0
    clocks_in_time: int = 0
    clocks_late: int = 0
    clocks_overdue: int = 0

    @property
    def actions_done(self) -> int:
        return self.actions_in_time + self.actions_late

    @property
    def clocks_due(self) -> int:
        return self.clocks_in_time + self.clocks_late + self.clocks_overdue


def agency_timeliness(*, user: User) -> list[AgencyTimeliness]:
    """Timeliness per agency (DOMAIN.md: the scrutineer's "timeliness per agency"; "every agency
    accountable"): counts only, no one named. Clocks the police keep to themselves are left out, as
    on the other figures pages."""
    if not has(user, Capability.VIEW_AGGREGATES):
        raise PermissionDenied
    rows: dict[str, AgencyTimeliness] = {}

    def row(name: str | None) -> AgencyTimeliness:
        return rows.setdefault(name or "Not known", AgencyTimeliness(name or "Not known"))

    today = timezone.localdate()
    for agency, due_on, status, completed_at in PlanAction.objects.values_list(
        "owner_agency__name", "due_on", "status", "completed_at"
    ).iterator(chunk_size=10_000):
        counts = row(agency)
        if status == ActionStatus.COMPLETED and completed_at is not None:
            if local_date(completed_at) <= due_on:
                counts.actions_in_time += 1
            else:
                counts.actions_late += 1
        else:
            counts.actions_open += 1
            counts.actions_overdue += due_on < today
    for agency, status, n in (
        StatutoryClock.objects.exclude(police_only_clocks()).values_list("agency__name", "status")
        .annotate(n=Count("pk")).values_list("agency__name", "status", "n")
    ):
        counts = row(agency)
        if status == ClockStatus.MET:
            counts.clocks_in_time += n
        elif status == ClockStatus.MET_LATE:
            counts.clocks_late += n
        elif status == ClockStatus.OVERDUE:
            counts.clocks_overdue += n
    return sorted(rows.values(), key=lambda r: r.agency)


PLAN_COLUMNS: list[Column[Plan]] = [
    Column("Plan", lambda p: p.reference),
    Column("Child's hub reference", lambda p: p.child.reference),
    Column("Child", lambda p: p.child.full_name),
    # health staff find the children on plans in their own systems by it (DOMAIN.md: flags for
    # children on plans; CP-IS keys on it)
    Column("NHS number", lambda p: p.child.nhs_number),
    Column("Status", lambda p: p.get_status_display()),
    Column("Opened", lambda p: p.opened_at),
    Column("Risk level in force", lambda p: getattr(p, "level_in_force", "")),
    Column("Review due", lambda p: p.review_due_on),
    Column("Open actions", lambda p: getattr(p, "open_actions", "")),
    Column("Overdue actions", lambda p: getattr(p, "overdue_actions", "")),
]


def plan_for_user_or_404(user: User, plan_id: int) -> Plan:
    return one_or_404(
        Plan.objects.filter(pk=plan_id).select_related("child", "opened_by", "closed_by", "meeting"),
        user=user,
        allowed=sees_plans(user),
        event_type=AuditEventType.PLAN_VIEWED,
        target_kind="plan",
        person_of=lambda p: p.child_id,
        reason=lambda p: f"opened plan {p.reference}",
    )


def plan_actions(*, plan: Plan) -> list[PlanAction]:
    """The plan's actions, open ones first (the overdue among them first, by due day), then those
    completed. Ordered by meaning, not by the status's stored text ("completed" sorts before "open")."""
    open_first = Case(When(status=ActionStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return list(
        plan.actions.select_related("owner", "owner_agency", "goal", "completed_by")
        .prefetch_related("escalations")
        .order_by(open_first, "due_on", "pk")
    )


def action_for_user_or_404(user: User, action_id: int) -> PlanAction:
    return one_or_404(
        PlanAction.objects.filter(pk=action_id).select_related(
            "plan__child", "owner", "owner_agency", "created_by", "completed_by", "goal"
        ),
        user=user,
        allowed=sees_plans(user),
        event_type=AuditEventType.ACTION_VIEWED,
        target_kind="action",
        person_of=lambda a: a.plan.child_id,
        reason=lambda a: f"opened action {a.reference}",
    )


# --- work lists ---------------------------------------------------------------------------------

LIST_LIMIT = 100  # short lists on a work page (escalations, reviews due); actions, clocks and allocations are paged


@dataclass
class Decisions:
    """Decisions awaiting the user, each to be listed with a way to where it is made: minutes they
    co-chaired that another drafted (approved on the meeting's page), and lower risk levels another
    practitioner judged (approved on the screening's page). Only the first ``LIST_LIMIT`` lower levels
    are listed, the rest on the approvals page (``levels_total`` counts them all)."""

    minutes: list[PanelMeeting] = field(default_factory=list)
    levels: list[ScreeningAssessment] = field(default_factory=list)
    levels_total: int = 0

    @property
    def more_levels(self) -> bool:
        return self.levels_total > len(self.levels)

    @property
    def total(self) -> int:
        return len(self.minutes) + self.levels_total


@dataclass
class WorkList:
    """A user's (or an agency's) work: what is theirs to do, overdue first. Actions, clocks and what
    is allocated are each paged (``actions-page=2``), with their true totals."""

    title: str
    actions: Listing[PlanAction]
    overdue_total: int
    clocks: Listing[StatutoryClock]
    meetings: list[PanelMeeting]
    allocations: Listing[Allocation]
    escalations: list[Escalation]
    decisions: Decisions
    reviews_due: list[Plan] = field(default_factory=list)

    @property
    def actions_total(self) -> int:
        return self.actions.total

    @property
    def clocks_total(self) -> int:
        return self.clocks.total

    @property
    def persons(self) -> list[int]:
        ids = [a.plan.child_id for a in self.actions.items] + [c.child_id for c in self.clocks.items]
        ids += [p.child_id for p in self.reviews_due] + [s.child_id for s in self.decisions.levels]
        for allocation in self.allocations.items:
            ids.append(allocation.child_id or (allocation.concern.child_id if allocation.concern else
                                               allocation.alert.person_id if allocation.alert else None) or 0)
        return [i for i in ids if i]


ACTION_SORTS = [Sort("due", ("due_on",)), Sort("child", ("plan__child__family_name", "plan__child__given_name"))]


def _actions(filter_: Q, user: User, query: Mapping[str, Any]) -> tuple[Listing[PlanAction], int]:
    today = timezone.localdate()
    base = PlanAction.objects.filter(filter_, not_hidden(user, "plan__child"), status=ActionStatus.OPEN)
    overdue = base.filter(due_on__lt=today).count()
    filters = WorkActionFilters(query or None, prefix="actions")
    wanted = filters.values()
    if wanted.get("due") == "overdue":
        base = base.filter(due_on__lt=today)
    elif wanted.get("due") == "week":
        base = base.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=7))
    if wanted.get("child"):
        base = base.filter(person_named("plan__child", wanted["child"]))
    shown = listing(base.select_related("plan__child", "owner", "owner_agency").order_by("due_on", "pk"),
                    query=query, noun=("action", "actions"), filters=filters, sorts=ACTION_SORTS, prefix="actions",
                    downloadable=True)
    return shown, overdue


def _clocks(filter_: Q, user: User, query: Mapping[str, Any]) -> Listing[StatutoryClock]:
    """Every clock not yet met, however long overdue: a duty stays on the work list until it is met
    (or a reason is recorded that none was held), never dropped for age. ``CLOCK_CHASE_DAYS`` bounds
    only the escalations sent about them."""
    base = StatutoryClock.objects.filter(filter_, not_hidden(user, "child"), clocks_visible_to(user), met_at__isnull=True)
    return listing(base.select_related("child", "agency").order_by("due_at", "pk"), query=query,
                   noun=("clock", "clocks"), prefix="clocks")


def _allocations(filter_: Q, query: Mapping[str, Any], *, user: User) -> Listing[Allocation]:
    """Open allocations, leaving out any whose child is sealed from the reader."""
    return listing(
        Allocation.objects.filter(filter_, not_hidden(user, "child"), not_hidden(user, "concern__child"),
                                  not_hidden(user, "alert__person"), ended_at__isnull=True)
        .select_related("child", "concern__child", "alert__person", "alert__rule", "worker").order_by("-allocated_at", "-pk"),
        query=query, noun=("piece of work allocated", "pieces of work allocated"), prefix="allocated",
    )


ACTION_COLUMNS: list[Column[PlanAction]] = [
    Column("Action", lambda a: a.reference),
    Column("What", lambda a: a.description),
    Column("Child's hub reference", lambda a: a.plan.child.reference),
    Column("Child", lambda a: a.plan.child.full_name),
    Column("Plan", lambda a: a.plan.reference),
    Column("Owner", lambda a: a.owner.get_full_name() or a.owner.username),
    Column("Agency", lambda a: a.owner_agency.name if a.owner_agency else ""),
    Column("Due", lambda a: a.due_on),
]


def my_work(*, user: User, query: Mapping[str, Any] | None = None) -> WorkList:
    """The signed-in user's own work: actions they own (overdue first), clocks their agency must meet
    for children allocated to them, meetings they chair or the panel's next ones, what is allocated
    to them, and decisions awaiting them."""
    if not has(user, Capability.VIEW_PLANS):
        raise PermissionDenied
    query = query or {}
    actions, overdue = _actions(Q(owner=user), user, query)
    allocations = _allocations(Q(worker=user), query, user=user)
    allocated_children = list(Allocation.objects.filter(worker=user, ended_at__isnull=True, child__isnull=False)
                              .values_list("child__root_id", flat=True))
    clocks = _clocks(Q(child__root_id__in=allocated_children), user, query)
    meetings = _meetings_for(user)
    reviews: list[Plan] = []
    levels: list[ScreeningAssessment] = []
    levels_total = 0
    if has(user, Capability.RUN_PANEL):
        reviews = list(Plan.objects.filter(not_hidden(user, "child"), status=PlanStatus.OPEN,
                                           review_due_on__lte=timezone.localdate() + dt.timedelta(days=14))
                       .select_related("child").order_by("review_due_on")[:LIST_LIMIT])
        # As the approvals page lists them: not a child sealed from the user, nor their own screening.
        awaiting = ScreeningAssessment.objects.filter(not_hidden(user, "child"),
                                                      status=ScreeningStatus.AWAITING_APPROVAL).exclude(
            Q(started_by=user) | Q(completed_by=user))
        levels = list(awaiting.select_related("child", "completed_by", "level_before", "tool_version")
                      .order_by("completed_at", "pk")[:LIST_LIMIT + 1])
        levels_total = len(levels) if len(levels) <= LIST_LIMIT else awaiting.count()
    minutes = list(PanelMeeting.objects.filter(status=MeetingStatus.MINUTES_DRAFTED)
                   .filter(Q(police_chair=user) | Q(council_chair=user)).exclude(minutes_by=user)
                   .select_related("minutes_by").order_by("scheduled_for", "pk")) if user.pk else []
    escalations = list(
        Escalation.objects.filter(_escalations_seen_by(user), action__owner=user).select_related("action__plan", "clock")
        .order_by("-escalated_at")[:50]
    )
    return WorkList("My work", actions, overdue, clocks, meetings, allocations, escalations,
                    Decisions(minutes=minutes, levels=levels[:LIST_LIMIT], levels_total=levels_total),
                    reviews)


def _escalations_seen_by(user: User) -> Q:
    """Escalations this reader may be shown: none of a clock that stays with the police (its missing
    episode since marked C: ``clocks.selectors.police_only_clocks``), for those outside the police, and
    none about a child sealed from them (the row names the child's action, clock or concern)."""
    police_only = Q() if sees_restricted_intelligence(user) else ~Q(
        clock__in=StatutoryClock.objects.filter(police_only_clocks()).values("pk"))
    return (police_only & not_hidden(user, "action__plan__child") & not_hidden(user, "clock__child")
            & not_hidden(user, "concern__child"))


def agency_work(*, user: User, query: Mapping[str, Any] | None = None) -> WorkList:
    """An agency safeguarding manager's view of their agency's work: every open action it owns,
    every clock it must meet and has not met (overdue ones first), and what has been escalated to it."""
    if not has(user, Capability.MANAGE_AGENCY_WORK) or user.agency_id is None:
        raise PermissionDenied
    query = query or {}
    actions, overdue = _actions(Q(owner_agency_id=user.agency_id), user, query)
    clocks = _clocks(Q(agency_id=user.agency_id), user, query)
    mine = Q(agency_id=user.agency_id)
    if front_door_team().filter(agency_id=user.agency_id).exists():
        mine |= Q(concern__isnull=False)  # the agency's staff decide concerns: undecided ones are its business
    escalations = list(
        Escalation.objects.filter(mine, _escalations_seen_by(user), level=1)
        .select_related("action__plan__child", "action__owner", "clock__child", "concern")
        .order_by("-escalated_at")[:LIST_LIMIT]
    )
    allocations = _allocations(Q(worker__agency_id=user.agency_id), query, user=user)
    return WorkList(f"{user.agency.name if user.agency else 'Agency'}: our work", actions, overdue, clocks,
                    _meetings_for(user), allocations, escalations, Decisions())


def _meetings_for(user: User) -> list[PanelMeeting]:
    """The panel's next meetings: still to be held (one due earlier today and not yet opened is still
    coming up; one held, its minutes drafted or locked, or cancelled, is not)."""
    if not has(user, Capability.VIEW_MEETINGS):
        return []
    return list(
        PanelMeeting.objects.filter(scheduled_for__gte=timezone.now() - dt.timedelta(hours=12),
                                    status=MeetingStatus.SCHEDULED)
        .select_related("police_chair", "council_chair").order_by("scheduled_for")[:5]
    )


def strategic_escalations(*, user: User) -> list[Escalation]:
    """Escalations to the strategic group: which agency, what kind, how late. No identities (the
    partnership manager sees figures, not children): references only."""
    if not has(user, Capability.VIEW_ESCALATIONS):
        raise PermissionDenied
    return list(
        Escalation.objects.filter(_escalations_seen_by(user), level=2)
        .select_related("agency", "action__plan", "clock", "concern")
        .order_by("-escalated_at", "pk")[:LIST_LIMIT]
    )


# --- subject access -----------------------------------------------------------------------------


def panel_work_for_subject_access(*, user: User, person: Person) -> tuple[list[Discussion], list[Plan]]:
    """The panel's discussions of the person at held meetings, and their plans with goals and actions,
    under any id they have had, oldest first, for their own subject access request (the data
    protection officer only)."""
    if not has(user, Capability.SUBJECT_ACCESS):
        return [], []
    discussions = list(
        Discussion.objects.filter(identity.same_person("item__person", person), item__meeting__held_at__isnull=False)
        .select_related("item__meeting").order_by("item__meeting__scheduled_for", "pk")
    )
    plans = list(
        Plan.objects.filter(identity.same_person("child", person))
        .prefetch_related("goals", "actions__owner_agency").order_by("opened_at", "pk")
    )
    return discussions, plans


def police_minutes_for_subject_access(*, user: User, person: Person) -> list[PoliceMinutes]:
    """The police-only parts of held meetings' minutes about the person's discussions (under any id
    they have had), oldest first, for their subject access request (the data protection officer only):
    the bundle lists each as withheld police work, so that the officer knows it is there."""
    if not has(user, Capability.SUBJECT_ACCESS):
        return []
    return list(
        PoliceMinutes.objects.filter(identity.same_person("item__person", person), meeting__held_at__isnull=False)
        .select_related("meeting").order_by("meeting__scheduled_for", "pk")
    )


# --- the panel's review clocks (registered with the clocks room) --------------------------------


def children_reviewed_since(since: dt.datetime) -> set[int]:
    """The children (any id they have had) whose panel review clocks may have started, been met or
    moved since ``since``: a discussion recorded, a meeting held (its discussions count from then), a
    plan closed or reopened. For the incremental refresh of the clocks (``clocks.sources``)."""
    discussed = Discussion.objects.filter(
        Q(recorded_at__gte=since) | Q(item__meeting__held_at__gte=since)
    ).values_list("item__person_id", flat=True)
    planned = PlanHistory.objects.filter(at__gte=since).values_list("plan__child_id", flat=True)
    closed = Plan.objects.filter(closed_at__gte=since).values_list("child_id", flat=True)
    return {*discussed, *planned, *closed}


def panel_review_facts(children: Collection[int] | None = None) -> list[ClockFact]:
    """A review clock for each child the panel kept open at a held meeting: due 12 weeks later (the
    partnership's setting), met by the child's next discussion at a held meeting, or by the plan
    closing."""
    discussions = Discussion.objects.filter(item__meeting__held_at__isnull=False).select_related(
        "item__meeting", "item__person", "plan"
    )
    if children is not None:
        discussions = discussions.filter(item__person__root_id__in=list(children))
    by_child: dict[int, list[Discussion]] = {}
    for d in discussions.order_by("item__meeting__scheduled_for", "pk"):
        by_child.setdefault(d.item.person.root_id, []).append(d)
    facts = []
    weeks = settings.PANEL_REVIEW_WEEKS
    history = PlanHistory.objects.filter(Q(what=PLAN_REOPENED) | Q(what__startswith=PLAN_CLOSED))
    if children is not None:
        history = history.filter(plan__child__root_id__in=list(children))
    closures: dict[int, list[dt.datetime]] = {}
    reopenings: list[PlanHistory] = []
    for entry in history.select_related("plan__child").order_by("at", "pk"):
        if entry.what == PLAN_REOPENED:
            reopenings.append(entry)
        else:
            closures.setdefault(entry.plan_id, []).append(entry.at)

    def closed_after(plan: Plan, start: dt.datetime) -> tuple[dt.datetime | None, str]:
        """The plan's first closure from ``start`` (a plan closed, reopened and closed again met the
        clocks open before the reopening when it first closed)."""
        times = closures.get(plan.pk) or ([plan.closed_at] if plan.closed_at else [])
        closed = next((t for t in times if t >= start), None)
        return closed, f"Plan {plan.reference} closed" if closed else ""

    def review(child: int, key: str, start: dt.datetime, later: Discussion | None, plan: Plan | None) -> ClockFact:
        """A review clock started at ``start``: due ``weeks`` later, met by the discussion ``later``
        (the child's next at a held meeting), or else by the plan closing."""
        due = end_of_day(local_date(start) + dt.timedelta(weeks=weeks))
        met_at, met_by = None, ""
        if later is not None:
            met_at, met_by = later.item.meeting.scheduled_for, f"Reviewed at panel meeting {later.item.meeting.reference}"
        elif plan is not None:
            met_at, met_by = closed_after(plan, start)
        return ClockFact(child, "panel_review", key, start, due, met_at, met_by)

    for child, seen in by_child.items():
        for number, d in enumerate(seen):
            if d.decision in (PanelDecision.OPEN_PLAN, PanelDecision.CONTINUE_PLAN):
                later = seen[number + 1] if number + 1 < len(seen) else None
                facts.append(review(child, f"review:{d.pk}", d.item.meeting.scheduled_for, later, d.plan))
    # A plan reopened between meetings is due its review as the reopening sets it: met by the child's
    # next discussion at a held meeting, or by the plan closing again.
    for entry in reopenings:
        child = entry.plan.child.root_id
        later = next((d for d in by_child.get(child, []) if d.item.meeting.scheduled_for >= entry.at), None)
        facts.append(review(child, f"reopened:{entry.pk}", entry.at, later, entry.plan))
    return facts




def children_with_open_plan() -> set[int]:
    """Ids (as recorded, and as they are now) of children with an open multi-agency plan: for the
    early-warning scan, which adds new evidence to such a child's alert instead of raising another."""
    rows = Plan.objects.filter(status=PlanStatus.OPEN).values_list("child_id", "child__root_id")
    return {pk for pair in rows for pk in pair if pk is not None}


def open_work_for(person: Person, users: Collection[User]) -> dict[int, list[str]]:
    """What each of these users holds open for the person (``dataprotection.sources``): the open
    actions they own on the person's plan, and the person (or a concern or alert about them) allocated
    to them."""
    ids = [u.pk for u in users]
    work: dict[int, list[str]] = {}
    for action in PlanAction.objects.filter(identity.same_person("plan__child", person), status=ActionStatus.OPEN,
                                            owner_id__in=ids):
        work.setdefault(action.owner_id, []).append(f"action {action.reference}")
    for allocation in Allocation.objects.filter(
        identity.same_person("child", person) | identity.same_person("concern__child", person)
        | identity.same_person("alert__person", person), ended_at__isnull=True, worker_id__in=ids,
    ):
        work.setdefault(allocation.worker_id, []).append(f"the {allocation.get_kind_display().lower()} allocated to them")
    return work


def allocation_for_child(person: Person) -> Allocation | None:
    """The worker the child is allocated to now, if any."""
    return (
        Allocation.objects.filter(identity.same_person("child", person), ended_at__isnull=True)
        .select_related("worker__agency").order_by("-allocated_at").first()
    )
