"""Reads for survivor support, each through the access policy: a support worker's plans, one plan,
the part of the single view that says a plan exists, the lived-experience summaries in aggregate,
and ``contact_allowed`` — whether anything may contact a person — for every room that sends letters,
e-mails or messages (it stands low, above only the people room, so they can all call it)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, not_hidden, one_or_404, require, sees_support_plans
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core import normalise
from safeguarding.core.lists import Listing, Sort, listing
from safeguarding.people import identity
from safeguarding.people.models import Person, PersonRole
from safeguarding.people.selectors import person_named
from safeguarding.support.forms import SupportPlanFilters
from safeguarding.support.models import (
    ContactWish,
    GoalProgress,
    LivedExperience,
    PlanStage,
    PlanStatus,
    SupportGoal,
    SupportPlan,
    Theme,
)

# Leaving-care support runs to the 25th birthday (Children and Social Work Act 2017, s.3).
ADULT_AT = 18
CARE_LEAVER_UNTIL = 25
# A child's plan shows its transition as coming up this long before the 18th birthday.
TRANSITION_NOTICE_DAYS = 183


# --- whether anything may contact a person ------------------------------------------------------


def latest_contact_wish(person: Person | int) -> ContactWish | None:
    """The person's latest recorded wish about contact, under any id they have had."""
    return (
        ContactWish.objects.filter(identity.same_person("person", person))
        .select_related("recorded_by")
        .order_by("-recorded_at", "-pk")
        .first()
    )


def contact_allowed(person: Person | int) -> bool:
    """False when the person (under any id they have had) last said they want no contact: no letters,
    no e-mails, no calls. Every room that would contact someone asks this first."""
    wish = latest_contact_wish(person)
    return wish is None or not wish.no_contact


# --- stages and transitions -----------------------------------------------------------------------


def age_today(person: Person, on: dt.date) -> int | None:
    dob = normalise.partial_date(person.date_of_birth)
    return normalise.age_on(dob, on) if dob else None


def stage_for_age(person: Person, *, care_leaver: bool, on: dt.date) -> str:
    """A plan's stage from the survivor's age on a day (from the earliest birthday a partial date of
    birth allows); without a date of birth, from whether agencies hold them as a child."""
    age = age_today(person, on)
    if age is None:
        return PlanStage.CHILD if person.role == PersonRole.CHILD else PlanStage.ADULT
    if age < ADULT_AT:
        return PlanStage.CHILD
    if care_leaver and age < CARE_LEAVER_UNTIL:
        return PlanStage.CARE_LEAVER
    return PlanStage.ADULT


@dataclass(frozen=True)
class UpcomingTransition:
    to_stage: str
    due_on: dt.date | None  # the birthday; None when the date of birth is not known
    reached: bool
    coming_up: bool  # within the notice period (or reached)

    @property
    def to_stage_label(self) -> str:
        return PlanStage(self.to_stage).label


def transition_next(plan: SupportPlan, *, on: dt.date) -> UpcomingTransition | None:
    """The plan's next transition: a child's at 18 (to a care leaver's plan or an adult's), a care
    leaver's at 25; None for an adult's plan. Without a date of birth the worker decides when."""
    if plan.stage == PlanStage.ADULT:
        return None
    if plan.stage == PlanStage.CHILD:
        years, to_stage = ADULT_AT, (PlanStage.CARE_LEAVER if plan.care_leaver else PlanStage.ADULT)
    else:
        years, to_stage = CARE_LEAVER_UNTIL, PlanStage.ADULT
    dob = normalise.partial_date(plan.person.date_of_birth)
    if dob is None:
        return UpcomingTransition(to_stage=to_stage, due_on=None, reached=True, coming_up=True)
    due = normalise.nth_birthday(dob, years)
    return UpcomingTransition(
        to_stage=to_stage,
        due_on=due,
        reached=on >= due,
        coming_up=on >= due - dt.timedelta(days=TRANSITION_NOTICE_DAYS),
    )


# --- plans ------------------------------------------------------------------------------------------


def plans_visible_to(user: User) -> QuerySet[SupportPlan]:
    """The plans a support worker may open: their own agency's, and none of a sealed person's unless
    the worker is named on the seal or has broken the glass."""
    if not sees_support_plans(user) or user.agency_id is None:
        return SupportPlan.objects.none()
    return SupportPlan.objects.filter(not_hidden(user, "person"), agency_id=user.agency_id)


def plans_for_worker(*, user: User, include_closed: bool = False) -> list[SupportPlan]:
    """The agency's plans, transitions coming up first, then newest."""
    require(user, Capability.KEEP_SUPPORT_PLANS)
    plans = plans_visible_to(user)
    if not include_closed:
        plans = plans.filter(status=PlanStatus.OPEN)
    return list(plans.select_related("person", "lead_worker").order_by("status", "-opened_at", "-pk"))


SUPPORT_SORTS = [Sort("survivor", ("person__family_name", "person__given_name")), Sort("opened", ("opened_at",))]


def support_plans_listing(*, user: User, query: Mapping[str, Any]) -> Listing[SupportPlan]:
    """The agency's support plans, a page at a time: open ones (or all), by stage, the worker's own,
    or a survivor by name or hub reference."""
    require(user, Capability.KEEP_SUPPORT_PLANS)
    filters = SupportPlanFilters(query or None)
    wanted = filters.values()
    plans = plans_visible_to(user)
    if wanted.get("show") != "all":
        plans = plans.filter(status=PlanStatus.OPEN)
    if wanted.get("stage"):
        plans = plans.filter(stage__in=wanted["stage"])
    if wanted.get("mine"):
        plans = plans.filter(lead_worker=user)
    if wanted.get("survivor"):
        plans = plans.filter(person_named("person", wanted["survivor"]))
    plans = plans.select_related("person", "lead_worker").order_by("status", "-opened_at", "-pk")
    return listing(plans, query=query, noun=("plan", "plans"), filters=filters, sorts=SUPPORT_SORTS)


def support_plan_for_user_or_404(user: User, plan_id: int) -> SupportPlan:
    """One plan, if this user may keep it; the viewing audited against the survivor. Else Http404."""
    return one_or_404(
        plans_visible_to(user).filter(pk=plan_id).select_related("person", "agency", "lead_worker", "closed_by"),
        user=user,
        allowed=sees_support_plans(user),
        event_type=AuditEventType.SUPPORT_PLAN_VIEWED,
        target_kind="support_plan",
        person_of=lambda plan: plan.person_id,
        reason=lambda plan: f"opened support plan {plan.reference}",
    )


@dataclass
class PlanDetail:
    plan: SupportPlan
    transitions: list
    services: list
    referrals: list
    contacts: list
    goals: list[SupportGoal]
    words: list
    sharing_wishes: list
    feedback: list
    lived_experience: list
    upcoming: UpcomingTransition | None
    contact_wish: ContactWish | None

    @property
    def contact_allowed(self) -> bool:
        return self.contact_wish is None or not self.contact_wish.no_contact


def plan_detail(*, plan: SupportPlan, on: dt.date | None = None) -> PlanDetail:
    """Everything a plan holds, newest first, for its page. ``plan`` comes from
    ``support_plan_for_user_or_404`` (which checked access and audited the view)."""
    return PlanDetail(
        plan=plan,
        transitions=list(plan.transitions.select_related("recorded_by").order_by("recorded_at")),
        services=list(plan.services.order_by("-offered_on", "-pk")),
        referrals=list(plan.referrals.order_by("-referred_on", "-pk")),
        contacts=list(plan.contacts.select_related("recorded_by").order_by("-happened_on", "-pk")),
        goals=list(
            plan.goals.prefetch_related(Prefetch("progress", queryset=GoalProgress.objects.order_by("recorded_on")))
            .order_by("-set_on", "-pk")
        ),
        words=list(plan.words.select_related("recorded_by").order_by("-said_on", "-pk")),
        sharing_wishes=list(plan.sharing_wishes.order_by("-recorded_on", "-pk")),
        feedback=list(plan.feedback.order_by("-given_on", "-pk")),
        lived_experience=list(plan.lived_experience.order_by("-written_on", "-pk")),
        upcoming=transition_next(plan, on=on or timezone.localdate()),
        contact_wish=latest_contact_wish(plan.person),
    )


@dataclass(frozen=True)
class SupportSummary:
    """What the single view says about support: for other casework staff, only that a plan exists and
    who holds it (so they know whom to ask) and whether the survivor wants no contact."""

    plans: list[SupportPlan]
    no_contact: bool
    can_open_plans: bool  # a support worker, who may open their own agency's plans
    can_start_plan: bool


def support_summary(*, user: User, person: Person) -> SupportSummary:
    """For the single view of ``person`` (opened through ``person_for_user_or_404``)."""
    plans = list(
        SupportPlan.objects.filter(identity.same_person("person", person), status=PlanStatus.OPEN)
        .select_related("agency", "lead_worker")
        .order_by("opened_at")
    )
    worker = has(user, Capability.KEEP_SUPPORT_PLANS)
    return SupportSummary(
        plans=plans,
        no_contact=not contact_allowed(person),
        can_open_plans=worker,
        can_start_plan=worker and not any(p.agency_id == user.agency_id for p in plans),
    )


# --- the survivor's voice, in aggregate ---------------------------------------------------------


@dataclass(frozen=True)
class LivedExperienceReading:
    """Summaries shared with consent, each with only its year and themes: nothing that leads back to
    a person or a plan."""

    summaries: list[tuple[int, list[str], str]]  # (year written, theme labels, summary)
    themes: list[tuple[str, int]]  # (theme label, how many summaries name it), most first
    total: int


def lived_experience_reading(*, user: User) -> LivedExperienceReading:
    require(user, Capability.READ_LIVED_EXPERIENCE)
    labels = dict(Theme.choices)
    rows = list(
        LivedExperience.objects.filter(consent_given=True)
        .order_by("-written_on", "-pk")
        .values_list("written_on", "themes", "summary")
    )
    counts: Counter[str] = Counter(code for _, themes, _ in rows for code in themes)
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.LIVED_EXPERIENCE_READ,
            actor=user,
            target_kind="lived_experience",
            detail={"summaries": len(rows)},
        )
    return LivedExperienceReading(
        summaries=[(written.year, [labels.get(c, c) for c in themes], text) for written, themes, text in rows],
        themes=sorted(((labels.get(c, c), n) for c, n in counts.items()), key=lambda pair: (-pair[1], pair[0])),
        total=len(rows),
    )


# --- for the data protection officer ------------------------------------------------------------


def plans_for_subject_access(person: Person) -> list[PlanDetail]:
    """Every plan held for the person under any id they have had, with all it holds, for their own
    subject access request (the caller, the data protection room, checks who asks)."""
    plans = SupportPlan.objects.filter(identity.same_person("person", person)).select_related(
        "person", "agency", "lead_worker", "closed_by"
    )
    return [plan_detail(plan=plan) for plan in plans.order_by("opened_at", "pk")]


def contact_wishes_for_subject_access(person: Person) -> list[ContactWish]:
    return list(ContactWish.objects.filter(identity.same_person("person", person)).order_by("recorded_at", "pk"))


def supported_now(person: Person | int) -> bool:
    """Whether the person has an open support plan: support lasts as long as they need it, and their
    records are kept while it does."""
    return SupportPlan.objects.filter(identity.same_person("person", person), status=PlanStatus.OPEN).exists()


def people_with_support_records() -> list[Person]:
    """Each person (as they are now) with a support plan or a contact wish, for the retention review."""
    roots = set(SupportPlan.objects.values_list("person__root_id", flat=True)) | set(
        ContactWish.objects.values_list("person__root_id", flat=True)
    )
    return list(Person.objects.filter(pk__in=roots))
