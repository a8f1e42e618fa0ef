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
    if has(user, Capability.VIEW_PLANS):
        items.append(("My work", reverse("mace:my-work")))
    if has(user, Capability.MANAGE_AGENCY_WORK):
        items.append(("Our agency's work", reverse("mace:agency-work")))
    if has(user, Capability.TRIAGE):
        items.append(("Triage queue", reverse("frontdoor:queue")))
    if has(user, Capability.WORK_ALERTS):
        items.append(("Alerts", reverse("earlywarning:queue")))
    if sees_panel(user):
        items.append(("Panel referrals", reverse("panel:list")))
    if has(user, Capability.VIEW_MEETINGS):
        items.append(("Panel meetings", reverse("mace:meetings")))
    if has(user, Capability.VIEW_ESCALATIONS) and not has(user, Capability.MANAGE_AGENCY_WORK):
        items.append(("Escalations", reverse("mace:escalations")))
    if has(user, Capability.SEARCH_PEOPLE):
        items.append(("Find a person", reverse("people:search")))
    if has(user, Capability.KEEP_SUPPORT_PLANS):
        items.append(("Support plans", reverse("support:list")))
    elif has(user, Capability.READ_LIVED_EXPERIENCE):
        items.append(("Lived experience", reverse("support:lived-experience")))
    if has(user, Capability.RAISE_CONCERN):
        items.append(("Raise a concern", reverse("frontdoor:raise-find")))
        items.append(("My concerns", reverse("frontdoor:mine")))
    if has(user, Capability.VIEW_NETWORKS):
        items.append(("Networks", reverse("contexts:networks")))
    if has(user, Capability.RECORD_DISRUPTION):
        items.append(("Disruption and outcomes", reverse("justice:operations")))
    if has(user, Capability.SUBMIT_INFORMATION) and not has(user, Capability.VIEW_NETWORKS):
        items.append(("Submit information", reverse("contexts:submit")))
    if has(user, Capability.REVIEW_MATCHES):
        items.append(("Match review", reverse("linkage:queue")))
    if has(user, Capability.APPROVE_DOWNGRADE):
        items.append(("Risk level approvals", reverse("screening:approvals")))
    if has(user, Capability.VIEW_AGGREGATES):
        items.append(("Figures", reverse("frontdoor:figures")))
    if has(user, Capability.VIEW_AGGREGATES):
        items.append(("Risk levels", reverse("screening:levels")))
        items.append(("Return home interviews", reverse("clocks:figures")))
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
        items.append(("Access approvals", reverse("accounts:access-approvals")))
        items.append(("Locked sign-ins", reverse("accounts:sign-in-locks")))
    if has(user, Capability.CONFIGURE_TOOLS):
        items.append(("Screening tool", reverse("screening:tool")))
        items.append(("Early-warning rules", reverse("rules:list")))
        items.append(("Roles and responsibilities", reverse("mace:raci")))
        items.append(("Background jobs", reverse("workflows:jobs")))
    if user.is_authenticated:
        items.append(("Messages sent to me", reverse("notifications:mine")))
    path = request.path
    user_can = {"view_networks": has(user, Capability.VIEW_NETWORKS)}
    return {
        **base,
        "nav_items": [{"text": t, "href": h, "active": path.startswith(h)} for t, h in items],
        "user_can": user_can,
        # intervene: pages of lower rooms offer to allocate their record to a named worker
        "can_allocate": has(user, Capability.ALLOCATE),
    }


def hidden_persons(request: HttpRequest) -> dict[str, Any]:
    """The person ids sealed away from this reader, worked out only if a page asks
    (``{{ person|name_for_reader:hidden_persons }}``)."""
    from django.utils.functional import SimpleLazyObject

    from safeguarding.accounts.access import persons_hidden_from

    return {"hidden_persons": SimpleLazyObject(lambda: persons_hidden_from(request.user))}
