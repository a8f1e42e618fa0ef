"""Reads for the panel: its referrals, and which children are under an active plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from safeguarding.accounts.access import Capability, has, not_hidden, one_or_404, sees_panel
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.core.lists import Column, Listing, Sort, listing, period
from safeguarding.earlywarning.models import Alert
from safeguarding.earlywarning.selectors import raised_shown
from safeguarding.frontdoor.models import Concern
from safeguarding.panel.forms import ReferralFilters
from safeguarding.panel.models import PanelReferral, ReferralStatus
from safeguarding.people import identity
from safeguarding.people.models import Person
from safeguarding.people.selectors import person_named


def children_under_active_plan() -> set[int]:
    """Ids of the children with an open panel referral: the partnership has taken them on, as it has
    the children with an open plan (``mace.selectors.children_with_open_plan``; docs/decisions.md).
    For the early-warning scan, which does not re-alert such a child for the same rule. A referred
    child later merged into another person by record linkage counts under the id they now have (their
    root), and under the id referred."""
    rows = PanelReferral.objects.filter(status=ReferralStatus.OPEN).values_list("child_id", "child__root_id")
    return {pk for pair in rows for pk in pair if pk is not None}


def referral_moments() -> Iterable[tuple[int, dt.datetime]]:
    """(child as they are now, when referred) for every referral: early warning's back-tests."""
    return PanelReferral.objects.values_list("child__root_id", "referred_at").iterator(chunk_size=10_000)


def panel_referral_for_user_or_404(user: User, referral_id: int) -> PanelReferral:
    """The referral, if this user may see the panel's referrals; logs the view. Else Http404."""
    return one_or_404(
        PanelReferral.objects.filter(pk=referral_id).select_related(
            "child", "referred_by", "closed_by", "source_alert__rule", "source_concern"
        ),
        user=user,
        allowed=sees_panel(user),
        event_type=AuditEventType.PANEL_REFERRAL_VIEWED,
        target_kind="panel_referral",
        person_of=lambda referral: referral.child_id,
        reason=lambda referral: f"opened panel referral {referral.reference}",
    )


def open_referral_for_person(person: Person) -> PanelReferral | None:
    """The child's open referral under any id they have had (at most one is open)."""
    return (
        PanelReferral.objects.filter(identity.same_person("child", person), status=ReferralStatus.OPEN)
        .select_related("referred_by")
        .order_by("referred_at", "pk")
        .first()
    )


def panel_list(*, user: User, include_closed: bool = False) -> QuerySet[PanelReferral]:
    """The panel's referrals, newest first: open ones, or closed ones too."""
    if not sees_panel(user):
        raise PermissionDenied
    referrals = PanelReferral.objects.filter(not_hidden(user, "child"))
    if not include_closed:
        referrals = referrals.filter(status=ReferralStatus.OPEN)
    return referrals.select_related(
        "child", "referred_by", "closed_by", "source_alert__rule", "source_concern"
    ).order_by("-referred_at", "-pk")


REFERRAL_SORTS = [Sort("child", ("child__family_name", "child__given_name")), Sort("referred", ("referred_at",))]


def referrals_listing(*, user: User, query: Mapping[str, Any]) -> Listing[PanelReferral]:
    """One page of the panel's referrals, newest first, filtered by status, where they came from,
    the child and when they were referred."""
    filters = ReferralFilters(query or None)
    wanted = filters.values()
    referrals = panel_list(user=user, include_closed=wanted.get("show") == "all")
    sources = wanted.get("source", [])
    if sources:
        chosen = Q(pk__in=[])
        if "alert" in sources:
            chosen |= Q(source_alert__isnull=False)
        if "concern" in sources:
            chosen |= Q(source_concern__isnull=False)
        if "direct" in sources:
            chosen |= Q(source_alert__isnull=True, source_concern__isnull=True)
        referrals = referrals.filter(chosen)
    if wanted.get("child"):
        referrals = referrals.filter(person_named("child", wanted["child"]))
    referrals = referrals.filter(**period("referred_at", wanted.get("referred_from"), wanted.get("referred_to")))
    return listing(referrals, query=query, noun=("referral", "referrals"), filters=filters, sorts=REFERRAL_SORTS,
                   downloadable=True)


REFERRAL_COLUMNS: list[Column[PanelReferral]] = [
    Column("Referral", lambda r: r.reference),
    Column("Status", lambda r: r.get_status_display()),
    Column("Child's hub reference", lambda r: r.child.reference),
    Column("Child", lambda r: r.child.full_name),
    Column("Date of birth", lambda r: r.child.date_of_birth),
    Column("Referred", lambda r: r.referred_at),
    Column("Referred by", lambda r: r.referred_by.display_name),
    Column("From alert", lambda r: r.source_alert.reference if r.source_alert else ""),
    Column("From concern", lambda r: r.source_concern.reference if r.source_concern else ""),
]


def referral_sources(*, user: User, referral: PanelReferral) -> tuple[list[Alert], list[Concern]]:
    """The alerts and concerns that led to a referral, oldest first, each alert dated as this reader may
    know it (``earlywarning.selectors.raised_shown``)."""
    alerts: list[Alert] = list(referral.linked_alerts.select_related("rule").annotate(raised_shown=raised_shown(user))
                               .order_by("raised_shown", "pk"))
    concerns = list(referral.linked_concerns.select_related("agency").order_by("raised_at", "pk"))
    return alerts, concerns


def referrals_for_subject_access(*, user: User, person: Person) -> list[PanelReferral]:
    """Every panel referral of the person under any id they have had, for their own subject access
    request (the data protection officer only)."""
    if not has(user, Capability.SUBJECT_ACCESS):
        return []
    return list(
        PanelReferral.objects.filter(identity.same_person("child", person))
        .select_related("referred_by", "closed_by")
        .order_by("referred_at", "pk")
    )
