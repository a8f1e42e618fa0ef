"""The access rules as a matrix: every role of every agency against every kind of record, for
viewing and changing. The expectations are written out here, not derived from the gateway, so a
change to the rules has to be made in both places on purpose."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.earlywarning.models import Alert, AlertStatus
from safeguarding.frontdoor.models import Concern
from safeguarding.frontdoor.services import concern_raise
from safeguarding.panel.models import PanelReferral
from safeguarding.panel.services import panel_refer
from safeguarding.people.models import EventType, Handling
from tests.factories import (
    AlertFactory,
    EventFactory,
    PersonFactory,
    SourceRecordFactory,
    SourceSystemFactory,
    UserFactory,
)

CASEWORK = {
    Role.TRIAGE_WORKER,
    Role.MACE_COORDINATOR,
    Role.LEAD_PRACTITIONER,
    Role.INTELLIGENCE_OFFICER,
    Role.SUPPORT_WORKER,
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
    # early warning a panel can trust (issue 15)
    "missed opportunities: counts by age, sex and agency": {Role.MACE_COORDINATOR, Role.PARTNERSHIP_MANAGER},
    "missed opportunities: each referred child by name": {Role.MACE_COORDINATOR},
}
# A support plan is seen by the support workers of the agency holding it (here the voluntary project).
SUPPORT_PLAN = "support: a plan held by the voluntary project"
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


@pytest.fixture
def world(agencies) -> World:  # type: ignore[no-untyped-def]
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
    from django.utils import timezone

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
    # A child referred to the panel, whose only sign before it is police intelligence marked C.
    missed_record = SourceRecordFactory(source_system=police_system, record_id="NICHE-2")
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
    )


def _observe(user: User, world: World) -> dict[str, bool]:
    client = Client()
    client.force_login(user)
    seen: dict[str, bool] = {}

    single = client.get(reverse("people:detail", args=[world.person_id]))
    assert single.status_code in (200, 404)
    body = single.content.decode() if single.status_code == 200 else ""
    seen["person: single view"] = single.status_code == 200
    seen["event: ordinary agency event"] = world.ordinary_text in body
    seen["event: police intelligence marked P"] = world.shareable_text in body
    seen[RESTRICTED_INTELLIGENCE] = world.restricted_text in body

    search = client.get(reverse("people:search"), {"family_name": "Barker"})
    assert search.status_code in (200, 403)
    seen["person: search everyone"] = search.status_code == 200

    raise_page = client.get(reverse("frontdoor:raise-find"))
    seen["concern: raise one"] = raise_page.status_code == 200

    other = client.get(reverse("frontdoor:detail", args=[world.other_concern.pk]))
    assert other.status_code in (200, 404)
    seen["concern: view one raised by someone else"] = other.status_code == 200

    if seen["concern: raise one"]:
        from django.utils import timezone

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
    client.post(reverse("panel:detail", args=[world.referral_id]), {"reason": "matrix"})
    seen["panel: close a referral (change)"] = not PanelReferral.objects.get(pk=world.referral_id).is_open

    seen["aggregates: front door figures"] = client.get(reverse("frontdoor:figures")).status_code == 200
    seen["audit: who viewed a person"] = (
        client.get(reverse("dataprotection:trail"), {"person": f"P{world.person_id}"}).status_code == 200
    )
    seen["linkage: match review queue"] = client.get(reverse("linkage:queue")).status_code == 200
    seen["screening: screen a child"] = (
        client.get(reverse("screening:start", args=[world.person_id])).status_code == 200
    )
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
            "password": "a-long-enough-password-123",
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
    missed = client.get(reverse("earlywarning:missed"))
    assert missed.status_code in (200, 403)
    missed_body = missed.content.decode() if missed.status_code == 200 else ""
    seen["missed opportunities: counts by age, sex and agency"] = 'id="missed-by-agency"' in missed_body
    seen["missed opportunities: each referred child by name"] = f'id="missed-{world.missed_child_id}"' in missed_body
    seen[MISSED_RESTRICTED] = '<td class="govuk-table__cell">Intelligence</td>' in missed_body
    assert "missed-restricted-intel" not in missed_body  # the report never shows an event's detail
    return seen


@pytest.mark.django_db
@pytest.mark.parametrize("agency_kind", AgencyKind.values)
@pytest.mark.parametrize("role", Role.values)
def test_access_matrix(role: str, agency_kind: str, make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=role, agency_kind=agency_kind)
    seen = _observe(user, world)
    expected = {kind: role in roles for kind, roles in EXPECTED.items()}
    expected[RESTRICTED_INTELLIGENCE] = role in CASEWORK and agency_kind == AgencyKind.POLICE
    expected[SUPPORT_PLAN] = role == Role.SUPPORT_WORKER and agency_kind == AgencyKind.VOLUNTARY
    expected[MISSED_RESTRICTED] = role == Role.MACE_COORDINATOR and agency_kind == AgencyKind.POLICE
    assert seen == expected


@pytest.mark.django_db
def test_forbidden_and_missing_person_look_the_same(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    referrer = Client()
    referrer.force_login(make_user(role=Role.REFERRER))
    forbidden = referrer.get(reverse("people:detail", args=[world.person_id]))
    missing = referrer.get(reverse("people:detail", args=[world.person_id + 10_000]))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content


@pytest.mark.django_db
def test_signed_out_visitors_see_nothing(world: World) -> None:
    client = Client()
    for url in (reverse("people:detail", args=[world.person_id]), reverse("frontdoor:queue"), reverse("dataprotection:trail")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))
