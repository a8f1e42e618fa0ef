"""The key page of every journey at a desktop's width (1280 px) and a phone's (375 px), on the demo
partnership, by the roles that use them (issue 16): each passes axe's WCAG 2.2 AA rules at both
widths, and on the phone nothing scrolls sideways (the page is no wider than the screen; when it is,
the test names the elements that stick out).

The pages: My work (home), the triage queue and a concern, the alerts queue and an alert, a child's
single view, Find a person with results, match review (the queue and a pair), screening, a network,
the panel's referrals and a referral, a MACE meeting and its agenda, a plan, the children on child
protection plans, the audit trail, the data protection overview, the board report and its targets, and the roles."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from safeguarding.accounts.access import persons_hidden_from
from safeguarding.accounts.models import User
from safeguarding.contexts.selectors import Window, chart_for_person
from safeguarding.core import jobs
from safeguarding.demo.partnership import DEMO_PASSWORD
from safeguarding.earlywarning.models import Alert
from safeguarding.frontdoor.selectors import triage_queue
from safeguarding.linkage.models import LinkageRun, MatchReview
from safeguarding.mace.models import MeetingStatus, PanelMeeting, Plan
from safeguarding.panel.models import PanelReferral
from safeguarding.people.models import Person, PersonRole, SourceRecord
from safeguarding.screening.models import ScreeningAssessment, ScreeningStatus
from tests.browser.conftest import OVERFLOWING, PHONE, assert_accessible, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}

# On a desktop, a list with a filter shows its table beside the filter, not below it.
BESIDE_THE_FILTER = """() => {
  const filter = document.querySelector('.moj-filter-layout__filter');
  const table = document.querySelector('.moj-filter-layout__content table');
  if (!filter || !table) return null;
  const f = filter.getBoundingClientRect(), t = table.getBoundingClientRect();
  return {beside: t.top < f.bottom && t.left >= f.right, table_top: Math.round(t.top), filter_bottom: Math.round(f.bottom)};
}"""


def _pages_for(demo: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """The pages each demo user walks: (what the page is, its address)."""
    return {
        "triage.council": [
            ("My work", "/"),
            ("the triage queue", "/concerns/queue/"),
            ("a concern", f"/concerns/{demo['concern']}/"),
            ("the alerts queue", "/alerts/"),
            ("an alert", f"/alerts/{demo['alert']}/"),
            ("a child's single view", f"/people/{demo['child']}/"),
            ("Find a person with results", "/people/?" + urlencode({"postcode": demo["area"]})),
            ("match review", "/matches/"),
            ("a pair to review", f"/matches/{demo['review']}/"),
            ("a screening", f"/screening/{demo['screening']}/"),
            ("a child's network", demo["network"]),
        ],
        "mace.coordinator": [
            ("the panel's referrals", "/panel/"),
            ("a panel referral", f"/panel/{demo['referral']}/"),
            ("the MACE meetings", "/mace/meetings/"),
            ("a meeting and its agenda", f"/mace/meetings/{demo['meeting']}/"),
            ("a plan", f"/mace/plans/{demo['plan']}/"),
            ("the children on child protection plans", "/clocks/child-protection-plans/"),
        ],
        "dpo": [
            ("the audit trail", "/audit/"),
            ("the data protection overview", "/audit/overview/"),
            ("the board report", "/figures/board/"),
            ("the board's targets", "/figures/board/targets/"),
        ],
        "admin": [
            ("the roles, and defining one", "/admin/roles/"),
        ],
    }


def _demo(tmp_path: Path) -> dict[str, Any]:
    """The demo partnership (small), with a pair of records for match review (the demo's linkage
    leaves none uncertain at this size), and the records each page shows."""
    # Built with its jobs run in place: the background thread writing notifications into the live
    # server's shared in-memory database while the demo writes its own locks the table on SQLite.
    deadline = time.monotonic() + 60  # what an earlier test left on the background thread is done first
    while jobs._jobs.unfinished_tasks and time.monotonic() < deadline:
        time.sleep(0.1)
    with override_settings(HUB_BACKGROUND_JOBS="inline"):
        call_command("demo", children=60, out=tmp_path / "demo", quiet=True)
    triage = User.objects.get(username="triage.council")
    hidden = persons_hidden_from(triage)  # a sealed child: the demo seals one, and pages show it as hidden
    child = PanelReferral.objects.exclude(child_id__in=hidden).order_by("pk").first()
    assert child is not None
    left, right = SourceRecord.objects.filter(person__role=PersonRole.CHILD).exclude(
        person_id__in={child.child_id, *hidden}).order_by("pk")[:2]
    review = MatchReview.objects.create(
        record_l=left, record_r=right, match_probability=0.9, match_weight=3.2,
        run=LinkageRun.objects.create(started_at=timezone.now(), engine="duckdb", initiated_by="test"),
        explanation=[{"comparison": "prior", "label": "prior", "match_weight": -8.0, "status": "prior"},
                     {"comparison": "date_of_birth", "label": "exact match", "match_weight": 8.2, "status": "agree"}])
    postcodes = list(Person.objects.exclude(postcode="").values_list("postcode", flat=True))
    area = max(set(p.split(" ")[0] for p in postcodes), key=lambda a: sum(p.startswith(a + " ") for p in postcodes))

    def first(queryset: Any) -> int:
        pk = queryset.order_by("pk").values_list("pk", flat=True).first()
        assert pk is not None, f"the demo has no {queryset.model.__name__}"
        return int(pk)

    return {
        "network": _a_modest_network(triage, child.child_id),
        "concern": first(triage_queue(user=triage).exclude(child_id__in=hidden)),
        "alert": first(Alert.objects.filter(person_id=child.child_id)) if Alert.objects.filter(
            person_id=child.child_id).exists() else first(Alert.objects.all()),
        "child": child.child_id,
        "area": area,
        "review": review.pk,
        "screening": first(ScreeningAssessment.objects.filter(status=ScreeningStatus.COMPLETED)),
        "referral": child.pk,
        "meeting": first(PanelMeeting.objects.filter(status=MeetingStatus.LOCKED)),
        "plan": first(Plan.objects.all()),
    }


def _a_modest_network(viewer: User, child: int) -> str:
    """The child's network over the shortest recent window (the page's own "Change the time window")
    that holds at least 20 links, with people and places, vehicles or phones. What axe and the sideways
    check read is the markup of a row, the same for every row: over all time the demo's networks hold
    hundreds of links (6,400 elements on the page), on which axe's colour contrast rule alone took
    16-21 s at each width (about 2.5 ms an element on this machine), a third of this test's time, to
    check the same row hundreds of times. The crawl times the whole networks' pages
    (tests/accounts/test_crawl_lists.py), and the network journey reads one in Chromium with axe
    (tests/browser/test_network_journey.py)."""
    person = Person.objects.get(pk=child)
    today = timezone.localdate()
    for days in (30, 60, 91, 182, 365, 730):
        start = today - dt.timedelta(days=days)
        chart = chart_for_person(user=viewer, person=person, window=Window(start, None))
        if len(chart.edges) >= 20 and len({node.kind for node in chart.nodes}) >= 3:
            return f"/networks/people/{child}/?" + urlencode({"start": start.isoformat()})
    return f"/networks/people/{child}/"


def _look(page: Any, url: str, viewport: dict[str, int]) -> list[str]:
    """Open the page at one width: what is wrong with it there (axe, and on a phone the sideways scroll)."""
    page.set_viewport_size(viewport)
    response = page.goto(url)
    width = f"{viewport['width']} px"
    if response is None or response.status != 200:
        return [f"{url} at {width} answered {response.status if response else 'nothing'}"]
    problems = []
    try:
        assert_accessible(page, phone=False)  # the phone's sideways check is below, as a problem listed
    except AssertionError as failed:
        problems.append(f"{url} at {width}: axe: {failed}")
    if viewport["width"] >= 1024:
        beside = page.evaluate(BESIDE_THE_FILTER)
        if beside is not None and not beside["beside"]:
            problems.append(f"{url} at {width}: the list's table starts {beside['table_top']} px down, below its "
                            f"filter (which ends at {beside['filter_bottom']} px), not beside it")
    if viewport["width"] < 640:
        found = page.evaluate(OVERFLOWING)
        if found["scrollWidth"] > found["innerWidth"]:
            problems.append(f"{url} at {width} scrolls sideways ({found['scrollWidth']} px wide): "
                            + "; ".join(found["elements"] or ["(no single element found)"]))
    return problems


def _walked_here(username: str) -> bool:
    """Whether this run walks a user's pages. What axe and the sideways check read is the pages' markup
    and styles, which do not depend on the database, and the crawl (tests/accounts/test_crawl_lists.py)
    opens every one of these pages on both: so when `make test` runs the two databases side by side
    (HUB_TESTS_SIDE_BY_SIDE=1), each walks half, the SQLite run the front door's pages and the PostgreSQL
    run the panel's, oversight's and administration's, and the pages without scripts. Run alone, or one
    database after the other, each walks them all."""
    if os.environ.get("HUB_TESTS_SIDE_BY_SIDE") != "1":
        return True
    return (username == "triage.council") == (connection.vendor == "sqlite")


@pytest.mark.halves_itself
def test_key_pages_of_every_journey_pass_axe_at_1280_and_375_px_and_never_scroll_sideways_on_a_phone(
    page: Any, tmp_path: Path
) -> None:
    with override_settings(LINKAGE_STORE_DIR=tmp_path / "store"):
        demo = _demo(tmp_path)
    problems: list[str] = []
    visited = 0
    walks = {username: pages for username, pages in _pages_for(demo).items() if _walked_here(username)}
    for username, pages in walks.items():
        page.set_viewport_size(DESKTOP)
        sign_in(page, username, DEMO_PASSWORD)
        for _what, url in pages:
            for viewport in (DESKTOP, PHONE):
                problems += _look(page, url, viewport)
                visited += 1
        page.set_viewport_size(DESKTOP)
        sign_out(page)
    assert walks and visited == 2 * sum(len(p) for p in walks.values())
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    if not _walked_here("admin"):
        return

    # Without the hub's scripts (a failed download, a locked-down browser) tables do not stack: each
    # fits or scrolls inside itself, and the page still never scrolls sideways and passes axe. (In
    # the same test, on the same demo: building it is most of the time.)
    page.route("**/*.{js,mjs}", lambda route: route.abort())
    sign_in(page, "triage.council", DEMO_PASSWORD)
    for _what, url in _pages_for(demo)["triage.council"]:
        problems += _look(page, url, PHONE)
    assert page.evaluate("document.body.classList.contains('js-enabled')") is False
    assert not problems, f"without scripts, {len(problems)} problems:\n" + "\n".join(problems)


def test_the_sideways_check_names_what_sticks_out(page: Any) -> None:
    """The check has teeth: a page with a wide element scrolls sideways on a phone and names it."""
    page.set_viewport_size(PHONE)
    page.set_content('<html lang="en"><head><title>Wide</title></head><body><main>'
                     '<p id="wide" style="width:600px">A line far wider than a phone</p></main></body></html>')
    found = page.evaluate(OVERFLOWING)
    assert found["scrollWidth"] > found["innerWidth"]
    assert any(element.startswith("p#wide") for element in found["elements"])
    page.set_content('<html lang="en"><head><title>Narrow</title></head><body><main>'
                     '<div style="overflow-x:auto"><p style="width:600px">Scrolls inside its box</p></div>'
                     "</main></body></html>")
    found = page.evaluate(OVERFLOWING)
    assert found["scrollWidth"] <= found["innerWidth"] and found["elements"] == []


def test_the_axe_check_names_a_violation(page: Any) -> None:
    """The accessibility check has teeth (with only violations worked out in full): an image without a
    text alternative fails it, by axe's rule."""
    page.set_content('<html lang="en"><head><title>No alt</title></head><body><main><h1>No alt</h1>'
                     '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10"></main></body></html>')
    with pytest.raises(AssertionError, match=r"image-alt \(critical\)"):
        assert_accessible(page, phone=False)
