"""Reads of the audit trail for the data protection officer: who saw a person's record, when, why."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from safeguarding.accounts.access import Capability, require
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.people import identity
from safeguarding.people.models import Person


def audit_events_for_person(*, user: User, person_id: int) -> QuerySet[AuditEvent]:
    """Every audited action touching one person, under any id they have had (a view logged against
    a person record linkage later merged into the child is the child's), newest first. Reading it is
    itself audited."""
    require(user, Capability.VIEW_AUDIT)
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.AUDIT_TRAIL_VIEWED,
            actor=user,
            target_kind="person",
            target_id=person_id,
            person_id=person_id,
        )
    return (
        AuditEvent.objects.filter(person_id__in=identity.ids_of(person_id))
        .select_related("actor")
        .order_by("-sequence")
    )


def recent_audit_events(*, user: User, limit: int = 100) -> QuerySet[AuditEvent]:
    require(user, Capability.VIEW_AUDIT)
    with transaction.atomic():
        audit_record(event_type=AuditEventType.AUDIT_TRAIL_VIEWED, actor=user, target_kind="trail")
    return AuditEvent.objects.select_related("actor").order_by("-sequence")[:limit]


def person_for_audit(*, reference: str) -> Person | None:
    """Find a person by hub reference (P0000123) or number, for the audit page."""
    digits = reference.strip().upper().lstrip("P")
    return Person.objects.filter(pk=int(digits)).first() if digits.isdigit() else None


def flagged_searches(*, user: User, limit: int = 50) -> QuerySet[AuditEvent]:
    """Runs of broad searches and refused searches, newest first, for the data protection officer
    to look into (who searched, when, with what)."""
    require(user, Capability.VIEW_AUDIT)
    return (
        AuditEvent.objects.filter(event_type__in=[AuditEventType.SEARCHES_FLAGGED, AuditEventType.SEARCH_REFUSED])
        .select_related("actor")
        .order_by("-sequence")[:limit]
    )
