"""A form of the justice room sent twice (a double click, the back button and send again) records once:
one arrest counted, one referral to licensing and one e-mail to the licensing team, one breach."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.justice import selectors, services
from safeguarding.justice.models import Disruption, DisruptionOutcome
from safeguarding.notifications.models import Notification, NotificationKind
from safeguarding.people.models import PersonRole
from tests.factories import PersonFactory, sign_in

pytestmark = pytest.mark.django_db

SENT_TWICE = "this page was sent twice, and it was done once"


def _token(page: str) -> str:
    match = re.search(r'name="once" value="([0-9a-f]+)"', page)
    assert match, "the form carries its one-time token"
    return match.group(1)


def _on(field: str, day: dt.date) -> dict[str, int]:
    return {f"{field}_0": day.day, f"{field}_1": day.month, f"{field}_2": day.year}


@pytest.fixture
def officer(make_user):  # type: ignore[no-untyped-def]
    return make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)


def test_an_arrest_sent_twice_is_counted_once(officer) -> None:  # type: ignore[no-untyped-def]
    operation = services.operation_open(acting_user=officer, name="Operation Stovewood", kind="operation",
                                        summary="Group-based CSE", opened_on=dt.date(2025, 1, 10))
    adult = PersonFactory(role=PersonRole.ADULT, date_of_birth="1975-05-05")
    client = sign_in(Client(), officer)
    url = reverse("justice:operation", args=[operation.pk])
    page = client.get(url).content.decode()
    assert 'data-prevent-double-click="true">Record the outcome' in page
    sent = {"outcome": "1", "person_ref": adult.reference, "kind": "arrest", **_on("on", dt.date(2025, 3, 3)),
            "offence": "Rape of a child under 13", "detail": "", "once": _token(page)}
    assert client.post(url, sent).status_code == client.post(url, sent).status_code == 302
    assert selectors.outcome_figures(user=officer).by_kind["Arrest"] == 1
    assert SENT_TWICE in client.get(url).content.decode()
    # Back to the page the browser kept (the same token), and a second man's arrest entered: it is another
    # arrest, not the same page sent twice, and it is recorded.
    second = PersonFactory(role=PersonRole.ADULT, date_of_birth="1979-02-02")
    assert client.post(url, {**sent, "person_ref": second.reference}).status_code == 302
    assert selectors.outcome_figures(user=officer).by_kind["Arrest"] == 2


def test_a_referral_to_licensing_sent_twice_is_recorded_and_told_once(officer, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user(role=Role.REFERRER, agency_kind=AgencyKind.LICENSING)
    adult = PersonFactory(role=PersonRole.ADULT, date_of_birth="1975-05-05")
    client = sign_in(Client(), officer)
    url = reverse("justice:disruption-new")
    page = client.get(url).content.decode()
    assert 'data-prevent-double-click="true">Record the disruption' in page
    sent = {"kind": "licensing_referral", "adult_ref": adult.reference, "child_ref": "",
            **_on("served_on", dt.date(2025, 6, 1)), "detail": "Referred to taxi licensing", "once": _token(page)}
    first, second = client.post(url, sent), client.post(url, sent)
    assert first.status_code == second.status_code == 302 and second["Location"] == reverse("justice:operations")
    assert Disruption.objects.count() == 1
    assert Notification.objects.filter(kind=NotificationKind.LICENSING_REFERRAL).count() == 1
    assert "The disruption was already recorded: " + SENT_TWICE in client.get(second["Location"]).content.decode()

    disruption = Disruption.objects.get()
    url = reverse("justice:disruption", args=[disruption.pk])
    page = client.get(url).content.decode()
    outcome = {"kind": "suspension", **_on("on", dt.date(2025, 6, 2)), "detail": "", "once": _token(page)}
    assert client.post(url, outcome).status_code == client.post(url, outcome).status_code == 302
    assert DisruptionOutcome.objects.filter(disruption=disruption).count() == 1
