"""A crawl of every page each role can reach, following the links the hub itself offers: no page
answers a server error, and police intelligence with handling code C (its text, the adult it alone
names) appears on no page for anyone outside police casework staff."""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from typing import Any
from urllib.parse import urldefrag, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.earlywarning.models import Alert, Rule
from safeguarding.earlywarning.scan import scan_run
from safeguarding.frontdoor.models import Concern
from safeguarding.frontdoor.services import concern_raise
from safeguarding.panel.models import PanelReferral
from safeguarding.panel.services import panel_refer
from safeguarding.people.models import EventType, Handling, Person, PersonRole
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db

MARKER = "covert-source-says-7731"
MAX_PAGES = 250
# Pages that end the session or are files, not pages.
SKIP = ("/sign-out/", "/static/", "/assets/")
CASEWORK = [Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER, Role.INTELLIGENCE_OFFICER,
            Role.SUPPORT_WORKER]
OTHERS = [Role.REFERRER, Role.PARTNERSHIP_MANAGER, Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR]


def _at(day: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"2026-{day}T12:00"))


@pytest.fixture
def world(agencies: dict[str, Any]) -> dict[str, Any]:
    """Two children linked through an adult whom only restricted police intelligence names, with
    alerts, a concern and a panel referral, so the crawl reaches every kind of page."""
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    adult = SourceRecordFactory(source_system=police, record_id="ADULT-1", family_name="Hiddenadult",
                                person=PersonFactory(family_name="Hiddenadult", role=PersonRole.ADULT,
                                                     date_of_birth="1980-01-01"))
    amy = SourceRecordFactory(source_system=police, record_id="AMY-1", person=PersonFactory(given_name="Amy"))
    for day in ("02-01", "02-10", "02-20"):
        EventFactory(source_record=amy, event_type=EventType.MISSING_EPISODE, occurred_at=_at(day))
    EventFactory(source_record=amy, event_type=EventType.FOUND_WITH_ADULT, occurred_at=_at("03-01"),
                 other_record_ids="ADULT-1")
    chloe = SourceRecordFactory(source_system=police, record_id="CHLOE-1", person=PersonFactory(given_name="Chloe"))
    EventFactory(source_record=chloe, event_type=EventType.INTELLIGENCE, handling=Handling.CONDITIONS,
                 occurred_at=_at("03-15"), other_record_ids="ADULT-1", detail=MARKER)
    scan_run(as_of=_at("06-01"), rules=list(Rule.objects.filter(code__in=["repeat-missing",
                                                                          "linked-to-child-at-risk"])))
    referrer = UserFactory(role=Role.REFERRER, agency=agencies[AgencyKind.EDUCATION])
    concern_raise(raised_by=referrer, child=chloe.person, seen_on=timezone.localdate(), description="seen")
    mace = UserFactory(role=Role.MACE_COORDINATOR, agency=agencies[AgencyKind.COUNCIL])
    panel_refer(child=amy.person, referred_by=mace, reason="pattern")
    chloes_alert = Alert.objects.get(person=chloe.person, rule__code="linked-to-child-at-risk")
    return {
        "marker": MARKER, "adult": adult.person.reference, "adult_name": "Hiddenadult",
        # Chloe's pages: only restricted intelligence links her to the adult.
        "chloe_pages": [reverse("people:detail", args=[chloe.person_id]),
                        reverse("earlywarning:detail", args=[chloes_alert.pk])],
    }


_HREF = re.compile(r'href="([^"]+)"')


def _seeds() -> list[str]:
    """Besides the home page, the address of every record a link elsewhere (a search result, an
    e-mail) could lead to: a role must get a page or *not found* for each, never an error or a leak."""
    urls = ["/"]
    urls += [reverse("people:detail", args=[pk]) for pk in Person.objects.values_list("pk", flat=True)]
    urls += [reverse("earlywarning:detail", args=[pk]) for pk in Alert.objects.values_list("pk", flat=True)]
    urls += [reverse("frontdoor:detail", args=[pk]) for pk in Concern.objects.values_list("pk", flat=True)]
    urls += [reverse("panel:detail", args=[pk]) for pk in PanelReferral.objects.values_list("pk", flat=True)]
    return urls


def _crawl(user: User) -> dict[str, str]:
    client = Client()
    sign_in(client, user)
    seen: dict[str, str] = {}
    queue = deque(_seeds())
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code} to {user.role}"
        body = response.content.decode(errors="replace") if response.get("Content-Type", "").startswith(
            ("text/html", "text/csv")) else ""
        seen[url] = body
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        for href in _HREF.findall(body):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            parsed = urlparse(href)
            if parsed.netloc or not parsed.path.startswith("/") or parsed.path.startswith(SKIP):
                continue
            if href not in seen:
                queue.append(href)
    return seen


@pytest.mark.parametrize("agency_kind", [AgencyKind.POLICE, AgencyKind.COUNCIL, AgencyKind.VOLUNTARY])
@pytest.mark.parametrize("role", CASEWORK)
def test_casework_roles_crawl_without_errors_and_see_restricted_intelligence_only_in_the_police(
    role: str, agency_kind: str, world: dict[str, Any], agencies: dict[str, Any]
) -> None:
    pages = _crawl(UserFactory(role=role, agency=agencies[agency_kind]))
    everything = "\n".join(pages.values())
    if agency_kind == AgencyKind.POLICE:
        assert world["marker"] in everything  # the police can read it somewhere: the check has teeth
    else:
        leaks = [url for url, body in pages.items() if world["marker"] in body]
        leaks += [url for url in world["chloe_pages"]
                  if world["adult"] in pages.get(url, "") or world["adult_name"] in pages.get(url, "")]
        assert leaks == [], f"restricted intelligence reached {role} of {agency_kind} on {leaks}"


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_crawl_without_errors_and_never_see_restricted_intelligence(
    role: str, world: dict[str, Any], agencies: dict[str, Any]
) -> None:
    pages = _crawl(UserFactory(role=role, agency=agencies[AgencyKind.POLICE]))
    everything = "\n".join(pages.values())
    assert world["marker"] not in everything
    assert not any(world["adult_name"] in pages.get(url, "") for url in world["chloe_pages"])
