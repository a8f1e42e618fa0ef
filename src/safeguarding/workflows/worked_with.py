"""Which children the partnership is working with, answered from the rooms that know (early warning, the
front door, the panel) for the rooms below them that ask: record linkage puts the pairs of records that
touch these children first in its review queue (``linkage.sources``). Each answers roots: a child merged
by record linkage counts as the person they are now."""

from __future__ import annotations

from collections.abc import Iterable

from safeguarding.earlywarning.models import Alert, AlertStatus
from safeguarding.frontdoor.selectors import concern_moments
from safeguarding.mace.selectors import children_with_open_plan
from safeguarding.panel.selectors import children_under_active_plan, referral_moments
from safeguarding.people.models import Person


def children_alerted() -> Iterable[int]:
    """Children with an alert that has not been dismissed."""
    return Alert.objects.exclude(status=AlertStatus.DISMISSED).values_list("person__root_id", flat=True).distinct()


def children_with_concerns() -> Iterable[int]:
    """Children a concern has been raised about at the front door."""
    return {child for child, _ in concern_moments()}


def children_under_plan() -> Iterable[int]:
    """Children under a plan: an open multi-agency plan, or an open panel referral, as they are now."""
    ids = children_under_active_plan() | children_with_open_plan()
    return set(Person.objects.filter(pk__in=ids).values_list("root_id", flat=True)) if ids else set()


def children_referred() -> Iterable[int]:
    """Children ever referred to the exploitation panel."""
    return {child for child, _ in referral_moments()}
