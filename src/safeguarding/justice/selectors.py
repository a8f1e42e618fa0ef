"""Reads of the justice room. Investigations, operations, disruption and outcomes are for those
who record them (police intelligence officers and MACE coordinators: an investigation named to
anyone else risks tipping off); the counts, with no one named, are for the partnership's reports."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, not_hidden, one_or_404, persons_shown
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.core.calendar import keep_latest
from safeguarding.justice.models import (
    Disruption,
    DisruptionOutcome,
    JusticeOutcome,
    Operation,
    OperationStatus,
    OperationSubject,
    OutcomeKind,
    SubjectRole,
)
from safeguarding.people import identity
from safeguarding.people.models import Person, PersonRole


def _sees(user: User) -> bool:
    return has(user, Capability.RECORD_DISRUPTION)


def _per_operation(rows: QuerySet[Any]) -> Coalesce:
    """How many of these rows (each naming its operation) belong to the operation of the outer row."""
    counted = rows.filter(operation=OuterRef("pk")).order_by().values("operation").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def operations_list(*, user: User) -> QuerySet[Operation]:
    """Every operation, with its counts of what the user may see on its page: subjects, outcomes and
    disruptions naming someone sealed from the user are not counted (a count one higher than the page's
    would say a sealed person is there)."""
    if not _sees(user):
        return Operation.objects.none()
    outcomes = JusticeOutcome.objects.filter(not_hidden(user))
    return Operation.objects.annotate(
        subjects_count=_per_operation(OperationSubject.objects.filter(not_hidden(user))),
        arrests=_per_operation(outcomes.filter(kind=OutcomeKind.ARREST)),
        charges=_per_operation(outcomes.filter(kind=OutcomeKind.CHARGE)),
        convictions=_per_operation(outcomes.filter(kind=OutcomeKind.CONVICTION)),
        disruptions_count=_per_operation(Disruption.objects.filter(_disruptions_seen_by(user))),
    ).order_by("-opened_on", "name")


def operation_for_user_or_404(user: User, operation_id: int) -> Operation:
    return one_or_404(
        Operation.objects.filter(pk=operation_id), user=user, allowed=_sees(user),
        event_type=AuditEventType.OPERATION_VIEWED, target_kind="operation", person_of=lambda _o: None,
    )


@dataclass
class OperationPage:
    operation: Operation
    subjects: list[OperationSubject]
    disruptions: list[Disruption]
    outcomes: list[JusticeOutcome]
    counts: dict[str, int]
    # Child victims who are adults today (a non-recent investigation's survivors): the page says so.
    victims_adult_now: set[int]


def _disruptions_seen_by(user: User) -> Q:
    """Disruptions naming no one sealed from the user, as the adult or as the child."""
    return not_hidden(user, "adult") & not_hidden(user, "child")


def operation_page(*, user: User, operation: Operation) -> OperationPage:
    """An operation's people, disruptions and outcomes, leaving out whatever names someone sealed from
    the user (the counts are of what is shown); the viewing names everyone shown."""
    subjects = list(
        operation.subjects.filter(not_hidden(user)).select_related("person__root", "added_by").order_by("role", "added_at")
    )
    disruptions = list(
        operation.disruptions.filter(_disruptions_seen_by(user)).select_related("adult__root", "child__root")
        .prefetch_related("outcomes")
    )
    outcomes = list(operation.outcomes.filter(not_hidden(user)).select_related("person__root"))
    counts = Counter(o.kind for o in outcomes)
    persons_shown(user=user, page=f"operation {operation.pk}",
                  person_ids=[s.person.root_id for s in subjects] + [o.person.root_id for o in outcomes]
                  + _disruption_persons(disruptions))
    return OperationPage(operation, subjects, disruptions, outcomes,
                         {k.label: counts.get(k.value, 0) for k in OutcomeKind},
                         {s.pk for s in subjects if s.role == SubjectRole.CHILD_VICTIM
                          and s.person.root.child_or_adult() == PersonRole.ADULT})


def _disruption_persons(disruptions: list[Disruption]) -> list[int]:
    return [d.adult.root_id for d in disruptions] + [d.child.root_id for d in disruptions if d.child is not None]


def disruptions_list(*, user: User) -> QuerySet[Disruption]:
    """Every disruption naming no one sealed from the user, latest first."""
    if not _sees(user):
        return Disruption.objects.none()
    return (
        Disruption.objects.filter(_disruptions_seen_by(user))
        .select_related("adult__root", "child__root", "operation").prefetch_related("outcomes")
        .order_by("-served_on", "-pk")
    )


def disruptions_shown(*, user: User, disruptions: list[Disruption]) -> None:
    """The audit row for a page listing disruptions: everyone they name."""
    persons_shown(user=user, page="disruption and outcomes", person_ids=_disruption_persons(disruptions))


def disruption_for_user_or_404(user: User, disruption_id: int) -> Disruption:
    return one_or_404(
        Disruption.objects.filter(_disruptions_seen_by(user), pk=disruption_id).select_related("adult", "child", "operation"),
        user=user, allowed=_sees(user), event_type=AuditEventType.OPERATION_VIEWED, target_kind="disruption",
        person_of=lambda d: d.child_id or d.adult_id,
        shown=lambda d: (d.adult_id, d.child_id),
    )


def for_person(*, user: User, person: Person) -> tuple[list[Disruption], list[JusticeOutcome]]:
    """A person's disruptions (as the adult or the child) and outcomes, read through their identity,
    leaving out disruptions that name someone sealed from the user beside them."""
    if not _sees(user):
        return [], []
    disruptions = list(
        Disruption.objects.filter(identity.same_person("adult", person) | identity.same_person("child", person))
        .filter(_disruptions_seen_by(user))
    )
    outcomes = list(JusticeOutcome.objects.filter(identity.same_person("person", person), not_hidden(user)))
    return disruptions, outcomes


@dataclass
class OutcomeFigures:
    """Counts for the partnership's reports, with no one named."""

    by_kind: dict[str, int]
    disruptions_by_kind: dict[str, int]
    disruption_outcomes: dict[str, int]
    by_month: list[tuple[dt.date, dict[str, int]]]


def outcome_figures(*, user: User) -> OutcomeFigures:
    """The counts, of what the user's pages would show: an outcome or notice naming someone sealed from
    them is not counted (beside a list that leaves it out, a count one higher says it is there)."""
    if not (_sees(user) or has(user, Capability.VIEW_AGGREGATES)):
        raise Http404
    outcomes = JusticeOutcome.objects.filter(not_hidden(user))
    seen = Disruption.objects.filter(_disruptions_seen_by(user))
    by_kind = dict(outcomes.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    disruptions = dict(seen.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    d_outcomes = dict(DisruptionOutcome.objects.filter(disruption__in=seen.values("pk")).values_list("kind")
                      .annotate(n=Count("pk")).values_list("kind", "n"))
    monthly: dict[dt.date, dict[str, int]] = {}
    for month, kind, n in (
        outcomes.annotate(month=TruncMonth("on")).values_list("month", "kind").annotate(n=Count("pk"))
        .values_list("month", "kind", "n").order_by("month")
    ):
        monthly.setdefault(month, {k.label: 0 for k in OutcomeKind})[OutcomeKind(kind).label] = n
    from safeguarding.justice.models import DisruptionKind, DisruptionOutcomeKind

    return OutcomeFigures(
        by_kind={k.label: by_kind.get(k.value, 0) for k in OutcomeKind},
        disruptions_by_kind={k.label: disruptions.get(k.value, 0) for k in DisruptionKind},
        disruption_outcomes={k.label: d_outcomes.get(k.value, 0) for k in DisruptionOutcomeKind},
        by_month=sorted(monthly.items()),
    )


def last_records_about(person_ids: Collection[int]) -> dict[int, dt.datetime]:
    """For retention (``dataprotection.sources``): the latest disruption (and its breaches or other
    outcomes), justice outcome or operation naming each of these people (as they are now), by when it
    was recorded, served, or runs until: a notice in force, or an operation still open, keeps the
    records."""
    ids = list(person_ids)
    latest: dict[int, dt.datetime] = {}

    for row in (Disruption.objects.filter(adult__root_id__in=ids).values("adult__root_id")
                .annotate(a=Max("recorded_at"), b=Max("served_on"), c=Max("expires_on"))):
        keep_latest(latest, row["adult__root_id"], row["a"], row["b"], row["c"])
    for row in (JusticeOutcome.objects.filter(person__root_id__in=ids).values("person__root_id")
                .annotate(a=Max("recorded_at"), b=Max("on"))):
        keep_latest(latest, row["person__root_id"], row["a"], row["b"])
    for row in (DisruptionOutcome.objects.filter(disruption__adult__root_id__in=ids).values("disruption__adult__root_id")
                .annotate(a=Max("recorded_at"), b=Max("on"))):
        keep_latest(latest, row["disruption__adult__root_id"], row["a"], row["b"])  # a breach of a notice, a licence revoked
    now = timezone.now()
    for row in (OperationSubject.objects.filter(person__root_id__in=ids).values("person__root_id")
                .annotate(a=Max("added_at"), running=Count("pk", filter=Q(operation__status=OperationStatus.OPEN)))):
        # An operation still running keeps its subjects' records: their last record is today's.
        keep_latest(latest, row["person__root_id"], row["a"], now if row["running"] else None)
    return latest


def police_suspects_here() -> QuerySet[Any]:
    """For the audit trail and subject access (``dataprotection.sources.register_suspect_source``): the
    people the police's justice work names (an operation's subjects, an adult disrupted, a justice
    outcome), as person ids."""
    return Person.objects.filter(Q(pk__in=OperationSubject.objects.values("person"))
                                 | Q(pk__in=Disruption.objects.values("adult"))
                                 | Q(pk__in=JusticeOutcome.objects.values("person"))).values("pk")
