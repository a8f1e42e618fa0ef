"""Reads for the panel: its referrals, and which children are under an active plan."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from safeguarding.accounts.access import sees_panel
from safeguarding.accounts.models import User
from safeguarding.earlywarning.models import Alert
from safeguarding.frontdoor.models import Concern
from safeguarding.panel.models import PanelReferral, ReferralStatus
from safeguarding.people.selectors import current_person_ids


def children_under_active_plan() -> set[int]:
    """Ids of the children with an open panel referral: until the hub holds plans, an open
    referral is the child's plan (docs/decisions.md). For the early-warning scan, which does not
    re-alert such a child for the same rule. A referred child later merged into another person
    by record linkage counts under the id they now have."""
    ids = set(PanelReferral.objects.filter(status=ReferralStatus.OPEN).values_list("child_id", flat=True))
    return ids | set(current_person_ids(ids).values())


def panel_list(*, user: User, include_closed: bool = False) -> QuerySet[PanelReferral]:
    """The panel's referrals, newest first: open ones, or closed ones too."""
    if not sees_panel(user):
        raise PermissionDenied
    referrals = PanelReferral.objects.all()
    if not include_closed:
        referrals = referrals.filter(status=ReferralStatus.OPEN)
    return referrals.select_related(
        "child", "referred_by", "closed_by", "source_alert__rule", "source_concern"
    ).order_by("-referred_at", "-pk")


def referral_sources(*, referral: PanelReferral) -> tuple[list[Alert], list[Concern]]:
    """The alerts and concerns that led to a referral, oldest first."""
    alerts = list(referral.linked_alerts.select_related("rule").order_by("raised_at", "pk"))
    concerns = list(referral.linked_concerns.select_related("agency").order_by("raised_at", "pk"))
    return alerts, concerns
