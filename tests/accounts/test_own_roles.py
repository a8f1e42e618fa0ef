"""The partnership's own roles (DOMAIN.md priority 7: configurable by the partnership, not rebuilt):
an administrator defines a role from the capabilities; its users may do exactly what it grants and
nothing else; giving it to someone who could do less waits for a second administrator; what a role
grants never changes; a role no one holds can be retired."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.access import (
    Capability,
    assignable_roles,
    has,
    needs_second_factor,
    roles_with,
)
from safeguarding.accounts.models import AgencyKind, CustomRole, Role, User
from safeguarding.accounts.security.models import AccessChange, AccessChangeStatus
from safeguarding.accounts.services import (
    access_change_approve,
    custom_role_create,
    custom_role_retire,
    user_create,
    user_update,
)
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from tests.factories import PersonFactory, sign_in

YOUTH_JUSTICE = ["raise_concern", "view_person", "search_people", "view_plans"]


def define(client: Client, name: str, capabilities: list[str]) -> str:
    return client.post(reverse("accounts:roles"), {"name": name, "capabilities": capabilities,
                                                   "description": "The youth offending team"}, follow=True
                       ).content.decode()


@pytest.mark.django_db
def test_an_administrator_defines_a_role_and_its_users_may_do_exactly_what_it_grants(make_user: Any) -> None:
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    page = define(sign_in(Client(), admin), "Youth justice worker", YOUTH_JUSTICE)
    assert "The role Youth justice worker is defined" in page and "See a child&#x27;s single view" in page
    role = CustomRole.objects.get()
    assert role.code == "own-youth-justice-worker" and role.capabilities == sorted(YOUTH_JUSTICE)
    made = AuditEvent.objects.get(event_type=AuditEventType.ROLE_CREATED)
    assert made.actor_id == admin.pk and made.detail["capabilities"] == sorted(YOUTH_JUSTICE)
    assert (role.code, "Youth justice worker") in assignable_roles()

    worker = user_create(acting_user=None, username="yjw", password="a long enough passphrase 7", validate=False,
                         agency=admin.agency, role=role.code, first_name="Sam", last_name="Reid")
    assert worker.get_role_display() == "Youth justice worker" and needs_second_factor(worker)
    assert {c for c in Capability if has(worker, c)} == {Capability(c) for c in YOUTH_JUSTICE}
    assert role.code in roles_with(Capability.VIEW_PERSON) and role.code not in roles_with(Capability.TRIAGE)
    client = sign_in(Client(), worker)
    child = PersonFactory(given_name="Keeley")
    single = client.get(reverse("people:detail", args=[child.pk]))
    assert single.status_code == 200 and "(Youth justice worker)" in single.content.decode()
    for forbidden in ("frontdoor:queue", "insight:board", "accounts:roles", "accounts:users"):
        assert client.get(reverse(forbidden)).status_code == 403, forbidden


@pytest.mark.django_db
def test_a_role_that_does_not_hold_is_refused_and_only_administrators_define_roles(make_user: Any) -> None:
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    client = sign_in(Client(), admin)
    assert "Choose what the role lets its users do" in define(client, "Nobody", [])
    # The administrator's own capabilities are not offered, and refused if sent anyway.
    assert "Select one of the options" in define(client, "Deputy administrator", ["manage_accounts"])
    with pytest.raises(ServiceError, match="stay with the administrator role"):
        custom_role_create(acting_user=admin, name="Deputy administrator", capabilities=["configure_tools", "view_audit"])
    with pytest.raises(ServiceError, match="A built-in role grants exactly that"):
        custom_role_create(acting_user=admin, name="Teacher", capabilities=["raise_concern", "submit_information"])
    # A capability whose pages are about children by name needs the single view beside it: no one is told
    # of, or listed, records they cannot open.
    refused = define(client, "Panel clerk", ["run_panel", "view_meetings", "view_escalations", "strategic_group"])
    assert ("&quot;See the panel&#x27;s meetings, agendas and minutes&quot; needs &quot;See a child&#x27;s single "
            "view, with every agency&#x27;s records&quot;: choose it too, or leave it out.") in refused
    assert ("&quot;Run the panel: meetings, agendas, discussions, minutes and plans&quot; needs &quot;See a "
            "child&#x27;s single view, with every agency&#x27;s records&quot; and &quot;See children&#x27;s "
            "multi-agency plans and their actions&quot;: choose them too, or leave it out.") in refused
    # With what it needs, a role that runs the panel opens the referrals it is told of.
    clerk_role = custom_role_create(acting_user=admin, name="Panel clerk",
                                    capabilities=["run_panel", "view_meetings", "view_person", "view_plans"])
    clerk = sign_in(Client(), make_user(role=clerk_role.code, agency_kind=AgencyKind.COUNCIL))
    assert clerk.get(reverse("panel:list")).status_code == 200
    from safeguarding.panel.services import panel_refer

    referral = panel_refer(child=PersonFactory(given_name="Keeley"), reason="Seen with older men",
                           referred_by=make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL))
    glance = clerk.get(reverse("people:detail", args=[referral.child_id])).content.decode()
    assert f">{referral.reference}</a>, referred" in glance and "None open" not in glance
    with pytest.raises(ServiceError) as two:
        custom_role_create(acting_user=admin, name="Front door", capabilities=["triage", "work_alerts"])
    assert str(two.value) == ('"Work the front door\'s queue and decide concerns" and "Work the early-warning alerts: '
                              'acknowledge, dismiss, refer to the panel" need "See a child\'s single view, with every '
                              'agency\'s records": choose it too, or leave them out.')
    custom_role_create(acting_user=admin, name="Youth justice worker", capabilities=YOUTH_JUSTICE)
    for taken in ("youth  JUSTICE worker", "Referrer"):
        with pytest.raises(ServiceError, match="already exists"):
            custom_role_create(acting_user=admin, name=taken, capabilities=["view_person", "view_plans"])
    manager = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    assert sign_in(Client(), manager).get(reverse("accounts:roles")).status_code == 403
    assert sign_in(Client(), manager).post(reverse("accounts:roles"), {"name": "Mine", "capabilities": ["view_person", "view_plans"]}
                                           ).status_code == 403
    with pytest.raises(ServiceError, match="Only an administrator"):
        custom_role_create(acting_user=manager, name="Mine", capabilities=["view_person", "view_plans"])
    assert sorted(CustomRole.objects.values_list("name", flat=True)) == ["Panel clerk", "Youth justice worker"]
    # A role defined before the hub checked what capabilities need is flagged on the roles page.
    CustomRole.objects.create(code="own-plans-reader", name="Plans reader", capabilities=["view_plans"],
                              created_by=admin, created_at=admin.date_joined)
    page = client.get(reverse("accounts:roles")).content.decode()
    assert page.count("Incomplete") == 1 and (
        "&quot;See children&#x27;s multi-agency plans and their actions&quot; needs &quot;See a child&#x27;s single "
        "view, with every agency&#x27;s records&quot;. Its users are told of") in page


@pytest.mark.django_db
def test_giving_a_role_that_lets_someone_do_more_waits_for_a_second_administrator(make_user: Any) -> None:
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    more = custom_role_create(acting_user=admin, name="Youth justice worker", capabilities=YOUTH_JUSTICE)
    less = custom_role_create(acting_user=admin, name="Concern raiser", capabilities=["raise_concern"])
    teacher = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)

    def change(role: str) -> Any:
        return user_update(acting_user=admin, user=teacher, agency=teacher.agency, role=role, is_active=True,
                           first_name=teacher.first_name, last_name=teacher.last_name, email=teacher.email,
                           job_title=teacher.job_title)

    pending = change(more.code)
    teacher.refresh_from_db()
    assert pending is not None and teacher.role == Role.REFERRER  # waits; the referrer still cannot see children
    assert change(less.code) is None  # fewer capabilities than a referrer's: at once
    teacher.refresh_from_db()
    assert teacher.role == less.code and not has(teacher, Capability.SUBMIT_INFORMATION)


@pytest.mark.django_db
def test_a_role_no_one_holds_can_be_retired_and_is_then_no_longer_offered(make_user: Any) -> None:
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    role = custom_role_create(acting_user=admin, name="Youth justice worker", capabilities=YOUTH_JUSTICE)
    worker = make_user(role=role.code, agency_kind=AgencyKind.COUNCIL)
    client = sign_in(Client(), admin)
    refused = client.post(reverse("accounts:role-retire", args=[role.pk]), follow=True).content.decode()
    assert "Youth justice worker was not retired: 1 user still holds this role" in refused
    less = custom_role_create(acting_user=admin, name="Concern raiser", capabilities=["raise_concern"])
    assert user_update(acting_user=admin, user=worker, agency=worker.agency, role=less.code, is_active=True,
                       first_name="", last_name="", email="", job_title="") is None  # fewer: at once
    assert "is retired" in client.post(reverse("accounts:role-retire", args=[role.pk]), follow=True).content.decode()
    assert AuditEvent.objects.filter(event_type=AuditEventType.ROLE_RETIRED, target_id=role.code).exists()
    assert role.code not in dict(assignable_roles()) and role.code not in roles_with(Capability.VIEW_PERSON)
    with pytest.raises(ServiceError, match="Choose a role the hub offers"):
        user_create(acting_user=None, username="late", password="a long enough passphrase 7", validate=False,
                    agency=admin.agency, role=role.code)
    with pytest.raises(ServiceError, match="already retired"):
        custom_role_retire(acting_user=admin, role=role)
    page = client.get(reverse("accounts:roles")).content.decode()
    assert "Retired</strong>" in page and "Retire<span class=\"govuk-visually-hidden\"> Youth justice worker" not in page


@pytest.mark.django_db
def test_the_second_administrator_sees_what_a_role_grants_and_no_retired_role_is_given(make_user: Any) -> None:
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    second = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    # A name that looks like a built-in role's, or hides a character, is refused.
    for lookalike in ("Referrer\u200b", "partnership manager", "REFERRER"):
        with pytest.raises(ServiceError) as refusal:
            custom_role_create(acting_user=admin, name=lookalike, capabilities=YOUTH_JUSTICE)
        assert refusal.value.field == "name"
    role = custom_role_create(acting_user=admin, name="Youth justice worker", capabilities=YOUTH_JUSTICE)
    teacher = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    pending = user_update(acting_user=admin, user=teacher, agency=teacher.agency, role=role.code, is_active=True,
                          first_name="", last_name="", email="", job_title="")
    assert pending is not None
    page = sign_in(Client(), second).get(reverse("accounts:access-approval", args=[pending.pk])).content.decode()
    assert "Capabilities gained" in page and "See a child&#x27;s single view, with every agency&#x27;s records" in page
    assert "Capabilities lost" in page and "Report a person, vehicle, place or phone" in page
    # Not retired while a change awaits approval giving it...
    with pytest.raises(ServiceError, match="awaiting approval gives this role"):
        custom_role_retire(acting_user=admin, role=role)
    # ...and a change that gives a role retired meanwhile is not applied.
    CustomRole.objects.filter(pk=role.pk).update(retired_at=role.created_at)
    with pytest.raises(ServiceError, match="no longer offered"):
        access_change_approve(acting_user=second, change=pending)
    teacher.refresh_from_db()
    assert teacher.role == Role.REFERRER and not has(teacher, Capability.VIEW_PERSON)


@pytest.mark.django_db
def test_an_empty_form_sent_says_what_is_missing(make_user: Any) -> None:
    admin = sign_in(Client(), make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL))
    page = admin.post(reverse("accounts:roles"), {}).content.decode()
    assert "There is a problem" in page and "Choose what the role lets its users do" in page
    assert not CustomRole.objects.exists()


def test_every_built_in_role_holds_what_its_capabilities_need() -> None:
    """The rule a role of the partnership's own is held to, the built-in roles meet: so it refuses only
    sets no built-in role would grant."""
    from safeguarding.accounts.access import ROLE_CAPABILITIES, capabilities_missing

    assert {role: capabilities_missing(capabilities) for role, capabilities in ROLE_CAPABILITIES.items()
            if capabilities_missing(capabilities)} == {}
    assert capabilities_missing(frozenset({Capability.TRIAGE})) == [(Capability.TRIAGE, [Capability.VIEW_PERSON])]
    # Told of escalations, the strategic group reads them on the escalations page.
    assert capabilities_missing(frozenset({Capability.STRATEGIC_GROUP})) == [
        (Capability.STRATEGIC_GROUP, [Capability.VIEW_ESCALATIONS])]


@pytest.mark.django_db
def test_single_sign_on_maps_a_group_to_a_role_of_the_partnerships_own(make_user: Any) -> None:
    import json

    from safeguarding.accounts.services import sso_sign_in
    from safeguarding.accounts.single_sign_on import _provider, mapped_access

    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    role = custom_role_create(acting_user=admin, name="Youth justice worker", capabilities=YOUTH_JUSTICE)

    def provider(role_code: str) -> Any:
        return _provider("entra", {
            "client_id": "hub", "authorization_endpoint": "https://id.example/a", "token_endpoint": "https://id.example/t",
            "userinfo_endpoint": "https://id.example/u", "jwks_endpoint": "https://id.example/j",
            "issuer": "https://id.example", "groups": json.dumps({"yot": {"agency": admin.agency.code, "role": role_code}})})

    _agency, mapped = mapped_access(provider(role.code), {"groups": ["yot"]})

    def first_sign_in() -> User:
        return sso_sign_in(provider="entra", provider_name="Entra ID", subject="s-1", username_hint="sam.reid",
                           role=mapped, agency=admin.agency)

    # One administrator defined the role: the first sign-in makes the account, which waits for a second.
    with pytest.raises(ServiceError, match="is made, and waits for a second administrator to approve it"):
        first_sign_in()
    made = User.objects.get(username="sam.reid")
    assert made.role == role.code and not made.is_active and not has(made, Capability.VIEW_PERSON)
    with pytest.raises(ServiceError, match="waits for a second administrator to approve it"):
        first_sign_in()  # again, before approval
    change = AccessChange.objects.get(subject=made, status=AccessChangeStatus.PENDING)
    with pytest.raises(ServiceError, match="You defined the role this change gives"):
        access_change_approve(acting_user=admin, change=change)
    access_change_approve(acting_user=make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL),
                          change=change)
    user = first_sign_in()
    assert user.pk == made.pk and user.is_active and user.role == role.code
    assert has(user, Capability.VIEW_PERSON) and not has(user, Capability.TRIAGE)
    with pytest.raises(ValueError, match="which the hub does not have"):  # a mistyped built-in role, at start
        provider("triage")
    # A role of the partnership's own that is not offered (never defined, or retired): refused at sign-in.
    retired = custom_role_create(acting_user=admin, name="Old project worker", capabilities=["raise_concern"])
    custom_role_retire(acting_user=admin, role=retired)
    for code in ("own-no-such-role", retired.code):
        with pytest.raises(ServiceError, match="gives a role the hub no longer offers"):
            sso_sign_in(provider="entra", provider_name="Entra ID", subject="s-2", username_hint="kim",
                        role=mapped_access(provider(code), {"groups": ["yot"]})[1], agency=admin.agency)
    assert not User.objects.filter(username="kim").exists()
