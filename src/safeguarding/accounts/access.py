"""The access gateway: the one place that decides what each role of each agency may see and do.

Pages and commands never filter records themselves; they ask this module. A record the user may
not see is answered exactly as a missing one (Http404), so the hub never confirms to someone that
a record exists. Every view of a person's record is written to the audit trail here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record

if TYPE_CHECKING:
    from safeguarding.accounts.models import User
    from safeguarding.earlywarning.models import Alert
    from safeguarding.frontdoor.models import Concern
    from safeguarding.panel.models import PanelReferral
    from safeguarding.people.models import Person


M = TypeVar("M", bound=Model)


class Capability(enum.StrEnum):
    RAISE_CONCERN = "raise_concern"  # raise a concern and find the child for it
    VIEW_PERSON = "view_person"  # the child's single view, with every agency's records
    SEARCH_PEOPLE = "search_people"  # free search of everyone the hub holds
    TRIAGE = "triage"  # the front-door queue and decisions
    VIEW_AGGREGATES = "view_aggregates"  # counts and timeliness, no identities
    VIEW_AUDIT = "view_audit"  # who saw what, when and why
    MANAGE_ACCOUNTS = "manage_accounts"  # agencies and users
    REVIEW_MATCHES = "review_matches"  # decide whether two agencies' records are one person
    SCREEN = "screen"  # complete a screening of a child's risk of exploitation
    APPROVE_DOWNGRADE = "approve_downgrade"  # the second person who approves lowering a child's risk level
    WORK_ALERTS = "work_alerts"  # the early-warning alerts queue: acknowledge, dismiss, refer to the panel
    CONFIGURE_TOOLS = "configure_tools"  # the screening tool and the early-warning rules, with back-tests


_CASEWORK = {Capability.RAISE_CONCERN, Capability.VIEW_PERSON, Capability.SEARCH_PEOPLE}

_FRONT_DOOR = {
    Capability.TRIAGE,
    Capability.VIEW_AGGREGATES,
    Capability.REVIEW_MATCHES,
    Capability.SCREEN,
    Capability.WORK_ALERTS,
}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.REFERRER: frozenset({Capability.RAISE_CONCERN}),
    Role.TRIAGE_WORKER: frozenset(_CASEWORK | _FRONT_DOOR),
    Role.MACE_COORDINATOR: frozenset(_CASEWORK | _FRONT_DOOR | {Capability.APPROVE_DOWNGRADE}),
    Role.LEAD_PRACTITIONER: frozenset(_CASEWORK | {Capability.SCREEN}),
    Role.INTELLIGENCE_OFFICER: frozenset(_CASEWORK | {Capability.REVIEW_MATCHES}),
    Role.SUPPORT_WORKER: frozenset(_CASEWORK),
    Role.PARTNERSHIP_MANAGER: frozenset({Capability.VIEW_AGGREGATES}),
    Role.DATA_PROTECTION_OFFICER: frozenset({Capability.VIEW_AUDIT, Capability.VIEW_AGGREGATES}),
    Role.ADMINISTRATOR: frozenset({Capability.MANAGE_ACCOUNTS, Capability.CONFIGURE_TOOLS}),
}


def has(user: Any, capability: Capability) -> bool:
    """Whether a signed-in, active user's role grants a capability."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset())


def require(user: Any, capability: Capability) -> None:
    """For whole pages a role may not use (no record is named, so 403 reveals nothing)."""
    if not has(user, capability):
        raise PermissionDenied


def sees_restricted_intelligence(user: User) -> bool:
    """Police intelligence without handling code P stays within the police."""
    return has(user, Capability.VIEW_PERSON) and user.agency is not None and user.agency.kind == AgencyKind.POLICE


# --- people ---------------------------------------------------------------------------------


def person_for_user_or_404(
    user: User, person_id: int, *, purpose: str = "", request: HttpRequest | None = None
) -> Person:
    """The person, if this user may open their single view; logs the view and why. Else Http404."""
    from safeguarding.people.models import Person

    if not has(user, Capability.VIEW_PERSON):
        raise Http404
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    audit_record(
        event_type=AuditEventType.PERSON_VIEWED,
        actor=user,
        target_kind="person",
        target_id=person.pk,
        person_id=person.pk,
        reason=purpose or "opened the single view",
        request=request,
    )
    return person


def events_visible_to(user: User) -> Q:
    """A filter on ``people.Event`` for what this user may see."""
    if not has(user, Capability.VIEW_PERSON):
        return Q(pk__in=[])
    if sees_restricted_intelligence(user):
        return Q()
    from safeguarding.people.models import EventType, Handling

    return ~Q(event_type=EventType.INTELLIGENCE) | Q(handling=Handling.SHAREABLE)


def _one_or_404(
    records: QuerySet[M],
    *,
    user: User,
    event_type: AuditEventType,
    target_kind: str,
    person_of: Callable[[M], int | None],
    reason: Callable[[M], str] = lambda _record: "",
    request: HttpRequest | None = None,
) -> M:
    """The one record the (already filtered) query finds, its viewing written to the audit trail;
    Http404 when there is none, so a forbidden record looks exactly like a missing one."""
    record = records.first()
    if record is None:
        raise Http404
    audit_record(
        event_type=event_type,
        actor=user,
        target_kind=target_kind,
        target_id=record.pk,
        person_id=person_of(record),
        reason=reason(record),
        request=request,
    )
    return record


# --- concerns --------------------------------------------------------------------------------


def concerns_visible_to(user: User) -> Q:
    """A filter on ``frontdoor.Concern``: casework roles see all; a referrer only their own."""
    if has(user, Capability.VIEW_PERSON) or has(user, Capability.TRIAGE):
        return Q()
    if has(user, Capability.RAISE_CONCERN):
        return Q(raised_by=user)
    return Q(pk__in=[])


def concern_for_user_or_404(user: User, concern_id: int, *, request: HttpRequest | None = None) -> Concern:
    from safeguarding.frontdoor.models import Concern

    return _one_or_404(
        Concern.objects.filter(concerns_visible_to(user), pk=concern_id).select_related("child", "raised_by", "agency"),
        user=user,
        event_type=AuditEventType.CONCERN_VIEWED,
        target_kind="concern",
        person_of=lambda concern: concern.child_id,
        request=request,
    )


# --- early-warning alerts --------------------------------------------------------------------


def alerts_visible_to(user: User) -> Q:
    """A filter on ``earlywarning.Alert``: the people who work the queue, and casework staff who
    may open the child's record anyway (they see the child's alerts in the single view)."""
    if has(user, Capability.WORK_ALERTS) or has(user, Capability.VIEW_PERSON):
        return Q()
    return Q(pk__in=[])


def alert_for_user_or_404(user: User, alert_id: int, *, request: HttpRequest | None = None) -> Alert:
    from safeguarding.earlywarning.models import Alert

    return _one_or_404(
        Alert.objects.filter(alerts_visible_to(user), pk=alert_id).select_related("rule", "person"),
        user=user,
        event_type=AuditEventType.ALERT_VIEWED,
        target_kind="alert",
        person_of=lambda alert: alert.person_id,
        request=request,
    )


# --- panel referrals -------------------------------------------------------------------------


def sees_panel(user: Any) -> bool:
    """The panel's referrals: for those who refer children to it (the front door and the people
    who work the alerts queue), MACE coordinators among them."""
    return has(user, Capability.TRIAGE) or has(user, Capability.WORK_ALERTS)


def panel_referral_for_user_or_404(
    user: User, referral_id: int, *, request: HttpRequest | None = None
) -> PanelReferral:
    """The referral, if this user may see the panel's referrals; logs the view. Else Http404."""
    from safeguarding.panel.models import PanelReferral

    if not sees_panel(user):
        raise Http404
    return _one_or_404(
        PanelReferral.objects.filter(pk=referral_id).select_related(
            "child", "referred_by", "closed_by", "source_alert__rule", "source_concern"
        ),
        user=user,
        event_type=AuditEventType.PANEL_REFERRAL_VIEWED,
        target_kind="panel_referral",
        person_of=lambda referral: referral.child_id,
        reason=lambda referral: f"opened panel referral {referral.reference}",
        request=request,
    )


def current_user(request: HttpRequest) -> User:
    """The signed-in user (the sign-in middleware guarantees one on every hub page)."""
    from safeguarding.accounts.models import User

    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
