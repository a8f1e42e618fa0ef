"""The access rules as a matrix: every role of every agency against every kind of record, for
viewing and changing. The expectations are written out here, not derived from the gateway, so a
change to the rules has to be made in both places on purpose."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import Agency, AgencyKind, Role, User
from safeguarding.earlywarning.models import Alert, AlertStatus
from safeguarding.frontdoor.models import Concern
from safeguarding.frontdoor.services import concern_raise
from safeguarding.panel.models import PanelReferral
from safeguarding.panel.services import panel_refer
from safeguarding.people.models import EventType, Handling
from tests.conftest import one_agency_of_each_kind
from tests.factories import (
    AlertFactory,
    EventFactory,
    PersonFactory,
    SourceRecordFactory,
    SourceSystemFactory,
    UserFactory,
    sign_in,
    without_csrf,
)

CASEWORK = {
    Role.TRIAGE_WORKER,
    Role.MACE_COORDINATOR,
    Role.LEAD_PRACTITIONER,
    Role.INTELLIGENCE_OFFICER,
    Role.SUPPORT_WORKER,
    Role.AGENCY_MANAGER,
}
RAISERS = CASEWORK | {Role.REFERRER}

# kind of record / page -> roles allowed (agency does not matter for these)
EXPECTED: dict[str, set[str]] = {
    "person: single view": CASEWORK,
    "person: search everyone": CASEWORK,
    "event: ordinary agency event": CASEWORK,
    "event: police intelligence marked P": CASEWORK,
    "concern: raise one": RAISERS,
    "concern: view one raised by someone else": CASEWORK,
    "concern: view one's own and its outcome": RAISERS,
    "concern: triage queue": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR},
    "concern: record a decision (change)": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR},
    "aggregates: front door figures": {
        Role.TRIAGE_WORKER,
        Role.MACE_COORDINATOR,
        Role.PARTNERSHIP_MANAGER,
        Role.DATA_PROTECTION_OFFICER,
    },
    "audit: who viewed a person": {Role.DATA_PROTECTION_OFFICER},
    "linkage: match review queue": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.INTELLIGENCE_OFFICER},
    "alert: early-warning queue": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR},
    "alert: view one": CASEWORK,
    "alert: act on one (change)": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR},
    "panel: referral list": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR},
    "panel: view a referral": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR},
    "panel: close a referral (change)": {Role.MACE_COORDINATOR},
    "screening: screen a child": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER},
    # screening as a task list (issue 16 item 3): the sections, saving one, and check your answers
    "screening: a section's questions": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER},
    "screening: save a section (change)": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER},
    "screening: check your answers": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER},
    "screening: lower levels awaiting approval": {Role.MACE_COORDINATOR},
    "screening: children at each level on a date": {
        Role.TRIAGE_WORKER,
        Role.MACE_COORDINATOR,
        Role.PARTNERSHIP_MANAGER,
        Role.DATA_PROTECTION_OFFICER,
    },
    "screening: tool (change)": {Role.ADMINISTRATOR},
    "admin: agencies (view)": {Role.ADMINISTRATOR},
    "admin: agencies (change)": {Role.ADMINISTRATOR},
    "admin: users (change)": {Role.ADMINISTRATOR},
    # survivor support and data protection (issue 17)
    "support: plan list": {Role.SUPPORT_WORKER},
    "support: open a plan (change)": {Role.SUPPORT_WORKER},
    "support: lived experience in aggregate": {Role.SUPPORT_WORKER, Role.PARTNERSHIP_MANAGER},
    "dataprotection: overview": {Role.DATA_PROTECTION_OFFICER},
    "dataprotection: subject access requests": {Role.DATA_PROTECTION_OFFICER},
    "dataprotection: a subject access request": {Role.DATA_PROTECTION_OFFICER},
    "dataprotection: disclosures": {Role.DATA_PROTECTION_OFFICER},
    "dataprotection: sealed records": {Role.DATA_PROTECTION_OFFICER},
    "dataprotection: retention and holds": {Role.DATA_PROTECTION_OFFICER},
    "dataprotection: break-glass page": CASEWORK,
    "person: sealed, not named": set(),
    "admin: changes of access awaiting approval": {Role.ADMINISTRATOR},
    "admin: locked sign-ins": {Role.ADMINISTRATOR},
    "account: change one's own password": set(Role.values),
    # justice: entities, networks, intelligence, contexts, disruption (docs/decisions.md, "Who sees which links")
    "networks: overview, entity page, a child's chart, its table and CSV": set(),  # NETWORKS below
    "intelligence: graded report with handling code P": set(),
    "information: submit (change)": RAISERS,
    "contexts: open work on a place (change)": {Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER, Role.INTELLIGENCE_OFFICER},
    "justice: investigations, operations and disruption": {Role.MACE_COORDINATOR, Role.INTELLIGENCE_OFFICER},
    "justice: record a disruption (change)": {Role.MACE_COORDINATOR, Role.INTELLIGENCE_OFFICER},
    "justice: outcome figures": {
        Role.TRIAGE_WORKER,
        Role.MACE_COORDINATOR,
        Role.INTELLIGENCE_OFFICER,
        Role.PARTNERSHIP_MANAGER,
        Role.DATA_PROTECTION_OFFICER,
    },
    # intervene: the panel's meetings are for its members; plans, actions and clocks for casework
    "mace: panel meetings": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER,
                             Role.INTELLIGENCE_OFFICER, Role.AGENCY_MANAGER},
    "mace: view a meeting": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER,
                             Role.INTELLIGENCE_OFFICER, Role.AGENCY_MANAGER},
    "mace: schedule meetings (change)": {Role.MACE_COORDINATOR},
    "mace: view a plan": CASEWORK,
    "mace: view an action": CASEWORK,
    "mace: my work": CASEWORK,
    "mace: plans list": CASEWORK,  # ui (issue 16): every child's plan, as a list
    "mace: our agency's work": {Role.AGENCY_MANAGER},
    "mace: escalations to the strategic group": {Role.MACE_COORDINATOR, Role.AGENCY_MANAGER, Role.PARTNERSHIP_MANAGER},
    # DOMAIN.md priority 6: every partner sees what each agency is responsible for (no one is named)
    "mace: roles and responsibilities (view)": set(Role.values),
    "mace: plans opened and closed (figures)": {
        Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.PARTNERSHIP_MANAGER, Role.DATA_PROTECTION_OFFICER,
    },
    "mace: roles and responsibilities (change)": {Role.ADMINISTRATOR},
    "admin: roles, and defining the partnership's own (change)": {Role.ADMINISTRATOR},
    "insight: the board report and its PDF": {
        Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.PARTNERSHIP_MANAGER, Role.DATA_PROTECTION_OFFICER,
    },
    "insight: the board's targets (view)": {
        Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.PARTNERSHIP_MANAGER, Role.DATA_PROTECTION_OFFICER,
    },
    "insight: record the board's targets (change)": {Role.PARTNERSHIP_MANAGER},
    "clocks: view a clock": CASEWORK,
    "clocks: children subject to a child protection plan, and its download": CASEWORK,
    "clocks: casework recorded (what the child said)": CASEWORK,
    "clocks: record casework (change)": CASEWORK,
    "jobs: background jobs": {Role.ADMINISTRATOR},
    # early warning a panel can trust (issue 15)
    "missed opportunities: counts by age, sex and agency": {Role.MACE_COORDINATOR, Role.PARTNERSHIP_MANAGER},
    "missed opportunities: each referred child by name": {Role.MACE_COORDINATOR},
    # the single view at a glance (issue 16): the panel referral for those who see the panel
    "person: single view's panel referral": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR},
}
NETWORKS = {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER, Role.INTELLIGENCE_OFFICER}
EXPECTED["networks: overview, entity page, a child's chart, its table and CSV"] = NETWORKS
EXPECTED["intelligence: graded report with handling code P"] = NETWORKS
EXPECTED["person: single view's vehicles and places (from the networks)"] = NETWORKS
# Police only: (roles, seen only from a police agency)
POLICE_ONLY: dict[str, set[str]] = {
    "networks: a police-only link in any page, chart data, table, CSV or search": NETWORKS,
    "alert: a new-link alert's police-only evidence": CASEWORK,
    "intelligence: graded report with handling code C": NETWORKS,
    "person: single view's summary names a police-only vehicle": NETWORKS,
    "person: single view's last two years count police intelligence marked C": CASEWORK,
    "intelligence: its source": {Role.INTELLIGENCE_OFFICER},
    "intelligence: record graded intelligence (change)": {Role.INTELLIGENCE_OFFICER},

}
# A support plan is seen by the support workers of the agency holding it (here the voluntary project).
SUPPORT_PLAN = "support: a plan held by the voluntary project"
# Completing an action someone else owns (a police officer's): the MACE coordinator, or the
# safeguarding manager of the owner's agency (police) only.
COMPLETE_ACTION = "mace: complete another person's action (change)"
# Police intelligence without handling code P: police casework staff only.
RESTRICTED_INTELLIGENCE = "event: police intelligence marked C (police only)"
# ...and in the missed-opportunity report: described only to a police MACE coordinator.
MISSED_RESTRICTED = "missed opportunities: police intelligence marked C described"


@dataclass
class World:
    person_id: int
    other_concern: Concern
    ordinary_text: str
    shareable_text: str
    restricted_text: str
    alert_id: int
    referral_id: int
    plan_id: int
    sar_id: int
    sealed_id: int
    missed_child_id: int
    second_child_id: int
    new_link_alert_id: int
    shared_vehicle_id: str  # its public id (Entity.public_id)
    report_p_ref: str
    report_c_ref: str
    meeting_id: int = 0
    mace_plan_id: int = 0
    action_id: int = 0
    clock_id: int = 0


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The records every case looks at, built once for the module (committed to the test database, each
    case rolled back after it, so what one case changes the next never sees), cleared after the module."""
    try:
        with django_db_blocker.unblock(), override_settings(
                HUB_BACKGROUND_JOBS="inline", LINKAGE_STORE_DIR=tmp_path_factory.mktemp("store"),
                AUDIT_ANCHOR_FILE=tmp_path_factory.mktemp("audit") / "anchors.jsonl"):
            # The agencies the `agencies` fixture then finds (by code) for each case's user.
            built = _world(one_agency_of_each_kind())
        yield built
    finally:  # also when building failed part way: no later module sees what was committed
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


def _world(agencies: dict[str, Agency]) -> World:
    police_system = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    school_system = SourceSystemFactory(code="school-sims", agency=agencies[AgencyKind.EDUCATION])
    police_record = SourceRecordFactory(source_system=police_system, record_id="NICHE-1")
    person = police_record.person
    SourceRecordFactory(source_system=school_system, record_id="SIMS-1", person=person)
    EventFactory(source_record=police_record, event_type=EventType.MISSING_EPISODE, detail="ordinary-missing-episode")
    EventFactory(
        source_record=police_record,
        event_type=EventType.INTELLIGENCE,
        handling=Handling.SHAREABLE,
        detail="shareable-intel-text",
    )
    EventFactory(
        source_record=police_record,
        event_type=EventType.INTELLIGENCE,
        handling=Handling.CONDITIONS,
        detail="restricted-intel-text",
    )
    other = UserFactory(role=Role.REFERRER, agency=agencies[AgencyKind.HEALTH], username="other-referrer")

    concern = concern_raise(
        raised_by=other, child=person, seen_on=timezone.localdate(), description="someone else's concern"
    )
    alert = AlertFactory(person=person)
    coordinator = UserFactory(role=Role.MACE_COORDINATOR, agency=agencies[AgencyKind.COUNCIL], username="world-mace")
    referral = panel_refer(child=PersonFactory(), referred_by=coordinator, reason="for the matrix")
    from safeguarding.dataprotection import sealing
    from safeguarding.dataprotection.services import sar_log
    from safeguarding.support.services import support_plan_open

    project_worker = UserFactory(role=Role.SUPPORT_WORKER, agency=agencies[AgencyKind.VOLUNTARY], username="world-sw")
    plan = support_plan_open(acting_user=project_worker, person=person)
    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL], username="world-dpo")
    sar = sar_log(acting_user=dpo, person=person, requester_name="The child", requester_relationship="themselves",
                  received_on=timezone.localdate())
    sealed = PersonFactory()
    sealing.record_seal(acting_user=dpo, person=sealed, reason="matrix", named_users=[coordinator])
    # Justice: the child seen in a car; police intelligence held with conditions puts them and a
    # second child in another car (a new-link alert on the second child); two graded reports.

    from safeguarding.contexts import services as contexts
    from safeguarding.contexts.models import Entity

    EventFactory(source_record=police_record, event_type=EventType.SEEN_IN_VEHICLE, vehicle_registration="YA19ABC",
                 occurred_at=timezone.now() - dt.timedelta(days=20))
    EventFactory(source_record=police_record, event_type=EventType.INTELLIGENCE, handling=Handling.CONDITIONS,
                 vehicle_registration="RS19XYZ", occurred_at=timezone.now() - dt.timedelta(days=10))
    second = SourceRecordFactory(source_system=police_system, record_id="NICHE-2")
    EventFactory(source_record=second, event_type=EventType.INTELLIGENCE, handling=Handling.CONDITIONS,
                 vehicle_registration="RS19XYZ", occurred_at=timezone.now() - dt.timedelta(days=5))
    built = contexts.links_build()
    officer = UserFactory(role=Role.INTELLIGENCE_OFFICER, agency=agencies[AgencyKind.POLICE], username="world-intel")
    reports = [
        contexts.intelligence_record(
            acting_user=officer, observed_on=timezone.localdate(), source_evaluation="1", assessment="B",
            handling=handling, handling_conditions="Police and council safeguarding leads only",
            sanitised_text=f"sanitised-{handling}-text", source_description="source-identity-text", persons=[person],
        )
        for handling in ("P", "C")
    ]
    from safeguarding.clocks.models import StatutoryClock, StepKind
    from safeguarding.clocks.services import casework_step_record
    from safeguarding.mace.services import action_create, meetings_schedule, plan_open

    police_chair = UserFactory(role=Role.INTELLIGENCE_OFFICER, agency=agencies[AgencyKind.POLICE], username="w-chair")
    [meeting] = meetings_schedule(acting_user=coordinator, first_at=timezone.now() + dt.timedelta(days=3),
                                  place="Town hall", police_chair=police_chair, council_chair=coordinator)
    mace_plan = plan_open(acting_user=coordinator, child=person)
    action = action_create(acting_user=coordinator, plan=mace_plan, description="Visit the takeaway", owner=police_chair,
                           due_on=timezone.localdate() + dt.timedelta(days=10))
    casework_step_record(acting_user=coordinator, child=person, kind=StepKind.STRATEGY_DISCUSSION,
                         occurred_at=timezone.now() - dt.timedelta(days=1))
    # A child referred to the panel, whose only sign before it is police intelligence marked C.
    missed_record = SourceRecordFactory(source_system=police_system, record_id="NICHE-MISSED")
    EventFactory(source_record=missed_record, event_type=EventType.INTELLIGENCE, handling=Handling.CONDITIONS,
                 detail="missed-restricted-intel")
    panel_refer(child=missed_record.person, referred_by=coordinator, reason="for the missed-opportunity report")
    return World(
        person.pk,
        concern,
        "ordinary-missing-episode",
        "shareable-intel-text",
        "restricted-intel-text",
        alert.pk,
        referral.pk,
        plan.pk,
        sar.pk,
        sealed.pk,
        missed_record.person_id,
        second.person_id,
        next(a.pk for a in built.alerts if a.person_id == second.person_id),
        Entity.objects.get(key="YA19ABC").public_id,
        reports[0].reference,
        reports[1].reference,
        meeting.pk,
        mace_plan.pk,
        action.pk,
        StatutoryClock.objects.get().pk,
    )


def _observe(user: User, world: World) -> dict[str, bool]:
    client = Client()
    sign_in(client, user)
    seen: dict[str, bool] = {}

    single = client.get(reverse("people:detail", args=[world.person_id]))
    assert single.status_code in (200, 404)
    body = single.content.decode() if single.status_code == 200 else ""
    seen["person: single view"] = single.status_code == 200
    seen["event: ordinary agency event"] = world.ordinary_text in body
    seen["event: police intelligence marked P"] = world.shareable_text in body
    seen[RESTRICTED_INTELLIGENCE] = world.restricted_text in body
    glance = body[body.find('id="at-a-glance"'):body.find("</section>", body.find('id="at-a-glance"'))] if body else ""
    seen["person: single view's panel referral"] = 'id="glance-referral"' in glance
    seen["person: single view's vehicles and places (from the networks)"] = "YA19 ABC" in glance
    seen["person: single view's summary names a police-only vehicle"] = "RS19 XYZ" in glance or "RS19XYZ" in glance
    # The police's entries in the last two years: five for police casework staff, three for others.
    police_count = re.search(r"Police agency: (\d+)[.;]", body)
    seen["person: single view's last two years count police intelligence marked C"] = (
        police_count is not None and police_count.group(1) == "5"
    )

    search = client.get(reverse("people:search"), {"family_name": "Barker"})
    assert search.status_code in (200, 403)
    seen["person: search everyone"] = search.status_code == 200

    raise_page = client.get(reverse("frontdoor:raise-find"))
    seen["concern: raise one"] = raise_page.status_code == 200

    other = client.get(reverse("frontdoor:detail", args=[world.other_concern.pk]))
    assert other.status_code in (200, 404)
    seen["concern: view one raised by someone else"] = other.status_code == 200

    if seen["concern: raise one"]:

        from safeguarding.people.models import Person

        own = concern_raise(
            raised_by=user,
            child=Person.objects.get(pk=world.person_id),
            seen_on=timezone.localdate(),
            description="mine",
        )
        seen["concern: view one's own and its outcome"] = (
            client.get(reverse("frontdoor:detail", args=[own.pk])).status_code == 200
        )
    else:
        seen["concern: view one's own and its outcome"] = False

    seen["concern: triage queue"] = client.get(reverse("frontdoor:queue")).status_code == 200
    decide = client.post(
        reverse("frontdoor:detail", args=[world.other_concern.pk]), {"outcome": "early_help", "reason": "matrix"}
    )
    world.other_concern.refresh_from_db()
    seen["concern: record a decision (change)"] = world.other_concern.status == "decided"
    if seen["concern: record a decision (change)"]:
        assert decide.status_code == 302
    else:
        assert decide.status_code == 404

    seen["alert: early-warning queue"] = client.get(reverse("earlywarning:queue")).status_code == 200
    seen["alert: view one"] = client.get(reverse("earlywarning:detail", args=[world.alert_id])).status_code == 200
    client.post(reverse("earlywarning:acknowledge", args=[world.alert_id]))
    seen["alert: act on one (change)"] = Alert.objects.get(pk=world.alert_id).status == AlertStatus.ACKNOWLEDGED
    seen["panel: referral list"] = client.get(reverse("panel:list")).status_code == 200
    seen["panel: view a referral"] = client.get(reverse("panel:detail", args=[world.referral_id])).status_code == 200
    client.post(reverse("panel:detail", args=[world.referral_id]), {"reason": "matrix", "confirm": "yes"})
    seen["panel: close a referral (change)"] = not PanelReferral.objects.get(pk=world.referral_id).is_open

    seen["aggregates: front door figures"] = client.get(reverse("frontdoor:figures")).status_code == 200
    seen["audit: who viewed a person"] = (
        client.get(reverse("dataprotection:trail"), {"person": f"P{world.person_id}"}).status_code == 200
    )
    seen["linkage: match review queue"] = client.get(reverse("linkage:queue")).status_code == 200
    seen["screening: screen a child"] = (
        client.get(reverse("screening:start", args=[world.person_id])).status_code == 200
    )
    _observe_screening_sections(client, user, world, seen)
    seen["screening: lower levels awaiting approval"] = client.get(reverse("screening:approvals")).status_code == 200
    seen["screening: children at each level on a date"] = client.get(reverse("screening:levels")).status_code == 200
    from safeguarding.screening.models import ScreeningToolVersion

    client.post(
        reverse("screening:settings-edit"), {"based_on": 1, "downgrade_needs_approval": "no", "change_note": "matrix"}
    )
    seen["screening: tool (change)"] = ScreeningToolVersion.objects.filter(number=2).exists()
    seen["admin: agencies (view)"] = client.get(reverse("accounts:agencies")).status_code == 200
    from safeguarding.accounts.models import Agency

    client.post(
        reverse("accounts:agency-new"),
        {"code": "new-agency", "name": "New agency", "kind": "voluntary", "is_active": "on"},
    )
    seen["admin: agencies (change)"] = Agency.objects.filter(code="new-agency").exists()
    client.post(
        reverse("accounts:user-new"),
        {
            "username": "made-by-matrix",
            "first_name": "New",
            "last_name": "Person",
            "agency": user.agency_id,
            "role": "referrer",
            "email": "made-by-matrix@example.org",  # its set-up link goes there (no one chooses its password)
            "is_active": "on",
        },
    )
    seen["admin: users (change)"] = User.objects.filter(username="made-by-matrix").exists()

    from safeguarding.support.models import SupportPlan

    seen["support: plan list"] = client.get(reverse("support:list")).status_code == 200
    seen[SUPPORT_PLAN] = client.get(reverse("support:detail", args=[world.plan_id])).status_code == 200
    other_person = PersonFactory()
    client.post(reverse("support:open", args=[other_person.pk]), {})
    seen["support: open a plan (change)"] = SupportPlan.objects.filter(person=other_person).exists()
    seen["support: lived experience in aggregate"] = client.get(reverse("support:lived-experience")).status_code == 200
    seen["dataprotection: overview"] = client.get(reverse("dataprotection:overview")).status_code == 200
    seen["dataprotection: subject access requests"] = client.get(reverse("dataprotection:sars")).status_code == 200
    seen["dataprotection: a subject access request"] = (
        client.get(reverse("dataprotection:sar", args=[world.sar_id])).status_code == 200
    )
    seen["dataprotection: disclosures"] = client.get(reverse("dataprotection:disclosures")).status_code == 200
    seen["dataprotection: sealed records"] = client.get(reverse("dataprotection:sealed")).status_code == 200
    seen["dataprotection: retention and holds"] = client.get(reverse("dataprotection:retention")).status_code == 200
    seen["dataprotection: break-glass page"] = client.get(reverse("dataprotection:break-glass")).status_code == 200
    seen["person: sealed, not named"] = client.get(reverse("people:detail", args=[world.sealed_id])).status_code == 200
    seen["admin: changes of access awaiting approval"] = client.get(reverse("accounts:access-approvals")).status_code == 200
    seen["admin: locked sign-ins"] = client.get(reverse("accounts:sign-in-locks")).status_code == 200
    from safeguarding.accounts.models import CustomRole

    roles_before = CustomRole.objects.count()
    client.post(reverse("accounts:roles"), {"name": f"Matrix role {roles_before}", "capabilities": ["view_person", "view_plans"]})
    seen["admin: roles, and defining the partnership's own (change)"] = (
        client.get(reverse("accounts:roles")).status_code == 200 and CustomRole.objects.count() > roles_before)
    seen["account: change one's own password"] = client.get(reverse("accounts:password-change")).status_code == 200
    _observe_justice(client, user, world, seen)
    from safeguarding.clocks.models import CaseworkStep
    from safeguarding.insight.models import StrategyTarget
    from safeguarding.insight.selectors import quarters_to_target
    from safeguarding.mace.models import PanelMeeting, PlanAction, RaciVersion

    seen["mace: panel meetings"] = client.get(reverse("mace:meetings")).status_code == 200
    seen["mace: view a meeting"] = client.get(reverse("mace:meeting", args=[world.meeting_id])).status_code == 200
    before = PanelMeeting.objects.count()
    client.post(reverse("mace:meeting-new"), {
        "first_on_0": "1", "first_on_1": "6", "first_on_2": str(timezone.localdate().year + 1), "at": "10:00",
        "place": "Matrix room", "police_chair": PanelMeeting.objects.get(pk=world.meeting_id).police_chair_id,
        "council_chair": PanelMeeting.objects.get(pk=world.meeting_id).council_chair_id, "count": "1", "every_weeks": "2",
    })
    seen["mace: schedule meetings (change)"] = PanelMeeting.objects.count() > before
    seen["mace: view a plan"] = client.get(reverse("mace:plan", args=[world.mace_plan_id])).status_code == 200
    seen["mace: view an action"] = client.get(reverse("mace:action", args=[world.action_id])).status_code == 200
    client.post(reverse("mace:action", args=[world.action_id]), {"form": "complete", "outcome": "matrix"})
    seen[COMPLETE_ACTION] = not PlanAction.objects.get(pk=world.action_id).is_open
    seen["mace: my work"] = client.get(reverse("mace:my-work")).status_code == 200
    plans = client.get(reverse("mace:plans"))
    assert plans.status_code in (200, 403)
    seen["mace: plans list"] = plans.status_code == 200 and f"PL{world.mace_plan_id:05d}" in plans.content.decode()
    seen["mace: our agency's work"] = client.get(reverse("mace:agency-work")).status_code == 200
    seen["mace: escalations to the strategic group"] = client.get(reverse("mace:escalations")).status_code == 200
    raci_before = RaciVersion.objects.count()
    from safeguarding.mace import raci

    cells = {f"{step.code}__{kind}": letter for step in raci.parse(raci.default_matrix())
             for kind, letter in step.roles.items()}
    client.post(reverse("mace:raci"), {**cells, "based_on": "1", "triage__voluntary": "C", "change_note": "matrix"})
    seen["mace: roles and responsibilities (change)"] = RaciVersion.objects.count() > max(raci_before, 1)
    seen["mace: roles and responsibilities (view)"] = client.get(reverse("mace:raci")).status_code == 200
    seen["mace: plans opened and closed (figures)"] = client.get(reverse("mace:figures")).status_code == 200
    seen["insight: the board report and its PDF"] = (
        client.get(reverse("insight:board")).status_code == 200
        and client.get(reverse("insight:board-pdf")).status_code == 200
    )
    seen["insight: the board's targets (view)"] = client.get(reverse("insight:targets")).status_code == 200
    targets_before = StrategyTarget.objects.count()
    client.post(reverse("insight:targets"), {"measure": "meetings", "comparison": "at_least",
                                             "value": str(targets_before + 1), "from_quarter": quarters_to_target()[0].code,
                                             "reason": "matrix"})
    seen["insight: record the board's targets (change)"] = StrategyTarget.objects.count() > targets_before
    seen["clocks: view a clock"] = client.get(reverse("clocks:clock", args=[world.clock_id])).status_code == 200
    seen["clocks: children subject to a child protection plan, and its download"] = (
        client.get(reverse("clocks:protection-plans")).status_code == 200
        and client.get(reverse("clocks:protection-plans"), {"download": "csv"}).status_code == 200
    )
    seen["clocks: casework recorded (what the child said)"] = (
        client.get(reverse("clocks:casework", args=[world.person_id])).status_code == 200
    )
    steps = CaseworkStep.objects.count()
    client.post(reverse("clocks:step", args=[world.person_id]), {
        "kind": "assessment_referral", "occurred_on_0": "2", "occurred_on_1": "3", "occurred_on_2": "2026",
        "positive": "", "note": "",
    })
    seen["clocks: record casework (change)"] = CaseworkStep.objects.count() > steps
    seen["jobs: background jobs"] = client.get(reverse("workflows:jobs")).status_code == 200
    missed = client.get(reverse("earlywarning:missed"))
    assert missed.status_code in (200, 403)
    missed_body = missed.content.decode() if missed.status_code == 200 else ""
    seen["missed opportunities: counts by age, sex and agency"] = 'id="missed-by-agency"' in missed_body
    seen["missed opportunities: each referred child by name"] = f'id="missed-{world.missed_child_id}"' in missed_body
    seen[MISSED_RESTRICTED] = '<td class="govuk-table__cell">Intelligence</td>' in missed_body
    assert "missed-restricted-intel" not in missed_body  # the report never shows an event's detail
    return seen


def _observe_screening_sections(client: Client, user: User, world: World, seen: dict[str, bool]) -> None:
    """The task list's pages: a section (GET), saving every section (POST, answered "no"), then
    *check your answers*, which only someone who may screen reaches; others get 403 on each."""
    from safeguarding.screening.models import ScreeningAssessment
    from safeguarding.screening.selectors import tool_current
    from safeguarding.screening.tool import sections

    parts = sections(tool_current().tool, [])
    first = client.get(reverse("screening:section", args=[world.person_id, parts[0].code]))
    assert first.status_code in (200, 403)
    seen["screening: a section's questions"] = first.status_code == 200
    codes = set()
    for part in parts:
        saved = client.post(
            reverse("screening:section", args=[world.person_id, part.code]),
            {"action": "continue"} | {f"answer__{i.code}": "no" for i in part.indicators},
        )
        codes.add(saved.status_code)
    assert codes in ({302}, {403})
    seen["screening: save a section (change)"] = ScreeningAssessment.objects.filter(
        started_by=user, child_id=world.person_id, status="draft"
    ).exists()
    check = client.get(reverse("screening:check", args=[world.person_id]))
    assert check.status_code in (200, 403)
    seen["screening: check your answers"] = check.status_code == 200 and "Check your answers" in check.content.decode()


def _observe_justice(client: Client, user: User, world: World, seen: dict[str, bool]) -> None:
    from safeguarding.contexts.models import ContextCase, Entity, IntelligenceReport
    from safeguarding.justice.models import Disruption

    police_car = Entity.objects.get(key="RS19XYZ")
    search = client.get(reverse("contexts:networks"), {"kind": "vehicle", "text": "RS19 XYZ"})
    pages = [
        client.get(reverse("contexts:networks")),
        client.get(reverse("contexts:person", args=[world.person_id])),
        client.get(reverse("contexts:person-json", args=[world.person_id])),
        client.get(reverse("contexts:person-csv", args=[world.person_id])),
        client.get(reverse("contexts:person", args=[world.second_child_id])),
    ] + [client.get(reverse("contexts:entity", args=[e.public_id])) for e in Entity.objects.all()]
    assert all(p.status_code in (200, 403, 404) for p in pages)
    seen["networks: overview, entity page, a child's chart, its table and CSV"] = all(
        p.status_code == 200 for p in pages[:5]
    ) and client.get(reverse("contexts:entity", args=[world.shared_vehicle_id])).status_code == 200
    everything = "".join(p.content.decode() for p in pages if p.status_code == 200)
    seen["networks: a police-only link in any page, chart data, table, CSV or search"] = (
        "RS19XYZ" in everything or "RS19 XYZ" in everything
        or reverse("contexts:entity", args=[police_car.public_id]) in search.content.decode()
    )
    alert = client.get(reverse("earlywarning:detail", args=[world.new_link_alert_id]))
    seen["alert: a new-link alert's police-only evidence"] = "RS19XYZ" in alert.content.decode()
    report_p = client.get(reverse("contexts:intelligence-detail", args=[world.report_p_ref]))
    seen["intelligence: graded report with handling code P"] = "sanitised-P-text" in report_p.content.decode()
    report_c = client.get(reverse("contexts:intelligence-detail", args=[world.report_c_ref]))
    listing = client.get(reverse("contexts:intelligence"))
    seen["intelligence: graded report with handling code C"] = "sanitised-C-text" in (
        report_c.content.decode() + listing.content.decode()
    )
    source = client.get(reverse("contexts:intelligence-detail", args=[world.report_c_ref]), {"source": "show"})
    seen["intelligence: its source"] = "source-identity-text" in source.content.decode()
    seen["intelligence: record graded intelligence (change)"] = (
        client.get(reverse("contexts:intelligence-new")).status_code == 200
    )
    before = IntelligenceReport.objects.count()
    client.post(reverse("contexts:intelligence-new"), {
        "person_refs": f"P{world.person_id:07d}", "observed_on_0": "1", "observed_on_1": "3", "observed_on_2": "2025",
        "source_evaluation": "1", "assessment": "A", "handling": "P", "sanitised_text": "matrix",
        "source_description": "matrix",
    })
    assert (IntelligenceReport.objects.count() > before) == seen["intelligence: record graded intelligence (change)"]
    seen["information: submit (change)"] = client.get(reverse("contexts:submit")).status_code == 200
    client.post(reverse("contexts:context-open", args=[world.shared_vehicle_id]), {
        "assessment": "matrix", "plan": "matrix", "review_due_on_0": "1", "review_due_on_1": "1",
        "review_due_on_2": "2099",
    })
    seen["contexts: open work on a place (change)"] = ContextCase.objects.filter(assessment="matrix").exists()
    seen["justice: investigations, operations and disruption"] = client.get(reverse("justice:operations")).status_code == 200
    adult = PersonFactory(role="adult", date_of_birth="1980-01-01")
    client.post(reverse("justice:disruption-new"), {
        "kind": "cawn", "adult_ref": f"P{adult.pk:07d}", "child_ref": f"P{world.person_id:07d}",
        "served_on_0": "1", "served_on_1": "3", "served_on_2": "2025", "detail": "matrix",
    })
    seen["justice: record a disruption (change)"] = Disruption.objects.filter(detail="matrix").exists()
    figures = client.get(reverse("justice:figures"))
    assert figures.status_code in (200, 403)  # a page the role may not use says so
    seen["justice: outcome figures"] = figures.status_code == 200


# The rules treat the staff of most agencies alike: only the police's (intelligence marked C, police-only
# pages, completing another agency's action) and the voluntary project's (survivors' support plans) see
# more. When `make test` runs the two databases side by side (tests/conftest.py), those two agencies run on
# both, and the four treated alike are dealt out, two to each: every cell of the matrix is checked, and
# every distinct expectation on both databases, in two thirds of the time (docs/decisions.md).
ALIKE = [AgencyKind.COUNCIL, AgencyKind.HEALTH, AgencyKind.EDUCATION, AgencyKind.LICENSING]
AGENCIES = [
    pytest.param(kind, marks=pytest.mark.side_by_side_on("sqlite" if ALIKE.index(kind) % 2 == 0 else "postgresql"))
    if kind in ALIKE else kind
    for kind in AgencyKind.values
]


@pytest.mark.django_db
@pytest.mark.parametrize("agency_kind", AGENCIES)
@pytest.mark.parametrize("role", Role.values)
def test_access_matrix(role: str, agency_kind: str, make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=role, agency_kind=agency_kind)
    seen = _observe(user, world)
    expected = {kind: role in roles for kind, roles in EXPECTED.items()}
    expected[RESTRICTED_INTELLIGENCE] = role in CASEWORK and agency_kind == AgencyKind.POLICE
    expected[SUPPORT_PLAN] = role == Role.SUPPORT_WORKER and agency_kind == AgencyKind.VOLUNTARY
    for kind, roles in POLICE_ONLY.items():
        expected[kind] = role in roles and agency_kind == AgencyKind.POLICE
    expected[COMPLETE_ACTION] = role == Role.MACE_COORDINATOR or (
        role == Role.AGENCY_MANAGER and agency_kind == AgencyKind.POLICE
    )
    expected[MISSED_RESTRICTED] = role == Role.MACE_COORDINATOR and agency_kind == AgencyKind.POLICE
    assert seen == expected


@pytest.mark.django_db
def test_forbidden_and_missing_person_look_the_same(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    referrer = Client()
    sign_in(referrer, make_user(role=Role.REFERRER))
    forbidden = referrer.get(reverse("people:detail", args=[world.person_id]))
    missing = referrer.get(reverse("people:detail", args=[world.person_id + 10_000]))
    assert forbidden.status_code == missing.status_code == 404
    # the same page byte for byte, but for the sign-out form's CSRF token, masked afresh on every page
    assert without_csrf(forbidden.content) == without_csrf(missing.content)


@pytest.mark.django_db
def test_signed_out_visitors_see_nothing(world: World) -> None:
    client = Client()
    for url in (reverse("people:detail", args=[world.person_id]), reverse("frontdoor:queue"), reverse("dataprotection:trail")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))
