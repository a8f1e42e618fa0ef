"""The GOV.UK timeout warning in a real browser (issue 16), with a session of a few seconds: the
warning opens before the session ends, passes axe, "Stay signed in" renews the session, and when
the time runs out the page goes to sign-in, which says why and leads back to the page."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from safeguarding.accounts.models import AgencyKind, Role
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IDLE, WARN = 12, 6


def test_the_timeout_warning_keeps_the_session_or_signs_out_with_the_reason(
    page: Any, agencies: dict[str, Any], settings: Any
) -> None:
    UserFactory(username="triage.council", role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.COUNCIL])
    sign_in(page, "triage.council")
    settings.SESSION_COOKIE_AGE, settings.SESSION_TIMEOUT_WARNING_SECONDS = IDLE, WARN
    page.goto("/concerns/queue/")
    loaded = time.monotonic()
    warning = page.get_by_role("dialog", name="You will be signed out soon")
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=(IDLE + 2) * 1000)
    assert time.monotonic() - loaded >= IDLE - WARN - 1  # not before its time
    expect(warning).to_contain_text(re.compile(r"you will be signed out in \d+ seconds"))
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_focused()
    assert_accessible(page)

    warning.get_by_role("button", name="Stay signed in").click()
    stayed = time.monotonic()
    expect(warning).to_be_hidden()
    # Past the time the session would have ended without it, the hub still knows the user.
    page.wait_for_timeout(max(0.0, loaded + IDLE + 1.5 - time.monotonic()) * 1000)
    assert time.monotonic() - stayed < IDLE - 1, "too slow to tell a renewed session from the first"
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("Triage queue"))).to_be_visible()

    # Left alone, the warning comes back and then the page goes to sign-in, saying why.
    expect(warning).to_be_visible(timeout=(IDLE + 2) * 1000)
    page.wait_for_url(re.compile(r"/sign-in/\?"), timeout=(WARN + 4) * 1000)
    query = parse_qs(urlparse(page.url).query)
    assert query["ended"] == ["idle"] and query["next"] == ["/concerns/queue/"]
    expect(page.get_by_text(f"You were signed out because you had not used the hub for {IDLE} seconds")).to_be_visible()
    page.goto("/concerns/queue/")  # the session has ended on the server too
    assert urlparse(page.url).path == "/sign-in/"
