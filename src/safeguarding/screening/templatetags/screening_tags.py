"""The screening part of the child's single view: level in force and every screening."""

from __future__ import annotations

from typing import Any

from django import template

from safeguarding.accounts.access import Capability, has
from safeguarding.accounts.models import User
from safeguarding.people.models import Person, PersonRole
from safeguarding.screening import selectors
from safeguarding.screening.models import RiskLevelChange

register = template.Library()


def _level_name(current: RiskLevelChange | None) -> str:
    """The current tool's name for the level (the partnership may have renamed it since)."""
    if current is None:
        return ""
    level = selectors.tool_current().tool.level(current.level_code)
    return level.name if level else current.level_name


@register.inclusion_tag("screening/_single_view.html", takes_context=True)
def screening_summary(context: dict[str, Any], person: Person) -> dict[str, Any]:
    """``person`` is the one the single view opened through the gateway."""
    user = context["request"].user
    if not isinstance(user, User) or not has(user, Capability.VIEW_PERSON):
        return {"show": False}
    current = selectors.level_in_force(person)
    screenings = selectors.screenings_for_child(user=user, person=person)
    return {
        "show": True,
        "person": person,
        "current": current,
        "current_name": _level_name(current),
        "screenings": screenings,
        "awaiting": [s for s in screenings if s.status == "awaiting_approval"],
        "can_screen": has(user, Capability.SCREEN) and person.role != PersonRole.ADULT,
        "own_draft": next((s for s in screenings if s.status == "draft"), None),
    }
