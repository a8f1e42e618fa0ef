"""The header's navigation: one link for each part of the hub the user's role may use."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from safeguarding.accounts.access import Capability, has, sees_panel


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    base = {"partnership_name": settings.PARTNERSHIP_NAME}
    if not user.is_authenticated:
        return {**base, "nav_items": []}
    items: list[tuple[str, str]] = []
    if has(user, Capability.TRIAGE):
        items.append(("Triage queue", reverse("frontdoor:queue")))
    if has(user, Capability.WORK_ALERTS):
        items.append(("Alerts", reverse("earlywarning:queue")))
    if sees_panel(user):
        items.append(("Panel referrals", reverse("panel:list")))
    if has(user, Capability.SEARCH_PEOPLE):
        items.append(("Find a person", reverse("people:search")))
    if has(user, Capability.KEEP_SUPPORT_PLANS):
        items.append(("Support plans", reverse("support:list")))
    elif has(user, Capability.READ_LIVED_EXPERIENCE):
        items.append(("Lived experience", reverse("support:lived-experience")))
    if has(user, Capability.RAISE_CONCERN):
        items.append(("Raise a concern", reverse("frontdoor:raise-find")))
        items.append(("My concerns", reverse("frontdoor:mine")))
    if has(user, Capability.REVIEW_MATCHES):
        items.append(("Match review", reverse("linkage:queue")))
    if has(user, Capability.APPROVE_DOWNGRADE):
        items.append(("Risk level approvals", reverse("screening:approvals")))
    if has(user, Capability.VIEW_AGGREGATES):
        items.append(("Figures", reverse("frontdoor:figures")))
    if has(user, Capability.VIEW_AGGREGATES):
        items.append(("Risk levels", reverse("screening:levels")))
    if has(user, Capability.READ_MISSED_OPPORTUNITIES):
        items.append(("Missed opportunities", reverse("earlywarning:missed")))
    if has(user, Capability.SUBJECT_ACCESS):
        items.append(("Data protection", reverse("dataprotection:overview")))
        items.append(("Subject access requests", reverse("dataprotection:sars")))
    if has(user, Capability.VIEW_AUDIT):
        items.append(("Audit trail", reverse("dataprotection:trail")))
    if has(user, Capability.MANAGE_ACCOUNTS):
        items.append(("Agencies", reverse("accounts:agencies")))
        items.append(("Users", reverse("accounts:users")))
    if has(user, Capability.CONFIGURE_TOOLS):
        items.append(("Screening tool", reverse("screening:tool")))
        items.append(("Early-warning rules", reverse("rules:list")))
    path = request.path
    return {**base, "nav_items": [{"text": t, "href": h, "active": path.startswith(h)} for t, h in items]}
