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


@pytest.mark.parametrize(("day_month_year", "wrong"), [
    (("31", "12", "9999"), True), (("1", "1", "1000"), True), (("1", "1", "1899"), True),
    (("1", "1", "1900"), False), (("31", "12", "2100"), False),
])
def test_a_date_outside_the_years_the_hub_holds_is_a_form_error(day_month_year: tuple[str, str, str],
                                                               wrong: bool) -> None:
    """A strategy discussion on 1 January 1000 opened a conference clock overdue for a thousand years;
    the day after 31 December 9999 cannot be counted at all."""
    from django import forms

    field = GovukDateField()
    if wrong:
        with pytest.raises(forms.ValidationError, match="Enter a date between 1900 and 2100"):
            field.clean(list(day_month_year))
    else:
        assert field.clean(list(day_month_year)).year in (1900, 2100)


@pytest.mark.parametrize(("text", "number"), [("12", 12), ("abc", 0), ("²", 0), ("", 0), (None, 0), ("9" * 30, 0),
                                              (" 7 ", 7)])
def test_a_number_sent_by_hand_is_a_number_or_nothing(text: str | None, number: int) -> None:
    from safeguarding.core.forms import number_or_zero

    assert number_or_zero(text) == number


@pytest.mark.parametrize(("typed", "found"), [("P0000123", 123), ("p123", 123), ("123", 123), ("P²", None),
                                              ("²", None), ("P" + "9" * 30, None), ("", None)])
def test_a_reference_typed_in_a_box_is_read_or_refused(typed: str, found: int | None) -> None:
    from safeguarding.core.normalise import typed_reference

    assert typed_reference(typed) == found


@pytest.mark.django_db
def test_hand_edited_addresses_and_posts_answer_a_page_never_a_500(make_user) -> None:  # type: ignore[no-untyped-def]
    """What an audit sent by hand: a far date in a list's filter and a network's window, digits that are
    not numbers, and ids that are not ids."""
    triage = sign_in(Client(), make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    intel = sign_in(Client(), make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE))
    dpo = sign_in(Client(), make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL))
    admin = sign_in(Client(), make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL))
    child = PersonFactory()
    answered = [
        triage.get(reverse("earlywarning:queue"), _date("raised_to", "31", "12", "9999")),
        intel.get(reverse("contexts:networks"), {"end": "9999-12-31"}),
        triage.get(reverse("people:detail", args=[child.pk]), {"from": "concern-²"}),
        admin.get(reverse("rules:edit", args=["repeat-missing"]), {"test": "²"}),
        intel.post(reverse("dataprotection:break-glass"), {"reference": "P²", "reason": "A child is missing tonight"}),
        dpo.post(reverse("dataprotection:retention"), {"action": "release", "hold": "abc", "reason": "x"}),
        dpo.post(reverse("dataprotection:retention"), {"action": "dispose", "person": "abc", "kind": "x"}),
        admin.post(reverse("mace:raci"), {"based_on": "abc", "change_note": "x"}),
    ]
    assert [r.status_code for r in answered] == [200, 200, 200, 200, 200, 302, 302, 200]
    assert "Enter a date between 1900 and 2100" in answered[0].content.decode()
    assert "Enter a hub reference, like P0000123" in answered[4].content.decode()
