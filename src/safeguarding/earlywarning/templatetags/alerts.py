"""The child's alerts in their single view, and the tags that show an alert's level and status."""

from __future__ import annotations

from typing import Any

from django import template

from safeguarding.accounts.access import Capability, has
from safeguarding.earlywarning.models import AlertLevel, AlertStatus
from safeguarding.earlywarning.selectors import alerts_for_person
from safeguarding.people.models import Person

register = template.Library()

_LEVEL_TAG = {AlertLevel.HIGH: "govuk-tag--red", AlertLevel.MEDIUM: "govuk-tag--orange", AlertLevel.LOW: "govuk-tag--blue"}
_STATUS_TAG = {
    AlertStatus.OPEN: "govuk-tag--light-blue",
    AlertStatus.ACKNOWLEDGED: "govuk-tag--yellow",
    AlertStatus.CONCERN_RAISED: "govuk-tag--green",
    AlertStatus.REFERRED: "govuk-tag--green",
    AlertStatus.DISMISSED: "govuk-tag--grey",
}


@register.filter
def alert_level_tag(level: str) -> str:
    """The GOV.UK tag colour for an alert's level."""
    return _LEVEL_TAG.get(AlertLevel(level), "govuk-tag--grey") if level in AlertLevel.values else "govuk-tag--grey"


@register.filter
def alert_status_tag(status: str) -> str:
    return _STATUS_TAG.get(AlertStatus(status), "govuk-tag--grey") if status in AlertStatus.values else "govuk-tag--grey"


@register.inclusion_tag("earlywarning/_person_alerts.html", takes_context=True)
def person_alerts(context: template.Context, person: Person) -> dict[str, Any]:
    """The child's early-warning alerts, open ones first, for whoever may see them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"alerts": [], "person": person}
    return {
        "alerts": list(alerts_for_person(user=user, person=person)),
        "person": person,
        "can_work_alerts": has(user, Capability.WORK_ALERTS),
    }
