"""Reads of the justice room. Investigations, operations, disruption and outcomes are for those
who record them (police intelligence officers and MACE coordinators: an investigation named to
anyone else risks tipping off); the counts, with no one named, are for the partnership's reports."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404

from safeguarding.accounts.access import Capability, has, one_or_404, persons_shown
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.justice.models import (
    Disruption,
    DisruptionOutcome,
    JusticeOutcome,
    Operation,
    OperationSubject,
    OutcomeKind,
)
from safeguarding.people import identity
from safeguarding.people.models import Person


def _sees(user: User) -> bool:
    return has(user, Capability.RECORD_DISRUPTION)


def operations_list(*, user: User) -> QuerySet[Operation]:
    if not _sees(user):
        return Operation.objects.none()
    return Operation.objects.annotate(
        subjects_count=Count("subjects", distinct=True),
        arrests=Count("outcomes", filter=Q(outcomes__kind=OutcomeKind.ARREST), distinct=True),
        charges=Count("outcomes", filter=Q(outcomes__kind=OutcomeKind.CHARGE), distinct=True),
        convictions=Count("outcomes", filter=Q(outcomes__kind=OutcomeKind.CONVICTION), distinct=True),
        disruptions_count=Count("disruptions", distinct=True),
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


def operation_page(*, user: User, operation: Operation) -> OperationPage:
    subjects = list(operation.subjects.select_related("person__root", "added_by").order_by("role", "added_at"))
    disruptions = list(operation.disruptions.select_related("adult__root", "child__root").prefetch_related("outcomes"))
    outcomes = list(operation.outcomes.select_related("person__root"))
    counts = Counter(o.kind for o in outcomes)
    persons_shown(user=user, page=f"operation {operation.pk}",
                  person_ids=[s.person.root_id for s in subjects] + [o.person.root_id for o in outcomes])
    return OperationPage(operation, subjects, disruptions, outcomes,
                         {k.label: counts.get(k.value, 0) for k in OutcomeKind})


def disruptions_list(*, user: User) -> QuerySet[Disruption]:
    if not _sees(user):
        return Disruption.objects.none()
    return Disruption.objects.select_related("adult__root", "child__root", "operation").prefetch_related("outcomes")


def disruption_for_user_or_404(user: User, disruption_id: int) -> Disruption:
    return one_or_404(
        Disruption.objects.filter(pk=disruption_id).select_related("adult", "child", "operation"), user=user,
        allowed=_sees(user), event_type=AuditEventType.OPERATION_VIEWED, target_kind="disruption",
        person_of=lambda d: d.child_id or d.adult_id,
    )


def for_person(*, user: User, person: Person) -> tuple[list[Disruption], list[JusticeOutcome]]:
    """A person's disruptions (as the adult or the child) and outcomes, read through their identity."""
    if not _sees(user):
        return [], []
    disruptions = list(
        Disruption.objects.filter(identity.same_person("adult", person) | identity.same_person("child", person))
    )
    outcomes = list(JusticeOutcome.objects.filter(identity.same_person("person", person)))
    return disruptions, outcomes


@dataclass
class OutcomeFigures:
    """Counts for the partnership's reports, with no one named."""

    by_kind: dict[str, int]
    disruptions_by_kind: dict[str, int]
    disruption_outcomes: dict[str, int]
    by_month: list[tuple[dt.date, dict[str, int]]]


def outcome_figures(*, user: User) -> OutcomeFigures:
    if not (_sees(user) or has(user, Capability.VIEW_AGGREGATES)):
        raise Http404
    by_kind = dict(JusticeOutcome.objects.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    disruptions = dict(Disruption.objects.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    d_outcomes = dict(DisruptionOutcome.objects.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    monthly: dict[dt.date, dict[str, int]] = {}
    for month, kind, n in (
        JusticeOutcome.objects.annotate(month=TruncMonth("on")).values_list("month", "kind").annotate(n=Count("pk"))
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
