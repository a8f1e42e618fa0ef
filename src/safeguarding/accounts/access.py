"""The access policy: the one place that decides what each role of each agency may see and do.

It knows nothing of the rooms above it. Each room's selectors apply it to their own records and
answer with ``one_or_404``: a record the user may not see is answered exactly as a missing one
(Http404), so the hub never confirms to someone that a record exists, and every record shown that
names a person is written to the audit trail. List pages write one row per page view naming the
persons shown (``persons_shown``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record

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
    # --- intervene: panel meetings, plans, actions, statutory clocks, escalation, work lists ---
    VIEW_PLANS = "view_plans"  # a child's multi-agency plan and its actions (with the single view)
    VIEW_MEETINGS = "view_meetings"  # panel meetings: agendas, discussions, minutes
    RUN_PANEL = "run_panel"  # schedule meetings, build agendas, record discussions, draft minutes, plans
    RECORD_CASEWORK = "record_casework"  # return home interviews, strategy discussions, assessments, NRM steps
    MANAGE_AGENCY_WORK = "manage_agency_work"  # an agency's actions and clocks: its manager's work list
    VIEW_ESCALATIONS = "view_escalations"  # escalated actions and clocks (the strategic group: no identities)
    ALLOCATE = "allocate"  # allocate concerns, alerts and children to a named worker


_CASEWORK = {Capability.RAISE_CONCERN, Capability.VIEW_PERSON, Capability.SEARCH_PEOPLE}

_FRONT_DOOR = {
    Capability.TRIAGE,
    Capability.VIEW_AGGREGATES,
    Capability.REVIEW_MATCHES,
    Capability.SCREEN,
    Capability.WORK_ALERTS,
}

# intervene: everyone in casework sees plans and records what they did; the panel's own members
# (not referrers, support workers, or the roles without identities) see its meetings.
_PLANS = {Capability.VIEW_PLANS, Capability.RECORD_CASEWORK}
_PANEL_MEMBER = _PLANS | {Capability.VIEW_MEETINGS}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.REFERRER: frozenset({Capability.RAISE_CONCERN}),
    Role.TRIAGE_WORKER: frozenset(_CASEWORK | _FRONT_DOOR | _PANEL_MEMBER | {Capability.ALLOCATE}),
    Role.MACE_COORDINATOR: frozenset(
        _CASEWORK | _FRONT_DOOR | _PANEL_MEMBER
        | {Capability.APPROVE_DOWNGRADE, Capability.RUN_PANEL, Capability.ALLOCATE, Capability.VIEW_ESCALATIONS}
    ),
    Role.LEAD_PRACTITIONER: frozenset(_CASEWORK | _PANEL_MEMBER | {Capability.SCREEN}),
    Role.INTELLIGENCE_OFFICER: frozenset(_CASEWORK | _PANEL_MEMBER | {Capability.REVIEW_MATCHES}),
    Role.SUPPORT_WORKER: frozenset(_CASEWORK | _PLANS),
    Role.AGENCY_MANAGER: frozenset(
        _CASEWORK | _PANEL_MEMBER
        | {Capability.MANAGE_AGENCY_WORK, Capability.VIEW_ESCALATIONS, Capability.ALLOCATE}
    ),
    Role.PARTNERSHIP_MANAGER: frozenset({Capability.VIEW_AGGREGATES, Capability.VIEW_ESCALATIONS}),
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


# --- who sees which kind of record -------------------------------------------------------------


def sees_restricted_intelligence(user: User) -> bool:
    """Police intelligence without handling code P stays within the police: only police casework
    staff see it, and nothing derived from it reaches anyone else."""
    return has(user, Capability.VIEW_PERSON) and user.agency is not None and user.agency.kind == AgencyKind.POLICE


def sees_all_concerns(user: Any) -> bool:
    """Casework and front-door staff see every concern; a referrer sees only those they raised."""
    return has(user, Capability.VIEW_PERSON) or has(user, Capability.TRIAGE)


def sees_own_concerns(user: Any) -> bool:
    return has(user, Capability.RAISE_CONCERN)


def sees_alerts(user: Any) -> bool:
    """The people who work the alerts queue, and casework staff who may open the child's record
    anyway (they see the child's alerts in the single view)."""
    return has(user, Capability.WORK_ALERTS) or has(user, Capability.VIEW_PERSON)


def sees_panel(user: Any) -> bool:
    """The panel's referrals: for those who refer children to it (the front door and the people
    who work the alerts queue), MACE coordinators among them."""
    return has(user, Capability.TRIAGE) or has(user, Capability.WORK_ALERTS)


# --- answering with one record, or not found -----------------------------------------------------


def one_or_404(
    records: QuerySet[M],
    *,
    user: User,
    allowed: bool = True,
    event_type: AuditEventType,
    target_kind: str,
    person_of: Callable[[M], int | None],
    reason: Callable[[M], str] = lambda _record: "",
    detail: Callable[[M], dict[str, Any]] = lambda _record: {},
) -> M:
    """The one record the (already filtered) query finds, its viewing written to the audit trail.

    Http404 when the user may not see this kind of record at all (``allowed`` false) or the query
    finds none: a forbidden record looks exactly like a missing one, and the permission is decided
    before anything is read, so the two cannot be told apart by timing or by the answer."""
    if not allowed:
        raise Http404
    record = records.first()
    if record is None:
        raise Http404
    with transaction.atomic():
        audit_record(
            event_type=event_type,
            actor=user,
            target_kind=target_kind,
            target_id=record.pk,
            person_id=person_of(record),
            reason=reason(record),
            detail=detail(record),
        )
    return record


def persons_shown(*, user: User, page: str, person_ids: Iterable[int | None], detail: dict[str, Any] | None = None) -> None:
    """A page that lists people (a queue, a list, a search) records who saw whom: one audit row per
    page view, naming every person shown."""
    shown = sorted({pk for pk in person_ids if pk is not None})
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.PERSONS_LISTED,
            actor=user,
            target_kind="page",
            target_id=page[:120],
            detail={"persons": shown, **(detail or {})},
        )


def current_user(request: HttpRequest) -> User:
    """The signed-in user (the sign-in middleware guarantees one on every hub page)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
