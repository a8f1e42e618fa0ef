"""Signing in as a security officer would want it: lockout, passwords, the second factor, and
sessions that end (OWASP ASVS V2 and V3; docs/security.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts import services
from safeguarding.accounts.mfa import code_at
from safeguarding.accounts.middleware import SIGNED_IN_AT_KEY
from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.accounts.security.models import TemporaryPassword
from safeguarding.audit.models import AuditEvent, AuditEventType
from tests.factories import PASSWORD, authenticator_for, sign_in

pytestmark = pytest.mark.django_db


def _post_sign_in(client: Client, username: str, password: str) -> object:
    return client.post(reverse("accounts:sign-in"), {"username": username, "password": password})


# --- lockout ----------------------------------------------------------------------------------


def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.TRIAGE_WORKER)
    client = Client()
    started = time.monotonic()
    for _ in range(30):
        _post_sign_in(client, user.username, "wrong-password")
    assert time.monotonic() - started < 10
    right = _post_sign_in(client, user.username, PASSWORD)
    assert right.status_code == 429
    body = right.content.decode()
    assert f"locked for {settings.SIGN_IN_LOCKOUT_MINUTES} minutes" in body
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(event_type=AuditEventType.SIGN_IN_LOCKED_OUT, target_id=user.username).exists()


def test_signing_in_as_oneself_does_not_clear_failures_against_another(make_user) -> None:  # type: ignore[no-untyped-def]
    """Four guesses at an administrator's password, a sign-in as oneself, four more: the fifth wrong
    guess locks the administrator's username all the same."""
    insider = make_user(role=Role.REFERRER)
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post_sign_in(client, admin.username, "wrong-password")
    _post_sign_in(client, insider.username, PASSWORD)
    assert "_auth_user_id" in client.session  # they signed in as themselves
    client.logout()

    _post_sign_in(client, admin.username, "wrong-password")

    assert _post_sign_in(Client(), admin.username, PASSWORD).status_code == 429


def test_an_offices_shared_address_is_not_locked_by_a_few_peoples_typos(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    """A council's staff sign in from one address: five people's one typo each locks no one; an address
    trying many names is locked at its own limit."""
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 12
    staff = [make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL) for _ in range(6)]
    client = Client()
    for person in staff[:5]:
        _post_sign_in(client, person.username, "wrong-password")

    _post_sign_in(client, staff[5].username, PASSWORD)
    assert "_auth_user_id" in client.session

    from safeguarding.accounts.selectors import lockouts_current

    assert [lock.kind for lock in lockouts_current()] == []  # nor is it listed as locked
    sprayer = Client()
    for n in range(12):
        _post_sign_in(sprayer, f"guess-{n}", "wrong-password")
    assert _post_sign_in(Client(), staff[0].username, PASSWORD).status_code == 429
    assert [lock.kind for lock in lockouts_current()] == ["address"]


def test_the_lockout_page_does_not_say_whether_the_username_exists(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    pages = []
    for username, address in ((user.username, "10.0.0.1"), ("nobody-has-this-name", "10.0.0.2")):
        client = Client(REMOTE_ADDR=address)
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _post_sign_in(client, username, "wrong-password")
        response = _post_sign_in(client, username, "wrong-password")
        assert response.status_code == 429
        pages.append(response.content.decode().split("<main", 1)[1].split("</main>", 1)[0])
    assert pages[0] == pages[1]


def test_one_address_trying_many_usernames_is_locked_too(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    client = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(settings.SIGN_IN_ADDRESS_FAILURE_LIMIT):  # its own limit: an office shares an address
        _post_sign_in(client, f"guess{n}", "wrong-password")
    assert _post_sign_in(client, user.username, PASSWORD).status_code == 429
    assert _post_sign_in(Client(REMOTE_ADDR="10.0.0.10"), user.username, PASSWORD).status_code == 302


def test_an_administrator_sees_and_lifts_a_lockout_and_it_is_audited(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_sign_in(Client(), user.username, "wrong-password")
    admin = sign_in(Client(), make_user(role=Role.ADMINISTRATOR))
    listed = admin.get(reverse("accounts:sign-in-locks")).content.decode()
    assert user.username in listed
    admin.post(reverse("accounts:sign-in-unlock"), {"kind": "username", "value": user.username})
    admin.post(reverse("accounts:sign-in-unlock"), {"kind": "address", "value": "127.0.0.1"})
    assert _post_sign_in(Client(), user.username, PASSWORD).status_code == 302
    assert AuditEvent.objects.filter(event_type=AuditEventType.SIGN_IN_UNLOCKED, target_id=user.username).exists()


def test_only_administrators_unlock(make_user) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(Client(), make_user(role=Role.MACE_COORDINATOR))
    assert client.get(reverse("accounts:sign-in-locks")).status_code == 403
    assert client.post(reverse("accounts:sign-in-unlock"), {"kind": "username", "value": "x"}).status_code == 403


# --- passwords --------------------------------------------------------------------------------


def test_every_user_can_change_their_password(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.PARTNERSHIP_MANAGER)
    client = sign_in(Client(), user)
    page = client.get(reverse("accounts:password-change"))
    assert page.status_code == 200 and "Change your password" in page.content.decode()
    wrong = client.post(
        reverse("accounts:password-change"),
        {"current_password": "not-it", "new_password": "orbit-kettle-lantern-3", "new_password_again": "orbit-kettle-lantern-3"},
    )
    assert "The current password is not right" in wrong.content.decode()
    done = client.post(
        reverse("accounts:password-change"),
        {"current_password": PASSWORD, "new_password": "orbit-kettle-lantern-3", "new_password_again": "orbit-kettle-lantern-3"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("orbit-kettle-lantern-3")
    assert client.get(reverse("home")).status_code == 200  # still signed in
    assert AuditEvent.objects.filter(event_type=AuditEventType.PASSWORD_CHANGED, actor=user).exists()


def test_a_password_is_kept_exactly_as_typed_spaces_at_either_end_included(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.PARTNERSHIP_MANAGER)
    client = sign_in(Client(), user)
    spaced = "  orbit kettle lantern 3 "
    done = client.post(reverse("accounts:password-change"),
                       {"current_password": PASSWORD, "new_password": spaced, "new_password_again": spaced})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(spaced) and not user.check_password(spaced.strip())
    client.logout()
    assert _post_sign_in(Client(), user.username, spaced.strip()).status_code == 200  # refused: the form again
    assert _post_sign_in(Client(), user.username, spaced).status_code == 302


def test_a_password_longer_than_sign_in_accepts_is_refused_wherever_it_is_set(make_user) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError

    agency = make_user().agency
    too_long = "orbit kettle lantern " * 10  # 210 characters
    with pytest.raises(ValidationError, match="200 characters or fewer"):
        services.user_create(acting_user=None, username="long.password", password=too_long,
                             agency=agency, role=Role.REFERRER)
    # A long passphrase within it is checked and kept (past 72 characters the strength check once crashed).
    long = "orbit kettle lantern harbour " * 5  # 145 characters
    user = services.user_create(acting_user=None, username="long.password", password=long, agency=agency,
                                role=Role.REFERRER)
    assert user.check_password(long)


@pytest.mark.parametrize("weak", ["aaaaaaaaaaaa", "Eastwood2026!"])
def test_weak_passwords_are_refused_in_words(make_user, weak: str) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(Client(), make_user())
    response = client.post(
        reverse("accounts:password-change"),
        {"current_password": PASSWORD, "new_password": weak, "new_password_again": weak},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in body
    assert "Enter a password that is harder to guess" in body


def test_a_temporary_password_must_be_changed_before_anything_else(make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(role=Role.ADMINISTRATOR)
    user = make_user(role=Role.TRIAGE_WORKER)
    authenticator_for(user)
    services.password_set_temporary(acting_user=admin, user=user, password="temporary-walrus-lamp-7")
    client = sign_in(Client(), user, finished=False)
    for url in (reverse("home"), reverse("frontdoor:queue"), reverse("accounts:account")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:password-change"))
    page = client.get(reverse("accounts:password-change")).content.decode()
    assert "Choose your own password" in page
    client.post(
        reverse("accounts:password-change"),
        {
            "current_password": "temporary-walrus-lamp-7",
            "new_password": "my-own-quiet-harbour-5",
            "new_password_again": "my-own-quiet-harbour-5",
        },
    )
    assert not TemporaryPassword.objects.filter(user=user).exists()
    assert client.get(reverse("frontdoor:queue")).status_code == 200
    assert AuditEvent.objects.filter(event_type=AuditEventType.TEMPORARY_PASSWORD_SET, actor=admin).exists()


def test_a_temporary_password_ends_the_persons_open_sessions(make_user) -> None:  # type: ignore[no-untyped-def]
    """Someone who may have lost their password to another has it replaced: whoever is signed in as
    them is signed out at their next request, and must sign in with the new one."""
    admin = make_user(role=Role.ADMINISTRATOR)
    user = make_user(role=Role.TRIAGE_WORKER)
    client = sign_in(Client(), user)
    assert client.get(reverse("frontdoor:queue")).status_code == 200
    services.password_set_temporary(acting_user=admin, user=user, password="temporary-walrus-lamp-7")
    response = client.get(reverse("frontdoor:queue"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign-in"))
    assert "_auth_user_id" not in client.session


def test_an_administrator_sets_a_temporary_password_but_not_their_own(make_user) -> None:  # type: ignore[no-untyped-def]
    admin_user = make_user(role=Role.ADMINISTRATOR)
    admin = sign_in(Client(), admin_user)
    user = make_user()
    authenticator_for(user)  # an account without a second factor is sent a set-up link instead
    response = admin.post(reverse("accounts:user-password", args=[user.pk]), {"password": "temporary-walrus-lamp-7"})
    assert response.status_code == 302
    assert TemporaryPassword.objects.filter(user=user).exists()
    own = admin.post(reverse("accounts:user-password", args=[admin_user.pk]), {"password": "temporary-walrus-lamp-7"})
    assert "Change your own password on the Change your password page" in own.content.decode()


def test_a_single_sign_on_account_gets_no_temporary_password(make_user) -> None:  # type: ignore[no-untyped-def]
    """Their provider vouches for their second factor, so they never set one up in the hub: a temporary
    password would let whoever knew it set one up and hold the account."""
    from safeguarding.accounts.services import sso_sign_in
    from safeguarding.core.errors import ServiceError

    admin = make_user(role=Role.ADMINISTRATOR)
    agency = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL).agency
    user = sso_sign_in(provider="entra", provider_name="Entra ID", subject="s-9", username_hint="sam.reid",
                       role=Role.TRIAGE_WORKER, agency=agency)

    with pytest.raises(ServiceError, match="signs in through their organisation's single sign-on"):
        services.password_set_temporary(acting_user=admin, user=user, password="temporary-walrus-lamp-7")
    assert not TemporaryPassword.objects.filter(user=user).exists()


def test_an_agency_marked_inactive_takes_its_staffs_access_with_it(make_user) -> None:  # type: ignore[no-untyped-def]
    """A voluntary project closes: its staff's accounts are deactivated with it (their open sessions end,
    their passwords no longer sign in), each audited; no one closes their own agency; opening it again
    lets no one back in by itself."""
    from safeguarding.core.errors import ServiceError

    worker = make_user(role=Role.SUPPORT_WORKER, agency_kind=AgencyKind.VOLUNTARY)
    own_admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.VOLUNTARY)
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    agency = worker.agency
    open_session = sign_in(Client(), worker)
    assert open_session.get(reverse("support:list")).status_code == 200
    with pytest.raises(ServiceError, match="cannot mark your own agency inactive"):
        services.agency_update(acting_user=own_admin, agency=agency, name=agency.name, kind=agency.kind,
                               is_active=False)

    services.agency_update(acting_user=admin, agency=agency, name=agency.name, kind=agency.kind, is_active=False)

    assert open_session.get(reverse("support:list")).status_code == 302
    again = Client()
    _post_sign_in(again, worker.username, PASSWORD)
    assert "_auth_user_id" not in again.session
    assert AuditEvent.objects.filter(event_type=AuditEventType.USER_CHANGED, target_id=str(worker.pk)).exists()
    services.agency_update(acting_user=admin, agency=agency, name=agency.name, kind=agency.kind, is_active=True)
    worker.refresh_from_db()
    assert not worker.is_active


# --- the second factor -------------------------------------------------------------------------


def test_signing_in_asks_for_the_code_from_the_app(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.TRIAGE_WORKER)
    device = authenticator_for(user)
    client = Client()
    assert _post_sign_in(client, user.username, PASSWORD).status_code == 302
    queue = client.get(reverse("frontdoor:queue"))
    assert queue.status_code == 302 and queue["Location"].startswith(reverse("accounts:second-factor"))
    wrong = client.post(reverse("accounts:second-factor"), {"token": "000000" if code_at(device) != "000000" else "111111"})
    assert "The security code is not right" in wrong.content.decode()
    assert AuditEvent.objects.filter(event_type=AuditEventType.SECOND_FACTOR_FAILED, actor=user).exists()
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    right = client.post(reverse("accounts:second-factor") + "?next=/concerns/queue/", {"token": code_at(device)})
    assert right.status_code == 302 and right["Location"] == "/concerns/queue/"
    assert client.get(reverse("frontdoor:queue")).status_code == 200
    assert AuditEvent.objects.filter(event_type=AuditEventType.SECOND_FACTOR_VERIFIED, actor=user).exists()


def test_a_code_is_not_accepted_twice(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.TRIAGE_WORKER)
    device = authenticator_for(user)
    moment = time.time()
    code = code_at(device, moment)
    services.second_factor_verify(user=user, token=code)
    from safeguarding.core.errors import ServiceError

    with pytest.raises(ServiceError):
        services.second_factor_verify(user=user, token=code)


def test_every_role_that_sees_identities_must_set_up_a_second_factor(make_user) -> None:  # type: ignore[no-untyped-def]
    for role in Role.values:
        user = make_user(role=role)
        client = Client()
        client.force_login(user)
        response = client.get(reverse("home"))
        if role == Role.PARTNERSHIP_MANAGER:
            assert response.status_code == 200, role
        else:
            assert response.status_code == 302, role
            assert response["Location"].startswith(reverse("accounts:second-factor-setup")), role


def test_setting_up_the_app_shows_a_qr_code_and_the_secret_then_backup_codes(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.LEAD_PRACTITIONER)
    client = Client()
    _post_sign_in(client, user.username, PASSWORD)
    page = client.get(reverse("accounts:second-factor-setup")).content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    from safeguarding.accounts.mfa import secret_text

    assert "<svg" in page and secret_text(device) in page
    assert "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org", "")
    done = client.post(reverse("accounts:second-factor-setup"), {"token": code_at(device)})
    assert done.status_code == 302 and done["Location"].startswith(reverse("accounts:backup-codes"))
    codes_page = client.get(done["Location"]).content.decode()
    codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == 10 and all(code in codes_page for code in codes)
    assert client.get(reverse("accounts:backup-codes")).status_code == 302  # shown once
    assert client.get(reverse("people:search")).status_code == 200
    assert AuditEvent.objects.filter(event_type=AuditEventType.SECOND_FACTOR_ENROLLED, actor=user).exists()


def test_a_backup_code_works_once(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.TRIAGE_WORKER)
    authenticator_for(user)
    codes = services.backup_codes_create(user=user)
    first = Client()
    _post_sign_in(first, user.username, PASSWORD)
    assert first.post(reverse("accounts:second-factor"), {"token": codes[0]}).status_code == 302
    assert first.get(reverse("frontdoor:queue")).status_code == 200
    again = Client()
    _post_sign_in(again, user.username, PASSWORD)
    assert "The security code is not right" in again.post(reverse("accounts:second-factor"), {"token": codes[0]}).content.decode()


def test_a_password_alone_cannot_make_backup_codes_to_get_past_the_second_factor(make_user) -> None:  # type: ignore[no-untyped-def]
    """With a stolen password, asking for new backup codes before the second factor would show codes
    that then pass it."""
    user = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    authenticator_for(user)
    mine = services.backup_codes_create(user=user)
    thief = Client()
    _post_sign_in(thief, user.username, PASSWORD)

    made = thief.post(reverse("accounts:backup-codes"))
    shown = thief.get(reverse("accounts:backup-codes"))

    assert made.status_code == 302 and made["Location"].startswith(reverse("accounts:second-factor"))
    assert shown.status_code == 302 and shown["Location"].startswith(reverse("accounts:second-factor"))
    assert StaticToken.objects.filter(device__user=user).count() == len(mine)  # the owner's codes stand
    assert thief.get(reverse("contexts:intelligence")).status_code == 302


def test_after_a_wrong_code_the_page_says_how_long_to_wait_even_for_someone_with_backup_codes(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.TRIAGE_WORKER)
    device = authenticator_for(user)
    codes = services.backup_codes_create(user=user)
    client = Client()
    _post_sign_in(client, user.username, PASSWORD)
    wrong = "000000" if code_at(device) != "000000" else "111111"
    assert "The security code is not right" in client.post(reverse("accounts:second-factor"), {"token": wrong}).content.decode()
    # After a few more, django-otp refuses the app's codes for a while (each failure doubles it; 16 s after
    # five): the page says so, rather than calling the right code wrong.
    device.refresh_from_db()
    device.throttling_failure_count = 5
    device.save(update_fields=["throttling_failure_count"])
    waiting = client.post(reverse("accounts:second-factor"), {"token": code_at(device)}).content.decode()
    assert re.search(r"Too many wrong codes\. Wait 1[0-7] seconds, then enter the code your app shows", waiting)
    assert AuditEvent.objects.filter(event_type=AuditEventType.SECOND_FACTOR_FAILED, actor=user,
                                     detail__while="waiting after wrong codes").exists()
    # A backup code is a different device, which no wrong code has slowed.
    assert client.post(reverse("accounts:second-factor"), {"token": codes[0]}).status_code == 302


# --- sessions and cookies ---------------------------------------------------------------------


def test_a_session_ends_after_its_absolute_lifetime_and_says_why(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.TRIAGE_WORKER)
    client = sign_in(Client(), user)
    assert client.get(reverse("frontdoor:queue")).status_code == 200
    session = client.session
    session[SIGNED_IN_AT_KEY] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get(reverse("frontdoor:queue"))
    assert response.status_code == 302 and "ended=absolute" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out because you had been signed in for 10 hours" in page
    assert client.get(reverse("frontdoor:queue")).status_code == 302
    assert AuditEvent.objects.filter(event_type=AuditEventType.SIGNED_OUT_SESSION_ENDED, actor=user).exists()


def test_an_idle_session_ends_and_the_sign_in_page_says_why(make_user) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(Client(), make_user(role=Role.TRIAGE_WORKER))
    client.session.delete(client.cookies[settings.SESSION_COOKIE_NAME].value)  # as the idle timeout does
    response = client.get(reverse("frontdoor:queue"))
    assert response.status_code == 302 and "ended=idle" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out because you had not used the hub for 30 minutes" in page


def test_sessions_have_an_absolute_lifetime_beside_the_idle_timeout() -> None:
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    assert settings.SESSION_ABSOLUTE_SECONDS == 10 * 60 * 60


def _settings_in_a_fresh_process(**env: str) -> dict[str, object]:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({k: getattr(settings, k) for k in "
        "('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS')}))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SAFEGUARDING_LOCAL_DEMO", "SECURE_COOKIES", "SECURE_HSTS_SECONDS"}}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "safeguarding.config.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_cookies_are_secure_and_hsts_on_by_default_outside_the_local_demo() -> None:
    production = _settings_in_a_fresh_process()
    assert production == {"SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SECURE_HSTS_SECONDS": 31536000}
    demo = _settings_in_a_fresh_process(SAFEGUARDING_LOCAL_DEMO="1")
    assert demo == {"SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False, "SECURE_HSTS_SECONDS": 0}
    assert _settings_in_a_fresh_process(DEBUG="1")["SESSION_COOKIE_SECURE"] is False


def test_https_responses_carry_hsts(make_user) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("accounts:sign-in"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_partnership_manager_may_choose_a_second_factor_and_is_then_asked_for_it(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    authenticator_for(user)
    client = Client()
    _post_sign_in(client, user.username, PASSWORD)
    response = client.get(reverse("frontdoor:figures"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:second-factor"))


def test_an_unlock_for_an_address_that_is_no_address_is_refused_not_a_server_error(make_user) -> None:  # type: ignore[no-untyped-def]
    admin = sign_in(Client(), make_user(role=Role.ADMINISTRATOR))
    for value in ("ab", "10.0.0.999", "x" * 255):
        assert admin.post(reverse("accounts:sign-in-unlock"), {"kind": "address", "value": value}).status_code == 403
    assert not AuditEvent.objects.filter(event_type=AuditEventType.SIGN_IN_UNLOCKED).exists()
    assert admin.post(reverse("accounts:sign-in-unlock"), {"kind": "address", "value": "2001:db8::1"}).status_code == 302
