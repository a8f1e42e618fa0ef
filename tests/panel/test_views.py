"""The panel's pages: the list of referrals, one referral and closing it; who may see and do what."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.panel.models import ReferralStatus
from safeguarding.panel.services import panel_refer
from tests.factories import AlertFactory, PersonFactory, sign_in, without_csrf

pytestmark = pytest.mark.django_db

REFERS = {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR}
CLOSES = {Role.MACE_COORDINATOR}


def _client(user: User) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def mace(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL, first_name="Maria", last_name="Lee")


def test_list_shows_open_referrals_with_child_when_by_whom_and_source(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory(person=PersonFactory(given_name="Chloe", family_name="Barker"))
    referral = panel_refer(child=alert.person, referred_by=mace, reason="pattern", alert=alert)
    closed = panel_refer(child=PersonFactory(given_name="Jade", family_name="Hill"), referred_by=mace, reason="x")
    closed.status = ReferralStatus.CLOSED
    closed.save(update_fields=["status"])

    body = _client(mace).get(reverse("panel:list")).content.decode()

    assert referral.reference in body and "Chloe Barker" in body and "Maria Lee" in body
    assert reverse("people:detail", args=[alert.person_id]) in body  # to the child's single view
    assert reverse("earlywarning:detail", args=[alert.pk]) in body and alert.rule.name in body
    assert "Jade Hill" not in body
    assert "Jade Hill" in _client(mace).get(reverse("panel:list"), {"show": "all"}).content.decode()


def test_referral_page_shows_what_led_to_it_and_logs_the_view(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    later = AlertFactory(person=alert.person)
    referral = panel_refer(child=alert.person, referred_by=mace, reason="Missing with older men", alert=alert)
    panel_refer(child=alert.person, referred_by=mace, reason="another rule", alert=later)

    body = _client(mace).get(reverse("panel:detail", args=[referral.pk])).content.decode()

    assert "Missing with older men" in body
    assert alert.reference in body and later.reference in body and "the referral was made from it" in body
    assert "Close the referral" in body
    viewed = AuditEvent.objects.get(event_type=AuditEventType.PANEL_REFERRAL_VIEWED, target_kind="panel_referral")
    assert viewed.actor == mace and viewed.person_id == alert.person_id and referral.reference in viewed.reason


def test_close_without_a_reason_is_refused_then_closing_leaves_the_list(mace) -> None:  # type: ignore[no-untyped-def]
    referral = panel_refer(child=PersonFactory(), referred_by=mace, reason="worried")
    client = _client(mace)
    url = reverse("panel:detail", args=[referral.pk])

    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 200
    assert 'href="#id_reason">Give the reason for closing the referral</a>' in refused.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.OPEN

    reason = {"reason": "Plan completed; school and youth project supporting"}
    asked = client.post(url, reason).content.decode()  # asked first (issue 16), with what will happen
    assert "Are you sure you want to close this referral?" in asked and "Plan completed; school" in asked
    assert "early-warning rules can alert on the child again" in asked and "Yes, close the referral" in asked
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.OPEN
    done = client.post(url, {**reason, "confirm": "yes"}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("panel:list")
    assert f"Referral {referral.reference} closed" in done.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED and referral.closed_by == mace
    assert AuditEvent.objects.filter(event_type=AuditEventType.PANEL_REFERRAL_CLOSED).count() == 1
    assert client.post(url, {"reason": "again"}).status_code == 404  # nothing left to close
    assert "Close the referral" not in client.get(url).content.decode()


@pytest.mark.parametrize("role", Role.values)
def test_who_may_see_the_panel_list_a_referral_and_close_it(role: str, make_user, mace) -> None:  # type: ignore[no-untyped-def]
    referral = panel_refer(child=PersonFactory(), referred_by=mace, reason="worried")
    client = _client(make_user(role=role, agency_kind=AgencyKind.POLICE))

    assert client.get(reverse("panel:list")).status_code == (200 if role in REFERS else 403)
    page = client.get(reverse("panel:detail", args=[referral.pk]))
    missing = client.get(reverse("panel:detail", args=[referral.pk + 1000]))
    assert missing.status_code == 404
    if role in REFERS:
        assert page.status_code == 200
        assert ("Close the referral" in page.content.decode()) == (role in CLOSES)
    else:
        assert page.status_code == 404 and without_csrf(page.content) == without_csrf(missing.content)

    asked = client.post(reverse("panel:detail", args=[referral.pk]), {"reason": "matrix"})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.OPEN  # asked first (issue 16), or refused
    if role in CLOSES:
        assert asked.status_code == 200 and "Are you sure you want to close this referral?" in asked.content.decode()
    else:
        assert asked.status_code == 404 and "Are you sure" not in asked.content.decode()
    closed = client.post(reverse("panel:detail", args=[referral.pk]), {"reason": "matrix", "confirm": "yes"})
    referral.refresh_from_db()
    if role in CLOSES:
        assert closed.status_code == 302 and referral.status == ReferralStatus.CLOSED
    else:
        assert closed.status_code == 404 and referral.status == ReferralStatus.OPEN

    nav = client.get(reverse("home")).content.decode()
    assert (f'href="{reverse("panel:list")}"' in nav) == (role in REFERS)


def test_the_referral_page_shows_the_childs_risk_level_in_force(mace, make_user) -> None:  # type: ignore[no-untyped-def]
    from tests.screening.conftest import screen

    child = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth="2012-07-11")
    referral = panel_refer(child=child, referred_by=mace, reason="pattern")
    page = _client(mace).get(reverse("panel:detail", args=[referral.pk])).content.decode()
    assert "Not screened" in page and "born 11 July 2012" in page
    screen(make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL), child, "high")
    page = _client(mace).get(reverse("panel:detail", args=[referral.pk])).content.decode()
    level = page[page.index('id="referral-level"'):]
    assert level.startswith('id="referral-level"><strong>High risk</strong> since ')
