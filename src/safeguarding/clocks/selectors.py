"""Reads of the statutory clocks, each applying the access policy: a child's clocks on the single
view, one clock with its history, and the missing episodes a practitioner may record an interview for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, not_hidden, one_or_404, sees_restricted_intelligence
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.clocks.engine import status_of
from safeguarding.clocks.models import (
    CONFERENCE_STEPS,
    CaseworkStep,
    ClockChange,
    ClockKind,
    ClockStatus,
    ReturnHomeInterview,
    StatutoryClock,
)
from safeguarding.core.calendar import local_date
from safeguarding.core.lists import Column, Listing, listing
from safeguarding.people import identity
from safeguarding.people.models import Event, EventType, Handling, Person, is_restricted, restricted_events


def sees_clocks(user: User) -> bool:
    return has(user, Capability.VIEW_PLANS) and has(user, Capability.VIEW_PERSON)


def police_only_clocks() -> Q:
    """Return home interview clocks started by a missing episode the police have marked C (since the
    clock was started: the engine starts none for such an episode). The episode stays with the
    police, and so does its clock: when the child went missing and came back, and who recorded it."""
    keys = (Event.objects.filter(handling=Handling.CONDITIONS, event_type=EventType.MISSING_EPISODE)
            .annotate(key=Concat(Value("event:"), Cast("pk", CharField()))).values("key"))
    return Q(kind=ClockKind.RETURN_HOME_INTERVIEW, start_key__in=keys)


def clocks_visible_to(user: User) -> Q:
    """A filter on StatutoryClock: police-only clocks for the police's casework staff alone."""
    return Q() if sees_restricted_intelligence(user) else ~police_only_clocks()


def met_by_police_only() -> Q:
    """Clocks met by an agency's event that now stays with the police (marked C since): the engine
    counts no such event when it works the clocks out again, but until then the clock holds it, and
    its history keeps the words written when it was met, naming the agency and the event."""
    return restricted_events("met_by_event__")


def met_shown(clock: StatutoryClock, *, police: bool) -> StatutoryClock:
    """The clock as this reader may see it: met by an event the police have since marked C, it is, for
    readers outside the police, not met (judged when it was last worked out), with no words of what
    met it. As ``return_shown``: the agency's record is the police's once they mark it C. Only for
    reading: the clock is changed in memory, never saved."""
    event = clock.met_by_event if clock.met_by_event_id is not None else None
    if police or event is None or not is_restricted(event.event_type, event.handling):
        return clock
    clock.met_at, clock.met_by = None, ""
    clock.status = status_of(clock.due_at, None, clock.status_at)
    return clock


_ORDER: dict[str, int] = {ClockStatus.OVERDUE: 0, ClockStatus.OPEN: 1}


def clocks_for_person(*, user: User, person: Person, limit: int = 50) -> list[StatutoryClock]:
    """The child's clocks: overdue first, then not yet due, then the latest met, each as this reader
    may see it (``met_shown``). ``person`` comes from ``person_for_user_or_404``."""
    if not sees_clocks(user):
        return []
    order = Case(When(status=ClockStatus.OVERDUE, then=Value(0)), When(status=ClockStatus.OPEN, then=Value(1)),
                 default=Value(2), output_field=IntegerField())
    police = sees_restricted_intelligence(user)
    clocks = [met_shown(c, police=police) for c in
              StatutoryClock.objects.filter(clocks_visible_to(user), identity.same_person("child", person))
              .select_related("agency", "met_by_event")
              .annotate(order=order).order_by("order", "-due_at")[:limit]]
    return sorted(clocks, key=lambda c: (_ORDER.get(c.status, 2), -c.due_at.timestamp()))


@dataclass(frozen=True)
class ProtectionPlan:
    """A child protection plan, as the conferences recorded in the hub made and ended it."""

    made_by: CaseworkStep  # the conference that made it
    ended_by: CaseworkStep | None = None  # the review conference that ended it (None: in force)

    @property
    def made_at(self) -> dt.datetime:
        return self.made_by.occurred_at

    @property
    def ended_at(self) -> dt.datetime | None:
        return self.ended_by.occurred_at if self.ended_by else None


def _conferences() -> QuerySet[CaseworkStep]:
    return (CaseworkStep.objects.filter(kind__in=CONFERENCE_STEPS, positive__isnull=False)
            .select_related("child", "agency", "recorded_by").order_by("occurred_at", "pk"))


def _plans(conferences: Iterable[CaseworkStep]) -> list[ProtectionPlan]:
    """The plans these conferences (oldest first) made, in order: one that makes a plan when none is
    in force starts one; one that decides there is none ends the plan in force."""
    plans: list[ProtectionPlan] = []
    for step in conferences:
        current = plans[-1] if plans and plans[-1].ended_by is None else None
        if step.positive and current is None:
            plans.append(ProtectionPlan(made_by=step))
        elif not step.positive and current is not None:
            plans[-1] = ProtectionPlan(made_by=current.made_by, ended_by=step)
    return plans


def _latest_plan(conferences: Iterable[CaseworkStep]) -> ProtectionPlan | None:
    plans = _plans(conferences)
    return plans[-1] if plans else None


def protection_plan_for_person(*, user: User, person: Person) -> ProtectionPlan | None:
    """The child's latest child protection plan (in force, or ended), or None when no conference
    recorded in the hub made one: what CP-IS tells urgent care, for those who see the clocks."""
    if not sees_clocks(user):
        return None
    return _latest_plan(_conferences().filter(identity.same_person("child", person)))


def protection_plans() -> dict[int, list[ProtectionPlan]]:
    """Every child protection plan the conferences recorded in the hub made, by the child's current
    id, oldest first: for the hub's own jobs and for counts, which name no one."""
    by_child: dict[int, list[CaseworkStep]] = {}
    for step in _conferences():
        by_child.setdefault(step.child.root_id, []).append(step)
    return {child: plans for child, steps in by_child.items() if (plans := _plans(steps))}


def protection_plans_in_force() -> dict[int, ProtectionPlan]:
    """Every child subject to a child protection plan now (by the child's current id), for the
    hub's own jobs (the health notices), which tell only those who may know."""
    return {child: plans[-1] for child, plans in protection_plans().items() if plans[-1].ended_by is None}


@dataclass(frozen=True)
class ProtectedChild:
    """A child subject to a child protection plan now, for the list health staff flag children from."""

    person: Person
    plan: ProtectionPlan


PROTECTED_COLUMNS: list[Column[ProtectedChild]] = [
    Column("Child's hub reference", lambda r: r.person.reference),
    Column("Child", lambda r: r.person.full_name),
    Column("Date of birth", lambda r: r.person.date_of_birth),
    # health staff flag the children in their own systems by it (DOMAIN.md; CP-IS keys on it)
    Column("NHS number", lambda r: r.person.nhs_number),
    Column("Subject to a child protection plan since", lambda r: local_date(r.plan.made_at)),
    Column("Conference recorded by", lambda r: r.plan.made_by.agency.name),
]


def protection_plans_listing(*, user: User, query: Mapping[str, Any]) -> Listing[ProtectedChild]:
    """Every child subject to a child protection plan now, as the conferences recorded in the hub
    made them, the newest plan first: for those who see the clocks (health staff among them), the
    children sealed from the reader left out."""
    if not sees_clocks(user):
        raise PermissionDenied
    plans = protection_plans_in_force()
    people = Person.objects.filter(not_hidden(user, "pk"), pk__in=list(plans))
    rows = sorted((ProtectedChild(person, plans[person.pk]) for person in people),
                  key=lambda r: (r.plan.made_at, r.person.pk), reverse=True)
    return listing(rows, query=query, noun=("child", "children"), downloadable=True)


def clock_for_user_or_404(user: User, clock_id: int) -> StatutoryClock:
    """One clock, as this reader may see it (``met_shown``)."""
    clock = one_or_404(
        StatutoryClock.objects.filter(clocks_visible_to(user), pk=clock_id)
        .select_related("child", "agency", "met_by_event"),
        user=user,
        allowed=sees_clocks(user),
        event_type=AuditEventType.PERSON_VIEWED,
        target_kind="statutory_clock",
        person_of=lambda c: c.child_id,
        reason=lambda c: f"opened statutory clock {c.reference}",
    )
    return met_shown(clock, police=sees_restricted_intelligence(user))


def clock_history(*, user: User, clock: StatutoryClock) -> list[ClockChange]:
    """The clock's changes, oldest first. A change whose words tell of an agency's event the police
    have since marked C (what met the clock, or that it no longer counts) is the police's: readers
    outside the police see the history as if that event had never met the clock (``met_shown``)."""
    changes = clock.changes.all()
    if not sees_restricted_intelligence(user):
        changes = changes.exclude(restricted_events("event__"))
    return list(changes)


def missing_episodes_for(*, user: User, person: Person) -> list[Event]:
    """The child's missing episodes that have ended, newest first, for recording an interview."""
    if not sees_clocks(user):
        return []
    return list(
        Event.objects.filter(identity.same_person("source_record__person", person),
                             event_type=EventType.MISSING_EPISODE, ended_at__isnull=False)
        .exclude(restricted_events())  # the police's own: no clock, so no interview is recorded against it
        .select_related("source_system__agency").order_by("-ended_at")[:20]
    )


def casework_for_person(*, user: User, person: Person) -> tuple[list[CaseworkStep], list[ReturnHomeInterview]]:
    if not sees_clocks(user):
        return [], []
    steps = list(CaseworkStep.objects.filter(identity.same_person("child", person))
                 .select_related("agency", "recorded_by").order_by("-occurred_at")[:50])
    interviews = list(ReturnHomeInterview.objects.filter(identity.same_person("child", person))
                      .select_related("agency", "recorded_by", "missing_episode").order_by("-held_at")[:50])
    police = sees_restricted_intelligence(user)
    for interview in interviews:
        interview.return_shown = return_shown(interview, police=police)  # type: ignore[attr-defined]
    return steps, interviews


def return_shown(interview: ReturnHomeInterview, *, police: bool) -> dt.datetime | None:
    """When the child returned from the episode the interview followed, for this reader: the interview
    is the agency's own casework, but the episode's times are the police's once they mark it C."""
    episode = interview.missing_episode
    if not police and is_restricted(episode.event_type, episode.handling):
        return None
    return episode.ended_at


def casework_for_subject_access(*, user: User, person: Person) -> tuple[list[CaseworkStep], list[ReturnHomeInterview]]:
    """Every casework step and return home interview recorded in the hub about the person, under any
    id they have had, oldest first, for their own subject access request (the data protection
    officer only)."""
    if not has(user, Capability.SUBJECT_ACCESS):
        return [], []
    steps = list(CaseworkStep.objects.filter(identity.same_person("child", person))
                 .select_related("agency").order_by("occurred_at", "pk"))
    interviews = list(ReturnHomeInterview.objects.filter(identity.same_person("child", person))
                      .select_related("agency", "missing_episode").order_by("held_at", "pk"))
    return steps, interviews


@dataclass(frozen=True)
class Timeliness:
    agency: str
    clocks: int
    met_in_time: int
    met_late: int
    not_met: int

    @property
    def share_in_time(self) -> float:
        return self.met_in_time / self.clocks if self.clocks else 0.0


def interview_timeliness(*, user: User) -> list[Timeliness]:
    """For each agency that recorded children's returns from missing episodes: how many return home
    interviews were due (episodes that ended, and whose 72 hours have run out), and how many were held
    within 72 hours, late, or not at all. Counts only, no identities."""
    if not has(user, Capability.VIEW_AGGREGATES):
        raise PermissionDenied
    now = timezone.now()
    clocks = list(
        StatutoryClock.objects.filter(kind=ClockKind.RETURN_HOME_INTERVIEW, due_at__lte=now)
        .exclude(police_only_clocks())
        .values_list("start_key", "due_at", "met_at")
    )
    episode_ids = [int(key.split(":", 1)[1]) for key, _, _ in clocks if key.startswith("event:")]
    agency_of: dict[int, str] = {}
    for start in range(0, len(episode_ids), 5000):
        agency_of.update(Event.objects.filter(pk__in=episode_ids[start : start + 5000])
                         .values_list("pk", "source_system__agency__name"))
    counts: dict[str, list[int]] = {}
    for key, due, met in clocks:
        agency = agency_of.get(int(key.split(":", 1)[1]), "Not known")
        row = counts.setdefault(agency, [0, 0, 0, 0])
        row[0] += 1
        row[1 if met is not None and met <= due else 2 if met is not None else 3] += 1
    return [Timeliness(agency, *row) for agency, row in sorted(counts.items())]
