"""The GOV.UK timeout warning (issue 16): pages of a signed-in user carry the warning, set from the
session's idle and absolute lifetimes; "Stay signed in" renews the session through an endpoint that
needs sign-in and answers 204. Without script the dialog never opens (tests/browser has the rest)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.middleware import SIGNED_IN_AT_KEY
from safeguarding.accounts.models import AgencyKind, Role
from tests.factories import sign_in

pytestmark = pytest.mark.django_db


def test_a_signed_in_page_carries_the_warning_set_from_the_session_lifetimes(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SESSION_COOKIE_AGE, settings.SESSION_TIMEOUT_WARNING_SECONDS = 900, 90
    settings.SESSION_ABSOLUTE_SECONDS = 3600
    client = sign_in(Client(), make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    session = client.session
    session[SIGNED_IN_AT_KEY] = time.time() - 600  # signed in ten minutes ago
    session.save()
    page = client.get(reverse("frontdoor:queue"))
    timeout = page.context["session_timeout"]
    assert timeout["idle_seconds"] == 900 and timeout["warn_seconds"] == 90
    assert timeout["absolute_end"] == int(session[SIGNED_IN_AT_KEY] + 3600)  # the same on every page of the session
    body = page.content.decode()
    assert '<dialog class="hub-timeout" id="hub-timeout"' in body and 'data-idle-seconds="900"' in body
    assert f'action="{reverse("accounts:keep-alive")}"' in body and ">Stay signed in</button>" in body
    assert f'data-absolute-end="{timeout["absolute_end"]}"' in body and "hub/timeout.mjs" in body
    assert "<dialog" in body and " open" not in body[body.index("<dialog"):body.index(">", body.index("<dialog"))]


def test_the_warning_is_never_shorter_than_the_session_nor_on_pages_before_signing_in(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SESSION_COOKIE_AGE, settings.SESSION_TIMEOUT_WARNING_SECONDS = 60, 120
    client = sign_in(Client(), make_user())
    assert client.get(reverse("home")).context["session_timeout"]["warn_seconds"] == 60
    signed_out = Client().get(reverse("accounts:sign-in")).content.decode()
    assert "hub-timeout" not in signed_out and "timeout.mjs" not in signed_out


def test_stay_signed_in_renews_the_session_and_needs_sign_in(make_user) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(Client(), make_user())
    url = reverse("accounts:keep-alive")
    before = client.session.get_expiry_date()
    time.sleep(0.01)
    kept = client.post(url)
    assert kept.status_code == 204 and kept.content == b""
    assert client.session.get_expiry_date() > before
    assert client.get(url).status_code == 405
    nobody = Client().post(url)
    assert nobody.status_code == 302 and urlparse(nobody["Location"]).path == reverse("accounts:sign-in")
    client.session.delete(client.cookies[django_settings.SESSION_COOKIE_NAME].value)  # the session ran out
    ended = client.post(url)
    assert ended.status_code == 302 and parse_qs(urlparse(ended["Location"]).query)["ended"] == ["idle"]


def test_the_signed_out_message_names_a_short_timeout_in_seconds(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SESSION_COOKIE_AGE = 12
    page = Client().get(reverse("accounts:sign-in"), {"ended": "idle"}).content.decode()
    assert "You were signed out because you had not used the hub for 12 seconds" in page
