"""The form renderer's fields: dates that cannot overflow into a 500, and free text with a limit and
the GOV.UK character count."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.core.forms import GovukDateField
from safeguarding.frontdoor import selectors
from safeguarding.frontdoor.models import Concern
from tests.factories import PersonFactory, sign_in

OUT_OF_RANGE = [
    ("1", "1", "99999999999"),
    ("99999999999", "1", "2020"),
    ("1", "99999999999", "2020"),
    ("31", "2", "2020"),
    ("1", "1", "10000"),
    ("1", "1", "-5"),
    ("1", "1", "99"),
]


@pytest.mark.parametrize("day_month_year", OUT_OF_RANGE)
def test_an_out_of_range_date_is_a_form_error(day_month_year: tuple[str, str, str]) -> None:
    from django import forms

    field = GovukDateField()
    with pytest.raises(forms.ValidationError):
        field.clean(list(day_month_year))


def _date(prefix: str, day: str, month: str, year: str) -> dict[str, str]:
    return {f"{prefix}_0": day, f"{prefix}_1": month, f"{prefix}_2": year}


# What the concern form asks besides the date and what was seen, answered.
ANSWERED = {"parents_told": "yes", "consent": "given", "referrer_role": "Teacher", "referrer_phone": "01632 960 001"}


@pytest.mark.django_db
@pytest.mark.parametrize("day_month_year", OUT_OF_RANGE[:3])
def test_every_date_field_in_the_pages_answers_a_form_error_never_a_500(make_user, day_month_year) -> None:  # type: ignore[no-untyped-def]
    day, month, year = day_month_year
    triage = sign_in(Client(), make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    referrer_user = make_user(role=Role.REFERRER)
    referrer = sign_in(Client(), referrer_user)
    child = PersonFactory()
    token = selectors.raise_token(user=referrer_user, person=child)
    pages = [
        referrer.post(
            f"{reverse('frontdoor:raise')}?child={token}",
            {**_date("seen_on", day, month, year), "description": "Seen in a car", **ANSWERED},
        ),
        referrer.post(
            reverse("frontdoor:raise-new-child"),
            {**_date("child-date_of_birth", day, month, year), "child-given_name": "A", "child-family_name": "B", "description": "x",
             **_date("seen_on", "1", "1", "2024"), **ANSWERED},
        ),
        referrer.get(reverse("frontdoor:raise-find"), {"family_name": "Barker", **_date("date_of_birth", day, month, year)}),
        triage.get(reverse("people:search"), {"family_name": "Barker", **_date("date_of_birth", day, month, year)}),
        triage.get(reverse("screening:levels"), _date("on", day, month, year)),
    ]
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert "There is a problem" in body and ("Enter a real date" in body or "Year must include 4 numbers" in body)


@pytest.mark.django_db
def test_free_text_has_a_limit_and_the_character_count(make_user) -> None:  # type: ignore[no-untyped-def]
    referrer_user = make_user(role=Role.REFERRER)
    referrer = sign_in(Client(), referrer_user)
    child = PersonFactory()
    url = f"{reverse('frontdoor:raise')}?child={selectors.raise_token(user=referrer_user, person=child)}"
    page = referrer.get(url).content.decode()
    assert 'data-module="govuk-character-count" data-maxlength="10000"' in page
    assert "You can enter up to 10000 characters" in page
    too_long = referrer.post(url, {**_date("seen_on", "1", "1", "2024"), "description": "x" * 10001, **ANSWERED})
    assert too_long.status_code == 200 and "There is a problem" in too_long.content.decode()
    assert not Concern.objects.exists()
    assert Concern._meta.get_field("description").max_length == 10000


@pytest.mark.django_db
def test_a_raise_token_works_once(make_user) -> None:  # type: ignore[no-untyped-def]
    referrer_user = make_user(role=Role.REFERRER)
    referrer = sign_in(Client(), referrer_user)
    child = PersonFactory()
    url = f"{reverse('frontdoor:raise')}?child={selectors.raise_token(user=referrer_user, person=child)}"
    today = timezone.localdate()
    form = {**_date("seen_on", str(today.day), str(today.month), str(today.year)), "description": "Seen in a car",
            **ANSWERED}
    check = referrer.post(url, form)
    assert check.status_code == 302
    assert referrer.post(check["Location"]).status_code == 302
    assert referrer.get(url).status_code == 404
    assert referrer.post(url, form).status_code == 404
    assert Concern.objects.count() == 1


def test_django_default_messages_are_put_in_govuk_words_and_a_forms_own_kept() -> None:
    from django import forms

    from safeguarding.core.forms import govuk_errors

    class Example(forms.Form):
        reason = forms.CharField(label="Reason for the decision", max_length=5)
        nhs_number = forms.CharField(label="NHS number")
        team = forms.ChoiceField(label="Team", choices=[("a", "A")], widget=forms.RadioSelect)
        how_many = forms.IntegerField(label="How many times?")
        email = forms.EmailField(label="Email address")
        agreed = forms.BooleanField(label="I have checked the details")
        own = forms.CharField(label="Own", error_messages={"required": "Say who told you"})

    form = Example({"reason": "far too long", "how_many": "lots", "email": "nope"})
    assert not form.is_valid()
    assert {f.name: govuk_errors(f) for f in form} == {
        "reason": ["Reason for the decision must be 5 characters or fewer"],
        "nhs_number": ["Enter NHS number"],
        "team": ["Select team"],
        "how_many": ["Your answer must be a number"],
        "email": ["Enter an email address in the correct format, like name@example.com"],
        "agreed": ["Select 'I have checked the details' to continue"],
        "own": ["Say who told you"],
    }
