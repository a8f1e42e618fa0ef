"""Reading alerts and rules: always through the access gateway."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from safeguarding.accounts.access import Capability, alerts_visible_to, events_visible_to, has
from safeguarding.accounts.models import User
from safeguarding.earlywarning.models import OPEN_STATUSES, Alert, AlertLevel, AlertStatus
from safeguarding.people.models import Event, Person
from safeguarding.people.selectors import identity_ids

_LEVEL_ORDER = Case(
    When(level=AlertLevel.HIGH, then=Value(3)),
    When(level=AlertLevel.MEDIUM, then=Value(2)),
    default=Value(1),
    output_field=IntegerField(),
)


def alert_queue(*, user: User, include_closed: bool = False) -> QuerySet[Alert]:
    """Alerts waiting for someone to act: newest first, and within a day the highest level first.
    Only for those who work the queue (MACE coordinators and triage workers)."""
    if not has(user, Capability.WORK_ALERTS):
        return Alert.objects.none()
    alerts = Alert.objects.filter(alerts_visible_to(user))
    if not include_closed:
        # Closed alerts come back when a scan adds new evidence to them.
        alerts = alerts.filter(Q(status__in=OPEN_STATUSES) | Q(new_evidence_since_action=True))
    return (
        alerts.select_related("rule", "person")
        .annotate(level_order=_LEVEL_ORDER)
        .order_by("-raised_at__date", "-level_order", "-raised_at", "-pk")
    )


def alerts_for_person(*, user: User, person: Person) -> QuerySet[Alert]:
    """A child's alerts for their single view, open ones first, with those raised on any person
    record linkage has since merged into them (the next scan moves those to the child's own id).
    The caller has already opened the person through the gateway."""
    return (
        Alert.objects.filter(alerts_visible_to(user), person_id__in=identity_ids(person))
        .select_related("rule")
        .annotate(
            open_first=Case(
                When(status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED], then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", "-raised_at")
    )


def alert_evidence(*, user: User, alert: Alert) -> QuerySet[Event]:
    """The events behind an alert that this user may see, oldest first, with their agencies."""
    return (
        Event.objects.filter(events_visible_to(user), pk__in=alert.evidence.values("event_id"))
        .select_related("source_system__agency")
        .order_by("occurred_at", "pk")
    )


def hidden_evidence_count(*, user: User, alert: Alert) -> int:
    """How many of the alert's events this user may not see (police-only intelligence): the page
    says so, so nobody mistakes a partial picture for the whole."""
    return alert.evidence.count() - alert_evidence(user=user, alert=alert).count()
