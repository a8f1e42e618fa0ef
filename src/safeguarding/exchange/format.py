"""The partnership exchange format, version 1 (shared/exchange/SPEC.md), described once as data.

Every file an agency sends (people.csv, events.csv, relationships.csv) and every file the hub
hands back (persons.csv, alerts.csv, clocks.csv, networks.csv): each column in SPEC.md's order,
whether it is required, the normaliser that reads it (from ``core.normalise``), the most it may
hold (the model field's own limit), the wording of the warning when a value is set aside or the
reason a row is rejected, and the vocabularies, taken from the models where the hub keeps them.

The importer validates by this description, the exporters and the demo generator write their
headers from it, and the benchmarks build their extracts from it; none keeps its own list.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from django.db import models

from safeguarding.core import normalise
from safeguarding.core.calendar import ENGLAND
from safeguarding.people.models import (
    Event,
    EventType,
    Handling,
    PersonRole,
    Relationship,
    RelationshipType,
    SourceRecord,
)

VERSION = 1

# The most characters one value may hold. Text without a limit of its own (an event's detail, an
# address) is kept up to this; a longer value is set aside with a warning, like any unusable
# optional value. Far beyond any real case note (a 500-page document), it keeps one pasted file
# from filling the database.
MAX_VALUE = 1_048_576

# --- Vocabularies -------------------------------------------------------------------------------

# SPEC.md's sex codes; the models store the code as sent, without choices of their own.
SEX_CODES: tuple[str, ...] = ("F", "M", "X", "U")
ROLES: tuple[str, ...] = tuple(r for r in PersonRole.values if r)  # "child", "adult"; empty is unknown
EVENT_TYPES: tuple[str, ...] = tuple(EventType.values)
RELATIONSHIP_TYPES: tuple[str, ...] = tuple(RelationshipType.values)
HANDLING_CODES: tuple[str, ...] = tuple(Handling.values)
CLOCK_KINDS: tuple[str, ...] = (
    "return_home_interview", "initial_child_protection_conference", "assessment", "nrm_reasonable_grounds",
    "nrm_conclusive_grounds", "panel_review",
)
CLOCK_STATUSES: tuple[str, ...] = ("met", "met_late", "overdue", "open")
NETWORK_ENTITY_KINDS: tuple[str, ...] = ("person", "vehicle", "place", "phone")

# --- Normalisers the exchange adds to core.normalise ----------------------------------------------

# A UK number of eleven digits starting 01, 02, 03 or 07, or the same written +44 without its 0.
_UK_NUMBER = re.compile(r"(?:0|\+44)([1237][0-9]{9})")
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")


def phone(text: str) -> str | None:
    """``normalise.phone``, with a shortcut for the common UK form (``07700 900123``).

    Parsing with phonenumbers costs tens of microseconds a number, most of a people row's time;
    for eleven digits starting 01, 02, 03 or 07 (spaced, or the area code in brackets), or the same
    number written +44, it always answers +44 and the last ten digits.
    """
    found = _UK_NUMBER.fullmatch(text.replace(" ", "").replace("(", "").replace(")", ""))
    if found:
        return "+44" + found[1]
    if ";" in text or "," in text:  # two numbers in one value: phonenumbers would read the first alone
        return None
    return normalise.phone(text)


def email(text: str) -> str | None:
    return text if _EMAIL.match(text) else None


def one_line(text: str) -> str:
    """Text on several lines as one, each line break written as ", " (a line's own comma, and empty
    lines, not repeated): ``14 Fern Road,\nEastwood`` -> ``14 Fern Road, Eastwood``."""
    lines = (line.strip().removesuffix(",").rstrip() for line in text.splitlines())
    return ", ".join(line for line in lines if line)


def split_list(text: str) -> list[str]:
    """A ``;``-separated cell as its non-empty parts, in order, without repeats."""
    return list(dict.fromkeys(part.strip() for part in text.split(";") if part.strip()))


def _code(vocabulary: Sequence[str], case: Callable[[str], str]) -> Callable[[str], str | None]:
    """A reader of one code of ``vocabulary``, whatever the case it is sent in."""
    known = frozenset(vocabulary)

    def read(text: str) -> str | None:
        value = case(text)
        return value if value in known else None

    return read


# A moment later than this far past the time of the import cannot have happened yet (SPEC.md: an
# impossible occurred_at); a day allows for a sending system's clock and time zone.
_FUTURE_GRACE = dt.timedelta(days=1)
_LATER_THAN_TODAY = ", or is more than a day in the future"
SET_ASIDE_MARK = "[set aside: "  # how a value too long to keep is written in its place, in the row as sent
# The end of a repeated key's rejection: its row is not one to import again (the first row of the key was).
ONLY_FIRST = "only its first row is imported"


def import_now() -> dt.datetime:
    """The time of the import, as the rows are judged by it (a moment not yet come, a child of age)."""
    return dt.datetime.now(dt.UTC)


def _latest_possible() -> dt.datetime:
    return import_now() + _FUTURE_GRACE


def _partial_date(text: str) -> str | None:
    """A date of birth, whole or partial; None if it is not one or has not come yet."""
    found = normalise.partial_date(text)
    if found is None or found.earliest > _latest_possible().date():
        return None
    return str(found)


def _instant(text: str) -> Any:
    found = _past_moment(text)
    return None if found is None else found[0]


def _past_moment(text: str) -> tuple[dt.datetime, bool] | None:
    """An ISO 8601 moment that has already come (a typed 2099 would otherwise be the latest thing the
    hub knows: every clock judged at it would be overdue)."""
    found = normalise.moment(text)
    return None if found is None or found[0] > _latest_possible() else found


def _not_earlier(value: Any, earlier: Any) -> Any:
    """A value not before the earlier column's (or with none to be before), as it is; None for one before it."""
    return None if earlier is not None and value < earlier else value


def _episode_end(end: tuple[dt.datetime, bool], start: dt.datetime | None) -> dt.datetime | None:
    """When an episode ended (``ended_at``, read with whether only a date was given), never before it began
    (``occurred_at``); None for an end before the start.

    A date alone means some time that day (in England): it is before the start only if the whole day is,
    so ``2025-01-10`` ends an episode that began at 22:15 that evening. It is stored as the earliest
    moment the end can have been: the day's start, or the episode's own start if that is later the same
    day. A missing episode's end starts its return home interview clock (due 72 hours after the return):
    a clock started no later than the child can have come back is never due later than the law requires,
    and never starts before the child went missing.
    """
    at, date_only = end
    if start is None:
        return at
    if not date_only:
        return _not_earlier(at, start)
    if at.astimezone(ENGLAND).date() < start.astimezone(ENGLAND).date():
        return None
    return max(at, start)


def _birth_of(values: dict[str, Any], role: str) -> tuple[str, normalise.PartialDate] | None:
    """A row's date of birth, as sent and read, when its role is ``role`` and the date can be read."""
    born = values.get("date_of_birth")
    if values.get("role") != role or not born:
        return None
    dob = normalise.partial_date(born)
    return (born, dob) if dob is not None else None


def _child_of_age(values: dict[str, Any]) -> str | None:
    """Why a row's role ``child`` (SPEC.md: under 18 at extract time) disagrees with its date of birth, or
    None. The extract was made when its record was last updated (``updated_at``) or later; with no
    ``updated_at``, at about the time it is imported. Only a certain disagreement is told: a partial date
    of birth (``1988``) counts from the latest day it allows."""
    if (birth := _birth_of(values, "child")) is None:
        return None
    born, dob = birth
    of_age = normalise.nth_birthday(dob, 18, latest=True)
    updated = values.get("updated_at")
    on = (updated or import_now()).astimezone(ENGLAND).date()
    if of_age > on:
        return None
    when = f"the record was last updated on {on:%-d %B %Y}" if updated \
        else f"the row, with no updated_at, is imported on {on:%-d %B %Y}"
    return f"role 'child' disagrees with date_of_birth {Sent(born)!r}: 18 by {of_age:%-d %B %Y}, and {when}; both kept"


def _adult_under_age(values: dict[str, Any]) -> str | None:
    """Why a row's role ``adult`` disagrees with a date of birth that makes them certainly under 18 at
    extract time, or None: under 18 on the day it is imported, which is no earlier than the extract (a
    record last updated at 17 may be sent once its person is 18), a partial date of birth counting from
    the earliest day it allows. Which of the two is wrong is not known; a child recorded as an adult (a
    young person arrested or named as a suspect, say) is the error that leaves a child unprotected, so
    the record is read as a child's: alerts, screening and a plan are then open to them. The row as sent
    keeps ``adult``."""
    if (birth := _birth_of(values, "adult")) is None:
        return None
    born, dob = birth
    of_age = normalise.nth_birthday(dob, 18)
    on = import_now().astimezone(ENGLAND).date()  # the extract was made no later than it is imported
    if of_age <= on:
        return None
    values["role"] = "child"
    return (f"role 'adult' disagrees with date_of_birth {Sent(born)!r}: under 18 until {of_age:%-d %B %Y}, after "
            f"this extract, imported on {on:%-d %B %Y}; read as a child's record (the row as sent, kept, says adult)")


def _limit(model: type[models.Model], name: str) -> int | None:
    """The most characters the model field holds (None for text without a limit)."""
    model_field = model._meta.get_field(name)
    return model_field.max_length if isinstance(model_field, models.CharField) else None


# --- Columns and files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """A further test of a normalised value; a value that fails it is kept, flagged, and warned of
    (an NHS number with a wrong check digit is still evidence for record linkage)."""

    test: Callable[[Any], bool]
    field: str  # set to the test's answer
    warning: str


@dataclass(frozen=True)
class Fallback:
    """A second reading of a value the normaliser refused, kept in another field only."""

    read: Callable[[str], Any]
    field: str
    warning: str  # {kept} names the value kept


@dataclass(frozen=True)
class NotBefore:
    """A value that may not be before the value of an earlier column of the row (an end before its start).

    ``settle`` takes the value as the column's normaliser read it and the earlier column's stored value
    (None if unknown), and answers the value to store, or None for a value before it, set aside with
    ``warning`` (a ``Column`` wording, with ``other``: the earlier column's text).
    """

    column: str
    warning: str
    settle: Callable[[Any, Any], Any] = _not_earlier


@dataclass(frozen=True)
class Column:
    """One column of an exchange file.

    Wordings are ``str.format`` templates with ``column``, ``value`` (the text as sent; ``{value!r}``
    quotes it, shortened if long) and, for a ``NotBefore`` warning, ``other`` (the earlier column's text).
    A value that an optional column cannot use is set aside and ``warning`` given; a required
    column's unusable value rejects the row, for ``rejection``.
    """

    name: str
    meaning: str = ""
    required: bool = False
    # The model field the normalised value is stored in; empty for a column read for a key (an
    # id, the source system) or only kept in the raw row.
    field: str = ""
    # Reads the text (stripped, not empty): the value to store, or None if it cannot be used.
    # None: the text is kept as it is, up to ``max_length``.
    normalise: Callable[[str], Any] | None = None
    max_length: int | None = None  # the model field's limit, for text kept as it is
    vocabulary: tuple[str, ...] = ()
    many: bool = False  # ';'-separated values, each read on its own; the usable ones joined by ';'
    warning: str = ""
    rejection: str = ""
    check: Check | None = None
    fallback: Fallback | None = None
    clears: tuple[str, ...] = ()  # fields emptied when a usable value arrives (superseded readings)
    # The normaliser answers a tuple, its parts stored in these fields (instead of ``field``).
    spread: tuple[str, ...] = ()
    # A value earlier than another column's (already read) value is set aside.
    not_before: NotBefore | None = None
    in_spec: bool = True  # False: a column the hub reads beyond SPEC.md (as the format allows)
    # A wording given when a value on several lines (where SPEC.md has one) is kept as one (``one_line``),
    # with ``lines``, how many it was on; empty: the value is kept as it is.
    one_line: str = ""
    # Further fields worked out from the stored value, each (field, function of the value): a name's keys
    # and sound, which *Find a person* looks up by index.
    derived: tuple[tuple[str, Callable[[Any], Any]], ...] = ()

    @property
    def _value_fields(self) -> tuple[str, ...]:
        return self.spread or ((self.field,) if self.field else ())

    @property
    def _fallback_fields(self) -> tuple[str, ...]:
        return (self.fallback.field,) if self.fallback else ()

    @property
    def own_fields(self) -> tuple[str, ...]:
        """The model fields the column's value is stored in: the value (or its parts), its check, its
        second reading and the keys worked out from it."""
        return (*self._value_fields, *((self.check.field,) if self.check else ()), *self._fallback_fields,
                *(f for f, _ in self.derived))

    @property
    def known_fields(self) -> tuple[str, ...]:
        """The fields that hold what the column said: its value (or parts), and its second reading."""
        return (*self._value_fields, *self._fallback_fields)

    @property
    def all_fields(self) -> tuple[str, ...]:
        """Every field the column sets: taken or kept together, so that a value and its check, keys and
        superseded readings never disagree."""
        return (*self.own_fields, *self.clears)

    @property
    def limit(self) -> int:
        """The most characters a value may hold before it is set aside (or its row rejected)."""
        return self.max_length if self.max_length is not None and self.normalise is None else MAX_VALUE


@dataclass(frozen=True)
class Unique:
    """No two rows of a file may share these values; rows after the first imported are rejected.

    Checked after the column ``after``, only for a row with no reason to reject it so far; or, ``at_write``,
    as the rows are written, for a file whose rows the write may yet refuse (an event for a record the hub
    does not hold): the key is then the first imported row's, not that of a row refused before it."""

    columns: tuple[str, ...]
    after: str
    column: str  # the column the rejection names
    rejection: str  # with {file}, {system} (its code) and each column of the key by name
    at_write: bool = False


@dataclass(frozen=True)
class Distinct:
    """Two columns of a row must differ (a person cannot be related to themselves)."""

    column: str
    other: str
    after: str
    rejection: str


Rule = Unique | Distinct


@dataclass(frozen=True)
class Agreement:
    """Values of one row that must agree (a date of birth and the role). When they do not, a warning is
    given on ``column``: ``disagreement`` takes the row's usable values and answers the warning's
    reason, or None when they agree. It may settle the disagreement in the values (the reason says how);
    otherwise both are kept, as neither is known to be the wrong one."""

    column: str
    disagreement: Callable[[dict[str, Any]], str | None]


@dataclass(frozen=True)
class FileFormat:
    name: str
    purpose: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()
    agreements: tuple[Agreement, ...] = ()  # checked once the row's values are read
    model: type[models.Model] | None = None  # where an incoming file's rows are kept
    hands_back: bool = False  # written by the hub rather than sent to it

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @cached_property
    def spec_names(self) -> tuple[str, ...]:
        """The columns SPEC.md lists, in its order (without the hub's extra ones)."""
        return tuple(c.name for c in self.columns if c.in_spec)

    @cached_property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @cached_property
    def optional(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.required)

    @cached_property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    def index(self, name: str) -> int:
        """The position of a column in a row written in this description's order."""
        return self.names.index(name)

    def rules_after(self, column: str) -> tuple[Rule, ...]:
        """The rules checked as a row is read, after ``column``."""
        return tuple(r for r in self.rules if r.after == column and not (isinstance(r, Unique) and r.at_write))

    @cached_property
    def unique_at_write(self) -> tuple[Unique, ...]:
        """The keys checked as the rows are written."""
        return tuple(r for r in self.rules if isinstance(r, Unique) and r.at_write)

    @cached_property
    def ids(self) -> tuple[str, ...]:
        """The required columns a row is found and linked by rather than stored as fields: record
        and event ids, and a relationship's kind."""
        return tuple(c.name for c in self.required if not c.field and not c.spread and c is not SOURCE_SYSTEM)

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """Every model field a row of this file may set, in column order."""
        return tuple(dict.fromkeys(f for c in self.columns for f in c.own_fields))


_SET_ASIDE = "; set aside"
TOO_LONG = "{column} is longer than {limit:,} characters"
EMPTY = "{column} is empty"


def _with_keys(column: Column, *derived: tuple[str, Callable[[Any], Any]]) -> Column:
    return replace(column, derived=derived)


def _text(name: str, model: type[models.Model], meaning: str = "", model_field: str = "") -> Column:
    """A free-text column kept as it is, within its model field's limit."""
    target = model_field or name
    return Column(name, meaning, field=target, max_length=_limit(model, target))


def _id(name: str, model: type[models.Model], meaning: str, model_field: str = "") -> Column:
    return Column(name, meaning, required=True, max_length=_limit(model, model_field or name))


SOURCE_SYSTEM = Column(
    "source_system",
    "the system the record comes from, registered in the hub and mapped to an agency",
    required=True,
    rejection="unknown source_system {value!r}: it is not registered in the hub (see `safeguarding source_systems list`)",
)
HUB_SYSTEM_REJECTION = "source_system {value!r} is the hub's own; an extract cannot write to it"

PEOPLE = FileFormat(
    "people.csv",
    "one row per person as one source system holds them",
    (
        SOURCE_SYSTEM,
        _id("record_id", SourceRecord, "that system's own id for the person; unique within source_system"),
        _with_keys(_text("given_name", SourceRecord),
                   ("given_key", normalise.name_key), ("given_sound", normalise.name_sound)),
        _text("middle_names", SourceRecord, "space-separated"),
        _with_keys(_text("family_name", SourceRecord), ("family_key", normalise.name_key),
                   ("family_sound", normalise.name_sound), ("family_last", normalise.last_name_word)),
        Column("other_names", "aliases, nicknames, previous names; ;-separated", field="other_names", many=True,
               derived=(("other_keys", normalise.other_name_keys),)),
        Column(
            "date_of_birth", "YYYY-MM-DD; may be partial: YYYY-MM or YYYY", field="date_of_birth",
            normalise=_partial_date,
            warning="date_of_birth {value!r} is not a real date (YYYY-MM-DD, YYYY-MM or YYYY)" + _LATER_THAN_TODAY
            + _SET_ASIDE,
        ),
        Column(
            "sex", "F, M, X (other), U (unknown)", field="sex", normalise=_code(SEX_CODES, str.upper),
            vocabulary=SEX_CODES, warning="sex {value!r} is not one of " + ", ".join(SEX_CODES) + _SET_ASIDE,
        ),
        Column(
            "nhs_number", "10 digits, spaces allowed; check digit may be wrong in dirty data", field="nhs_number",
            normalise=normalise.nhs_number_digits, warning="nhs_number {value!r} is not 10 digits" + _SET_ASIDE,
            check=Check(normalise.nhs_number_is_valid, "nhs_number_valid",
                        "nhs_number {value!r} fails its check digit; kept, marked not valid"),
        ),
        Column(
            "upn", "unique pupil number (schools)", field="upn", normalise=normalise.upn,
            warning="upn {value!r} is not a unique pupil number (13 characters: a check letter, then 12 characters "
                    "it agrees with)" + _SET_ASIDE,
        ),
        _text("pnc_id", SourceRecord, "police national computer id"),
        replace(_text("address", SourceRecord, "free text, one line"),
                one_line="address {value!r} is on {lines} lines, where the format has one; kept as one line, "
                         "each line break written as ', '"),
        Column(
            "postcode", "UK postcode, any spacing or case", field="postcode", normalise=normalise.postcode,
            warning="postcode {value!r} is not a UK postcode" + _SET_ASIDE,
            # Not a UK postcode, but still evidence for record linkage (an agency's records of
            # someone abroad agree on it), never shown or searched as a UK postcode.
            fallback=Fallback(normalise.postcode_any, "postcode_other",
                              "postcode {value!r} is not a UK postcode; set aside, and kept as {kept} for record "
                              "linkage only"),
            clears=("postcode_other",),  # a UK postcode supersedes one from abroad
        ),
        Column(
            "phone", ";-separated", field="phones", normalise=phone, many=True,
            warning="phone {value!r} is not a phone number" + _SET_ASIDE,
        ),
        Column(
            "email", ";-separated", field="emails", normalise=email, many=True,
            warning="email {value!r} is not an email address" + _SET_ASIDE,
        ),
        Column(
            "role", "child (under 18 at extract time), adult, or empty", field="role",
            normalise=_code(ROLES, str.lower), vocabulary=ROLES,
            warning="role {value!r} is not " + " or ".join(ROLES) + _SET_ASIDE,
        ),
        Column(
            "updated_at", "ISO 8601; a later extract with a newer value replaces the record", field="updated_at",
            normalise=_instant,
            warning="updated_at {value!r} is not an ISO 8601 date-time" + _LATER_THAN_TODAY + _SET_ASIDE,
        ),
    ),
    rules=(
        Unique(("source_system", "record_id"), after="record_id", column="record_id",
               rejection="record_id {record_id!r} appears more than once in {file} for {system}; " + ONLY_FIRST),
    ),
    agreements=(Agreement("role", _child_of_age), Agreement("role", _adult_under_age)),
    model=SourceRecord,
)

EVENTS = FileFormat(
    "events.csv",
    "something that happened, as one source system recorded it",
    (
        SOURCE_SYSTEM,
        _id("event_id", Event, "unique within source_system"),
        _id("record_id", SourceRecord, "the person (people.csv record_id in the same source_system) the event is about"),
        Column(
            "event_type", "one of the vocabulary", required=True, field="event_type",
            normalise=_code(EVENT_TYPES, str), vocabulary=EVENT_TYPES,
            rejection="unknown event_type {value!r} (not in the exchange format's list)",
        ),
        Column(
            "occurred_at", "ISO 8601 date or date-time (local time in England if no offset)", required=True,
            normalise=_past_moment, spread=("occurred_at", "occurred_date_only"),
            rejection="occurred_at {value!r} is not a real ISO 8601 date or date-time" + _LATER_THAN_TODAY,
        ),
        Column(
            "ended_at", "for episodes (e.g. a missing episode's return)", field="ended_at", normalise=_past_moment,
            warning="ended_at {value!r} is not a real ISO 8601 date or date-time" + _LATER_THAN_TODAY + _SET_ASIDE,
            not_before=NotBefore("occurred_at", "ended_at {value!r} is before occurred_at {other!r}" + _SET_ASIDE,
                                 _episode_end),
        ),
        _text("location_name", Event, "free text"),
        Column(
            "location_postcode", "", field="location_postcode", normalise=normalise.postcode,
            warning="location_postcode {value!r} is not a UK postcode" + _SET_ASIDE,
        ),
        Column(
            "vehicle_registration", "UK registration, any spacing or case", field="vehicle_registration",
            # One of the DVLA's shapes, as networks read it: "UNKNOWN", "NK" or "NOREG" typed where no
            # plate was seen would otherwise be one vehicle shared by every child it was typed for.
            normalise=normalise.uk_registration,
            warning="vehicle_registration {value!r} is not a UK registration" + _SET_ASIDE,
        ),
        Column(
            "phone", "a phone number seen in the event", field="phone", normalise=phone,
            warning="phone {value!r} is not a phone number" + _SET_ASIDE,
        ),
        Column(
            "other_record_ids", ";-separated record_ids (same source_system) of other people present or involved",
            field="other_record_ids", many=True,
        ),
        _text("detail", Event, "free text"),
        # Beyond SPEC.md (its extra columns are allowed): the police handling code of intelligence.
        Column(
            "handling", "police handling code: P (may be shared) or C (shared with conditions)", field="handling",
            normalise=_code(HANDLING_CODES, str.upper), vocabulary=HANDLING_CODES,
            warning="handling {value!r} is not " + " or ".join(HANDLING_CODES) + _SET_ASIDE, in_spec=False,
        ),
    ),
    rules=(
        Unique(("source_system", "event_id"), after="occurred_at", column="event_id",
               rejection="event_id {event_id!r} appears more than once in {file} for {system}; " + ONLY_FIRST,
               at_write=True),
    ),
    model=Event,
)

RELATIONSHIPS = FileFormat(
    "relationships.csv",
    "links a source knows between two of its people",
    (
        SOURCE_SYSTEM,
        _id("record_id", SourceRecord, ""),
        _id("other_record_id", SourceRecord, "", model_field="record_id"),
        Column(
            "relationship", ", ".join(RELATIONSHIP_TYPES), required=True, normalise=_code(RELATIONSHIP_TYPES, str),
            vocabulary=RELATIONSHIP_TYPES,
            rejection="unknown relationship {value!r} (expected one of " + ", ".join(RELATIONSHIP_TYPES) + ")",
        ),
        Column("start_date", "", field="start_date", normalise=normalise.iso_date,
               warning="start_date {value!r} is not a real date (YYYY-MM-DD)" + _SET_ASIDE),
        Column("end_date", "", field="end_date", normalise=normalise.iso_date,
               warning="end_date {value!r} is not a real date (YYYY-MM-DD)" + _SET_ASIDE,
               not_before=NotBefore("start_date", "end_date {value!r} is before start_date" + _SET_ASIDE)),
    ),
    rules=(
        Distinct("other_record_id", "record_id", after="relationship",
                 rejection="other_record_id is the same as record_id"),
        Unique(("source_system", "record_id", "other_record_id", "relationship"), after="relationship", column="record_id",
               rejection="the {relationship} relationship of {record_id!r} to {other_record_id!r} appears more than "
                         "once in {file}; " + ONLY_FIRST, at_write=True),
    ),
    model=Relationship,
)

# The files an agency sends, in the order they are imported: relationships and events point at
# people, from the same extract or already held.
INCOMING: tuple[FileFormat, ...] = (PEOPLE, RELATIONSHIPS, EVENTS)
INCOMING_BY_NAME: dict[str, FileFormat] = {f.name: f for f in INCOMING}

# --- What the hub hands back ----------------------------------------------------------------------

PERSONS = FileFormat(
    "persons.csv",
    "which source records the hub believes are one person",
    (
        Column("source_system"),
        Column("record_id"),
        Column("person_id", "the hub's own stable id"),
        Column("match_probability", "the strongest link joining this record to another record of its person: the "
                                    "lowest threshold at which it would still join them (SPEC.md's lowest link "
                                    "probability that joined it); 1 where a person decided it; empty for a person "
                                    "of one record"),
    ),
    hands_back=True,
)
ALERTS = FileFormat(
    "alerts.csv",
    "early-warning alerts",
    (
        Column("alert_id"),
        Column("person_id"),
        Column("rule"),
        Column("level"),
        Column("raised_at", "the moment in the data at which the alert would have fired"),
        Column("explanation"),
    ),
    hands_back=True,
)
CLOCKS = FileFormat(
    "clocks.csv",
    "statutory clocks",
    (
        Column("clock_id"),
        Column("person_id"),
        Column("clock", vocabulary=CLOCK_KINDS),
        Column("started_at", "the moment in the data that started it"),
        Column("due_at"),
        Column("met_at", "empty until it is met"),
        Column("status", vocabulary=CLOCK_STATUSES),
    ),
    hands_back=True,
)
NETWORKS = FileFormat(
    "networks.csv",
    "groups of people, vehicles, places and phones joined by events and relationships",
    (
        Column("network_id"),
        Column("entity_kind", vocabulary=NETWORK_ENTITY_KINDS),
        Column("entity_key", "the person_id, the normalised registration, postcode or place key, or phone number"),
    ),
    hands_back=True,
)
HANDED_BACK: tuple[FileFormat, ...] = (PERSONS, ALERTS, CLOCKS, NETWORKS)


class Sent(str):
    """A value as it was sent, for a wording: ``{value!r}`` quotes it, and a long value is shortened
    (a reason is shown on screen and kept with every issue, so a 1 MB value must not be copied into it)."""

    SHOWN = 200

    def __repr__(self) -> str:
        text = str(self)
        if len(text) > self.SHOWN:
            return repr(text[: self.SHOWN]) + f" (and {len(text) - self.SHOWN:,} more characters)"
        return repr(text)
