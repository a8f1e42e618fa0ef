"""Signing in and out, sessions, and the protections every page has."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts.mfa import code_at
from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.accounts.security.models import AccessChange
from safeguarding.audit.models import AuditEvent, AuditEventType
from tests.factories import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def test_sign_in_and_failed_sign_in_are_audited(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.TRIAGE_WORKER)
    client = Client()
    bad = client.post(reverse("accounts:sign-in"), {"username": user.username, "password": "wrong"})
    assert bad.status_code == 200 and "The username or password is not right" in bad.content.decode()
    assert "Error: Sign in" in bad.content.decode()
    good = client.post(reverse("accounts:sign-in"), {"username": user.username, "password": PASSWORD})
    assert good.status_code == 302
    failed = AuditEvent.objects.get(event_type=AuditEventType.SIGN_IN_FAILED)
    assert user.username in failed.actor_label and failed.actor is None
    assert AuditEvent.objects.get(event_type=AuditEventType.SIGNED_IN).actor == user
    client.post(reverse("accounts:sign-out"))
    assert AuditEvent.objects.filter(event_type=AuditEventType.SIGNED_OUT, actor=user).exists()
    assert client.get(reverse("frontdoor:queue")).status_code == 302


def test_sign_in_does_not_redirect_off_site(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    response = Client().post(
        reverse("accounts:sign-in") + "?next=https://evil.example/", {"username": user.username, "password": PASSWORD}
    )
    assert response["Location"] == reverse("home")


def test_passwords_are_hashed_with_argon2(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    user.set_password("another-long-password")
    assert user.password.startswith("argon2")


def test_sessions_expire_and_cookies_are_protected() -> None:
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY


def test_the_cookies_a_browser_is_given_are_same_site_lax_and_the_session_http_only(make_user) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import PASSWORD

    client = Client()
    form = client.get(reverse("accounts:sign-in")).cookies[settings.CSRF_COOKIE_NAME]
    assert form["samesite"] == "Lax"
    user = make_user()
    signed = client.post(reverse("accounts:sign-in"), {"username": user.username, "password": PASSWORD})
    session = signed.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax" and session.value


def test_security_headers_on_every_page(make_user) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("accounts:sign-in"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"


def test_forms_are_refused_without_a_csrf_token(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:sign-in"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 403


def test_deactivated_user_cannot_sign_in(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(is_active=False)
    response = Client().post(reverse("accounts:sign-in"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(event_type=AuditEventType.SIGN_IN_FAILED).exists()


def test_administrator_creates_a_user_who_can_then_sign_in(make_user, agencies) -> None:  # type: ignore[no-untyped-def]
    import re

    from django.core import mail

    admin = Client()
    sign_in(admin, make_user(role=Role.ADMINISTRATOR))
    response = admin.post(
        reverse("accounts:user-new"),
        {
            "username": "new.triage",
            "first_name": "New",
            "last_name": "Worker",
            "email": "new.triage@example.org",
            "agency": agencies["council"].pk,
            "role": Role.TRIAGE_WORKER,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(event_type=AuditEventType.USER_CREATED).exists()
    # A new account grants access: it is sent its way in once a second administrator approves it.
    assert not mail.outbox
    second_admin = sign_in(Client(), make_user(role=Role.ADMINISTRATOR))
    change = AccessChange.objects.get(subject__username="new.triage")
    second_admin.post(reverse("accounts:access-approval", args=[change.pk]), {"decision": "approve"})
    [message] = mail.outbox
    link = re.search(r"/sign-in/set-up/\S+/", message.body)
    assert link is not None
    client = Client()
    form = client.get(link.group(0))["Location"]
    # The person chooses their own password, then sets up an authenticator, before anything else.
    client.post(form, {"new_password": "lantern-orbit-kettle-9", "new_password_again": "lantern-orbit-kettle-9"})
    assert "Set up your authenticator app" in client.get(reverse("accounts:second-factor-setup")).content.decode()
    device = TOTPDevice.objects.get(user__username="new.triage")
    client.post(reverse("accounts:second-factor-setup"), {"token": code_at(device)})
    assert client.get(reverse("frontdoor:queue")).status_code == 200
    signed_in = Client().post(reverse("accounts:sign-in"), {"username": "new.triage", "password": "lantern-orbit-kettle-9"})
    assert signed_in.status_code == 302


def test_a_new_account_needs_an_e_mail_address_for_its_set_up_link(make_user, agencies) -> None:  # type: ignore[no-untyped-def]
    admin = Client()
    sign_in(admin, make_user(role=Role.ADMINISTRATOR))
    response = admin.post(
        reverse("accounts:user-new"),
        {"username": "no.address", "first_name": "W", "last_name": "P", "agency": agencies["council"].pk,
         "role": "referrer"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in body and "Enter their e-mail address" in body


def test_administrators_list_users_by_agency_role_and_status_and_download_them(make_user, agencies, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LIST_PAGE_SIZE = 3
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    for n in range(4):
        make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION, username=f"teacher{n}", is_active=n != 0)
    make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, username="triager")
    client = sign_in(Client(), admin)
    everyone = client.get(reverse("accounts:users"))
    assert everyone.context["users"].total == 6 and len(everyone.context["users"].items) == 3
    teachers = client.get(reverse("accounts:users"), {"agency": str(agencies[AgencyKind.EDUCATION].pk)})
    assert {u.username for u in teachers.context["users"]} == {f"teacher{n}" for n in range(3)}  # page 1 of 2
    inactive = client.get(reverse("accounts:users"), {"status": "inactive"})
    assert [u.username for u in inactive.context["users"]] == ["teacher0"]
    assert [u.username for u in client.get(reverse("accounts:users"), {"role": Role.TRIAGE_WORKER}).context["users"]] \
        == ["triager"]
    csv_text = client.get(reverse("accounts:users"), {"download": "csv"}).content.decode()
    assert csv_text.startswith("Username,Name,Agency,Role") and "teacher3" in csv_text and "argon2" not in csv_text
