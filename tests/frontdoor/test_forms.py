"""The concern and new-child forms: every field checked at once, in GOV.UK's words (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safeguarding.core.forms import govuk_errors
from safeguarding.frontdoor.forms import ConcernForm, NewChildForm


def _date(prefix: str, day: dt.date) -> dict[str, str]:
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}


def _concern(**changes: str) -> dict[str, str]:
    today = timezone.localdate()
    return {
        **_date("seen_on", today), "description": "Got into a silver car after school", "parents_told": "yes",
        "consent": "given", "referrer_role": "Head of year", "referrer_phone": "01632 960 001", **changes,
    }


def _errors(form: ConcernForm | NewChildForm) -> dict[str, list[str]]:
    form.is_valid()
    return {field.name: govuk_errors(field) for field in form if govuk_errors(field)}


def test_a_concern_answered_in_full_is_accepted_and_its_context_read() -> None:
    form = ConcernForm(_concern(parents_told="no", parents_not_told_reason="Father may be involved",
                                consent="not_sought", consent_reason="Asking would put her at risk",
                                people_involved="'Jay', about 20\nAn older girl", vehicles_involved="Silver Audi YX12 ABC",
                                places_involved="Flat above the takeaway, Main Street", referrer_email="head@school.example"))
    assert form.is_valid(), form.errors
    context = form.context()
    assert context.parents_told == "no" and context.consent == "not_sought"
    assert context.vehicles_involved == "Silver Audi YX12 ABC" and context.referrer_email == "head@school.example"


def test_an_empty_concern_reports_every_missing_answer_at_once_in_govuk_words() -> None:
    errors = _errors(ConcernForm({}))
    assert errors == {
        "seen_on": ["Enter the date you saw this, or were told"],
        "description": ["Describe what you saw or heard"],
        "parents_told": ["Select whether the child's parents or carers have been told"],
        "consent": ["Select whether consent was given to share this concern"],
        "referrer_role": ["Enter your job title"],
        "referrer_phone": ["Enter a phone number the front door can call you on"],
    }
    assert not any("This field is required" in message for messages in errors.values() for message in messages)


def test_why_not_is_asked_when_parents_were_not_told_or_consent_not_given() -> None:
    errors = _errors(ConcernForm(_concern(parents_told="no", consent="refused")))
    assert errors == {
        "parents_not_told_reason": ["Say why the child's parents or carers have not been told"],
        "consent_reason": ["Say why the concern is shared without consent"],
    }
    assert _errors(ConcernForm(_concern(parents_told="yes", consent="given"))) == {}


def test_a_seen_on_date_in_the_future_is_refused() -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert _errors(ConcernForm(_concern(**_date("seen_on", tomorrow)))) == {
        "seen_on": ["The date you saw this or were told must be today or in the past"]
    }


def test_too_long_answers_are_refused_with_the_limit_in_words() -> None:
    errors = _errors(ConcernForm(_concern(description="x" * 100_000, people_involved="y" * 2001)))
    assert errors == {
        "description": ["Your answer must be 10000 characters or fewer"],
        "people_involved": ["Other people involved (if any) must be 2000 characters or fewer"],
    }


def test_contact_details_must_be_reachable() -> None:
    errors = _errors(ConcernForm(_concern(referrer_phone="call me", referrer_email="not an address")))
    assert errors == {
        "referrer_phone": ["Enter a phone number, like 01632 960 001 or 07700 900 982"],
        "referrer_email": ["Enter an email address in the correct format, like name@example.com"],
    }


def _child(**changes: str) -> NewChildForm:
    return NewChildForm({f"child-{k}": v for k, v in {"given_name": "Chloe", "family_name": "Barker", **changes}.items()},
                        prefix="child")


@pytest.mark.parametrize(
    ("born", "message"),
    [
        (dt.date(2029, 1, 1), "Date of birth must be in the past"),
        (timezone.localdate() - dt.timedelta(days=19 * 366),
         "The child must be under 18: enter a date of birth less than 18 years ago, or leave it blank"),
    ],
)
def test_a_date_of_birth_must_make_sense_for_a_child(born: dt.date, message: str) -> None:
    assert _errors(_child(**_date("date_of_birth", born))) == {"date_of_birth": [message]}


def test_a_child_a_day_short_of_18_may_be_recorded_and_on_their_birthday_may_not() -> None:
    today = timezone.localdate()
    eighteenth_birthday_today = today.replace(year=today.year - 18) if not (today.month == 2 and today.day == 29) else None
    if eighteenth_birthday_today is None:
        pytest.skip("no such birthday 18 years before a 29 February")
    assert "date_of_birth" in _errors(_child(**_date("date_of_birth", eighteenth_birthday_today)))
    assert _errors(_child(**_date("date_of_birth", eighteenth_birthday_today + dt.timedelta(days=1)))) == {}


def test_every_bad_child_detail_is_reported_at_once() -> None:
    errors = _errors(_child(nhs_number="1234567890", postcode="nowhere", upn="12", **_date("date_of_birth", dt.date(2029, 1, 1))))
    assert set(errors) == {"nhs_number", "postcode", "upn", "date_of_birth"}
    assert errors["nhs_number"] == ["Enter a real NHS number, like 943 476 5919, or leave it blank"]
