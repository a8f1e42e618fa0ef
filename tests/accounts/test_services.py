"""No one raises their own access: changes that raise it wait for a second administrator, lowering
applies at once, and no one changes their own role, agency or ability to sign in. Tested as a matrix."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from safeguarding.accounts import services
from safeguarding.accounts.access import raises_access
from safeguarding.accounts.models import Agency, AgencyKind, Role, User
from safeguarding.accounts.passwords import StrengthValidator
from safeguarding.accounts.security.models import AccessChange, AccessChangeStatus, SetUpLink
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from tests.factories import authenticator_for, sign_in

R = Role

# (role before, role after, raises?) with agency and ability to sign in unchanged.
ROLE_CHANGES = [
    (R.REFERRER, R.INTELLIGENCE_OFFICER, True),
    (R.REFERRER, R.ADMINISTRATOR, True),
    (R.REFERRER, R.DATA_PROTECTION_OFFICER, True),
    (R.ADMINISTRATOR, R.INTELLIGENCE_OFFICER, True),
    (R.ADMINISTRATOR, R.DATA_PROTECTION_OFFICER, True),
    (R.TRIAGE_WORKER, R.MACE_COORDINATOR, True),
    (R.PARTNERSHIP_MANAGER, R.DATA_PROTECTION_OFFICER, True),
    (R.LEAD_PRACTITIONER, R.TRIAGE_WORKER, True),
    (R.MACE_COORDINATOR, R.TRIAGE_WORKER, False),
    (R.INTELLIGENCE_OFFICER, R.REFERRER, False),
    # A support worker keeps survivor support plans, which a triage worker does not; a partnership
    # manager reads survivors' lived-experience summaries, which a data protection officer does not.
    (R.TRIAGE_WORKER, R.SUPPORT_WORKER, True),
    (R.DATA_PROTECTION_OFFICER, R.PARTNERSHIP_MANAGER, True),
    (R.DATA_PROTECTION_OFFICER, R.REFERRER, True),  # a referrer raises concerns; a DPO does not
    (R.SUPPORT_WORKER, R.REFERRER, False),
    (R.ADMINISTRATOR, R.ADMINISTRATOR, False),
]


@pytest.mark.parametrize(("before", "after", "raises"), ROLE_CHANGES)
def test_which_role_changes_raise_access(before: str, after: str, raises: bool) -> None:
    old = {"role": before, "agency_id": 1, "is_active": True}
    assert raises_access(before=old, after={**old, "role": after}) is raises


@pytest.mark.parametrize(
    ("change", "raises"),
    [
        ({"agency_id": 2}, True),  # another agency sees other records (a move to the police sees intelligence)
        ({"is_active": False}, False),  # deactivating lowers
        ({"agency_id": 2, "is_active": False}, False),
    ],
)
def test_agency_and_sign_in_changes(change: dict[str, object], raises: bool) -> None:
    old = {"role": R.REFERRER, "agency_id": 1, "is_active": True}
    assert raises_access(before=old, after={**old, **change}) is raises
    inactive = {**old, "is_active": False}
    assert raises_access(before=inactive, after={**inactive, "is_active": True}) is True


def _update(acting: User, subject: User, **change: object) -> AccessChange | None:
    fields = {
        "agency": subject.agency,
        "role": subject.role,
        "is_active": subject.is_active,
        "first_name": subject.first_name,
        "last_name": subject.last_name,
        "email": subject.email,
        "job_title": subject.job_title,
    }
    return services.user_update(acting_user=acting, user=subject, **{**fields, **change})  # type: ignore[arg-type]


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after", "raises"), ROLE_CHANGES)
def test_raising_waits_for_a_second_administrator_and_lowering_applies_at_once(
    make_user, before: str, after: str, raises: bool
) -> None:  # type: ignore[no-untyped-def]
    first, second = make_user(role=R.ADMINISTRATOR), make_user(role=R.ADMINISTRATOR)
    subject = make_user(role=before)
    pending = _update(first, subject, role=after)
    subject.refresh_from_db()
    if not raises:
        assert pending is None and subject.role == after
        return
    assert pending is not None and subject.role == before
    with pytest.raises(ServiceError, match="You asked for this change"):
        services.access_change_approve(acting_user=first, change=pending)
    services.access_change_approve(acting_user=second, change=pending)
    subject.refresh_from_db()
    assert subject.role == after
    assert AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_CHANGE_REQUESTED, actor=first).exists()
    assert AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_CHANGE_APPROVED, actor=second).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [{"role": R.INTELLIGENCE_OFFICER}, {"role": R.REFERRER}, {"agency_kind": AgencyKind.POLICE}, {"is_active": False}],
)
def test_no_one_changes_their_own_access_in_the_service(make_user, agencies, change: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(role=R.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    if "agency_kind" in change:
        change = {"agency": agencies[change.pop("agency_kind")]}
    with pytest.raises(ServiceError, match="You cannot change your own role, agency or whether you can sign in"):
        _update(admin, admin, **change)
    admin.refresh_from_db()
    assert admin.role == R.ADMINISTRATOR and admin.is_active and admin.agency == agencies[AgencyKind.COUNCIL]


@pytest.mark.django_db
def test_an_administrator_cannot_approve_a_change_to_their_own_account(make_user) -> None:  # type: ignore[no-untyped-def]
    first, second = make_user(role=R.ADMINISTRATOR), make_user(role=R.ADMINISTRATOR)
    pending = _update(first, second, role=R.INTELLIGENCE_OFFICER)  # the first asks to raise the second
    assert pending is not None
    with pytest.raises(ServiceError, match="your own account"):
        services.access_change_approve(acting_user=second, change=pending)
    with pytest.raises(ServiceError, match="Only an administrator"):
        services.access_change_approve(acting_user=make_user(role=R.MACE_COORDINATOR), change=pending)
    services.access_change_approve(acting_user=make_user(role=R.ADMINISTRATOR), change=pending)
    second.refresh_from_db()
    assert second.role == R.INTELLIGENCE_OFFICER


@pytest.mark.django_db
def test_a_refusal_needs_a_reason_and_changes_nothing(make_user) -> None:  # type: ignore[no-untyped-def]
    first, second = make_user(role=R.ADMINISTRATOR), make_user(role=R.ADMINISTRATOR)
    subject = make_user(role=R.REFERRER)
    pending = _update(first, subject, role=R.ADMINISTRATOR)
    assert pending is not None
    with pytest.raises(ServiceError, match="Enter why"):
        services.access_change_refuse(acting_user=second, change=pending, reason=" ")
    services.access_change_refuse(acting_user=second, change=pending, reason="Not an administrator's job")
    subject.refresh_from_db()
    pending.refresh_from_db()
    assert subject.role == R.REFERRER and pending.status == AccessChangeStatus.REFUSED
    with pytest.raises(ServiceError, match="already been approved or refused"):
        services.access_change_approve(acting_user=second, change=pending)
    assert AuditEvent.objects.filter(event_type=AuditEventType.ACCESS_CHANGE_REFUSED, reason="Not an administrator's job").exists()


@pytest.mark.django_db
def test_a_change_asked_for_an_account_that_changed_since_is_not_applied(make_user) -> None:  # type: ignore[no-untyped-def]
    first, second = make_user(role=R.ADMINISTRATOR), make_user(role=R.ADMINISTRATOR)
    subject = make_user(role=R.TRIAGE_WORKER)
    pending = _update(first, subject, role=R.MACE_COORDINATOR)
    _update(second, subject, role=R.REFERRER)  # lowered meanwhile
    assert pending is not None
    with pytest.raises(ServiceError, match="has changed since this was asked for"):
        services.access_change_approve(acting_user=second, change=pending)


@pytest.mark.django_db
def test_a_new_account_signs_in_only_once_approved(make_user, agencies) -> None:  # type: ignore[no-untyped-def]
    first, second = make_user(role=R.ADMINISTRATOR), make_user(role=R.ADMINISTRATOR)
    user = services.user_create(
        acting_user=first, username="new.one", email="new.one@example.org",
        agency=agencies[AgencyKind.POLICE], role=R.INTELLIGENCE_OFFICER,
    )  # fmt: skip
    assert not user.is_active and not user.has_usable_password()
    assert not SetUpLink.objects.exists()  # no way in is sent before a second administrator approves it
    change = AccessChange.objects.get(subject=user)
    services.access_change_approve(acting_user=second, change=change)
    user.refresh_from_db()
    assert user.is_active
    assert SetUpLink.objects.get(user=user).sent_by == second


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "field", "reason"),
    [("", "username", "cannot be blank"), ("bad name!", "username", "Enter a valid username"),
     ("x" * 300, "username", "at most 150 characters"), ("new.one", "job_title", "at most 200 characters")],
)
def test_a_new_account_with_a_field_its_column_cannot_take_is_refused_and_nothing_written(  # type: ignore[no-untyped-def]
    make_user, agencies, username, field, reason
) -> None:
    admin = make_user(role=R.ADMINISTRATOR)
    before = (User.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ServiceError, match=reason) as refused:
        services.user_create(
            acting_user=admin, username=username, email="new.one@example.org", agency=agencies[AgencyKind.POLICE],
            role=R.INTELLIGENCE_OFFICER, job_title="J" * (300 if field == "job_title" else 10),
        )  # fmt: skip
    assert refused.value.field == field
    assert (User.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "name", "reason"),
    [("c" * 300, "Council", "code: Ensure this value has at most 60"), ("east council", "Council", "code: Enter a valid"),
     ("east-council", "N" * 300, "name: Ensure this value has at most 200"), ("east-council", "", "name: This field cannot be blank")],
)
def test_a_new_agency_its_columns_cannot_take_is_refused(code: str, name: str, reason: str) -> None:
    with pytest.raises(ServiceError, match=reason):
        services.agency_create(acting_user=None, code=code, name=name, kind=AgencyKind.COUNCIL)
    assert not Agency.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_agencys_code_is_lower_case_and_one_differing_only_by_case_is_the_same() -> None:
    made = services.agency_create(acting_user=None, code="East-Council", name="Council", kind=AgencyKind.COUNCIL)
    assert made.code == "east-council"
    with pytest.raises(ServiceError, match="already exists"):  # before: a second agency, "EAST-COUNCIL"
        services.agency_create(acting_user=None, code="EAST-COUNCIL", name="Council", kind=AgencyKind.COUNCIL)
    assert Agency.objects.count() == 1


@pytest.mark.django_db
def test_resetting_a_second_factor_waits_for_a_second_administrator(make_user) -> None:  # type: ignore[no-untyped-def]
    first, second = make_user(role=R.ADMINISTRATOR), make_user(role=R.ADMINISTRATOR)
    subject = make_user(role=R.INTELLIGENCE_OFFICER)
    authenticator_for(subject)
    services.backup_codes_create(user=subject)
    from django.test import Client
    from django.urls import reverse

    from tests.factories import sign_in

    left_open = sign_in(Client(), subject)  # a laptop lost with the phone, signed in
    assert left_open.get(reverse("contexts:intelligence")).status_code == 200
    with pytest.raises(ServiceError, match="Ask another administrator"):
        services.second_factor_reset_request(acting_user=first, user=first, reason="lost phone")
    change = services.second_factor_reset_request(acting_user=first, user=subject, reason="Lost phone, called back")
    from safeguarding.accounts.selectors import has_second_factor

    assert has_second_factor(subject)
    with pytest.raises(ServiceError):
        services.access_change_approve(acting_user=first, change=change)
    services.access_change_approve(acting_user=second, change=change)
    assert not has_second_factor(subject)
    assert AuditEvent.objects.filter(event_type=AuditEventType.SECOND_FACTOR_RESET, actor=second).exists()
    # The session left open ends: it cannot set up a factor of its own.
    assert left_open.get(reverse("accounts:second-factor-setup")).status_code != 200
    assert "_auth_user_id" not in left_open.session
    assert left_open.get(reverse("contexts:intelligence")).status_code == 302


@pytest.mark.django_db
def test_the_approval_pages(make_user) -> None:  # type: ignore[no-untyped-def]
    first_user, second_user = make_user(role=R.ADMINISTRATOR), make_user(role=R.ADMINISTRATOR)
    subject = make_user(role=R.REFERRER)
    first, second = sign_in(Client(), first_user), sign_in(Client(), second_user)
    response = first.post(
        reverse("accounts:user-edit", args=[subject.pk]),
        {
            "first_name": subject.first_name, "last_name": subject.last_name, "agency": subject.agency_id,
            "role": R.INTELLIGENCE_OFFICER, "is_active": "on", "reason": "Joined the intelligence unit",
        },
    )  # fmt: skip
    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.role == R.REFERRER
    listed = second.get(reverse("accounts:access-approvals")).content.decode()
    assert subject.username in listed or subject.get_full_name() in listed
    assert "Referrer → Intelligence officer" in listed
    change = AccessChange.objects.get(subject=subject)
    refused = first.post(reverse("accounts:access-approval", args=[change.pk]), {"decision": "approve"})
    assert "You asked for this change" in refused.content.decode()
    second.post(reverse("accounts:access-approval", args=[change.pk]), {"decision": "approve"})
    subject.refresh_from_db()
    assert subject.role == R.INTELLIGENCE_OFFICER
    own = first.post(
        reverse("accounts:user-edit", args=[first_user.pk]),
        {"first_name": "A", "last_name": "B", "agency": first_user.agency_id, "role": R.INTELLIGENCE_OFFICER, "is_active": "on"},
    )
    first_user.refresh_from_db()
    assert first_user.role == R.ADMINISTRATOR and own.status_code in (200, 302)


@pytest.mark.parametrize(
    ("password", "accepted"),
    [("aaaaaaaaaaaa", False), ("Eastwood2026!", False), ("password1234", False), ("orbit-kettle-lantern-3", True)],
)
def test_the_strength_check(password: str, accepted: bool) -> None:
    from django.core.exceptions import ValidationError

    validator = StrengthValidator(min_score=3)
    if accepted:
        validator.validate(password)
    else:
        with pytest.raises(ValidationError, match="Enter a password that is harder to guess"):
            validator.validate(password)
