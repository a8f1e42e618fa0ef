"""Normalisers for the identifiers agencies record differently: postcodes, phones, NHS numbers,
vehicle registrations and partial dates. Each returns None for a value that cannot be used."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import phonenumbers

# The UK postcode format (BS 7666), after removing spaces and upper-casing.
_POSTCODE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ][0-9][0-9]?[0-9ABEHMNPRVWXY]?[0-9][ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][A-HK-Y][0-9][0-9]?[0-9ABEHMNPRVWXY]?[0-9][ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][0-9][A-HJKPSTUW][0-9][ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY][0-9][ABD-HJLNP-UW-Z]{2})$"
)
_REGISTRATION = re.compile(r"^[A-Z0-9]{2,8}$")
_UPN = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")


def postcode(value: str | None) -> str | None:
    """``s651ab`` -> ``S65 1AB``; None if it is not a UK postcode."""
    if not value:
        return None
    compact = re.sub(r"\s+", "", value).upper()
    if not _POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


# Any country's postcode as a comparable key: letters, digits and dashes, with a digit among them
# (Australia's 4223, France's 75008, Canada's K1A0B1); text such as "unknown" or "N/A" is not one.
_POSTCODE_ANY = re.compile(r"^(?=[A-Z-]*[0-9])[A-Z0-9-]{3,10}$")


def postcode_any(value: str | None) -> str | None:
    """``4223`` or ``k1a 0b1`` -> ``4223``, ``K1A0B1``: upper case without spaces, for a postcode that is
    not a UK one (from abroad, or mistyped) to be compared as it is; None if it does not look like a code."""
    if not value:
        return None
    compact = re.sub(r"\s+", "", value).upper()
    return compact if _POSTCODE_ANY.match(compact) else None


def postcode_district(value: str | None) -> str | None:
    """The outward code (``S65``) of a normalised postcode."""
    normalised = postcode(value)
    return normalised.split(" ")[0] if normalised else None


def phone(value: str | None) -> str | None:
    """A UK (or international, with +) number in E.164 form; None if it is not a valid number."""
    if not value or not value.strip():
        return None
    try:
        parsed = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def nhs_number_digits(value: str | None) -> str | None:
    """Ten digits with spaces and dashes removed, or None if it is not ten digits."""
    if not value:
        return None
    digits = re.sub(r"[\s-]", "", value)
    return digits if len(digits) == 10 and digits.isdigit() else None


def nhs_number_is_valid(digits: str) -> bool:
    """The modulus-11 check digit of an NHS number."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def registration(value: str | None) -> str | None:
    """A vehicle registration upper-cased without spaces (``ya19 abc`` -> ``YA19ABC``)."""
    if not value:
        return None
    compact = re.sub(r"[\s-]", "", value).upper()
    return compact if _REGISTRATION.match(compact) else None


def upn(value: str | None) -> str | None:
    """A unique pupil number: a letter, 11 digits and a check character."""
    if not value:
        return None
    compact = re.sub(r"\s", "", value).upper()
    return compact if _UPN.match(compact) else None


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, month or day, as agencies record dates of birth."""

    year: int
    month: int | None = None
    day: int | None = None

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def earliest(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)


_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def partial_date(value: str | None) -> PartialDate | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; None if malformed or impossible."""
    if not value:
        return None
    match = _PARTIAL.match(value.strip())
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        return None
    if year < 1900:
        return None
    return PartialDate(year, month, day)


def age_on(dob: PartialDate, on: dt.date) -> int:
    """Age in whole years on a date, taking the earliest date the partial date allows."""
    born = dob.earliest
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# The shapes of a UK registration mark (DVLA): current (AB12 CDE), prefix (A123 BCD), suffix
# (ABC 123D), dateless (1-3 letters and 1-4 digits either way round) and Northern Ireland (ABZ 1234).
_UK_REGISTRATION = re.compile(
    r"^([A-Z]{2}[0-9]{2}[A-Z]{3}|[A-Z][0-9]{1,3}[A-Z]{3}|[A-Z]{3}[0-9]{1,3}[A-Z]|"
    r"[A-Z]{1,3}[0-9]{1,4}|[0-9]{1,4}[A-Z]{1,3}|[A-Z]{3}[0-9]{1,4})$"
)


def uk_registration(value: str | None) -> str | None:
    """A UK vehicle registration mark, upper case without spaces (``ya19 abc`` -> ``YA19ABC``), or None
    if it has none of the DVLA's shapes: "UNKNOWN", "N/A" and "NOREG" are not registrations, so two
    records that say so are never joined on it."""
    if not value:
        return None
    compact = re.sub(r"[\s.-]", "", value).upper()
    return compact if _UK_REGISTRATION.match(compact) else None


def uk_registration_display(compact: str) -> str:
    """``YA19ABC`` -> ``YA19 ABC``: a current-style mark spaced as on the plate; others as they are."""
    if re.match(r"^[A-Z]{2}[0-9]{2}[A-Z]{3}$", compact):
        return f"{compact[:4]} {compact[4:]}"
    return compact


def phone_for_linking(value: str | None) -> str | None:
    """A phone number in E.164 form that can join two records: as ``phone``, but never a number of
    one digit repeated (``0000 000000``) or an emergency or short number, which agencies type when
    they have no real one."""
    number = phone(value)
    if number is None:
        return None
    national = number.removeprefix("+44")
    if len(set(national)) <= 2 or len(national) < 9:
        return None
    return number
