"""The filters that show an alert's level and status as GOV.UK tags."""

from __future__ import annotations

from django import template

from safeguarding.earlywarning.models import AlertLevel, AlertStatus
from safeguarding.people.models import EventType

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


_EVENT_LABELS = dict(EventType.choices)


@register.filter
def event_label(event_type: str) -> str:
    """An event type in words, as agencies' events are shown everywhere."""
    return str(_EVENT_LABELS.get(event_type, event_type))
