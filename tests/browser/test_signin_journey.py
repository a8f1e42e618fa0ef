"""Signing in as a person would, each new page checked with axe: the lockout page, choosing one's
own password in place of a temporary one, setting up an authenticator app and signing in with it,
and a raised access that waits for a second administrator."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts import services
from safeguarding.accounts.mfa import code_at
from safeguarding.accounts.models import AgencyKind, Role, User
from tests.browser.conftest import HOME, PHONE, assert_accessible, security_code, sign_in, sign_out
from tests.conftest import Inbox
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _password_step(page: Any, username: str, password: str) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_repeated_wrong_passwords_lock_sign_in_and_the_page_says_for_how_long(page: Any, agencies: dict[str, Any]) -> None:
    UserFactory(username="triage.council", role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.COUNCIL])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(page, "triage.council", "not-the-password")
    _password_step(page, "triage.council", PASSWORD)
    assert page.title().startswith("Sign-in locked")
    assert f"locked for {settings.SIGN_IN_LOCKOUT_MINUTES} minutes" in page.content()
    assert_accessible(page)


def test_a_new_user_chooses_a_password_and_sets_up_an_authenticator(page: Any, agencies: dict[str, Any]) -> None:
    # Made on the command line (`safeguarding users add`), as the hub's first accounts are: a temporary
    # password the operator gives. An administrator's new account is sent a set-up link instead (below).
    services.user_create(
        acting_user=None, username="new.worker", password="temporary-walrus-lamp-7",
        agency=agencies[AgencyKind.COUNCIL], role=Role.LEAD_PRACTITIONER, first_name="New", last_name="Worker",
    )  # fmt: skip
    _password_step(page, "new.worker", "temporary-walrus-lamp-7")
    page.wait_for_url(re.compile(r"/account/password/"))
    assert_accessible(page)
    page.get_by_label("Current password").fill("temporary-walrus-lamp-7")
    page.get_by_label("New password", exact=True).fill("Eastwood2026!")
    page.get_by_label("Confirm new password").fill("Eastwood2026!")
    page.get_by_role("button", name="Change password").click()
    assert "Enter a password that is harder to guess" in page.content()
    assert_accessible(page)
    page.get_by_label("Current password").fill("temporary-walrus-lamp-7")
    page.get_by_label("New password", exact=True).fill("my-own-quiet-harbour-5")
    page.get_by_label("Confirm new password").fill("my-own-quiet-harbour-5")
    page.get_by_role("button", name="Change password").click()

    page.wait_for_url(re.compile(r"/sign-in/set-up-authenticator/"))
    assert_accessible(page)
    assert page.locator(".hub-qr svg").count() == 1
    secret = page.locator("#authenticator-secret").inner_text()
    device = TOTPDevice.objects.get(user__username="new.worker", confirmed=False)
    assert secret.replace(" ", "") in __import__("base64").b32encode(device.bin_key).decode()
    page.get_by_label("Code from your app").fill(code_at(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/sign-in/backup-codes/"))
    assert_accessible(page)
    assert page.locator("#backup-codes li").count() == 10
    page.get_by_role("button", name="I have saved my backup codes").click()
    page.wait_for_url(HOME)
    assert "lead practitioner" in page.content()
    sign_out(page)

    # Next time: the password, then the code from the app.
    # The two sign-in pages, checked with axe at a desktop's width and at a phone's (every other journey
    # signs in without checking them again).
    sign_in(page, "new.worker", "my-own-quiet-harbour-5", check_accessible=True)
    desktop = page.viewport_size
    sign_out(page)
    page.set_viewport_size(PHONE)
    sign_in(page, "new.worker", "my-own-quiet-harbour-5", check_accessible=True)
    page.set_viewport_size(desktop)
    page.goto("/account/")
    assert_accessible(page)
    assert "10 left" in page.content()


def test_a_raised_access_waits_for_a_second_administrator(page: Any, browser: Any, live_server: Any, agencies: dict[str, Any]) -> None:
    UserFactory(username="hub.admin", role=Role.ADMINISTRATOR, agency=agencies[AgencyKind.COUNCIL])
    UserFactory(username="second.admin", role=Role.ADMINISTRATOR, agency=agencies[AgencyKind.COUNCIL])
    officer = UserFactory(username="pc.smith", first_name="Pat", last_name="Smith", role=Role.REFERRER, agency=agencies[AgencyKind.POLICE])

    sign_in(page, "hub.admin")
    page.get_by_role("link", name="Users").first.click()
    page.get_by_role("link", name="Pat Smith").click()
    assert_accessible(page)
    page.get_by_label("Intelligence officer").check()
    page.get_by_label("Reason for a change of access").fill("Joined the intelligence unit on 1 June")
    page.get_by_role("button", name="Save").click()
    assert "waits for another administrator" in page.content()
    officer.refresh_from_db()
    assert officer.role == Role.REFERRER
    page.get_by_role("link", name="Access approvals").first.click()
    assert_accessible(page)
    assert "not for you to approve" in page.content()
    sign_out(page)

    security_code(User.objects.get(username="second.admin"))
    sign_in(page, "second.admin")
    page.get_by_role("link", name="Access approvals").first.click()
    assert "Referrer → Intelligence officer" in page.content()
    page.get_by_role("link", name=re.compile("Pat Smith")).click()
    assert_accessible(page)
    assert "Joined the intelligence unit on 1 June" in page.content()
    page.get_by_label("Approve: apply the change now").check()
    page.get_by_role("button", name="Save decision").click()
    assert "Change approved" in page.content()
    assert_accessible(page)
    officer.refresh_from_db()
    assert officer.role == Role.INTELLIGENCE_OFFICER


def test_a_new_account_is_set_up_through_the_link_e_mailed_to_its_person(
    page: Any, agencies: dict[str, Any], smtp: Inbox
) -> None:
    first = UserFactory(username="hub.admin", role=Role.ADMINISTRATOR, agency=agencies[AgencyKind.COUNCIL])
    second = UserFactory(username="second.admin", role=Role.ADMINISTRATOR, agency=agencies[AgencyKind.COUNCIL])
    user = services.user_create(
        acting_user=first, username="new.worker", email="new.worker@example.org",
        agency=agencies[AgencyKind.COUNCIL], role=Role.LEAD_PRACTITIONER, first_name="New", last_name="Worker",
    )  # fmt: skip
    services.access_change_approve(acting_user=second, change=user.access_changes.get())
    for _ in range(100):  # the e-mail goes from the background thread
        if smtp.messages:
            break
        time.sleep(0.05)
    [(_, message)] = smtp.messages
    link = re.search(r"https?://\S+/sign-in/set-up/\S+/", message.get_payload(decode=True).decode())
    assert link is not None
    page.goto("/sign-in/set-up/" + link.group(0).split("/sign-in/set-up/", 1)[1])
    page.wait_for_url(re.compile(r"/sign-in/set-up/password/$"))
    assert page.title().startswith("Choose your password")
    assert_accessible(page)
    page.get_by_label("Password", exact=True).fill("Eastwood2026!")
    page.get_by_label("Confirm password").fill("Eastwood2026!")
    page.get_by_role("button", name="Set password and continue").click()
    assert "Enter a password that is harder to guess" in page.content()
    assert_accessible(page)
    page.get_by_label("Password", exact=True).fill("my-own-quiet-harbour-5")
    page.get_by_label("Confirm password").fill("my-own-quiet-harbour-5")
    page.get_by_role("button", name="Set password and continue").click()
    page.wait_for_url(re.compile(r"/sign-in/set-up-authenticator/"))
    device = TOTPDevice.objects.get(user__username="new.worker", confirmed=False)
    page.get_by_label("Code from your app").fill(code_at(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/sign-in/backup-codes/"))
    page.get_by_role("button", name="I have saved my backup codes").click()
    page.wait_for_url(HOME)
    sign_out(page)
    # The link worked once.
    page.goto("/sign-in/set-up/" + link.group(0).split("/sign-in/set-up/", 1)[1])
    assert page.title().startswith("This set-up link does not work")
    assert_accessible(page)
