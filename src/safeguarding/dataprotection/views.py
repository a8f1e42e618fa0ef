"""The data protection officer's view of the audit trail."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from safeguarding.accounts.access import Capability, current_user, require
from safeguarding.dataprotection import selectors


def trail(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.VIEW_AUDIT)
    reference = request.GET.get("person", "").strip()
    person = selectors.person_for_audit(reference=reference) if reference else None
    if person is not None:
        events = list(selectors.audit_events_for_person(user=user, person_id=person.pk))
    elif reference:
        events = []
    else:
        events = list(selectors.recent_audit_events(user=user))
    flagged = list(selectors.flagged_searches(user=user)) if not reference else []
    return render(
        request,
        "dataprotection/trail.html",
        {"events": events, "person": person, "reference": reference, "flagged": flagged},
    )
