"""Normalisers for the identifiers agencies record differently: postcodes, phones, NHS numbers,
vehicle registrations, partial dates and names. Each returns None for a value that cannot be used."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from anyascii import anyascii

from safeguarding.core.calendar import ENGLAND

# Dates before this are typing errors in agencies' records (a year of 0201, 1066), never history.
EARLIEST_YEAR = 1900

# The UK postcode format (BS 7666), after removing spaces and upper-casing.
_POSTCODE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ][0-9][0-9]?[0-9ABEHMNPRVWXY]?[0-9][ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][A-HK-Y][0-9][0-9]?[0-9ABEHMNPRVWXY]?[0-9][ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][0-9][A-HJKPSTUW][0-9][ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY][0-9][ABD-HJLNP-UW-Z]{2})$"
)
# A unique pupil number: a check letter, eleven digits, and a digit or (a temporary UPN) a letter.
_UPN = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")
# The letters of a UPN's check letter and of a temporary UPN's last character, in the order of the
# values they stand for (the DfE's: A is 0 ... Z is 22; I, O and S are not used).
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


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


# A UK number's digits after the 0 (or +44): ten for every mobile, every geographic number but a few
# old exchanges', and every non-geographic one but a few freephone numbers, which phonenumbers knows.
_UK_DIGITS = 10


def phone(value: str | None) -> str | None:
    """A UK (or international, with +) number in E.164 form; None if it cannot be a whole number.

    A number of a length its country never dials in full is refused: ``0770`` or ``07700 9001`` is
    part of a mobile number, not one (phonenumbers alone accepts them, as numbers dialled within an
    area). A UK number has ten digits after its 0, or is one of the shorter ones phonenumbers knows
    to be real (``0800 1111``, ``016977 2345``); a ten-digit number outside the ranges it knows, such
    as Ofcom's ranges for drama (``07700 900123``), is kept.
    """
    if not value or not value.strip():
        return None
    try:
        parsed = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(parsed) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    if parsed.country_code == 44 and len(phonenumbers.national_significant_number(parsed)) != _UK_DIGITS \
            and not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def nhs_number_digits(value: str | None) -> str | None:
    """Ten digits with spaces and dashes removed, or None if it is not ten digits."""
    if not value:
        return None
    digits = re.sub(r"[\s-]", "", value)
    return digits if len(digits) == 10 and digits.isascii() and digits.isdigit() else None


def nhs_check_digit(nine_digits: str) -> int | None:
    """The modulus-11 check digit that follows the first nine digits of an NHS number; None when
    the nine digits have none (a remainder of 10), so that no valid number starts with them.

    The one copy of the rule in the hub: the importer, the front door, the demo generator and the
    benchmarks all ask here."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(nine_digits))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def nhs_number_is_valid(digits: str) -> bool:
    """Whether ten digits end in the modulus-11 check digit of the nine before it."""
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


def upn_check_letter(twelve: str) -> str | None:
    """The check letter that starts a unique pupil number, from the twelve characters after it; None when
    they have none (a character neither a digit nor one of ``UPN_LETTERS``).

    The DfE's rule (the Government Data Standards Catalogue's *Unique Pupil Number*, the school census
    validation 1510): each character weighted by its position in the UPN, 2 to 13, a digit counting its
    value and a temporary UPN's last letter its place in ``UPN_LETTERS``; the sum modulo 23, as the letter
    in that place. The one copy of the rule in the hub: the importer, the front door and the demo
    generator all ask here."""
    total = 0
    for position, character in enumerate(twelve, start=2):
        if character in "0123456789":
            total += int(character) * position
        elif character in UPN_LETTERS:
            total += UPN_LETTERS.index(character) * position
        else:
            return None
    return UPN_LETTERS[total % 23]


def upn(value: str | None) -> str | None:
    """A unique pupil number, upper case without spaces: 13 characters, a check letter then eleven digits
    and a digit (or a letter), the check letter agreeing with the twelve after it; None if it is not one
    (a mistyped UPN would keep two records of one pupil apart, as two pupils)."""
    if not value:
        return None
    compact = re.sub(r"\s", "", value).upper()
    return compact if _UPN.match(compact) and upn_check_letter(compact[1:]) == compact[0] else None


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
    if year < EARLIEST_YEAR:
        return None
    return PartialDate(year, month, day)


def age_on(dob: PartialDate, on: dt.date) -> int:
    """Age in whole years on a date, taking the earliest date the partial date allows."""
    born = dob.earliest
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def clean_name(value: str | None) -> str:
    """Lower case ASCII letters and single spaces: every letter written in Latin letters (accents folded,
    and the letters that have no accent to fold, Łukasz, Michał, Søren, Straße, Đorđević, as
    Lukasz, Michal, Soren, Strasse, Dordevic), apostrophes dropped, hyphens split. Record linkage cleans names with
    this too (``linkage.prepare``)."""
    return _clean_name(value) if value else ""


# Names repeat (the generator's county of a million records holds 25,731 spellings of given, family
# and other names), and the import, search and the persons' display fields ask for each several
# times a record: each spelling is worked out once a process, for the last 65,536 asked (a few MB).
_NAMES_KEPT = 1 << 16
_NOT_LETTERS = re.compile(r"[^a-z]+")


@lru_cache(maxsize=_NAMES_KEPT)
def _clean_name(value: str) -> str:
    # Unicode's decomposition folds only accents (é, ü, ş): a letter of its own (ł, ø, ß, đ, þ, the dotless i) was dropped,
    # so Łukasz was "ukasz" and never met Lukasz. anyascii writes every character in ASCII.
    folded = value if value.isascii() else anyascii(value)
    folded = folded.lower().replace("'", "").replace("`", "")
    return " ".join(_NOT_LETTERS.sub(" ", folded).split())


def name_words(value: str | None) -> set[str]:
    """The spellings of a name two records agree on, as record linkage counts them: the whole name
    cleaned, each word of two letters or more, and the words run together ("Smith-Jones" -> smith jones,
    smith, jones, smithjones; "O'Neil" -> oneil)."""
    clean = clean_name(value)
    if not clean:
        return set()
    words = {w for w in clean.split(" ") if len(w) >= 2}
    compact = clean.replace(" ", "")
    return words | {clean, compact} if len(compact) >= 2 else words | {clean}


# --- names as a search finds them ------------------------------------------------------------------

NAME_KEY_LENGTH = 60
NAME_SOUND_LENGTH = 16


def name_key(value: str | None) -> str:
    """A name as search and record linkage compare it: lower-case letters run together
    ("O'Neil-Smith" -> "oneilsmith"); "" for no name."""
    return clean_name(value).replace(" ", "")[:NAME_KEY_LENGTH]


def name_sound(value: str | None) -> str:
    """How a name sounds (Metaphone), so that spellings and transliterations meet: Mohammed, Muhammad and
    Mohamed; Hussain and Hussein; Chaudhry and Choudhury. "" for a name too short to carry a sound."""
    key = name_key(value)
    return _sound(key) if key else ""


@lru_cache(maxsize=_NAMES_KEPT)
def _sound(key: str) -> str:
    import jellyfish  # only where names are read: the import, search and record linkage

    sound = jellyfish.metaphone(key)[:NAME_SOUND_LENGTH]
    return sound if len(sound) >= 2 else ""


def last_name_word(value: str | None) -> str:
    """The last word of a name of several words ("Smith-Jones" -> "jones"), which a search for it finds
    (the first is the start of its key); "" for a name of one word."""
    words = [w for w in clean_name(value).split(" ") if len(w) >= 2]
    return words[-1][:NAME_KEY_LENGTH] if len(words) > 1 else ""


def other_name_keys(other_names: str | None) -> str:
    """The other names a record is known by (';'-separated: aliases, nicknames, previous names), for
    search: each whole, each word of one of several words, and each one's sound marked with #, as
    " smithjones smith jones #SM0JNS #SM0 #JNS ": a search for any of them, or a sound, finds the record.
    "" when there are none."""
    keys: dict[str, None] = {}
    for value in (other_names or "").split(";"):
        words = [w for w in clean_name(value).split(" ") if len(w) >= 2]
        if words:
            keys[name_key(value)] = None
        if len(words) > 1:
            keys.update(dict.fromkeys(words))
    sounds = {f"#{s}": None for s in (name_sound(k) for k in keys) if s}
    return f" {' '.join([*keys, *sounds])} " if keys else ""


def record_name_keys(given: str | None, family: str | None, other_names: str | None) -> dict[str, str]:
    """A source record's names as *Find a person* looks them up (the people room's SourceRecord fields)."""
    return {
        "given_key": name_key(given), "given_sound": name_sound(given),
        "family_key": name_key(family), "family_sound": name_sound(family), "family_last": last_name_word(family),
        "other_keys": other_name_keys(other_names),
    }


def latest_day(dob: PartialDate) -> dt.date:
    """The latest date a partial date allows (``2010`` → 31 December 2010)."""
    if dob.month is None:
        return dt.date(dob.year, 12, 31)
    if dob.day is None:
        next_month = dt.date(dob.year + dob.month // 12, dob.month % 12 + 1, 1)
        return next_month - dt.timedelta(days=1)
    return dt.date(dob.year, dob.month, dob.day)


def nth_birthday(dob: PartialDate, years: int, *, latest: bool = False) -> dt.date:
    """The day a person born on ``dob`` turns ``years`` old: from the earliest date a partial date of
    birth allows, or its latest (``latest=True``, for keeping records: never too early). Someone born
    on 29 February comes of age on 1 March in a year without one (Family Law Reform Act 1969, s.9)."""
    born = latest_day(dob) if latest else dob.earliest
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return dt.date(born.year + years, 3, 1)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February becomes 1 March in a year without one)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def moment(value: str) -> tuple[dt.datetime, bool] | None:
    """An ISO 8601 date or date-time as an aware UTC datetime, and whether only a date was given;
    None if it is not one (or is before 1900).

    A time without an offset is local time in England. At the autumn change an hour happens twice
    and the first (summer time) is taken; a time skipped in spring is read with the winter offset,
    which is what ``zoneinfo`` does with ``fold=0``.
    """
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        pass
    else:
        if day.year < EARLIEST_YEAR:
            return None
        return dt.datetime.combine(day, dt.time(), tzinfo=ENGLAND).astimezone(dt.UTC), True
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.year < EARLIEST_YEAR:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ENGLAND)
    try:
        return parsed.astimezone(dt.UTC), False
    except OverflowError:
        return None


def iso_date(value: str) -> dt.date | None:
    """A whole ISO 8601 date (``YYYY-MM-DD``); None if it is not one (or is before 1900)."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if day.year >= EARLIEST_YEAR else None


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


_PERSON_REFERENCE = re.compile(r"^\s*[Pp]\s*0*(\d{1,12})\s*$")


def person_reference(value: str | None) -> int | None:
    """The person id a hub reference names (``P0000239``, ``p239``), or None."""
    match = _PERSON_REFERENCE.match(value or "")
    return int(match.group(1)) if match else None


def typed_reference(text: str | None) -> int | None:
    """The person id a form's reference box names: a hub reference, or its number alone (``239``)."""
    text = (text or "").strip()
    return person_reference(text if text[:1] in ("P", "p") else f"P{text}")


def reference_of(pk: int) -> str:
    """The hub reference of a person id (``P0000239``): the one writing of it, which ``person_reference``
    reads back."""
    return f"P{pk:07d}"


@lru_cache(maxsize=1)
def nicknamer() -> Any:
    """The nicknames list (the ``nicknames`` package: Dan and Daniel, Chris and Christopher), loaded once,
    for record linkage's given names and Find a person's."""
    from nicknames import NickNamer

    return NickNamer()
