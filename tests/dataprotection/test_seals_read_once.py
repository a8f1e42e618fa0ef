"""Who is sealed away from a reader is worked out once for a GET request (a single view reads five lists,
each needing it), afresh for every other request and for every call outside a request: a seal made, or
broken into, between two pages holds on the next page, and nothing a write does reads a stale answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from safeguarding.accounts import access
from safeguarding.accounts.middleware import PersonsHiddenOncePerRequestMiddleware
from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.dataprotection.sealing import record_seal
from tests.factories import PersonFactory, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Each reading of the seals, by whose id it was for."""
    calls: list[int] = []
    source = access._hidden_sources["dataprotection"]

    def counted(user: User) -> Any:
        calls.append(user.pk)
        return source(user)

    monkeypatch.setitem(access._hidden_sources, "dataprotection", counted)
    yield calls


def test_a_page_reads_the_seals_once_and_the_next_page_afresh(make_user: Any, reads: list[int]) -> None:
    reader = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    named = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory(given_name="Keira", family_name="Lowe")
    client = sign_in(Client(), reader)
    url = reverse("people:detail", args=[child.pk])

    assert client.get(url).status_code == 200
    assert reads == [reader.pk]

    with transaction.atomic():
        record_seal(acting_user=dpo, person=child, reason="A witness", named_users=[named])
    reads.clear()
    assert client.get(url).status_code == 404  # sealed between the two pages: the second knows
    assert reads == [reader.pk]
    assert sign_in(Client(), named).get(url).status_code == 200

    reads.clear()  # outside a request, every call reads the seals
    assert child.pk in access.persons_hidden_from(reader) and child.pk in access.persons_hidden_from(reader)
    assert reads == [reader.pk, reader.pk]


@pytest.mark.parametrize(("method", "readings"), [("get", 1), ("head", 1), ("post", 3)])
def test_only_a_get_or_head_request_remembers_and_each_reader_apart(
    make_user: Any, reads: list[int], method: str, readings: int
) -> None:
    """A POST (a seal, break-glass, a merge, its undoing) reads the seals at every list; a GET once a reader."""
    one = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    two = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)

    def view(request: HttpRequest) -> HttpResponse:
        for _ in range(3):
            access.persons_hidden_from(one)
        access.persons_hidden_from(two)
        return HttpResponse("")

    PersonsHiddenOncePerRequestMiddleware(view)(getattr(RequestFactory(), method)("/people/"))
    assert reads.count(one.pk) == readings and reads.count(two.pk) == 1
    reads.clear()
    access.persons_hidden_from(one)  # and nothing is remembered once the request is over
    assert reads == [one.pk]
