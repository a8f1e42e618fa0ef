"""The header's navigation: the parts of the hub the user's role may use, in a few groups.

The service navigation shows the groups (at most six, so it fits on one line at a desktop width and
folds behind *Menu* on a phone); the group of the page being read shows its own pages as a
sub-navigation (MoJ's sub navigation) under the header. The home page lists every item."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from safeguarding.accounts.access import Capability, has, persons_hidden_from, sees_panel
from safeguarding.accounts.middleware import SIGN_IN_COMPLETE_KEY, SIGNED_IN_AT_KEY


@dataclass
class NavItem:
    text: str
    href: str
    active: bool = False


@dataclass
class NavGroup:
    text: str
    items: list[NavItem] = field(default_factory=list)
    active: bool = False

    @property
    def href(self) -> str:
        return self.items[0].href


def _groups(user: Any) -> list[NavGroup]:
    work = NavGroup("My work")
    front = NavGroup("Front door")
    children = NavGroup("Children")
    figures = NavGroup("Figures")
    protection = NavGroup("Data protection")
    admin = NavGroup("Administration")

    def add(group: NavGroup, text: str, name: str) -> None:
        group.items.append(NavItem(text, reverse(name)))

    if has(user, Capability.VIEW_PLANS):
        add(work, "My work", "mace:my-work")
    if has(user, Capability.MANAGE_AGENCY_WORK):
        add(work, "Our agency's work", "mace:agency-work")
    if has(user, Capability.TRIAGE):
        add(front, "Triage queue", "frontdoor:queue")
    if has(user, Capability.WORK_ALERTS):
        add(front, "Alerts", "earlywarning:queue")
    if has(user, Capability.REVIEW_MATCHES):
        add(front, "Match review", "linkage:queue")
    if has(user, Capability.RAISE_CONCERN):
        add(front, "Raise a concern", "frontdoor:raise-find")
        add(front, "My concerns", "frontdoor:mine")
    if has(user, Capability.SUBMIT_INFORMATION) and not has(user, Capability.VIEW_NETWORKS):
        add(front, "Submit information", "contexts:submit")
    if has(user, Capability.SEARCH_PEOPLE):
        add(children, "Find a person", "people:search")
    if sees_panel(user):
        add(children, "Panel referrals", "panel:list")
    if has(user, Capability.VIEW_MEETINGS):
        add(children, "Panel meetings", "mace:meetings")
    if has(user, Capability.VIEW_PLANS) and has(user, Capability.VIEW_PERSON):
        add(children, "Plans", "mace:plans")
        add(children, "Child protection plans", "clocks:protection-plans")
    if has(user, Capability.APPROVE_DOWNGRADE):
        add(children, "Risk level approvals", "screening:approvals")
    if has(user, Capability.KEEP_SUPPORT_PLANS):
        add(children, "Support plans", "support:list")
    if has(user, Capability.VIEW_NETWORKS):
        add(children, "Networks", "contexts:networks")
    if has(user, Capability.RECORD_DISRUPTION):
        add(children, "Disruption and outcomes", "justice:operations")
    if has(user, Capability.VIEW_AGGREGATES):
        add(figures, "Figures", "frontdoor:figures")
        add(figures, "Risk levels", "screening:levels")
        add(figures, "Return home interviews", "clocks:figures")
        add(figures, "Disruption and justice outcomes", "justice:figures")
        add(figures, "Plans, and timeliness by agency", "mace:figures")
        add(figures, "Board report", "insight:board")
    if has(user, Capability.VIEW_ESCALATIONS) and not has(user, Capability.MANAGE_AGENCY_WORK):
        add(figures if has(user, Capability.VIEW_AGGREGATES) else work, "Escalations", "mace:escalations")
    if has(user, Capability.READ_LIVED_EXPERIENCE) and not has(user, Capability.KEEP_SUPPORT_PLANS):
        add(figures, "Lived experience", "support:lived-experience")
    if has(user, Capability.READ_MISSED_OPPORTUNITIES):
        add(figures, "Missed opportunities", "earlywarning:missed")
    if has(user, Capability.SUBJECT_ACCESS):
        add(protection, "Data protection", "dataprotection:overview")
        add(protection, "Subject access requests", "dataprotection:sars")
    if has(user, Capability.VIEW_AUDIT):
        add(protection, "Audit trail", "dataprotection:trail")
    if has(user, Capability.MANAGE_ACCOUNTS):
        add(admin, "Users", "accounts:users")
        add(admin, "Agencies", "accounts:agencies")
        add(admin, "Roles", "accounts:roles")
        add(admin, "Access approvals", "accounts:access-approvals")
        add(admin, "Locked sign-ins", "accounts:sign-in-locks")
    if has(user, Capability.CONFIGURE_TOOLS):
        add(admin, "Screening tool", "screening:tool")
        add(admin, "Early-warning rules", "rules:list")
        add(admin, "Roles and responsibilities", "mace:raci")
        add(admin, "Background jobs", "workflows:jobs")
    if not has(user, Capability.CONFIGURE_TOOLS):  # administrators find it under Administration
        home = next((group for group in (figures, children, front, protection) if group.items), work)
        add(home, "Roles and responsibilities", "mace:raci")
    return [group for group in (work, front, children, figures, protection, admin) if group.items]


def _mark_active(groups: list[NavGroup], path: str) -> NavGroup | None:
    """The item whose address is the longest start of the page's address is the one being read."""
    best: tuple[int, NavGroup, NavItem] | None = None
    for group in groups:
        for item in group.items:
            if path.startswith(item.href) and (best is None or len(item.href) > best[0]):
                best = (len(item.href), group, item)
    if best is None:
        return None
    best[1].active = True
    best[2].active = True
    return best[1]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    base = {"partnership_name": settings.PARTNERSHIP_NAME}
    if not user.is_authenticated:
        return {**base, "nav_items": [], "nav_groups": []}
    groups = _groups(user)
    active = _mark_active(groups, request.path)
    return {
        **base,
        "nav_groups": groups,
        # The active group's pages, under the header, when it has more than one.
        "sub_nav": active if active is not None and len(active.items) > 1 else None,
        # Every item, for the home page.
        "nav_items": [item for group in groups for item in group.items],
        "user_can": {"view_networks": has(user, Capability.VIEW_NETWORKS)},
        # intervene: pages of lower rooms offer to allocate their record to a named worker
        "can_allocate": has(user, Capability.ALLOCATE),
    }


def hidden_persons(request: HttpRequest) -> dict[str, Any]:
    """The person ids sealed away from this reader, worked out only if a page asks
    (``{{ person|name_for_reader:hidden_persons }}``)."""
    return {"hidden_persons": SimpleLazyObject(lambda: persons_hidden_from(request.user))}


def session_timeout(request: HttpRequest) -> dict[str, Any]:
    """For the timeout warning (``templates/base.html``, ``static/hub/timeout.mjs``) on the pages of
    a user who has finished signing in: how long the session lasts without a request, how long
    before the end to warn, and when (seconds since 1970) its absolute lifetime ends, which "Stay
    signed in" cannot extend. Nothing here changes from one request to the next of a session, so a
    page forbidden reads exactly as one missing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.session.get(SIGN_IN_COMPLETE_KEY):
        return {}
    idle = int(settings.SESSION_COOKIE_AGE)
    started = float(request.session.get(SIGNED_IN_AT_KEY) or time.time())
    return {"session_timeout": {
        "idle_seconds": idle,
        "warn_seconds": min(int(settings.SESSION_TIMEOUT_WARNING_SECONDS), idle),
        "absolute_end": int(started + settings.SESSION_ABSOLUTE_SECONDS),
    }}
