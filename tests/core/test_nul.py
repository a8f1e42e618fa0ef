"""Bad input that ended in a server error: a NUL character in what a page sends (PostgreSQL refuses it in
text), and sorting subject access requests by when they are due; and text made only of control characters,
taken as filled in."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.core.middleware import ControlCharactersMiddleware
from tests.factories import PersonFactory, sign_in


def test_a_nul_character_is_taken_out_of_every_value_a_page_sends() -> None:
    seen: dict[str, str] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen.update(reason=request.POST["reason"], q=request.GET["q"], key=next(iter(request.POST.keys() - {"reason"})))
        return HttpResponse()

    request = RequestFactory().post("/x/?q=Fern\x00Road", {"reason": "Released:\x00 the hold has ended", "no\x00te": "1"})
    ControlCharactersMiddleware(view)(request)
    assert seen == {"reason": "Released: the hold has ended", "q": "FernRoad", "key": "note"}


def test_every_control_character_but_tab_and_line_ends_is_taken_out() -> None:
    seen: dict[str, str] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen.update(reason=request.POST["reason"], note=request.POST["note"], q=request.GET["q"])
        return HttpResponse()

    request = RequestFactory().post("/x/?q=Fern\x1bRoad", {"reason": "\x01\x02\x7f", "note": "Line one\r\n\tLine\x0c two"})
    ControlCharactersMiddleware(view)(request)
    assert seen == {"reason": "", "note": "Line one\r\n\tLine two", "q": "FernRoad"}


@pytest.mark.django_db
def test_a_concern_described_only_by_control_characters_is_refused_as_not_described(make_user) -> None:  # type: ignore[no-untyped-def]
    """The form audit sent ``\\x01`` as a concern's description: it was accepted, and triage read nothing."""
    from safeguarding.frontdoor import selectors
    from safeguarding.frontdoor.models import Concern

    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    client = sign_in(Client(), school)
    url = f"{reverse('frontdoor:raise')}?child={selectors.raise_token(user=school, person=PersonFactory())}"
    page = client.post(url, {"description": "\x01\x02", "parents_told": "yes", "consent": "given",
                             "referrer_role": "Head of year"})
    assert page.status_code == 200 and not Concern.objects.exists()
    assert "Describe what you saw or heard" in page.content.decode()


@pytest.mark.django_db
def test_an_address_naming_a_record_with_a_nul_character_is_not_found(make_user) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL answered a server error; SQLite, not found."""
    triage = sign_in(Client(), make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE))
    assert triage.get("/networks/entities/%00/").status_code == 404


@pytest.mark.django_db
def test_subject_access_requests_sort_by_when_they_are_due(make_user) -> None:  # type: ignore[no-untyped-def]
    """The "Due" column's own link answered a server error, unless the due filter was set too."""
    dpo = sign_in(Client(), make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL))
    for order in ("", "&order=desc", "&download=csv"):
        assert dpo.get(reverse("dataprotection:sars") + "?sort=due" + order).status_code == 200
