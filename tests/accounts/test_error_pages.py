"""Pages for when something goes wrong: in the service's layout with a way on, never Django's bare
page; a record a user may not see answers exactly as a missing one; a session that ended sends the
user back to the page they asked for, query and all, and says why."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.views.defaults import server_error

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.frontdoor import selectors
from safeguarding.frontdoor.models import Concern
from safeguarding.frontdoor.services import concern_raise
from tests.factories import PersonFactory, sign_in, without_csrf

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_in_the_layout_with_ways_on(make_user) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(Client(), make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "<title>Page not found" in body and 'class="govuk-template__header"' in body
    assert "Where to go next" in body and f'href="{reverse("home")}"' in body
    assert f'href="{reverse("frontdoor:queue")}"' in body  # the user's own pages, from the navigation


def test_a_concern_the_user_may_not_see_answers_exactly_as_a_missing_one(make_user) -> None:  # type: ignore[no-untyped-def]
    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    nurse = make_user(role=Role.REFERRER, agency_kind=AgencyKind.HEALTH)
    theirs = concern_raise(raised_by=school, child=PersonFactory(), seen_on=timezone.localdate(),
                           description="Seen in a car")
    client = sign_in(Client(), nurse)
    forbidden = client.get(reverse("frontdoor:detail", args=[theirs.pk]))
    missing = client.get(reverse("frontdoor:detail", args=[theirs.pk + 1000]))
    assert forbidden.status_code == missing.status_code == 404
    assert without_csrf(forbidden.content) == without_csrf(missing.content)
    assert "Seen in a car" not in forbidden.content.decode()
    # while the one who raised it reads it
    assert sign_in(Client(), school).get(reverse("frontdoor:detail", args=[theirs.pk])).status_code == 200


def test_a_page_the_role_may_not_use_says_so_in_the_layout(make_user) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(Client(), make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION))
    response = client.get(reverse("frontdoor:queue"))
    body = response.content.decode()
    assert response.status_code == 403
    assert "<title>You cannot use this page" in body and 'class="govuk-template__header"' in body
    assert "does not give access to this part of the hub" in body
    assert "Where to go next" in body and f'href="{reverse("frontdoor:mine")}"' in body


def test_a_form_refused_for_its_token_says_how_to_send_it_again(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    client = sign_in(Client(enforce_csrf_checks=True), user)
    url = f"{reverse('frontdoor:raise')}?child={selectors.raise_token(user=user, person=PersonFactory())}"
    response = client.post(url, {"description": "Seen in a car"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "Your form could not be sent" in body and 'class="govuk-template__header"' in body
    assert f'href="{url.replace("&", "&amp;")}"' in body and "Go back to the form" in body
    assert not Concern.objects.exists()


def test_a_server_error_page_needs_nothing_from_the_request() -> None:
    # Django renders 500.html with no context at all (the request may be what failed).
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in body and 'class="govuk-template__header"' in body
    assert 'href="/"' in body and "call 999" in body


def test_after_an_idle_sign_out_the_user_comes_back_to_the_page_with_its_query(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    client = sign_in(Client(), user)
    url = f"{reverse('frontdoor:raise')}?child={selectors.raise_token(user=user, person=PersonFactory())}"
    assert client.get(url).status_code == 200
    client.session.delete(client.cookies[settings.SESSION_COOKIE_NAME].value)  # as the idle timeout does
    response = client.get(url)
    assert response.status_code == 302
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["next"] == [url] and query["ended"] == ["idle"]
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out because you had not used the hub for 30 minutes" in page


def test_a_form_sent_after_the_session_ended_leads_back_to_its_page_not_a_404(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    client = sign_in(Client(), user)
    url = f"{reverse('frontdoor:raise')}?child={selectors.raise_token(user=user, person=PersonFactory())}"
    client.session.delete(client.cookies[settings.SESSION_COOKIE_NAME].value)
    response = client.post(url, {"description": "Seen in a car"})
    assert response.status_code == 302 and not Concern.objects.exists()
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["next"] == [url] and query["ended"] == ["idle"]
    assert sign_in(Client(), user).get(query["next"][0]).status_code == 200  # the form, signed in again
