"""Single sign-on end to end, through a real OpenID Connect provider (the npm package oidc-provider,
run by Node.js on a free loopback port by the fixture below): an account made from the provider's
groups, the provider's second factor counted only when its ID token says so (amr), and a clear
refusal for someone whose groups the partnership has not mapped."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.test import override_settings

from safeguarding.accounts.models import Role, User
from safeguarding.audit.models import AuditEvent, AuditEventType
from tests.browser.conftest import HOME, assert_accessible
from tests.factories import AgencyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROVIDER_SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
ACCOUNTS = {
    "pc.jones": {
        "password": "provider-pass-1",
        "claims": {
            "sub": "00u-jones-7731",
            "email": "pc.jones@eastshire.police.example",
            "given_name": "Sam",
            "family_name": "Jones",
            "preferred_username": "pc.jones",
            "groups": ["hub-intelligence"],
        },
    },
    "visitor": {
        "password": "provider-pass-2",
        "claims": {"sub": "00u-visitor-1", "preferred_username": "visitor", "groups": ["canteen"]},
    },
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def provider(live_server: Any) -> Iterator[dict[str, Any]]:
    """The provider, started for the test on loopback, and the hub configured to use it."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to run the test OpenID Connect provider (apt-get install nodejs)")
    port = _free_port()
    redirect = f"{live_server.url}/sign-in/sso/callback/"
    process = subprocess.Popen(
        [node, str(PROVIDER_SCRIPT), str(port), redirect, json.dumps(ACCOUNTS)],
        cwd=settings.FRONTEND_DIR.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        issuer = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).json()
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"The test OpenID Connect provider did not start: {process.stdout.read() if process.stdout else ''}")
                time.sleep(0.2)
        config = {
            "testidp": {
                "name": "Eastshire Police sign-in",
                "client_id": "hub",
                "client_secret": "hub-test-secret",
                "authorization_endpoint": discovery["authorization_endpoint"],
                "token_endpoint": discovery["token_endpoint"],
                "userinfo_endpoint": discovery["userinfo_endpoint"],
                "jwks_endpoint": discovery["jwks_uri"],
                "issuer": discovery["issuer"],
                "scopes": "openid email profile groups",
                "groups": json.dumps({"hub-intelligence": {"agency": "east-police", "role": Role.INTELLIGENCE_OFFICER}}),
            }
        }
        with override_settings(SSO_PROVIDERS=config):
            yield config["testidp"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def _through_the_provider(page: Any, login: str, *, second_factor: bool) -> None:
    page.goto("/sign-in/")
    assert_accessible(page)
    page.get_by_role("link", name="Sign in with Eastshire Police sign-in").click()
    page.wait_for_url(re.compile(r"127\.0\.0\.1:\d+/interaction/"))
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill(ACCOUNTS[login]["password"])  # type: ignore[index]
    if second_factor:
        page.get_by_label("I used my second factor").check()
    page.get_by_role("button", name="Sign in to the provider").click()


def test_an_officer_signs_in_through_the_provider_with_its_second_factor(page: Any, provider: dict[str, Any]) -> None:
    AgencyFactory(code="east-police", name="Eastshire Police", kind="police")
    _through_the_provider(page, "pc.jones", second_factor=True)
    page.wait_for_url(HOME)
    assert_accessible(page)
    assert "intelligence officer at Eastshire Police" in page.content()
    user = User.objects.get(sso_identities__subject="00u-jones-7731")
    assert user.role == Role.INTELLIGENCE_OFFICER and user.agency.code == "east-police"
    assert not user.has_usable_password()
    assert AuditEvent.objects.filter(event_type=AuditEventType.SSO_ACCOUNT_CREATED, target_id=str(user.pk)).exists()
    signed_in = AuditEvent.objects.get(event_type=AuditEventType.SSO_SIGNED_IN, actor=user)
    assert signed_in.detail["second_factor_at_provider"] is True
    page.get_by_role("link", name="Find a person").first.click()
    page.wait_for_url(re.compile(r"/people/"))


def test_without_the_providers_second_factor_the_hub_asks_for_its_own(page: Any, provider: dict[str, Any]) -> None:
    AgencyFactory(code="east-police", name="Eastshire Police", kind="police")
    _through_the_provider(page, "pc.jones", second_factor=False)
    page.wait_for_url(re.compile(r"/sign-in/set-up-authenticator/"))
    assert_accessible(page)
    assert "Set up your authenticator app" in page.content()


def test_someone_whose_groups_are_not_mapped_is_refused_with_a_clear_page(page: Any, provider: dict[str, Any]) -> None:
    AgencyFactory(code="east-police", name="Eastshire Police", kind="police")
    _through_the_provider(page, "visitor", second_factor=True)
    page.wait_for_url(re.compile(r"/sign-in/sso/callback/"))
    assert_accessible(page)
    assert "not in any group that has access to the hub" in page.content()
    assert not User.objects.filter(sso_identities__subject="00u-visitor-1").exists()
    assert AuditEvent.objects.filter(event_type=AuditEventType.SSO_REFUSED).exists()
