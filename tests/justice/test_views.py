"""The pages of an investigation or operation: what a refusal tells the officer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.justice import services
from safeguarding.justice.models import JusticeOutcome, OperationSubject
from safeguarding.people.models import PersonRole
from tests.factories import PersonFactory, sign_in

pytestmark = pytest.mark.django_db


def test_an_operation_page_says_why_a_person_or_an_outcome_is_refused(make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    operation = services.operation_open(acting_user=officer, name="Operation Stovewood", kind="operation",
                                        summary="Group-based CSE", opened_on=dt.date(2025, 1, 10))
    adult = PersonFactory(role=PersonRole.ADULT, date_of_birth="1975-05-05")
    services.operation_add_subject(acting_user=officer, operation=operation, person=adult, role="suspect")
    client = sign_in(Client(), officer)
    url = reverse("justice:operation", args=[operation.pk])

    again = client.post(url, {"subject": "1", "person_ref": adult.reference, "role": "suspect"})
    page = again.content.decode()
    assert again.status_code == 200
    assert "There is a problem" in page and "That person is already in it in that part" in page
    assert OperationSubject.objects.filter(operation=operation).count() == 1

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    future = client.post(url, {"outcome": "1", "person_ref": adult.reference, "kind": "arrest",
                               "on_0": tomorrow.day, "on_1": tomorrow.month, "on_2": tomorrow.year,
                               "offence": "Rape of a child under 13", "detail": ""})
    page = future.content.decode()
    assert future.status_code == 200
    assert "There is a problem" in page and "must be today or in the past" in page
    assert not JusticeOutcome.objects.exists()


def test_an_operation_page_says_which_child_victims_are_adults_now(make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    operation = services.operation_open(acting_user=officer, name="Operation Stovewood", kind="investigation",
                                        summary="Non-recent group-based CSE", opened_on=dt.date(2014, 12, 1))
    survivor = PersonFactory(role=PersonRole.ADULT, date_of_birth="1986-04-04", given_name="Jessica",
                             family_name="Holt")
    child = PersonFactory(given_name="Amber", family_name="Lane")
    client = sign_in(Client(), officer)
    url = reverse("justice:operation", args=[operation.pk])
    for person in (survivor, child):
        added = client.post(url, {"subject": "1", "person_ref": person.reference, "role": "child_victim"})
        assert added.status_code == 302
    page = client.get(url).content.decode()
    assert f"Jessica Holt</a> ({survivor.reference}): Child victim (an adult now)" in page
    assert f"Amber Lane</a> ({child.reference}): Child victim</li>" in page
