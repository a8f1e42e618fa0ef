"""Reads for the front door: the triage queue, a referrer's concerns, and aggregate figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from safeguarding.accounts.access import (
    Capability,
    has,
    not_hidden,
    one_or_404,
    persons_hidden_from,
    require,
    sees_all_concerns,
    sees_own_concerns,
)
from safeguarding.accounts.models import Agency, User
from safeguarding.audit.models import AuditEventType
from safeguarding.core.calendar import local_date
from safeguarding.core.lists import Column, Listing, Sort, listing
from safeguarding.frontdoor.forms import DecidedFilters, MyConcernFilters, TriageFilters
from safeguarding.frontdoor.models import Concern, ConcernStatus, DecisionOutcome
from safeguarding.people import identity
from safeguarding.people.models import Person
from safeguarding.people.selectors import person_named


def concerns_visible_to(user: User) -> Q:
    """A filter on ``Concern``: casework roles see all; a referrer only their own."""
    if sees_all_concerns(user):
        return not_hidden(user, "child")
    if sees_own_concerns(user):
        return Q(raised_by=user) & not_hidden(user, "child")
    return Q(pk__in=[])


def concern_for_user_or_404(user: User, concern_id: int) -> Concern:
    """The concern, if this user may see it; the view is audited. Else Http404."""
    return one_or_404(
        Concern.objects.filter(concerns_visible_to(user), pk=concern_id).select_related("child", "raised_by", "agency"),
        user=user,
        event_type=AuditEventType.CONCERN_VIEWED,
        target_kind="concern",
        person_of=lambda concern: concern.child_id,
    )


def concern_moments() -> Iterable[tuple[int, dt.datetime]]:
    """(child as they are now, when raised) for every concern raised in the hub: early warning's
    back-tests count a child as referred from the first."""
    return Concern.objects.values_list("child__root_id", "raised_at").iterator(chunk_size=10_000)


def concerns_for_person(*, user: User, person: Person) -> list[Concern]:
    """Every concern raised about the child under any id they have had, newest first, with its
    decision. The caller has opened the person through ``person_for_user_or_404``."""
    return list(
        Concern.objects.filter(concerns_visible_to(user), identity.same_person("child", person))
        .select_related("agency", "raised_by", "decision")
        .order_by("-raised_at", "-pk")
    )


def triage_queue(*, user: User) -> QuerySet[Concern]:
    """Concerns awaiting a decision: urgent first, then the earliest deadline."""
    require(user, Capability.TRIAGE)
    return (
        Concern.objects.filter(concerns_visible_to(user), status=ConcernStatus.AWAITING_DECISION)
        .select_related("child", "agency", "raised_by")
        .order_by("-urgent", "decision_due_at", "raised_at")
    )


def recently_decided(*, user: User, limit: int = 20) -> QuerySet[Concern]:
    require(user, Capability.TRIAGE)
    return (
        Concern.objects.filter(concerns_visible_to(user), status=ConcernStatus.DECIDED)
        .select_related("child", "agency", "decision", "decision__decided_by")
        .order_by("-decision__decided_at")[:limit]
    )


TRIAGE_SORTS = [
    Sort("child", ("child__family_name", "child__given_name")),
    Sort("agency", ("agency__name",)),
    Sort("raised", ("raised_at",)),
    Sort("due", ("decision_due_at",)),
]


def triage_listing(*, user: User, query: Mapping[str, Any]) -> Listing[Concern]:
    """One page of the triage queue (urgent first, then the earliest deadline), filtered by urgency,
    an overdue decision, the agency that raised it and the child."""
    filters = TriageFilters(query or None, agencies=list(Agency.objects.order_by("name").values_list("pk", "name")))
    wanted = filters.values()
    concerns = triage_queue(user=user)
    if "urgent" in wanted.get("priority", []):
        concerns = concerns.filter(urgent=True)
    if "overdue" in wanted.get("priority", []):
        concerns = concerns.filter(decision_due_at__lt=timezone.now())
    if wanted.get("agency"):
        concerns = concerns.filter(agency_id=wanted["agency"])
    if wanted.get("child"):
        concerns = concerns.filter(person_named("child", wanted["child"]))
    return listing(concerns, query=query, noun=("concern awaiting a decision", "concerns awaiting a decision"),
                   filters=filters, sorts=TRIAGE_SORTS, downloadable=True)


DECIDED_SORTS = [Sort("decided", ("decision__decided_at",)), Sort("child", ("child__family_name", "child__given_name"))]


def decided_listing(*, user: User, query: Mapping[str, Any]) -> Listing[Concern]:
    """The front door's decisions, latest first, a page at a time (``decided-page``)."""
    require(user, Capability.TRIAGE)
    filters = DecidedFilters(query or None, prefix="decided")
    wanted = filters.values()
    concerns = (
        Concern.objects.filter(concerns_visible_to(user), status=ConcernStatus.DECIDED)
        .select_related("child", "agency", "decision", "decision__decided_by")
        .order_by("-decision__decided_at", "-pk")
    )
    if wanted.get("outcome"):
        concerns = concerns.filter(decision__outcome__in=wanted["outcome"])
    if wanted.get("late"):
        concerns = concerns.filter(decision__within_timescale=wanted["late"] == "in_time")
    return listing(concerns, query=query, noun=("decision", "decisions"), filters=filters, sorts=DECIDED_SORTS,
                   prefix="decided")


TRIAGE_COLUMNS: list[Column[Concern]] = [
    Column("Concern", lambda c: c.reference),
    Column("Urgent", lambda c: c.urgent),
    Column("Child's hub reference", lambda c: c.child.reference),
    Column("Child", lambda c: c.child.full_name),
    Column("Date of birth", lambda c: c.child.date_of_birth),
    Column("Raised by", lambda c: c.agency.name),
    Column("Raised", lambda c: c.raised_at),
    Column("Decision due", lambda c: c.decision_due_at),
    Column("Overdue", lambda c: c.is_overdue),
]


def concerns_raised_by(*, user: User) -> QuerySet[Concern]:
    """What this user raised, with what was decided (the referrer's own list)."""
    return Concern.objects.filter(not_hidden(user, "child"), raised_by=user).select_related("child", "agency", "decision").order_by("-raised_at")


def my_concerns_listing(*, user: User, query: Mapping[str, Any]) -> Listing[Concern]:
    filters = MyConcernFilters(query or None)
    wanted = filters.values()
    concerns = concerns_raised_by(user=user)
    if wanted.get("status"):
        concerns = concerns.filter(status=wanted["status"])
    return listing(concerns, query=query, noun=("concern", "concerns"), filters=filters,
                   sorts=[Sort("raised", ("raised_at",))])


@dataclass(frozen=True)
class FrontDoorFigures:
    awaiting: int
    overdue: int
    decided: int
    decided_within_timescale: int
    by_outcome: list[tuple[str, int]]
    by_agency: list[tuple[str, int, int]]  # agency, concerns raised, decided within timescale
    # month, concerns raised, of them urgent, decided within timescale (a trend for the board)
    by_month: list[tuple[dt.date, int, int, int]] = field(default_factory=list)

    @property
    def percent_within_timescale(self) -> int | None:
        return round(100 * self.decided_within_timescale / self.decided) if self.decided else None


def front_door_figures(*, user: User) -> FrontDoorFigures:
    """Counts only: no child is identified, so the scrutineer and board can see them."""
    require(user, Capability.VIEW_AGGREGATES)
    now = timezone.now()
    totals = Concern.objects.aggregate(
        awaiting=Count("pk", filter=Q(status=ConcernStatus.AWAITING_DECISION)),
        overdue=Count("pk", filter=Q(status=ConcernStatus.AWAITING_DECISION, decision_due_at__lt=now)),
        decided=Count("pk", filter=Q(status=ConcernStatus.DECIDED)),
        within=Count("pk", filter=Q(decision__within_timescale=True)),
    )
    labels = dict(DecisionOutcome.choices)
    outcome_rows = Concern.objects.filter(decision__isnull=False).values("decision__outcome").annotate(n=Count("pk"))
    by_outcome = sorted(((labels[r["decision__outcome"]], r["n"]) for r in outcome_rows), key=lambda r: -r[1])
    agency_rows = (
        Concern.objects.values("agency__name")
        .annotate(n=Count("pk"), within=Count("pk", filter=Q(decision__within_timescale=True)))
        .order_by("agency__name")
    )
    months: dict[dt.date, list[int]] = {}
    for raised_at, urgent, within in Concern.objects.values_list("raised_at", "urgent", "decision__within_timescale"
                                                                 ).iterator(chunk_size=10_000):
        row = months.setdefault(local_date(raised_at).replace(day=1), [0, 0, 0])
        row[0] += 1
        row[1] += bool(urgent)
        row[2] += within is True
    return FrontDoorFigures(
        awaiting=totals["awaiting"],
        overdue=totals["overdue"],
        decided=totals["decided"],
        decided_within_timescale=totals["within"],
        by_outcome=by_outcome,
        by_agency=[(r["agency__name"], r["n"], r["within"]) for r in agency_rows],
        by_month=[(month, *counts) for month, counts in sorted(months.items())],  # type: ignore[misc]
    )


# --- choosing the child for a concern --------------------------------------------------------

_RAISE_SALT = "safeguarding.frontdoor.raise-concern"
RAISE_TOKEN_MAX_AGE = 60 * 60


def latest_concern_id(*, user: User) -> int:
    """The id of the last concern this user raised (0 for none): a raise token names it, so the
    token stops working once it has been used to raise one."""
    return Concern.objects.filter(raised_by=user).order_by("-pk").values_list("pk", flat=True).first() or 0


def raise_token(*, user: User, person: Person) -> str:
    """A short-lived, single-use token naming a child this user found (or may open), so the concern
    form's address cannot be used to look through the hub's people by number, nor kept and used again."""
    return signing.dumps({"p": person.pk, "u": user.pk, "c": latest_concern_id(user=user)}, salt=_RAISE_SALT)


def _raise_token_data(*, user: User, token: str) -> dict[str, int] | None:
    """The token's contents when it is this user's, still fresh and not yet used; else None."""
    try:
        data = signing.loads(token, salt=_RAISE_SALT, max_age=RAISE_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("u") != user.pk or not has(user, Capability.RAISE_CONCERN):
        return None
    if data.get("c") != latest_concern_id(user=user):  # already used to raise a concern
        return None
    return dict(data)


def child_for_raise_or_none(*, user: User, token: str) -> Person | None:
    """The child a raise-a-concern token names, unless it has expired, been used, or the child has been
    sealed from the user since it was issued."""
    data = _raise_token_data(user=user, token=token)
    if data is None or data["p"] in persons_hidden_from(user):
        return None
    return Person.objects.filter(pk=data["p"]).first()


def raise_token_used_after(*, user: User, token: str) -> int | None:
    """The concern id the token was issued after, for ``concern_raise(raised_after=...)`` to check
    again inside its transaction (two submissions of one form at once)."""
    data = _raise_token_data(user=user, token=token)
    return None if data is None else int(data["c"])


def concerns_for_subject_access(*, user: User, person: Person) -> list[Concern]:
    """Every concern about the person under any id they have had, with its decision, for their own
    subject access request (the data protection officer only)."""
    if not has(user, Capability.SUBJECT_ACCESS):
        return []
    return list(
        Concern.objects.filter(identity.same_person("child", person))
        .select_related("agency", "raised_by", "decision__decided_by")
        .order_by("raised_at", "pk")
    )
