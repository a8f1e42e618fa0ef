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


def test_a_unique_pupil_number_s_check_letter_agrees_with_the_twelve_characters_after_it() -> None:
    # The DfE's rule: weights 2 to 13, digits by value, a temporary UPN's last letter by its place in
    # A-H, J-N, P-R, T-Z; the sum modulo 23 as a letter of that list (B801200005001: 93, 93 % 23 = 1, B).
    assert normalise.upn_check_letter("801200005001") == "B"
    assert normalise.upn_check_letter("123456789012") == "A"  # 368 = 16 x 23
    assert normalise.upn_check_letter("207000016049") == "P"  # 266 % 23 = 13
    assert normalise.upn("B801200005001") == "B801200005001"
    assert normalise.upn(" a123 4567 89012 ") == "A123456789012"
    assert normalise.upn("A801200005001") is None  # a wrong check letter
    assert normalise.upn("B123456789012") is None
    # A temporary UPN ends in a letter, which counts its place in the list: T is 16, so 80120000500T sums to
    # 80 + 16 x 13 = 288, and 288 % 23 = 12, N.
    assert normalise.upn_check_letter("80120000500T") == "N" and normalise.upn("N80120000500T") == "N80120000500T"
    assert normalise.upn_check_letter("80120000500I") is None  # I, O and S are not used
    assert normalise.upn("I80120000500I") is None
    assert normalise.upn("X80120000A001") is None and normalise.upn("12345") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07700 900123", "+447700900123"),
        ("07700900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("123", None),
        ("", None),
        # Part of a UK number is not one: a UK number has ten digits after its 0 ...
        ("0770", None),
        ("07700", None),
        ("07700 9001", None),
        ("+44 7700 900", None),
        ("01234 56789", None),
        # ... but for the few shorter ones in use.
        ("0800 1111", "+448001111"),
        ("016977 2345", "+44169772345"),
        ("(01709) 382121", "+441709382121"),
        # International numbers in +CC form, each its country's length.
        ("+33 1 23 45 67 89", "+33123456789"),
        ("+1 202 555 0143", "+12025550143"),
        ("+353 1 234 5678", "+35312345678"),
        ("+33 1 23", None),
    ],
)
def test_phone(raw: str, expected: str | None) -> None:
    assert normalise.phone(raw) == expected


def test_nhs_number_check_digit() -> None:
    assert normalise.nhs_number_digits("943 476 5919") == "9434765919"
    assert normalise.nhs_number_is_valid("9434765919")
    assert not normalise.nhs_number_is_valid("9434765918")
    assert normalise.nhs_number_digits("94347659") is None


def test_nhs_check_digit_is_modulus_11_and_some_nine_digits_have_none() -> None:
    assert normalise.nhs_check_digit("943476591") == 9
    assert normalise.nhs_check_digit("100000000") == 1  # 10 x 1 = 10: 11 - 10
    assert normalise.nhs_check_digit("000000000") == 0  # a remainder of 0 gives 11, written 0
    assert normalise.nhs_check_digit("000000023") is None  # 2 x 3 + 3 x 2 = 12: a remainder of 1 gives 10
    assert not any(normalise.nhs_number_is_valid(f"000000023{d}") for d in range(10))


def test_every_single_digit_slip_fails_the_nhs_check_digit() -> None:
    valid = "9434765919"
    for at in range(10):
        for digit in "0123456789":
            if digit != valid[at]:
                assert not normalise.nhs_number_is_valid(valid[:at] + digit + valid[at + 1 :])


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-10T22:15:00", (dt.datetime(2025, 1, 10, 22, 15, tzinfo=dt.UTC), False)),
        ("2025-07-01T10:00", (dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC), False)),
        ("2025-07-01", (dt.datetime(2025, 6, 30, 23, 0, tzinfo=dt.UTC), True)),
        ("2025-10-26T01:30:00", (dt.datetime(2025, 10, 26, 0, 30, tzinfo=dt.UTC), False)),  # twice: the first
        ("2025-03-30T01:30:00", (dt.datetime(2025, 3, 30, 1, 30, tzinfo=dt.UTC), False)),  # skipped hour
        ("2025-07-01T10:00:00+02:00", (dt.datetime(2025, 7, 1, 8, 0, tzinfo=dt.UTC), False)),
        ("2025-07-01T10:00:00Z", (dt.datetime(2025, 7, 1, 10, 0, tzinfo=dt.UTC), False)),
        ("2025-02-30", None),
        ("2025-01-10T25:00", None),
        ("1066-10-14", None),
        ("next Tuesday", None),
    ],
)
def test_occurred_at_is_read_as_local_time_in_england(text: str, expected: tuple[dt.datetime, bool] | None) -> None:
    assert normalise.moment(text) == expected


def test_iso_date_is_a_whole_real_date_from_1900() -> None:
    assert normalise.iso_date("2024-12-01") == dt.date(2024, 12, 1)
    assert normalise.iso_date("2024-02-30") is None
    assert normalise.iso_date("1899-12-31") is None
    assert normalise.iso_date("2024-12") is None


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


def _clean_name_by_its_definition(value: str) -> str:
    """clean_name as first written, before it kept its answers and skipped folding plain ASCII."""
    import re

    from anyascii import anyascii

    folded = anyascii(value).lower()
    folded = folded.replace("'", "").replace("`", "")
    return " ".join(re.sub(r"[^a-z]+", " ", folded).split())


@pytest.mark.parametrize("name", [
    "Smith", "  O'Neil-Smith ", "D`Arcy", "ZOË", "Zoë Ann", "ÉLODIE", "Straße", "Łukasz", "Nguyễn Văn", "İlker",
    "ﬁona", "Mary-Jane  van der Berg", "R2D2", "李", "Ahmed  Al-Sayed", "'", "-", "ANNE-MARIE", "Søren", "Ørsted",
])
def test_a_name_is_cleaned_as_its_definition_says_each_time_it_is_asked(name: str) -> None:
    expected = _clean_name_by_its_definition(name)
    assert normalise.clean_name(name) == expected
    assert normalise.clean_name(name) == expected  # the kept answer is the same
    assert normalise.name_key(name) == expected.replace(" ", "")[: normalise.NAME_KEY_LENGTH]


@pytest.mark.parametrize(("written", "plain"), [
    ("Łukasz", "lukasz"), ("Michał", "michal"), ("Paweł Wróbel", "pawel wrobel"), ("Søren Ørsted", "soren orsted"),
    ("Straße", "strasse"), ("Đorđević", "dordevic"), ("Y\u0131ld\u0131z", "yildiz"), ("Şahin", "sahin"),
    ("Æsa", "aesa"), ("Þór", "thor"), ("O\u2019Neil", "oneil"), ("Smith\u2010Jones", "smith jones"),
    ("Zoe\u0308", "zoe"), ("Александр", "aleksandr"),
])
def test_a_letter_with_no_accent_to_fold_is_written_as_its_latin_letter_not_dropped(written: str, plain: str) -> None:
    """Unicode's decomposition folds accents only: Łukasz was "ukasz", Michał "micha", Søren "sren", so a
    search for Lukasz never found him and record linkage compared "ukasz" with "lukasz"."""
    assert normalise.clean_name(written) == plain
    assert normalise.name_key("Łukasz") == normalise.name_key("Lukasz")
    assert normalise.name_sound("Michał") == normalise.name_sound("Michal")


def test_a_name_sounds_the_same_each_time_and_a_short_one_not_at_all() -> None:
    import jellyfish

    assert normalise.name_sound("Mohammed") == normalise.name_sound("Muhammad") == jellyfish.metaphone("mohammed")
    assert normalise.name_sound("Mohammed") == normalise.name_sound("MOHAMMED")
    assert normalise.name_sound("E") == normalise.name_sound("") == normalise.name_sound(None) == ""
