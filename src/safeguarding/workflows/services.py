"""Work that changes several rooms at once, each in one transaction: a room's pages start these,
and every room they compose stands below this one.

- a concern about a child the hub does not hold yet (a new person, then the concern);
- a front-door decision that refers the child to the exploitation panel, or starts an assessment
  (and its clock);
- an early-warning alert turned into a concern, or referred to the panel.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from safeguarding.accounts.models import User
from safeguarding.clocks.services import clocks_lock, clocks_refresh
from safeguarding.core.errors import ServiceError
from safeguarding.earlywarning.models import OPEN_STATUSES, Alert, AlertStatus
from safeguarding.earlywarning.selectors import alert_raised_shown
from safeguarding.earlywarning.services import alert_record_action
from safeguarding.frontdoor.models import Concern, DecisionOutcome, TriageDecision
from safeguarding.frontdoor.services import ConcernContext, concern_raise, person_record_new, triage_decide
from safeguarding.panel.models import PanelReferral
from safeguarding.panel.services import panel_refer


def concern_raise_for_new_child(
    *,
    raised_by: User,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date | None,
    seen_on: dt.date,
    description: str,
    sex: str = "",
    nhs_number: str = "",
    upn: str = "",
    address: str = "",
    postcode: str = "",
    location: str = "",
    indicators: list[str] | None = None,
    immediate_danger: bool = False,
    context: ConcernContext | None = None,
    raised_after: int | None = None,
) -> Concern:
    """Record a child the hub does not hold and raise the concern about them, together: if the
    concern is refused, the child is not recorded either (no person without the concern that
    brought them). ``raised_after``: as for ``concern_raise`` (a second "Send" of one form is refused)."""
    with transaction.atomic():
        child = person_record_new(
            acting_user=raised_by,
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
            sex=sex,
            nhs_number=nhs_number,
            upn=upn,
            address=address,
            postcode=postcode,
        )
        return concern_raise(
            raised_by=raised_by,
            child=child,
            seen_on=seen_on,
            description=description,
            location=location,
            indicators=indicators,
            immediate_danger=immediate_danger,
            context=context,
            raised_after=raised_after,
        )


def triage_decide_and_refer(*, acting_user: User, concern: Concern, outcome: str, reason: str = "") -> TriageDecision:
    """The front door's decision on a concern; a decision to refer to the exploitation panel
    refers the child to it (``panel.services.panel_refer``) in the same transaction, and a decision
    of assessment starts the child's assessment clock in it (their clocks worked out again), so the
    single view shows the clock at once, not after the worker's next run."""
    with transaction.atomic():
        if outcome == DecisionOutcome.ASSESSMENT:
            clocks_lock([concern.child_id])  # before the audit trail's head, as every clock write
        decision = triage_decide(acting_user=acting_user, concern=concern, outcome=outcome, reason=reason)
        if outcome == DecisionOutcome.ASSESSMENT:
            clocks_refresh(children=[concern.child_id], acting_user=acting_user)
        if outcome == DecisionOutcome.MACE_REFERRAL:
            panel_refer(
                child=concern.child,
                referred_by=acting_user,
                reason=reason.strip() or f"Front-door decision on concern {concern.reference}",
                concern=concern,
            )
    return decision


def alert_to_concern(*, alert: Alert, acting_user: User, description: str) -> Concern:
    """Raise a concern about the alert's child, from the alert, and close the alert as acted on."""
    if not description.strip():
        raise ServiceError("Describe the concern")
    with transaction.atomic():
        if not Alert.objects.filter(
            Q(status__in=OPEN_STATUSES) | Q(new_evidence_since_action=True), pk=alert.pk
        ).exists():
            raise ServiceError("This alert has already been dealt with")
        concern = concern_raise(
            raised_by=acting_user,
            child=alert.person,
            # The concern goes to the front door: dated as those the hub cannot check may see the alert.
            seen_on=min(timezone.localdate(), _as_date(alert_raised_shown(user=None, alert=alert))),
            description=description,
            location="",
            indicators=[],
        )
        alert_record_action(
            alert=alert,
            acting_user=acting_user,
            status=AlertStatus.CONCERN_RAISED,
            note=f"Concern {concern.reference} raised",
            concern=concern,
        )
    return concern


def alert_refer_to_panel(*, alert: Alert, acting_user: User, reason: str) -> PanelReferral:
    """Refer the alert's child to the panel; the alert is closed as referred (``panel_refer``)."""
    return panel_refer(child=alert.person, referred_by=acting_user, reason=reason, alert=alert)


def _as_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
