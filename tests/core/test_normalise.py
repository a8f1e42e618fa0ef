"""Normalisers for identifiers agencies write differently."""

import datetime as dt

import pytest

from safeguarding.core import normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("s651ab", "S65 1AB"),
        (" S65  1AB ", "S65 1AB"),
        ("SW1A1AA", "SW1A 1AA"),
        ("S60 2XX", "S60 2XX"),
        ("S65 1A", None),
        ("", None),
        ("hello", None),
    ],
)
def test_postcode(raw: str, expected: str | None) -> None:
    assert normalise.postcode(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("4223", "4223"),  # Australia
        ("k1a 0b1", "K1A0B1"),  # Canada
        ("S65 1A", "S651A"),  # a mistyped UK postcode, still worth comparing
        ("unknown", None),
        ("N/A", None),
        ("12", None),
        ("12345678901", None),
    ],
)
def test_postcode_any(raw: str, expected: str | None) -> None:
    assert normalise.postcode_any(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07700 900123", "+447700900123"),
        ("07700900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("123", None),
        ("", None),
    ],
)
def test_phone(raw: str, expected: str | None) -> None:
    assert normalise.phone(raw) == expected


def test_nhs_number_check_digit() -> None:
    assert normalise.nhs_number_digits("943 476 5919") == "9434765919"
    assert normalise.nhs_number_is_valid("9434765919")
    assert not normalise.nhs_number_is_valid("9434765918")
    assert normalise.nhs_number_digits("94347659") is None


def test_registration() -> None:
    assert normalise.registration("ya19 abc") == "YA19ABC"
    assert normalise.registration("!!") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2010-03-14", "2010-03-14"),
        ("2010-03", "2010-03"),
        ("1988", "1988"),
        ("2010-03-41", None),
        ("2010-13", None),
        ("14/03/2010", None),
    ],
)
def test_partial_dates(raw: str, expected: str | None) -> None:
    value = normalise.partial_date(raw)
    assert (str(value) if value else None) == expected


def test_age_on_uses_the_earliest_possible_birthday() -> None:
    dob = normalise.partial_date("2010-03-14")
    assert dob is not None
    assert normalise.age_on(dob, dt.date(2026, 3, 13)) == 15
    assert normalise.age_on(dob, dt.date(2026, 3, 14)) == 16


def test_uk_registrations_in_any_format_and_never_a_word() -> None:
    from safeguarding.core.normalise import uk_registration, uk_registration_display

    assert uk_registration("ya19 abc") == uk_registration("YA19-ABC") == uk_registration(" Ya19ABC ") == "YA19ABC"
    assert uk_registration("a123 bcd") == "A123BCD"  # prefix
    assert uk_registration("ABC 123D") == "ABC123D"  # suffix
    assert uk_registration("1 ABC") == "1ABC"  # dateless
    for placeholder in ("UNKNOWN", "N/A", "NOREG", "NONE", "TBC", "XXXXXXX", "", "?"):
        assert uk_registration(placeholder) is None, placeholder
    assert uk_registration_display("YA19ABC") == "YA19 ABC"


def test_phones_for_linking_are_e164_and_never_a_placeholder() -> None:
    from safeguarding.core.normalise import phone_for_linking

    assert phone_for_linking("07700 900123") == phone_for_linking("+44 7700 900123") == "+447700900123"
    assert phone_for_linking("(01709) 382121") == "+441709382121"
    for placeholder in ("0000 000000", "07777 777777", "999", "n/a"):
        assert phone_for_linking(placeholder) is None, placeholder
