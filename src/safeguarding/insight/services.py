"""Recording the board's strategy targets: each setting or withdrawal a new row, audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from safeguarding.accounts.access import Capability, has
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError
from safeguarding.insight.models import Comparison, StrategyTarget
from safeguarding.insight.selectors import Quarter, is_share, target_measures, targets_in_force

REASON_LIMIT = 2_000
TARGET_LIMIT = 1_000_000  # no count the report shows comes near it; the column holds 2,147,483,647


def strategy_target_set(*, acting_user: User, measure: str, comparison: str, value: int | None,
                        from_quarter: Quarter, reason: str) -> StrategyTarget:
    """Set the board's target for a figure from a quarter on (``comparison`` empty withdraws it).
    Refused, with the field at fault, when it does not hold."""
    if not has(acting_user, Capability.SET_STRATEGY_TARGETS):
        raise ServiceError("Only the partnership manager records the board's targets")
    if measure not in dict(target_measures()):
        raise ServiceError("Choose a figure of the board's report", field="measure")
    if comparison and comparison not in Comparison.values:
        raise ServiceError("Choose at least, at most, or no target", field="comparison")
    if comparison:
        if value is None or value < 0:
            raise ServiceError("Enter the target as a whole number, 0 or more", field="value")
        if value > TARGET_LIMIT:
            raise ServiceError(f"Enter a target of {TARGET_LIMIT:,} or less", field="value")
        if is_share(measure) and value > 100:
            raise ServiceError("A share's target is a percentage: 100 or less", field="value")
    else:
        value = None
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Say when the board decided it (its meeting and minute) and why", field="reason")
    if len(reason) > REASON_LIMIT:
        raise ServiceError(f"Keep it to {REASON_LIMIT:,} characters or fewer", field="reason")
    with transaction.atomic():
        current = targets_in_force(from_quarter).get(measure)
        if current is None and value is None:
            raise ServiceError("That figure has no target in that quarter to withdraw", field="comparison")
        if current is not None and (current.comparison, current.value) == (comparison, value):
            raise ServiceError("That target is already in force in that quarter", field="value")
        row = StrategyTarget.objects.create(measure=measure, comparison=comparison, value=value,
                                            from_quarter=from_quarter.first_day, reason=reason,
                                            set_by=acting_user, set_at=timezone.now())
        audit_record(event_type=AuditEventType.STRATEGY_TARGET_SET, actor=acting_user,
                     target_kind="strategy_target", target_id=row.pk, reason=reason,
                     detail={"measure": measure, "comparison": comparison or "withdrawn", "value": value,
                             "from_quarter": from_quarter.code})
    return row
