"""GOV.UK dates everywhere (issue 16): the hub's language is en-GB and its own format module makes a
date or time shown with no format of its own read "11 July 2012" and "11 July 2012, 14:30"; dates of
birth held as text and sex held as a code read in words on the pages outside the single view; CSV
exports keep the formats SPEC.md fixes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.core.lists import csv_values
from tests.factories import AlertFactory, PersonFactory, sign_in

JULY_11 = dt.date(2012, 7, 11)


def _render(text: str, **values: object) -> str:
    return Template(text).render(Context(values))


def test_the_language_is_en_gb_and_dates_without_a_format_read_the_govuk_way() -> None:
    assert settings.LANGUAGE_CODE == "en-gb" and settings.TIME_ZONE == "Europe/London"
    afternoon = timezone.make_aware(dt.datetime(2012, 7, 11, 14, 30))
    shown = _render("{{ d }}|{{ t }}|{{ d|date }}|{{ t|date }}|{{ t|time }}|{{ t|date:'SHORT_DATE_FORMAT' }}",
                    d=JULY_11, t=afternoon)
    assert shown == "11 July 2012|11 July 2012, 14:30|11 July 2012|11 July 2012|14:30|11 July 2012"
    morning = timezone.make_aware(dt.datetime(2026, 1, 5, 9, 5))
    assert _render("{{ t }}", t=morning) == "5 January 2026, 09:05"  # no leading zero on the day, no "a.m."
    assert "Jul" not in _render("{{ d }}", d=JULY_11).replace("July", "")


def test_csv_exports_keep_their_own_formats() -> None:
    assert csv_values(JULY_11) == "2012-07-11"
    assert csv_values(timezone.make_aware(dt.datetime(2012, 7, 11, 14, 30))).startswith("2012-07-11T14:30")


@pytest.mark.django_db
def test_dates_of_birth_and_sex_read_in_words_on_the_pages_outside_the_single_view(make_user) -> None:  # type: ignore[no-untyped-def]
    child = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth="2010-03-14", sex="F")
    mace = sign_in(Client(), make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL))
    alert = AlertFactory(person=child)
    page = mace.get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    assert "born 14 March 2010" in page and "2010-03-14" not in page

    referrer_user = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    referrer = sign_in(Client(), referrer_user)
    found = referrer.get(reverse("frontdoor:raise-find"), {
        "family_name": "Barker", "date_of_birth_0": "14", "date_of_birth_1": "3", "date_of_birth_2": "2010"})
    body = found.content.decode()
    assert "Chloe" in body and "14 March 2010" in body and "2010-03-14" not in body
    partial = PersonFactory(family_name="Nobody", date_of_birth="2011-06")
    from safeguarding.frontdoor import selectors

    form = referrer.get(f"{reverse('frontdoor:raise')}?child={selectors.raise_token(user=referrer_user, person=partial)}")
    assert "Date of birth: June 2011." in form.content.decode()


@pytest.mark.django_db
def test_match_review_shows_the_records_dates_of_birth_and_sex_in_words(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.linkage.models import LinkageRun, MatchReview
    from tests.factories import SourceRecordFactory

    left = SourceRecordFactory(date_of_birth="2010-03-14", sex="F")
    right = SourceRecordFactory(date_of_birth="2010-03", sex="U")
    review = MatchReview.objects.create(record_l=left, record_r=right, match_probability=0.9, match_weight=3.0,
                                        run=LinkageRun.objects.create(started_at=timezone.now(), engine="duckdb"))
    reviewer = sign_in(Client(), make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE))
    page = reviewer.get(reverse("linkage:review", args=[review.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    rows = {f.label: f for f in page.context["fields"]}
    assert rows["Date of birth"].status == "differ" and rows["Sex"].status == "differ"  # judged on the values held
    for shown in ("14 March 2010", "March 2010", "Female", "Not known"):
        assert f'<td class="govuk-table__cell">{shown}</td>' in body, shown
    assert "2010-03-14" not in body and '<td class="govuk-table__cell">F</td>' not in body
