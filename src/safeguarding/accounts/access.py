"""The access policy: the one place that decides what each role of each agency may see and do.

It knows nothing of the rooms above it. Each room's selectors apply it to their own records and
answer with ``one_or_404``: a record the user may not see is answered exactly as a missing one
(Http404), so the hub never confirms to someone that a record exists, and every record shown that
names a person is written to the audit trail. List pages write one row per page view naming the
persons shown (``persons_shown``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest

from safeguarding.accounts.models import AgencyKind, CustomRole, Role, User
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
    # --- survivor support and data protection (issue 17) ---
    KEEP_SUPPORT_PLANS = "keep_support_plans"  # survivor support plans of the user's agency, across 18 and beyond
    READ_LIVED_EXPERIENCE = "read_lived_experience"  # survivors' anonymised lived-experience summaries, in aggregate
    SUBJECT_ACCESS = "subject_access"  # subject access requests, their redaction review and bundles; disclosures
    RECORDS_MANAGEMENT = "records_management"  # retention, legal holds, disposal, sealed records and break-glass review
    # --- early warning a panel can trust (issue 15) ---
    # The missed-opportunity report: counts by age, sex and agency of the children referred to the
    # panel whom the rules would or would not have flagged first (no identities)...
    READ_MISSED_OPPORTUNITIES = "read_missed_opportunities"
    # ...and each referred child by name, with every sign the agencies held before the referral
    # (the panel's coordinator, who reviews the cases).
    REVIEW_MISSED_OPPORTUNITIES = "review_missed_opportunities"

    # -- justice: entities, links, networks, intelligence, contexts, disruption and outcomes --------
    VIEW_NETWORKS = "view_networks"  # entity pages, networks, link charts, hotspots (links the viewer may see)
    SUBMIT_INFORMATION = "submit_information"  # report a person, vehicle, place or phone into the picture
    GRADE_INTELLIGENCE = "grade_intelligence"  # record 3x5x2 intelligence, see its sources, disclose it
    WORK_CONTEXTS = "work_contexts"  # open, review and close work on a place or peer group
    RECORD_DISRUPTION = "record_disruption"  # investigations, operations, disruption and justice outcomes

    # --- intervene: panel meetings, plans, actions, statutory clocks, escalation, work lists ---
    VIEW_PLANS = "view_plans"  # a child's multi-agency plan and its actions (with the single view)
    VIEW_MEETINGS = "view_meetings"  # panel meetings: agendas, discussions, minutes
    RUN_PANEL = "run_panel"  # schedule meetings, build agendas, record discussions, draft minutes, plans
    RECORD_CASEWORK = "record_casework"  # return home interviews, strategy discussions, assessments, NRM steps
    MANAGE_AGENCY_WORK = "manage_agency_work"  # an agency's actions and clocks: its manager's work list
    VIEW_ESCALATIONS = "view_escalations"  # escalated actions and clocks (the strategic group: no identities)
    ALLOCATE = "allocate"  # allocate concerns, alerts and children to a named worker

    # --- the board's strategy ---
    SET_STRATEGY_TARGETS = "set_strategy_targets"  # record the targets the board sets for the report's figures
    # the strategic group: hears of what is escalated past the partnership's threshold, and of a
    # safeguard taken out of the screening tool
    STRATEGIC_GROUP = "strategic_group"


_CASEWORK = {Capability.RAISE_CONCERN, Capability.VIEW_PERSON, Capability.SEARCH_PEOPLE}

_FRONT_DOOR = {
    Capability.TRIAGE,
    Capability.VIEW_AGGREGATES,
    Capability.REVIEW_MATCHES,
    Capability.SCREEN,
    Capability.WORK_ALERTS,
}

# Justice (docs/decisions.md, "Who sees which links"): the network picture is for those who work
# on children's exploitation and its perpetrators; a survivor support worker has no need of it.
# Any practitioner may submit information into it. Only police intelligence officers grade
# intelligence, see its sources and disclose it.
_NETWORKS = {Capability.VIEW_NETWORKS, Capability.SUBMIT_INFORMATION}

# intervene: everyone in casework sees plans and records what they did; the panel's own members
# (not referrers, support workers, or the roles without identities) see its meetings.
_PLANS = {Capability.VIEW_PLANS, Capability.RECORD_CASEWORK}
_PANEL_MEMBER = _PLANS | {Capability.VIEW_MEETINGS}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.REFERRER: frozenset({Capability.RAISE_CONCERN, Capability.SUBMIT_INFORMATION}),
    Role.TRIAGE_WORKER: frozenset(_CASEWORK | _FRONT_DOOR | _NETWORKS | _PANEL_MEMBER | {Capability.ALLOCATE}),
    Role.MACE_COORDINATOR: frozenset(
        _CASEWORK | _FRONT_DOOR | _NETWORKS | _PANEL_MEMBER
        | {Capability.APPROVE_DOWNGRADE, Capability.WORK_CONTEXTS, Capability.RECORD_DISRUPTION, Capability.RUN_PANEL,
           Capability.ALLOCATE, Capability.VIEW_ESCALATIONS}
        # issue 15: the missed-opportunity report, with the children's identities
        | {Capability.READ_MISSED_OPPORTUNITIES, Capability.REVIEW_MISSED_OPPORTUNITIES}
    ),
    Role.LEAD_PRACTITIONER: frozenset(
        _CASEWORK | _NETWORKS | _PANEL_MEMBER | {Capability.SCREEN, Capability.WORK_CONTEXTS}
    ),
    Role.INTELLIGENCE_OFFICER: frozenset(
        _CASEWORK | _NETWORKS | _PANEL_MEMBER
        | {Capability.REVIEW_MATCHES, Capability.GRADE_INTELLIGENCE, Capability.WORK_CONTEXTS,
           Capability.RECORD_DISRUPTION}
    ),
    Role.SUPPORT_WORKER: frozenset(
        _CASEWORK | _PLANS
        | {Capability.SUBMIT_INFORMATION, Capability.KEEP_SUPPORT_PLANS, Capability.READ_LIVED_EXPERIENCE}
    ),
    Role.AGENCY_MANAGER: frozenset(
        _CASEWORK | _PANEL_MEMBER
        | {Capability.MANAGE_AGENCY_WORK, Capability.VIEW_ESCALATIONS, Capability.ALLOCATE,
           Capability.SUBMIT_INFORMATION}
    ),
    Role.PARTNERSHIP_MANAGER: frozenset(
        {Capability.VIEW_AGGREGATES, Capability.READ_LIVED_EXPERIENCE, Capability.VIEW_ESCALATIONS}
        | {Capability.READ_MISSED_OPPORTUNITIES}  # issue 15: the missed-opportunity report's counts only
        | {Capability.SET_STRATEGY_TARGETS}  # recorded as the board decides them, shown on its report
        | {Capability.STRATEGIC_GROUP}
    ),
    Role.DATA_PROTECTION_OFFICER: frozenset(
        {
            Capability.VIEW_AUDIT,
            Capability.VIEW_AGGREGATES,
            Capability.SUBJECT_ACCESS,
            Capability.RECORDS_MANAGEMENT,
        }
    ),
    Role.ADMINISTRATOR: frozenset({Capability.MANAGE_ACCOUNTS, Capability.CONFIGURE_TOOLS}),
}


# --- the partnership's own roles (DOMAIN.md priority 7: configurable, not rebuilt) ----------------

# What each capability lets a user do, in words, for the administrator who builds a role from them.
CAPABILITY_LABELS: dict[Capability, str] = {
    Capability.RAISE_CONCERN: "Raise a concern about a child, and find the child for it",
    Capability.VIEW_PERSON: "See a child's single view, with every agency's records",
    Capability.SEARCH_PEOPLE: "Search everyone the hub holds",
    Capability.TRIAGE: "Work the front door's queue and decide concerns",
    Capability.VIEW_AGGREGATES: "See the figures and the board report (counts, no one named)",
    Capability.VIEW_AUDIT: "See the audit trail: who saw what, when and why",
    Capability.MANAGE_ACCOUNTS: "Manage agencies, users and roles",
    Capability.REVIEW_MATCHES: "Decide whether two agencies' records are one person",
    Capability.SCREEN: "Complete a screening of a child's risk of exploitation",
    Capability.APPROVE_DOWNGRADE: "Approve, as the second person, lowering a child's risk level",
    Capability.WORK_ALERTS: "Work the early-warning alerts: acknowledge, dismiss, refer to the panel",
    Capability.CONFIGURE_TOOLS: "Change the screening tool, the early-warning rules and the roles and responsibilities",
    Capability.KEEP_SUPPORT_PLANS: "Keep survivors' support plans, across 18 and beyond",
    Capability.READ_LIVED_EXPERIENCE: "Read survivors' anonymised lived-experience summaries",
    Capability.SUBJECT_ACCESS: "Answer subject access requests and record disclosures",
    Capability.RECORDS_MANAGEMENT: "Manage retention, legal holds, sealed records and break-glass review",
    Capability.READ_MISSED_OPPORTUNITIES: "See the missed-opportunity report's counts",
    Capability.REVIEW_MISSED_OPPORTUNITIES: "See the missed-opportunity report child by child",
    Capability.VIEW_NETWORKS: "See networks of people, vehicles, places and phones, and link charts",
    Capability.SUBMIT_INFORMATION: "Report a person, vehicle, place or phone into the picture",
    Capability.GRADE_INTELLIGENCE: "Record graded intelligence (3x5x2), see its sources and disclose it",
    Capability.WORK_CONTEXTS: "Open, review and close work on a place or peer group",
    Capability.RECORD_DISRUPTION: "Record investigations, operations, disruption and justice outcomes",
    Capability.VIEW_PLANS: "See children's multi-agency plans and their actions",
    Capability.VIEW_MEETINGS: "See the panel's meetings, agendas and minutes",
    Capability.RUN_PANEL: "Run the panel: meetings, agendas, discussions, minutes and plans",
    Capability.RECORD_CASEWORK: "Record casework: interviews, strategy discussions, conferences, assessments",
    Capability.MANAGE_AGENCY_WORK: "Manage one's own agency's actions and clocks",
    Capability.VIEW_ESCALATIONS: "See escalated actions and clocks",
    Capability.ALLOCATE: "Allocate concerns, alerts and children to a named worker",
    Capability.SET_STRATEGY_TARGETS: "Record the board's strategy targets",
    Capability.STRATEGIC_GROUP: "Sit on the strategic group: hear of escalations past the partnership's threshold "
                                "and of safeguards taken out of the screening tool",
}

# What a capability is of no use without: its pages are about children by name, or lead to pages of
# another capability. A role of the partnership's own must hold both (the built-in roles do), so that no
# one is told of, or given a list of, records they cannot open.
CAPABILITY_NEEDS: dict[Capability, frozenset[Capability]] = {
    Capability.SEARCH_PEOPLE: frozenset({Capability.VIEW_PERSON}),
    Capability.TRIAGE: frozenset({Capability.VIEW_PERSON}),
    Capability.REVIEW_MATCHES: frozenset({Capability.VIEW_PERSON}),
    Capability.SCREEN: frozenset({Capability.VIEW_PERSON}),
    Capability.APPROVE_DOWNGRADE: frozenset({Capability.VIEW_PERSON, Capability.SCREEN}),
    Capability.WORK_ALERTS: frozenset({Capability.VIEW_PERSON}),
    Capability.KEEP_SUPPORT_PLANS: frozenset({Capability.VIEW_PERSON}),
    Capability.REVIEW_MISSED_OPPORTUNITIES: frozenset({Capability.VIEW_PERSON, Capability.READ_MISSED_OPPORTUNITIES}),
    Capability.GRADE_INTELLIGENCE: frozenset({Capability.VIEW_NETWORKS}),
    Capability.WORK_CONTEXTS: frozenset({Capability.VIEW_NETWORKS}),
    Capability.RECORD_DISRUPTION: frozenset({Capability.VIEW_NETWORKS}),
    Capability.RUN_PANEL: frozenset({Capability.VIEW_PERSON, Capability.VIEW_PLANS, Capability.VIEW_MEETINGS}),
    # an agency's manager is sent each meeting's agenda
    Capability.MANAGE_AGENCY_WORK: frozenset({Capability.VIEW_PERSON, Capability.VIEW_PLANS, Capability.VIEW_MEETINGS}),
    Capability.ALLOCATE: frozenset({Capability.VIEW_PERSON}),
    # a plan, its actions (which name their owner, who is e-mailed each) and the panel's meetings are
    # opened beside the child's single view
    Capability.VIEW_PLANS: frozenset({Capability.VIEW_PERSON}),
    Capability.VIEW_MEETINGS: frozenset({Capability.VIEW_PERSON}),
    Capability.RECORD_CASEWORK: frozenset({Capability.VIEW_PERSON}),
    # told of escalations, the group reads them on the escalations page
    Capability.STRATEGIC_GROUP: frozenset({Capability.VIEW_ESCALATIONS}),
}


def needs_in_words(capabilities: frozenset[Capability], *, advise: bool = True) -> str:
    """What a set of capabilities lacks, in sentences grouped by what is missing ('"A" and "B" need "C":
    choose it too, or leave them out.', the advice for a role being defined), or "" when it lacks nothing."""
    by_need: dict[tuple[Capability, ...], list[Capability]] = {}
    for capability, needs in capabilities_missing(capabilities):
        by_need.setdefault(tuple(needs), []).append(capability)

    def quoted(chosen: Sequence[Capability]) -> str:
        names = [f'"{CAPABILITY_LABELS[c]}"' for c in chosen]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    return " ".join(
        f"{quoted(wanting)} need{'s' if len(wanting) == 1 else ''} {quoted(needs)}"
        + (f": choose {'it' if len(needs) == 1 else 'them'} too, or leave {'it' if len(wanting) == 1 else 'them'} out."
           if advise else ".")
        for needs, wanting in by_need.items())


def capabilities_missing(capabilities: frozenset[Capability]) -> list[tuple[Capability, list[Capability]]]:
    """Each chosen capability with what it needs and was not chosen (CAPABILITY_NEEDS), both in the labels'
    order."""
    return [(capability, [need for need in CAPABILITY_LABELS if need in CAPABILITY_NEEDS[capability]
                          and need not in capabilities])
            for capability in CAPABILITY_LABELS
            if capability in capabilities and not CAPABILITY_NEEDS.get(capability, frozenset()) <= capabilities]

# An administrator's capabilities stay with the administrator role: a role of the partnership's own
# cannot manage the accounts and roles that grant access, or the tools that decide who is flagged.
NOT_FOR_OWN_ROLES = frozenset({Capability.MANAGE_ACCOUNTS, Capability.CONFIGURE_TOOLS})

CAPABILITY_VALUES = frozenset(c.value for c in Capability)

# A role of the partnership's own never changes what it grants once made, so what a process has read
# of it stays true; one not read yet is read from the database the first time it is asked for.
_OWN_ROLES: dict[str, frozenset[Capability]] = {}


def capabilities_of(role: str) -> frozenset[Capability]:
    """What a role grants: a built-in role's capabilities, or the partnership's own role's."""
    if role in ROLE_CAPABILITIES:
        return ROLE_CAPABILITIES[role]
    if role not in _OWN_ROLES:
        found = CustomRole.objects.filter(code=role).values_list("capabilities", flat=True).first()
        if found is None:
            return frozenset()
        # One dropped by a later version of the hub grants nothing.
        _OWN_ROLES[role] = frozenset(Capability(c) for c in found if c in CAPABILITY_VALUES)
    return _OWN_ROLES[role]


def assignable_roles() -> list[tuple[str, str]]:
    """The roles a user may be given, as (code, name): the built-in ones, then the partnership's own
    that are not retired."""
    own = CustomRole.objects.filter(retired_at__isnull=True).order_by("name").values_list("code", "name")
    return [*Role.choices, *own]


def role_assignable(role: str, *, lock: bool = False) -> bool:
    """Whether a role may be given now: built-in, or the partnership's own and not retired. ``lock``
    (inside a transaction) locks the role's row, so a retirement at the same moment waits for the
    change giving it, and then sees its holder."""
    own = CustomRole.objects.select_for_update() if lock else CustomRole.objects.all()
    return role in Role.values or own.filter(code=role, retired_at__isnull=True).exists()


# --- signin: who must use a second factor, and what counts as raising access ---------------------

# Every role that sees a child's identity, or manages who does, must pass a second factor. The
# partnership manager sees counts only (no identities), so the second factor is offered, not required;
# once they set one up it is always asked for. (docs/decisions.md)
SECOND_FACTOR_OPTIONAL_ROLES = frozenset({Role.PARTNERSHIP_MANAGER})


def needs_second_factor(user: Any) -> bool:
    return getattr(user, "role", None) not in SECOND_FACTOR_OPTIONAL_ROLES


def raises_access(*, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether a change of a user's access fields (``role``, ``agency_id``, ``is_active``) lets them
    see or do anything they could not before: then it waits for a second administrator.

    Raising: an account that could not sign in becoming able to; a role with any capability the old
    role lacked; a move to another agency (what one sees depends on one's agency: police
    intelligence, the concerns one's agency raised). Lowering (fewer capabilities, deactivating) and
    no change apply at once."""
    if not after.get("is_active"):
        return False
    if not before.get("is_active"):
        return True
    if after.get("agency_id") != before.get("agency_id"):
        return True
    old = capabilities_of(before.get("role", ""))
    new = capabilities_of(after.get("role", ""))
    return not new <= old


def roles_with(capability: Capability) -> list[str]:
    """The roles whose users may do this (to find who should hear of something)."""
    own = CustomRole.objects.filter(retired_at__isnull=True).values_list("code", "capabilities")
    return sorted([*(role for role, capabilities in ROLE_CAPABILITIES.items() if capability in capabilities),
                   *(code for code, capabilities in own if capability in capabilities)])


def has(user: Any, capability: Capability) -> bool:
    """Whether a signed-in, active user's role grants a capability."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return capability in capabilities_of(user.role)


def require(user: Any, capability: Capability) -> None:
    """For whole pages a role may not use (no record is named, so 403 reveals nothing)."""
    if not has(user, capability):
        raise PermissionDenied


# --- who sees which kind of record -------------------------------------------------------------


def sees_restricted_intelligence(user: User) -> bool:
    """Police intelligence without handling code P stays within the police: only police casework
    staff see it, and nothing derived from it reaches anyone else."""
    return has(user, Capability.VIEW_PERSON) and user.agency is not None and user.agency.kind == AgencyKind.POLICE


def sees_police_only_links(user: Any) -> bool:
    """Links the hub holds as police-only (police intelligence without handling code P, a police
    record naming a suspected perpetrator, graded intelligence with handling code C) and everything
    derived from them: chart data, tables, CSV, alert explanations. The same people as
    ``sees_restricted_intelligence``."""
    return has(user, Capability.VIEW_NETWORKS) and sees_restricted_intelligence(user)


def sees_intelligence_sources(user: Any) -> bool:
    """Who the source of graded intelligence is: police intelligence officers only."""
    return (
        has(user, Capability.GRADE_INTELLIGENCE) and user.agency is not None and user.agency.kind == AgencyKind.POLICE
    )


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
    who work the alerts queue), and those who run the panel (told of each new referral), MACE
    coordinators among them."""
    return has(user, Capability.TRIAGE) or has(user, Capability.WORK_ALERTS) or has(user, Capability.RUN_PANEL)


def sees_support_plans(user: Any) -> bool:
    """Survivor support plans are read and kept by support workers, each of their own agency's plans
    (the room's selectors narrow to the agency); other casework staff learn from the single view only
    that a plan exists and who holds it, so they know whom to ask."""
    return has(user, Capability.KEEP_SUPPORT_PLANS)


# --- sealed records: the check every read passes -----------------------------------------------
#
# A sealed person is seen only by the people named on the seal, and by someone who has broken the
# glass (with a reason, audited, reviewed by the data protection officer). To everyone else the
# person answers *not found*, through ``one_or_404`` (every selector that opens one record) and
# through ``not_hidden`` (every selector that lists records about people). The seals are kept by the
# data protection room, above this one, which registers here who is hidden from whom when the hub
# starts (``workflows.apps``); the policy itself imports nothing of it.

HiddenPersons = Callable[[User], Collection[int]]
_hidden_sources: dict[str, HiddenPersons] = {}
_hideable_sources: dict[str, Callable[[], Collection[int]]] = {}


def register_hidden_persons(name: str, source: HiddenPersons, hideable: Callable[[], Collection[int]]) -> None:
    """``source(user)`` answers every person id (each id a sealed person has had) hidden from ``user``;
    ``hideable()`` every id that may be hidden from anyone at all (whoever reads)."""
    _hidden_sources[name] = source
    _hideable_sources[name] = hideable


def may_be_hidden(person_id: int) -> bool:
    """Whether this person may be hidden from someone: a notice about anyone else needs no one's seals
    read (one query for the notice, not several for each recipient)."""
    return any(person_id in hideable() for hideable in _hideable_sources.values())


_remembered: ContextVar[dict[int, frozenset[int]] | None] = ContextVar("persons_hidden_remembered", default=None)


@contextmanager
def persons_hidden_remembered() -> Iterator[None]:
    """Within it, who is hidden from a user is worked out once, not at every list a page reads (a single
    view asks five times: three or four queries each). Only for what changes no seal and no identity:
    a GET request (``middleware.PersonsHiddenOncePerRequestMiddleware``); a write (a seal, break-glass,
    a merge or its undoing) and everything after it in its request read the seals afresh."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def persons_hidden_from(user: Any) -> frozenset[int]:
    """The person ids this user may not be shown at all (sealed, and the user neither named on the
    seal nor holding break-glass access to it)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    remembered = _remembered.get()
    if remembered is not None and user.pk in remembered:
        return remembered[user.pk]
    hidden = frozenset(pk for source in _hidden_sources.values() for pk in source(user))
    if remembered is not None:
        remembered[user.pk] = hidden
    return hidden


def not_hidden(user: Any, field: str = "person") -> Q:
    """A filter for any list of records about people: leaves out the rows whose ``field`` (a foreign
    key to Person, or ``"pk"`` on Person itself) names a person hidden from this user."""
    hidden = persons_hidden_from(user)
    if not hidden:
        return Q()
    return ~Q(**{f"{field}__in": sorted(hidden)})


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
    shown: Callable[[M], Iterable[int | None]] = lambda _record: (),
) -> M:
    """The one record the (already filtered) query finds, its viewing written to the audit trail.

    Http404 when the user may not see this kind of record at all (``allowed`` false) or the query
    finds none: a forbidden record looks exactly like a missing one, and the permission is decided
    before anything is read, so the two cannot be told apart by timing or by the answer."""
    if not allowed:
        raise Http404
    hidden = persons_hidden_from(user)
    record = records.first()
    if record is None or (hidden and person_of(record) in hidden):
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
            # A record that names others besides its person (a notice names the adult and the child):
            # each of them finds this viewing in their own trail.
            shown=[pk for pk in shown(record) if pk is not None],
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
            shown=shown,
        )


def current_user(request: HttpRequest) -> User:
    """The signed-in user (the sign-in middleware guarantees one on every hub page)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
