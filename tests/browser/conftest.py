"""Browser fixtures: Debian's Chromium driven by Playwright, and an axe (WCAG 2.2 AA) check."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_JS = Path(settings.FRONTEND_DIR) / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 375, "height": 812}
# The home page's address and no other (r"/$" alone would also match the second-factor page).
HOME = re.compile(r"^https?://[^/]+/$")
# What sticks out past the right edge of the screen: the innermost elements wider than it (their
# children fit) that no box of their own scrolls or clips, each named by its tag, id and classes,
# with the start of its text.
OVERFLOWING = """() => {
  const limit = window.innerWidth;
  const out = [];
  const wide = (el) => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > limit + 0.5;
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (!wide(el)) continue;
    if (Array.from(el.children).some(wide)) continue;
    let hidden = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(up).overflowX) && !wide(up)) {
        hidden = true; break;
      }
    }
    if (hidden) continue;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    out.push(`${name} (right edge ${Math.round(box.right)} px): ${(el.textContent || '').trim().slice(0, 40)}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: limit, elements: out.slice(0, 5)};
}"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package (make test does this as root)"
        )
    # Playwright's own browser download is never used: we launch the system Chromium.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    # axe is injected as a script; the hub's Content-Security-Policy would (rightly) refuse it.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    # A click that follows a link or sends a form returns once the next page's navigation has
    # committed, before its document has been parsed: read at that moment, the page's content is ''
    # (seen once on CI, on PostgreSQL). Every read of the whole page waits for it to load first.
    read_content = page.content

    def loaded_content() -> str:
        page.wait_for_load_state("load")
        return str(read_content())

    page.content = loaded_content
    yield page
    context.close()


def assert_accessible(page: Any, *, phone: bool = True) -> None:
    """Run axe-core's WCAG 2.2 A and AA rules on the current page; fail listing any violation. Then
    (unless ``phone`` is false) look at the same page at a phone's width: nothing may scroll sideways
    (``assert_fits_a_phone``), so every page of every journey is checked at both widths.

    A click that follows a link returns before the next page has loaded: the page is awaited first,
    and axe is injected again if a navigation replaced the document meanwhile (under load, the
    script could otherwise land in a document without a head yet)."""
    from playwright.sync_api import Error

    # Only violations are worked out in full (axe's own advice for speed: the passes' and the rest's
    # selectors are not computed), which is all this check reads.
    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            page.add_script_tag(path=str(AXE_JS))
            result = page.evaluate(
                "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                WCAG_22_AA,
            )
            break
        except Error:
            if attempt == 2:
                raise
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert not violations, f"{page.title()}: " + "; ".join(violations)
    if phone:
        assert_fits_a_phone(page)


def assert_fits_a_phone(page: Any) -> None:
    """At 375 px the page must not scroll sideways: the window is narrowed, the layout read, and the
    window given back its width, so a journey goes on as it was. The failure names what sticks out."""
    size = page.viewport_size
    narrowed = size is not None and size["width"] > PHONE["width"]
    if narrowed:
        page.set_viewport_size(PHONE)
    try:
        found = page.evaluate(OVERFLOWING)
        if narrowed and found["scrollWidth"] > found["innerWidth"]:
            # A chart that redraws itself on a resize (Cytoscape's canvas) has not yet: let it, and look again.
            page.wait_for_timeout(500)
            found = page.evaluate(OVERFLOWING)
    finally:
        if narrowed:
            page.set_viewport_size(size)
    assert found["scrollWidth"] <= found["innerWidth"], (
        f"{page.title()} scrolls sideways at {PHONE['width']} px ({found['scrollWidth']} px wide): "
        + "; ".join(found["elements"] or ["(no single element found)"])
    )


def security_code(user: Any) -> str:
    """A code the user's authenticator app shows, that the hub has not yet accepted (a code works
    once: a second sign-in within the same 30 seconds takes the next one, as an app would show it
    a moment later)."""
    import time

    from safeguarding.accounts.mfa import code_at
    from tests.factories import authenticator_for

    device = authenticator_for(user)
    while True:
        device.refresh_from_db()
        now = time.time()
        for offset in (0, 1):
            moment = now + offset * device.step
            if int((moment - device.t0) // device.step) + device.drift > device.last_t:
                return code_at(device, moment)
        time.sleep(1)


def sign_in(page: Any, username: str, password: str | None = None, *, check_accessible: bool = False) -> None:
    """Sign in through the pages as a person would: username and password, then the code from their
    authenticator app (set up for them first if they have none), landing on the home page. The two
    sign-in pages are checked with axe at a desktop's width and a phone's by the sign-in journey
    (``check_accessible``, at the page's width):
    every journey signs in, often more than once, and checking the same two pages each time cost the
    suite about a minute a database."""
    from safeguarding.accounts.models import User
    from tests.factories import PASSWORD

    user = User.objects.get(username=username)
    code = security_code(user)
    page.goto("/sign-in/")
    if check_accessible:
        assert_accessible(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/sign-in/second-factor/"))
    if check_accessible:
        assert_accessible(page)
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(HOME)


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in/"))
