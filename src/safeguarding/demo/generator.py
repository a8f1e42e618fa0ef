"""Seeded synthetic partnership for Eastwood: agencies' extracts in the exchange format and the truth behind them.

The generator invents one borough's children, their families and a few exploitation networks,
then writes what each agency's system would hold about them, with the noise real systems have
(typos, nicknames, moved addresses, partial dates, missing identifiers). Beside the extract it
writes the ground truth, so linkage, early-warning rules and network analysis can be scored.

It is plain Python over ``random.Random(seed)`` and streams its rows to disk, so that a million
people rows take minutes and little memory, and the same seed always gives the same bytes.
"""

from __future__ import annotations

import csv
import itertools
import math
import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any, NamedTuple

from safeguarding.core import normalise
from safeguarding.demo import names as words

COUNCIL = "council-social-care"
POLICE = "police-records"
NHS = "nhs-community"
SCHOOL = "school-sims"
LICENSING = "licensing-register"
VOLUNTARY = "voluntary-outreach"
SYSTEMS: tuple[str, ...] = (COUNCIL, POLICE, NHS, SCHOOL, LICENSING, VOLUNTARY)
AGENCY_OF_SYSTEM: dict[str, str] = {
    COUNCIL: "council", POLICE: "police", NHS: "health", SCHOOL: "education",
    LICENSING: "licensing", VOLUNTARY: "voluntary",
}

PEOPLE_COLUMNS: tuple[str, ...] = (
    "source_system", "record_id", "given_name", "middle_names", "family_name", "other_names",
    "date_of_birth", "sex", "nhs_number", "upn", "pnc_id", "address", "postcode", "phone", "email",
    "role", "updated_at",
)
# ``handling`` is an extra column (the exchange format keeps unknown columns): the police handling
# code of an intelligence event, P or C, empty for every other event.
EVENT_COLUMNS: tuple[str, ...] = (
    "source_system", "event_id", "record_id", "event_type", "occurred_at", "ended_at", "location_name",
    "location_postcode", "vehicle_registration", "phone", "other_record_ids", "detail", "handling",
)
RELATIONSHIP_COLUMNS: tuple[str, ...] = (
    "source_system", "record_id", "other_record_id", "relationship", "start_date", "end_date",
)
EVENT_TYPES: frozenset[str] = frozenset({
    "missing_episode", "return_home_interview", "absent_from_school", "school_exclusion", "ae_attendance",
    "sexual_health_attendance", "pregnancy", "termination", "substance_misuse", "self_harm", "injury",
    "police_stop", "found_with_adult", "seen_in_vehicle", "gifts_or_money", "multiple_phones",
    "travel_out_of_area", "drug_debt", "online_grooming", "intelligence", "concern", "disclosure", "arrest",
    "charge", "conviction", "victim_of_crime", "licensing_complaint", "other",
})
TRUTH_PERSONS_COLUMNS: tuple[str, ...] = ("source_system", "record_id", "true_person_id")
TRUTH_EXPLOITED_COLUMNS: tuple[str, ...] = (
    "true_person_id", "exploitation_type", "began_on", "network_id", "first_concern_on",
)
TRUTH_NETWORK_COLUMNS: tuple[str, ...] = ("network_id", "entity_kind", "entity_key")

# Each system numbers its people and events its own way, as real systems do.
_RECORD_ID: dict[str, tuple[str, int]] = {
    COUNCIL: ("LCS-", 104000), POLICE: ("NICHE-", 77000), NHS: ("NHS-", 2200), SCHOOL: ("SIMS-", 5500),
    LICENSING: ("LIC-", 10200), VOLUNTARY: ("VOL-", 3100),
}
_EVENT_ID: dict[str, str] = {
    COUNCIL: "LCS-EV-", POLICE: "OCC-", NHS: "ENC-", SCHOOL: "SIMS-EV-", LICENSING: "LIC-EV-",
    VOLUNTARY: "VOL-EV-",
}


class _Profile(NamedTuple):
    """How carefully one system records a person: the rates of each kind of noise."""

    nhs_number: float  # share of records that carry the NHS number
    typo: float  # a letter inserted, dropped, swapped or replaced in a name
    nickname: float  # the known-as name in given_name
    partial_dob: float  # YYYY or YYYY-MM only
    missing_dob: float
    address_updated: float  # after a move, share of records with the new address
    missing_postcode: float
    phone: float  # share of records with a phone
    middle_missing: float


_PROFILES: dict[str, _Profile] = {
    COUNCIL: _Profile(0.65, 0.03, 0.05, 0.01, 0.005, 0.85, 0.02, 0.7, 0.3),
    POLICE: _Profile(0.12, 0.05, 0.12, 0.03, 0.03, 0.55, 0.06, 0.45, 0.6),
    NHS: _Profile(0.985, 0.015, 0.02, 0.0, 0.0, 0.75, 0.01, 0.6, 0.15),
    SCHOOL: _Profile(0.04, 0.02, 0.06, 0.0, 0.0, 0.92, 0.01, 0.9, 0.1),
    LICENSING: _Profile(0.0, 0.01, 0.01, 0.0, 0.0, 0.95, 0.0, 0.98, 0.2),
    VOLUNTARY: _Profile(0.02, 0.08, 0.25, 0.15, 0.1, 0.5, 0.15, 0.6, 0.8),
}

_POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters allowed in the inward code
_UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_PNC_CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
_LA_CODE = "372"
_MINUTES_PER_DAY = 1440
_YEAR = 365.2425


@dataclass(frozen=True)
class GenerationSummary:
    """What a generation run wrote: where, and how many of each."""

    extract_dir: Path  # out_dir / "extract": people.csv, events.csv, relationships.csv
    truth_dir: Path  # out_dir / "truth"
    children: int  # true child persons
    adults: int  # true adult persons
    people_rows: int
    event_rows: int
    relationship_rows: int
    exploited_children: int
    networks: int


ProgressCallback = Callable[[str, int, int], None]


def generate_partnership(
    out_dir: Path,
    *,
    children: int = 2000,
    seed: int = 20251122,
    target_records: int | None = None,
    end_date: date = date(2026, 10, 31),
    years: int = 2,
    progress: ProgressCallback | None = None,
) -> GenerationSummary:
    """Write a synthetic partnership's extract and its truth under ``out_dir``.

    ``target_records`` (if given) overrides ``children``: a small dry run measures how many people
    rows a child brings with this seed, and the child count is scaled to give about that many rows.
    """
    if years < 1:
        raise ValueError("years must be at least 1")
    if target_records is not None:
        if target_records < 100:
            raise ValueError("target_records must be at least 100")
        if progress:
            progress("calibrate", 0, 1)
        pilot_children = 6000
        pilot = _Generator(None, children=pilot_children, seed=seed, end_date=end_date, years=years, progress=None)
        pilot.run()
        rows_per_child = pilot.out.people_rows / pilot_children
        children = max(20, round(target_records / rows_per_child))
        if progress:
            progress("calibrate", 1, 1)
    if children < 1:
        raise ValueError("children must be at least 1")
    generator = _Generator(Path(out_dir), children=children, seed=seed, end_date=end_date, years=years,
                           progress=progress)
    return generator.run()


# --- identifiers ---------------------------------------------------------------------------------


def upn_check_letter(twelve_digits: str) -> str:
    """The DfE check letter of a unique pupil number (weights 2..13 on positions 2..13, mod 23)."""
    total = sum(int(d) * (i + 2) for i, d in enumerate(twelve_digits))
    return _UPN_CHECK_LETTERS[total % 23]


def e164(national: str) -> str:
    """``07700900123`` -> ``+447700900123``."""
    return "+44" + national[1:]


def _pnc_check_letter(year2: str, serial: str) -> str:
    return _PNC_CHECK_LETTERS[int(year2 + serial) % 23]


# --- people and places -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    """One true human being, as they really are."""

    tpid: str
    given: str
    middle: str
    family: str
    sex: str
    dob: int  # ordinal day
    nhs: str = ""
    upn: str = ""
    pnc: str = ""
    # A second family name some agencies hold: hyphenated, a step-parent's, a maiden name.
    other_family: str = ""
    aliases: tuple[str, ...] = ()
    phones: list[str] = field(default_factory=list)  # national format, digits only
    email: str = ""
    recorded: bool = False  # held by at least one system (only they count as the area's people)


class _Exploitation(NamedTuple):
    kind: str  # "sexual" or "criminal"
    began: int  # ordinal day
    first_concern: int  # ordinal day, 0 if nobody raised it within the period


class _Home(NamedTuple):
    moved_in: int  # ordinal day
    line: str  # "Flat 2, 14 Oak Road"
    suffix: str  # the street's suffix as written in ``line`` ("Road"), for agencies that abbreviate it
    locality: str
    postcode: str  # normalised, "S65 1AB"


@dataclass(slots=True)
class _Street:
    name: str
    suffix: str
    district: int  # index into words.DISTRICTS
    postcodes: tuple[str, ...]
    houses: int
    # House numbers are handed out in a scattered order (offset + k * step, mod houses), so that
    # the first families made do not all live at number 1.
    offset: int
    step: int
    used: int = 0


@dataclass(slots=True)
class _Perpetrator:
    person: _Person
    police: list[str]  # police-records record ids (a second one is a duplicate under an alias)
    licensing: str  # licensing-register record id, "" if not a licensed driver
    vehicle: str  # canonical registration, "" if none


@dataclass(slots=True)
class _Network:
    nid: str
    kind: str  # "sexual" or "criminal"
    active_from: int
    perpetrators: list[_Perpetrator]
    vehicles: list[str]
    places: list[tuple[str, str]]  # (name, normalised postcode)
    phones: list[str]  # national format
    children: list[str] = field(default_factory=list)  # true person ids of the children exploited
    police_children: list[str] = field(default_factory=list)  # their police record ids, for peer links


class _NullFile:
    """A file that forgets what it is told: the calibration run only counts rows."""

    def write(self, text: str) -> int:
        return len(text)


class _Output:
    """The streams the generator writes to: one part file per system and file, and the truth."""

    def __init__(self, out_dir: Path | None) -> None:
        self.out_dir = out_dir
        self.people_rows = 0
        self.event_rows = 0
        self.relationship_rows = 0
        self._files: list[IO[str]] = []
        self.people: dict[str, Any] = {}
        self.events: dict[str, Any] = {}
        self.relationships: dict[str, Any] = {}
        if out_dir is None:
            null = _NullFile()
            for system in SYSTEMS:
                self.people[system] = csv.writer(null)
                self.events[system] = csv.writer(null)
                self.relationships[system] = csv.writer(null)
            self.truth_persons = csv.writer(null)
            self.truth_exploited = csv.writer(null)
            return
        self.extract_dir = out_dir / "extract"
        self.truth_dir = out_dir / "truth"
        self.parts_dir = self.extract_dir / ".parts"
        for folder in (self.extract_dir, self.truth_dir, self.parts_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for system in SYSTEMS:
            self.people[system] = self._writer(self.parts_dir / f"{system}.people.csv")
            self.events[system] = self._writer(self.parts_dir / f"{system}.events.csv")
            self.relationships[system] = self._writer(self.parts_dir / f"{system}.relationships.csv")
        self.truth_persons = self._writer(self.truth_dir / "persons.csv", TRUTH_PERSONS_COLUMNS)
        self.truth_exploited = self._writer(self.truth_dir / "exploited.csv", TRUTH_EXPLOITED_COLUMNS)

    def _writer(self, path: Path, header: Sequence[str] | None = None) -> Any:
        handle = path.open("w", newline="", encoding="utf-8")
        self._files.append(handle)
        writer = csv.writer(handle)
        if header:
            writer.writerow(header)
        return writer

    def person(self, system: str, row: list[str], tpid: str) -> None:
        self.people[system].writerow(row)
        self.truth_persons.writerow((system, row[1], tpid))
        self.people_rows += 1

    def event(self, system: str, row: list[str]) -> None:
        self.events[system].writerow(row)
        self.event_rows += 1

    def relationship(self, system: str, row: Sequence[str]) -> None:
        self.relationships[system].writerow(row)
        self.relationship_rows += 1

    def close(self, progress: ProgressCallback | None) -> None:
        """Join the parts into the three extract files, each system's rows together, as if each
        agency's nightly extract had been concatenated."""
        for handle in self._files:
            handle.close()
        if self.out_dir is None:
            return
        stages = (("people", PEOPLE_COLUMNS), ("events", EVENT_COLUMNS), ("relationships", RELATIONSHIP_COLUMNS))
        for done, (stem, header) in enumerate(stages):
            if progress:
                progress("assemble", done, len(stages))
            with (self.extract_dir / f"{stem}.csv").open("w", newline="", encoding="utf-8") as target:
                csv.writer(target).writerow(header)
                for system in SYSTEMS:
                    part = self.parts_dir / f"{system}.{stem}.csv"
                    with part.open(encoding="utf-8", newline="") as source:
                        shutil.copyfileobj(source, target, 1 << 20)
                    part.unlink()
        self.parts_dir.rmdir()
        if progress:
            progress("assemble", len(stages), len(stages))


# --- the generator -------------------------------------------------------------------------------


class _Generator:
    """One run: the borough's streets, the networks, then household after household."""

    def __init__(self, out_dir: Path | None, *, children: int, seed: int, end_date: date, years: int,
                 progress: ProgressCallback | None) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.children_total = children
        self.progress = progress
        self.end = end_date.toordinal()
        self.start = (end_date - timedelta(days=round(years * _YEAR))).toordinal()
        self.out = _Output(out_dir)
        self.record_counter = {system: start for system, (_, start) in _RECORD_ID.items()}
        self.event_counter = dict.fromkeys(SYSTEMS, 0)
        self.person_counter = 0
        self.mobile_counter = 0
        self.landline_counter = 0
        self.drama_counter = 0
        self.nhs_counter = 0
        self.pnc_counter = 0
        self.registrations: set[str] = set()
        self.upn_serials: dict[tuple[int, int], int] = {}
        self.children_recorded = 0
        self.adults_recorded = 0
        self.exploited = 0
        self._iso_cache: dict[int, str] = {}
        # Local times that do not exist (the hour lost when clocks go forward) are never written.
        self._dst_gaps = {self._last_sunday(y, 3) for y in range(end_date.year - years - 30, end_date.year + 2)}
        self.nicknames = self._nickname_table()
        self.streets: list[_Street] = []
        self.place_postcodes_free: list[list[str]] = []
        self.networks: list[_Network] = []
        self.school_days = [o for o in range(self.start, self.end + 1) if self._is_school_day(o)]
        estimated_households = children / 1.9 + 1
        self.primary_schools = max(8, children // 300)

        self._build_streets(estimated_households)

    # -- small helpers, kept cheap because they run millions of times

    @staticmethod
    def _last_sunday(year: int, month: int) -> int:
        last = date(year, month, 31)
        return last.toordinal() - (last.weekday() + 1) % 7

    @staticmethod
    def _is_school_day(ordinal: int) -> bool:
        day = date.fromordinal(ordinal)
        if day.weekday() >= 5:
            return False
        # Summer holiday, Christmas and Easter-ish breaks: close enough for absence dates.
        if day.month == 8 or (day.month == 7 and day.day > 22) or (day.month == 9 and day.day < 4):
            return False
        if (day.month == 12 and day.day > 19) or (day.month == 1 and day.day < 4):
            return False
        return not (day.month == 4 and day.day < 12) and not (day.month in (2, 10) and 17 <= day.day <= 23)

    def _iso(self, ordinal: int) -> str:
        text = self._iso_cache.get(ordinal)
        if text is None:
            text = self._iso_cache[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    def _dt(self, minutes: int) -> str:
        ordinal, minute = divmod(minutes, _MINUTES_PER_DAY)
        if 60 <= minute < 120 and ordinal in self._dst_gaps:
            minute += 60
        return f"{self._iso(ordinal)}T{minute // 60:02d}:{minute % 60:02d}:00"

    def _between(self, low: int, high: int) -> int:
        """A whole number in [low, high], uniformly."""
        return low + int((high - low + 1) * self.random())

    def _escalating(self, low: int, high: int) -> int:
        """A day in [low, high] more likely late than early: exploitation escalates."""
        return low + int((high - low) * math.sqrt(self.random()))

    def _at(self, ordinal: int, from_hour: int, to_hour: int) -> int:
        """Minutes since day 0 at a random time of that day between the two hours."""
        return ordinal * _MINUTES_PER_DAY + from_hour * 60 + int((to_hour - from_hour) * 60 * self.random())

    def _poisson(self, mean: float) -> int:
        if mean <= 0:
            return 0
        if mean > 30:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit = math.exp(-mean)
        count = 0
        product = self.random()
        while product > limit:
            count += 1
            product *= self.random()
        return count

    def _age_day(self, person: _Person, age: float) -> int:
        return person.dob + round(age * _YEAR)

    def _window(self, person: _Person, min_age: float = 0, max_age: float = 200) -> tuple[int, int] | None:
        """The days of the period on which the person was between the two ages."""
        low = max(self.start, self._age_day(person, min_age))
        high = min(self.end, self._age_day(person, max_age) - 1)
        return (low, high) if low <= high else None

    def _count_in(self, window: tuple[int, int] | None, per_year: float) -> int:
        if window is None:
            return 0
        return self._poisson(per_year * (window[1] - window[0] + 1) / _YEAR)

    def _nickname_table(self) -> dict[str, tuple[str, ...]]:
        from nicknames import NickNamer

        namer = NickNamer()
        table: dict[str, tuple[str, ...]] = {}
        for name in sorted(words.ALL_FIRST_NAMES):
            found = {n.capitalize() for n in namer.nicknames_of(name.lower()) if len(n) >= 3}
            found.update(words.EXTRA_NICKNAMES.get(name, ()))
            found -= words.UNLIKELY_NICKNAMES
            found.discard(name)
            if found:
                table[name] = tuple(sorted(found))
        return table

    # -- the borough

    def _build_streets(self, households: float) -> None:
        """Streets with house numbers and postcodes, enough that no two households share an address."""
        rng = self.rng
        addresses_needed = households * 1.25 * 1.6  # moves, perpetrators' homes, and slack
        combos = [(stem, suffix) for stem in words.STREET_STEMS for suffix in words.STREET_SUFFIXES]
        per_district = max(12, min(len(combos), math.ceil(addresses_needed / 70 / len(words.DISTRICTS))))
        houses_mean = max(20, math.ceil(addresses_needed / (per_district * len(words.DISTRICTS))))
        units = [f"{sector}{a}{b}" for sector in range(10) for a in _POSTCODE_UNIT_LETTERS
                 for b in _POSTCODE_UNIT_LETTERS]
        for index, (outward, _) in enumerate(words.DISTRICTS):
            free = [f"{outward} {unit}" for unit in units]
            rng.shuffle(free)
            chosen = rng.sample(combos, per_district)
            for stem, suffix in chosen:
                houses = max(4, int(houses_mean * (0.5 + rng.random())))
                count = 1 + houses // 30  # about 15 households a postcode, as in the real PAF
                postcodes = tuple(free.pop() for _ in range(count))
                step = 1 + int(houses * rng.random())
                while math.gcd(step, houses) != 1:
                    step += 1
                self.streets.append(_Street(f"{stem} {suffix}", suffix, index, postcodes, houses,
                                            int(houses * rng.random()), step))
            self.place_postcodes_free.append(free)  # the rest are for shops, ranks and hotels

    def _new_home(self, moved_in: int, district: int | None = None) -> _Home:
        for _ in range(50):
            street = self.streets[int(len(self.streets) * self.random())]
            if district is not None and street.district != district and self.random() < 0.7:
                continue
            if street.used < street.houses:
                break
        else:
            street = min(self.streets, key=lambda s: s.used - s.houses)
        number = (street.offset + street.used * street.step) % street.houses + 1
        street.used += 1
        postcode = street.postcodes[min(len(street.postcodes) - 1, (number - 1) * len(street.postcodes)
                                        // max(1, street.houses))]
        line = f"{number} {street.name}"
        if self.random() < 0.08:
            line = f"Flat {1 + int(6 * self.random())}, {line}"
        return _Home(moved_in, line, street.suffix, words.DISTRICTS[street.district][1], postcode)

    def _place_postcode(self, district: int) -> str:
        free = self.place_postcodes_free[district]
        if not free:
            free = self.place_postcodes_free[max(range(len(self.place_postcodes_free)),
                                                 key=lambda i: len(self.place_postcodes_free[i]))]
        return free.pop()

    # -- identifiers

    def _new_tpid(self) -> str:
        self.person_counter += 1
        return f"T{self.person_counter:06d}"

    def _new_record_id(self, system: str) -> str:
        # Gaps between ids, as records deleted or merged inside the source system leave them.
        self.record_counter[system] += 1 + int(3 * self.random())
        return f"{_RECORD_ID[system][0]}{self.record_counter[system]}"

    def _new_event_id(self, system: str) -> str:
        self.event_counter[system] += 1
        return f"{_EVENT_ID[system]}{self.event_counter[system]:07d}"

    def _new_nhs_number(self) -> str:
        """A unique NHS number with a correct check digit, from the 999 range kept for testing first."""
        while True:
            n = self.nhs_counter
            self.nhs_counter += 1
            if n < 1_000_000:
                body = f"999{(n * 7919 + 271_828) % 1_000_000:06d}"
            else:
                body = f"{400_000_000 + (n * 7919 + 314_159) % 100_000_000:09d}"
            check = normalise.nhs_check_digit(body)
            if check is not None:
                return f"{body}{check}"

    def _new_upn(self, birth_year: int) -> str:
        year = (birth_year + 4) % 100  # allocated on entry to reception
        school = int(self.primary_schools * self.random())
        while True:
            serial = self.upn_serials.get((school, year), 0)
            if serial < 1000:
                break
            school += 1
        self.upn_serials[(school, year)] = serial + 1
        digits = f"{_LA_CODE}{2001 + school:04d}{year:02d}{serial:03d}"
        return upn_check_letter(digits) + digits

    def _new_pnc(self, first_year: int) -> str:
        self.pnc_counter += 1
        year2 = f"{first_year % 100:02d}"
        serial = f"{(self.pnc_counter * 48271 + 1013) % 10_000_000:07d}"
        return f"{year2}/{serial}{_pnc_check_letter(year2, serial)}"

    def _new_mobile(self) -> str:
        n = self.mobile_counter
        self.mobile_counter += 1
        block, prefix_index = divmod(n, len(words.MOBILE_PREFIXES))
        wrap, offset = divmod(block, 1_000_000)  # unique for the first eight million numbers
        suffix = (offset * 7919 + 104_729 * (wrap + 1) + 350_377 * prefix_index) % 1_000_000
        return f"{words.MOBILE_PREFIXES[prefix_index]}{suffix:06d}"

    def _new_landline(self) -> str:
        self.landline_counter += 1
        # Local numbers start 2-8; 0 and 1 would not be a valid Rotherham-style number.
        return f"{words.LANDLINE_PREFIX}{200_000 + (self.landline_counter * 7919 + 55_555) % 700_000:06d}"

    def _new_network_phone(self) -> str:
        """A phone from Ofcom's drama range while it lasts, so the planted phones are no one's."""
        if self.drama_counter < 1000:
            n = (self.drama_counter * 379 + 123) % 1000
            self.drama_counter += 1
            return f"07700900{n:03d}"
        return self._new_mobile()

    def _new_registration(self) -> str:
        letters = words.REGISTRATION_LETTERS
        while True:
            year = self._between(2, 25)
            age = year if self.random() < 0.5 else year + 50
            reg = (words.REGISTRATION_AREAS[int(len(words.REGISTRATION_AREAS) * self.random())] + f"{age:02d}"
                   + "".join(letters[int(len(letters) * self.random())] for _ in range(3)))
            if reg not in self.registrations:
                self.registrations.add(reg)
                return reg

    def _email(self, given: str, family: str) -> str:
        local = f"{given}.{family}".lower().replace("'", "").replace(" ", "")
        if self.random() < 0.6:
            local += str(self._between(1, 99))
        return f"{local}@{words.EMAIL_DOMAINS[int(3 * self.random())]}"

    def _heritage(self) -> words.Heritage:
        return self.rng.choices(words.HERITAGES, cum_weights=words.HERITAGE_CUMULATIVE_WEIGHTS)[0]

    def _new_person(self, *, sex: str, dob: int, child: bool, family: str, heritage: words.Heritage) -> _Person:
        rng = self.rng
        if sex == "F":
            given_pool = heritage.girls if child else heritage.women
        else:
            given_pool = heritage.boys if child else heritage.men
        given = rng.choice(given_pool)
        middle = ""
        if self.random() < 0.6:
            middle = rng.choice(given_pool)
            if middle == given:
                middle = ""
            elif self.random() < 0.08:
                middle += " " + rng.choice(given_pool)
        return _Person(self._new_tpid(), given, middle, family, sex, dob, nhs=self._new_nhs_number())

    # -- how an agency writes a value

    def _typo(self, text: str) -> str:
        if len(text) < 3:
            return text
        at = 1 + int((len(text) - 2) * self.random())  # first letters are rarely mistyped
        kind = self.random()
        letter = "aeilnorstuy"[int(11 * self.random())]
        if kind < 0.3:
            return text[:at] + text[at + 1:]
        if kind < 0.55:
            return text[:at] + letter + text[at:]
        if kind < 0.8 and at + 1 < len(text):
            return text[:at] + text[at + 1] + text[at] + text[at + 2:]
        return text[:at] + letter + text[at + 1:]

    def _phone_text(self, national: str) -> str:
        r = self.random()
        mobile = national.startswith("07")
        if r < 0.4:
            return f"{national[:5]} {national[5:]}"
        if r < 0.7:
            return national
        if r < 0.85:
            return e164(national)
        if r < 0.93:
            return f"+44 {national[1:5]} {national[5:]}"
        return f"{national[:5]} {national[5:8]} {national[8:]}" if mobile else f"({national[:5]}) {national[5:]}"

    def _postcode_text(self, postcode: str) -> str:
        r = self.random()
        if r < 0.7:
            return postcode
        if r < 0.82:
            return postcode.replace(" ", "")
        if r < 0.9:
            return postcode.lower()
        if r < 0.96:
            return postcode.replace(" ", "").lower()
        return postcode.replace(" ", "  ")

    def _registration_text(self, reg: str) -> str:
        r = self.random()
        spaced = f"{reg[:4]} {reg[4:]}"
        if r < 0.55:
            return spaced
        if r < 0.85:
            return reg
        return spaced.lower() if r < 0.95 else reg.lower()

    def _address_text(self, home: _Home) -> str:
        line = home.line
        r = self.random()
        if r < 0.25 and home.suffix in words.SUFFIX_ABBREVIATIONS:
            line = line[: -len(home.suffix)] + words.SUFFIX_ABBREVIATIONS[home.suffix]
        r = self.random()
        if r < 0.45:
            text = f"{line}, {home.locality}"
        elif r < 0.7 and home.locality != words.BOROUGH:
            text = f"{line}, {home.locality}, {words.BOROUGH}"
        elif r < 0.9 or home.locality == words.BOROUGH:
            text = line
        else:
            text = f"{line}, {words.BOROUGH}"
        return text.upper() if self.random() < 0.08 else text

    def _dob_text(self, dob: int, profile: _Profile) -> str:
        r = self.random()
        if r < profile.missing_dob:
            return ""
        day = date.fromordinal(dob)
        r = self.random()
        if r < profile.partial_dob:
            return f"{day.year:04d}" if self.random() < 0.4 else f"{day.year:04d}-{day.month:02d}"
        r = self.random()
        if r < 0.02 and day.day <= 12 and day.day != day.month:
            return f"{day.year:04d}-{day.day:02d}-{day.month:02d}"  # American-style entry
        if r < 0.035:
            kind = self.random()
            if kind < 0.4:
                day = day + timedelta(days=1 if self.random() < 0.5 else -1)
            elif kind < 0.7:
                day = day.replace(year=day.year + (1 if self.random() < 0.5 else -1), day=min(day.day, 28))
            else:
                day = day.replace(day=min(28, (day.day + 9) % 30 + 1))  # a slipped tens digit
        return day.isoformat()

    def _nhs_text(self, nhs: str) -> str:
        if self.random() < 0.01:
            # A mistyped digit: the modulus-11 check catches every single-digit error.
            at = int(9 * self.random())
            nhs = nhs[:at] + str((int(nhs[at]) + 1 + int(8 * self.random())) % 10) + nhs[at + 1:]
        return f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" if self.random() < 0.45 else nhs

    def _invalid(self, row: list[str], dob: int) -> None:
        """Spoil one optional value, as dirty source data does now and then (import warns, keeps the row)."""
        kind = self.random()
        if kind < 0.4:
            day = date.fromordinal(dob)
            row[6] = f"{day.year:04d}-{day.month:02d}-{32 + int(9 * self.random())}"
        elif kind < 0.65:
            outward = words.DISTRICTS[int(7 * self.random())][0]
            row[12] = f"{outward} {int(10 * self.random())}{'CIKMOV'[int(6 * self.random())]}"
        elif kind < 0.85:
            row[8] = f"{999_000_000 + int(999_999 * self.random()):09d}"[:9]
        else:
            row[13] = "07700 9001"

    def _record(self, system: str, person: _Person, homes: Sequence[_Home], role: str, *,
                contact_phones: Sequence[str] = (), alias: str = "") -> str:
        """Write one system's record of a person, with that system's noise; return its record id.

        ``alias``: the record was made under that street name instead of the person's own.
        """
        profile = _PROFILES[system]
        random_ = self.random
        rng = self.rng
        record_id = self._new_record_id(system)
        given, middle, family = person.given, person.middle, person.family
        other: list[str] = []
        if person.other_family and random_() < 0.45:
            family, previous = person.other_family, family
            if random_() < 0.4:
                other.append(previous)
        elif person.other_family and random_() < 0.2:
            other.append(person.other_family)
        nicknames = self.nicknames.get(given)
        if nicknames:
            r = random_()
            if r < profile.nickname:
                if random_() < 0.3:
                    other.append(given)  # the formal name kept as an alias
                given = rng.choice(nicknames)
            elif r < profile.nickname + 0.05:
                other.append(rng.choice(nicknames))
        variants = words.SPELLING_VARIANTS.get(given)
        if variants and random_() < 0.15:
            given = rng.choice(variants)
        if random_() < profile.typo:
            if random_() < 0.5:
                given = self._typo(given)
            else:
                family = self._typo(family)
        if random_() < 0.008:
            given, family = family, given  # entered in the wrong boxes
        if middle:
            r = random_()
            if r < profile.middle_missing:
                middle = ""
            elif r < profile.middle_missing + 0.05:
                middle = middle[0]
        dob_text = self._dob_text(person.dob, profile)
        if alias:
            # Known only by a street name: the family name and full date of birth often unknown.
            given, middle = alias, ""
            if random_() < 0.5:
                family = ""
            if dob_text and random_() < 0.5:
                dob_text = dob_text[:4]
        elif person.aliases and random_() < 0.5:
            other.extend(person.aliases)
        sex = person.sex if random_() > 0.015 else ("U" if random_() < 0.5 else "")
        nhs = self._nhs_text(person.nhs) if person.nhs and random_() < profile.nhs_number else ""
        upn = person.upn if system == SCHOOL and random_() < 0.99 else ""
        pnc = person.pnc if system == POLICE else ""
        home = homes[-1]
        if len(homes) > 1 and random_() > profile.address_updated:
            home = homes[-2]
        address = self._address_text(home) if random_() > 0.02 else ""
        postcode = self._postcode_text(home.postcode) if random_() > profile.missing_postcode else ""
        phones: list[str] = []
        if random_() < profile.phone:
            for number in (*person.phones, *contact_phones):
                if random_() < 0.8:
                    phones.append(self._phone_text(number))
        email = person.email if person.email and random_() < 0.5 else ""
        if system == VOLUNTARY and random_() < 0.1:
            role = ""
        updated_from = max(self.start, home.moved_in, person.dob)
        updated_at = self._dt(self._at(self._between(updated_from, self.end), 7, 19)) if updated_from <= self.end \
            else self._dt(self._at(self.end, 7, 19))
        row = [system, record_id, given, middle, family, ";".join(dict.fromkeys(other)),
               dob_text, sex, nhs, upn, pnc, address, postcode, ";".join(phones), email,
               role, updated_at]
        if random_() < 0.005:
            self._invalid(row, person.dob)
        self.out.person(system, row, person.tpid)
        if not person.recorded:
            person.recorded = True
            if role == "child" or (not role and self._role(person) == "child"):
                self.children_recorded += 1
            else:
                self.adults_recorded += 1
        return record_id

    def _role(self, person: _Person) -> str:
        return "child" if self.end < self._age_day(person, 18) else "adult"

    def _event(self, system: str, record_id: str, event_type: str, occurred_at: str, *, ended_at: str = "",
               location: str = "", postcode: str = "", vehicle: str = "", phone: str = "", others: str = "",
               detail: str = "", handling: str = "") -> None:
        self.out.event(system, [system, self._new_event_id(system), record_id, event_type, occurred_at, ended_at,
                                location, postcode, vehicle, phone, others, detail, handling])

    # -- the run

    def run(self) -> GenerationSummary:
        self._plan_networks()
        exploited_at = self._plan_exploited()
        made = 0
        next_report = 0
        while made < self.children_total:
            made += self._household(made, exploited_at)
            if self.progress and (made >= next_report or made >= self.children_total):
                self.progress("people", min(made, self.children_total), self.children_total)
                next_report = made + 1000
        self._write_network_truth()
        self.out.close(self.progress)
        if self.out.out_dir is not None:
            self._write_readme()
        out_dir = self.out.out_dir or Path()
        return GenerationSummary(
            extract_dir=out_dir / "extract", truth_dir=out_dir / "truth",
            children=self.children_recorded, adults=self.adults_recorded,
            people_rows=self.out.people_rows, event_rows=self.out.event_rows,
            relationship_rows=self.out.relationship_rows, exploited_children=self.exploited,
            networks=len(self.networks),
        )

    def _plan_exploited(self) -> dict[int, int]:
        """Which children (by the order they are made) are exploited, and by which network (-1: none).

        Chosen up front so the run can stream: only these few thousand indices are kept in memory.
        """
        slots: list[int] = []
        for index, network in enumerate(self.networks):
            low, high = (4, 12) if network.kind == "sexual" else (4, 9)
            slots.extend([index] * self._between(low, high))
        # Exploitation outside the planted groups: online grooming, a lone "boyfriend", peers.
        slots.extend([-1] * max(1, round(self.children_total * 0.009)))
        self.rng.shuffle(slots)
        slots = slots[: self.children_total]
        chosen = self.rng.sample(range(self.children_total), len(slots))
        return dict(zip(chosen, slots, strict=True))

    # -- networks

    def _plan_networks(self) -> None:
        count = max(3, self.children_total // 400)
        for index in range(count):
            kind = "criminal" if index % 10 in (2, 5, 8) else "sexual"
            self.networks.append(self._network(index, kind))
            if self.progress and (index % 50 == 0 or index == count - 1):
                self.progress("networks", index + 1, count)

    def _network(self, index: int, kind: str) -> _Network:
        rng = self.rng
        random_ = self.random
        active_from = self._between(self.start - 365, self.end - 240)
        district = int(len(words.DISTRICTS) * random_())
        size = self._between(2, 6)
        place_kinds = words.SEXUAL_PLACES if kind == "sexual" else words.CRIMINAL_PLACES
        places: list[tuple[str, str]] = []
        for kind_name in rng.sample(place_kinds, self._between(2, 4)):
            if kind_name in ("Flat", "House") or random_() < 0.3:
                street = self.streets[int(len(self.streets) * random_())].name
            else:
                street = rng.choice(words.COMMERCIAL_STREETS)
            places.append((f"{kind_name}, {street}", self._place_postcode(district)))
        phones = [self._new_network_phone() for _ in range(self._between(1, 3))]
        network = _Network(f"N{index + 1:04d}", kind, active_from, [], [], places, phones)
        # The first network always has a licensed driver, so that even a small area shows the licensing trail.
        taxi_network = kind == "sexual" and (index == 0 or random_() < 0.7)
        for position in range(size):
            sex = "F" if kind == "criminal" and random_() < 0.1 else "M"
            low_age, high_age = (19, 55) if kind == "sexual" else (18, 34)
            age = low_age + (high_age - low_age) * random_()
            dob = self.end - round(age * _YEAR)
            heritage = self._heritage()
            person = self._new_person(sex=sex, dob=dob, child=False, family=rng.choice(heritage.surnames),
                                      heritage=heritage)
            if random_() < 0.5:
                person.aliases = (rng.choice(words.STREET_ALIASES),)
            person.phones.append(self._new_mobile())
            if random_() < 0.35:
                person.phones.append(rng.choice(phones))
            homes = [self._new_home(self.start - 2000, district)]
            is_taxi = taxi_network and (position == 0 or random_() < 0.3)
            vehicle = self._new_registration() if is_taxi or random_() < (0.5 if kind == "sexual" else 0.35) else ""
            if vehicle:
                network.vehicles.append(vehicle)
            police: list[str] = []
            if position == 0 or not is_taxi or random_() < 0.6:
                if random_() < 0.7:
                    person.pnc = self._new_pnc(date.fromordinal(self._between(dob + 6600, self.end)).year)
                police.append(self._record(POLICE, person, homes, "adult"))
                if random_() < 0.15 and person.aliases:
                    # Arrested once under a street name: a duplicate the linkage has to find.
                    police.append(self._record(POLICE, person, homes, "adult", alias=person.aliases[0]))
            licensing = self._record(LICENSING, person, homes, "adult") if is_taxi else ""
            network.perpetrators.append(_Perpetrator(person, police, licensing, vehicle))
        if not network.vehicles:
            driver = network.perpetrators[0]
            driver.vehicle = self._new_registration()
            network.vehicles.append(driver.vehicle)
        self._network_events(network)
        return network

    def _network_events(self, network: _Network) -> None:
        """What the police and licensing hold about the adults, before any child is named."""
        random_ = self.random
        rng = self.rng
        first_day = max(self.start, network.active_from)
        with_police = [p for p in network.perpetrators if p.police]
        for left, right in itertools.pairwise(with_police):
            if random_() < 0.7:
                self.out.relationship(POLICE, (POLICE, left.police[0], right.police[0], "associate",
                                               self._iso(self._between(first_day, self.end)), ""))
        # Every vehicle, place and phone of the network is seen at least once in intelligence.
        entities: list[tuple[str, str]] = [("vehicle", v) for v in network.vehicles]
        entities += [("place", str(i)) for i in range(len(network.places))]
        entities += [("phone", p) for p in network.phones]
        for kind, value in entities:
            perpetrator = rng.choice(with_police)
            if kind == "vehicle":
                owner = next((p for p in network.perpetrators if p.vehicle == value), perpetrator)
                if owner.police:
                    perpetrator = owner
            self._intelligence(network, perpetrator.police[0], first_day, vehicle=value if kind == "vehicle" else "",
                               place=value if kind == "place" else "", phone=value if kind == "phone" else "")
        for perpetrator in network.perpetrators:
            for _ in range(self._between(0, 3) if perpetrator.police else 0):
                self._intelligence(network, perpetrator.police[-1] if random_() < 0.2 else perpetrator.police[0],
                                   first_day)
            if perpetrator.police and perpetrator.vehicle and random_() < 0.4:
                day = self._between(first_day, self.end)
                self._event(POLICE, perpetrator.police[0], "police_stop", self._dt(self._at(day, 18, 24)),
                            vehicle=self._registration_text(perpetrator.vehicle),
                            detail="Vehicle stopped, driver spoken to, young people in car")
            if perpetrator.licensing:
                licensed = self._between(self.start - 1500, first_day)
                self._event(LICENSING, perpetrator.licensing, "other", self._iso(max(self.start, licensed)),
                            vehicle=self._registration_text(perpetrator.vehicle) if perpetrator.vehicle else "",
                            detail="Private hire driver licence renewed")
                for _ in range(self._between(1, 3)):
                    day = self._between(first_day, self.end)
                    self._event(LICENSING, perpetrator.licensing, "licensing_complaint",
                                self._dt(self._at(day, 9, 17)),
                                vehicle=self._registration_text(perpetrator.vehicle) if perpetrator.vehicle else "",
                                location=rng.choice(network.places)[0] if random_() < 0.5 else "",
                                detail=rng.choice((
                                    "Complaint from parent: driver giving free rides to school-age girls",
                                    "Driver seen with young girls in the front seat late at night",
                                    "Anonymous complaint: driver offering alcohol to passengers under 16",
                                    "Complaint from operator: unlogged journeys with young passengers")))
        if random_() < 0.35 and with_police:
            arrest_day = self._between(max(first_day, self.end - 300), self.end - 5)
            for perpetrator in with_police:
                if random_() < 0.6:
                    continue
                day = arrest_day + self._between(0, 20)
                if day > self.end:
                    continue
                record = perpetrator.police[0]
                self._event(POLICE, record, "arrest", self._dt(self._at(day, 5, 9)),
                            detail="Arrested on suspicion of child sexual offences" if network.kind == "sexual"
                            else "Arrested on suspicion of supplying class A drugs and modern slavery offences")
                if random_() < 0.5 and day + 2 <= self.end:
                    charged = min(self.end, day + self._between(1, 60))
                    self._event(POLICE, record, "charge", self._iso(charged), detail="Charged, remanded in custody")
                    if random_() < 0.2 and charged + 120 <= self.end:
                        self._event(POLICE, record, "conviction", self._iso(self._between(charged + 90, self.end)),
                                    detail="Convicted at Crown Court")

    def _intelligence(self, network: _Network, record_id: str, first_day: int, *, vehicle: str = "",
                      place: str = "", phone: str = "", others: str = "", about_child: bool = False) -> None:
        random_ = self.random
        day = self._between(first_day, self.end)
        location, postcode = network.places[int(place)] if place else ("", "")
        grade = "123"[int(3 * random_())] + "ABCD"[int(4 * random_())]
        if about_child:
            detail = "Child seen with adult males linked to exploitation"
        elif network.kind == "sexual":
            detail = "Males believed to be supplying alcohol to girls and taking them to addresses"
        else:
            detail = "Believed to be running a drugs line using local children"
        self._event(POLICE, record_id, "intelligence", self._dt(self._at(day, 0, 24)), location=location,
                    postcode=self._postcode_text(postcode) if postcode else "",
                    vehicle=self._registration_text(vehicle) if vehicle else "",
                    phone=self._phone_text(phone) if phone else "", others=others,
                    detail=f"Intelligence graded {grade}: {detail}", handling="P" if random_() < 0.6 else "C")

    def _write_network_truth(self) -> None:
        if self.out.out_dir is None:
            return
        with (self.out.truth_dir / "networks.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(TRUTH_NETWORK_COLUMNS)
            for network in self.networks:
                for perpetrator in network.perpetrators:
                    writer.writerow((network.nid, "person", perpetrator.person.tpid))
                for tpid in network.children:
                    writer.writerow((network.nid, "person", tpid))
                for vehicle in network.vehicles:
                    writer.writerow((network.nid, "vehicle", vehicle))
                for place in dict.fromkeys(postcode for _, postcode in network.places):
                    writer.writerow((network.nid, "place", place))
                for phone in network.phones:
                    writer.writerow((network.nid, "phone", e164(phone)))

    def _write_readme(self) -> None:
        text = (
            "Ground truth for the synthetic Eastwood partnership in ../extract. Every person, vehicle, phone "
            "and place is invented. persons.csv maps every row of people.csv (source_system, record_id) to the "
            "true person it describes (true_person_id); records with the same true_person_id are the same human "
            "being however differently the agencies wrote them, so it scores record linkage. exploited.csv lists "
            "the children who were exploited: exploitation_type (sexual or criminal), the day it began "
            "(began_on), the planted network that exploited them (network_id; empty for online, peer or lone "
            "exploitation) and the day a professional first raised a concern (first_concern_on; empty if nobody "
            "did before the end of the period), so it scores early-warning rules: how many were flagged, how "
            "long before the first concern, and how many others were flagged too. networks.csv lists each "
            "network's members as network_id, entity_kind, entity_key: person (true_person_id of the "
            "perpetrators and of the children they exploited), vehicle (registration, upper case, no spaces), "
            "place (normalised postcode) and phone (E.164); every vehicle, place and phone listed appears in "
            "events.csv, so it scores network analysis.\n"
        )
        (self.out.truth_dir / "README.txt").write_text(text, encoding="utf-8")

    # -- households

    def _household(self, first_index: int, exploited_at: dict[int, int]) -> int:
        """Make one household and its records; return how many children it had."""
        rng = self.rng
        random_ = self.random
        r = random_()
        size = 1 if r < 0.38 else 2 if r < 0.75 else 3 if r < 0.92 else 4 if r < 0.98 else 5
        size = min(size, self.children_total - first_index)
        heritage = self._heritage()
        # Most fathers share the mother's community; some do not, and some children take his name.
        father_heritage = heritage if random_() < 0.92 else self._heritage()
        family = rng.choice(heritage.surnames)
        father_family = family if random_() < 0.7 else rng.choice(father_heritage.surnames)
        homes = [self._new_home(self.start - 3000)]
        if random_() < 0.12:
            homes.append(self._new_home(self._between(self.start + 30, self.end - 30)))  # moved house
        landline = self._new_landline() if random_() < 0.2 else ""

        # (person, network index: -1 exploited outside a network, -2 not exploited, exploitation plan)
        kids: list[tuple[_Person, int, _Exploitation | None]] = []
        for offset in range(size):
            network = exploited_at.get(first_index + offset, -2)
            kid, plan = self._child_person(family, father_family, network,
                                           heritage if random_() < 0.6 else father_heritage)
            kids.append((kid, network, plan))
        oldest = min(kid.dob for kid, _, _ in kids)

        carer_only = random_() < 0.04
        mother: _Person | None = None
        father: _Person | None = None
        carer: _Person | None = None
        if carer_only:
            carer = self._new_person(sex="F", dob=oldest - round((40 + 20 * random_()) * _YEAR), child=False,
                                     family=family, heritage=heritage)
        else:
            if random_() < 0.95:
                mother = self._new_person(sex="F", dob=oldest - round((18 + 20 * random_()) * _YEAR), child=False,
                                          family=family, heritage=heritage)
                if random_() < 0.3:
                    mother.other_family = rng.choice(heritage.surnames)  # maiden name, held by some systems
            if random_() < 0.55 or mother is None:
                father = self._new_person(sex="M", dob=oldest - round((20 + 22 * random_()) * _YEAR), child=False,
                                          family=father_family, heritage=father_heritage)
        adults = [a for a in (mother, father, carer) if a is not None]
        for adult in adults:
            adult.phones.append(self._new_mobile())
            if landline and random_() < 0.7:
                adult.phones.append(landline)
            if random_() < 0.3:
                adult.email = self._email(adult.given, adult.family)
        contact = [a.phones[0] for a in adults][:2]

        council_children: list[tuple[_Person, str]] = []
        police_children: list[tuple[_Person, str]] = []
        father_homes = homes if random_() < 0.6 else [self._new_home(self.start - 500)]  # living apart
        for kid, network, plan in kids:
            records = self._child_records(kid, homes, contact, network, plan)
            if COUNCIL in records:
                council_children.append((kid, records[COUNCIL][0]))
            if POLICE in records:
                police_children.append((kid, records[POLICE][0]))
        self._family_records(COUNCIL, council_children, mother, father, carer, homes, father_homes, 0.95, 0.5)
        self._family_records(POLICE, police_children, mother, father, carer, homes, father_homes, 0.45, 0.25)
        return size

    def _family_records(self, system: str, kids: list[tuple[_Person, str]], mother: _Person | None,
                        father: _Person | None, carer: _Person | None, homes: list[_Home],
                        father_homes: list[_Home], mother_rate: float, father_rate: float) -> None:
        """Parents and carers of the children a system holds, and the links it knows between them."""
        if not kids:
            return
        random_ = self.random
        for adult, rate, relationship in ((mother, mother_rate, "parent"), (father, father_rate, "parent"),
                                          (carer, 0.95, "carer")):
            if adult is None or random_() > rate:
                continue
            record_id = self._record(system, adult, father_homes if adult is father else homes, "adult")
            for kid, kid_record in kids:
                start = self._iso(kid.dob) if relationship == "parent" else self._iso(self._between(kid.dob, self.end))
                self.out.relationship(system, (system, record_id, kid_record, relationship, start, ""))
        if system == COUNCIL:
            for i, (_, left) in enumerate(kids):
                for _, right in kids[i + 1:]:
                    self.out.relationship(system, (system, left, right, "sibling", "", ""))

    def _child_person(self, family: str, father_family: str, network: int,
                      heritage: words.Heritage) -> tuple[_Person, _Exploitation | None]:
        random_ = self.random
        rng = self.rng
        sex = "F" if random_() < 0.49 else "M"
        if network >= 0 and self.networks[network].kind == "sexual":
            sex = "F" if random_() < 0.85 else "M"
        elif network >= 0:
            sex = "M" if random_() < 0.85 else "F"
        if network == -2:
            # Ages at the end of the period: 0-17, and a few who turned 18 during it.
            age = 18 * random_() if random_() > 0.04 else 18 + 2 * random_()
            dob = self.end - round(age * _YEAR)
        else:
            dob = 0  # set when the exploitation is planned, from the age it began
        person = self._new_person(sex=sex, dob=dob, child=True, family=family, heritage=heritage)
        r = random_()
        if family != father_family and r < 0.4:
            person.family = father_family
            if random_() < 0.3:
                person.other_family = f"{father_family}-{family}" if random_() < 0.5 else family
        elif r < 0.05:
            person.other_family = f"{family}-{rng.choice(words.ALL_SURNAMES)}"  # double-barrelled by some
        elif r < 0.08:
            person.other_family = rng.choice(words.ALL_SURNAMES)  # a step-parent's name, in some systems
        plan = self._plan_exploitation(person, network) if network != -2 else None
        return person, plan

    def _child_records(self, kid: _Person, homes: list[_Home], contact: list[str], network: int,
                       exploitation: _Exploitation | None) -> dict[str, list[str]]:
        """Which systems hold the child, their records there, and everything that happened."""
        random_ = self.random
        role = self._role(kid)
        age_end = (self.end - kid.dob) / _YEAR
        if age_end >= 11 and random_() < 0.6:
            kid.phones.append(self._new_mobile())
        if random_() < 0.05:
            kid.nhs = ""  # not registered with a GP: NHS number unknown to every agency

        systems: list[str] = []
        in_school = 4.5 <= age_end < 18 + 0.2 and random_() < (0.97 if age_end < 16 else 0.75)
        if exploitation is not None:
            systems = [POLICE, NHS]
            if in_school or age_end < 17.5:
                systems.append(SCHOOL)
            if exploitation.first_concern or random_() < 0.5 or SCHOOL not in systems:
                systems.append(COUNCIL)
            if random_() < 0.35:
                systems.append(VOLUNTARY)
        else:
            if in_school:
                systems.append(SCHOOL)
            if random_() < (0.97 if age_end < 5 else 0.86):
                systems.append(NHS)
            if random_() < 0.11:
                systems.append(COUNCIL)
            if random_() < (0.02 if age_end < 10 else 0.12):
                systems.append(POLICE)
            if age_end >= 10 and random_() < 0.03:
                systems.append(VOLUNTARY)
            if not systems:
                systems.append(NHS)
        if SCHOOL in systems:
            kid.upn = self._new_upn(date.fromordinal(kid.dob).year)
        if POLICE in systems and age_end >= 12 and random_() < 0.25:
            kid.pnc = self._new_pnc(date.fromordinal(self._between(self._age_day(kid, 10), self.end)).year)

        records: dict[str, list[str]] = {}
        for system in systems:
            contacts = contact if system in (SCHOOL, COUNCIL, NHS) else contact[:1]
            records[system] = [self._record(system, kid, homes, role, contact_phones=contacts)]
            if system in (POLICE, NHS, COUNCIL) and random_() < 0.006:
                # A duplicate inside one system: created again at a later contact, never merged.
                records[system].append(self._record(system, kid, homes[-1:], role))
        self._background_events(kid, records, exploitation)
        if exploitation is not None:
            self._exploitation_events(kid, records, network, exploitation)
        return records

    # -- exploitation

    def _plan_exploitation(self, kid: _Person, network: int) -> _Exploitation:
        """Fix the child's age, when exploitation began, and when (if ever) someone first raised it."""
        random_ = self.random
        if network >= 0:
            net = self.networks[network]
            kind = net.kind
            earliest = max(self.start + 20, net.active_from)
        else:
            kind = "sexual" if random_() < 0.75 else "criminal"
            earliest = self.start + 20
        began = self._between(earliest, self.end - 45)
        ages = (10, 11, 12, 13, 14, 15, 16, 17)
        weights = (1, 3, 8, 14, 20, 22, 18, 10) if kind == "sexual" else (0, 1, 5, 12, 20, 24, 24, 14)
        age = self.rng.choices(ages, weights)[0] + random_()
        kid.dob = began - round(age * _YEAR)
        first_concern = 0
        if random_() < 0.85:
            # Typically 30-200 days pass before a professional names it; some are never named.
            delay = 30 + int(170 * self.rng.betavariate(1.6, 2.4))
            if began + delay <= self.end:
                first_concern = began + delay
        self.exploited += 1
        network_id = self.networks[network].nid if network >= 0 else ""
        self.out.truth_exploited.writerow((kid.tpid, kind, self._iso(began), network_id,
                                           self._iso(first_concern) if first_concern else ""))
        if network >= 0:
            self.networks[network].children.append(kid.tpid)
        return _Exploitation(kind, began, first_concern)

    def _pick(self, records: dict[str, list[str]], system: str) -> str:
        ids = records[system]
        return ids[0] if len(ids) == 1 or self.random() < 0.7 else ids[1]

    def _exploitation_events(self, kid: _Person, records: dict[str, list[str]], network_index: int,
                             exploitation: _Exploitation) -> None:
        rng = self.rng
        random_ = self.random
        kind, began, first_concern = exploitation
        net = self.networks[network_index] if network_index >= 0 else None
        end = self.end
        span = end - began
        police = records[POLICE][0]
        agencies: set[str] = set()

        def emit(system: str, event_type: str, occurred: str, **extra: str) -> None:
            if system in records:
                self._event(system, self._pick(records, system), event_type, occurred, **extra)
                agencies.add(system)

        def place() -> tuple[str, str]:
            if net is not None:
                return rng.choice(net.places)
            street = self.streets[int(len(self.streets) * random_())]
            return f"{rng.choice(('Park', 'Address', 'Shops', 'Car park'))}, {street.name}", street.postcodes[0]

        def perpetrators(count: int) -> str:
            if net is None:
                return ""
            ids = [p.police[0] for p in net.perpetrators if p.police]
            return ";".join(rng.sample(ids, min(count, len(ids))))

        def phone() -> str:
            return self._phone_text(rng.choice(net.phones)) if net is not None else ""

        # Missing episodes, and the return home interviews that should follow within 72 hours.
        for _ in range(min(18, 1 + self._poisson(span / 40))):
            day = self._escalating(began, end)
            went = self._at(day, 15, 24)
            back = went + int(60 * (2 + 70 * random_() ** 2))
            found_at = place() if random_() < 0.4 else ("", "")
            ended = self._dt(back) if back < (end + 1) * _MINUTES_PER_DAY else ""
            emit(POLICE, "missing_episode", self._dt(went), ended_at=ended, location=found_at[0],
                 postcode=self._postcode_text(found_at[1]) if found_at[1] else "",
                 detail=rng.choice(("Reported missing by mother", "Reported missing by carer",
                                    "Failed to return from school", "Missing from care placement")))
            if ended and random_() < 0.3 and net is not None:
                emit(POLICE, "found_with_adult", self._dt(back - 30), location=found_at[0] or place()[0],
                     others=perpetrators(1 + int(2 * random_())),
                     detail="Found by officers in company of adult male(s) on return")
            if ended and COUNCIL in records and random_() < 0.65:
                # Most are held within the 72 hours; about a third are days late.
                delay = int(60 * (4 + 64 * random_())) if random_() > 0.3 else int(1440 * (4 + 10 * random_()))
                held = self._clip_hour(back + delay)
                if held < (end + 1) * _MINUTES_PER_DAY:
                    late = held - back > 72 * 60
                    emit(COUNCIL, "return_home_interview", self._dt(held),
                         detail="Return home interview completed" + (", outside 72 hours" if late else ""))

        if net is not None:
            for _ in range(self._between(1, 4 if kind == "sexual" else 2)):
                day = self._escalating(began, end)
                driver = rng.choice([p for p in net.perpetrators if p.vehicle] or net.perpetrators)
                where = place()
                emit(POLICE, "seen_in_vehicle", self._dt(self._at(day, 16, 24)),
                     vehicle=self._registration_text(driver.vehicle or rng.choice(net.vehicles)),
                     location=where[0], postcode=self._postcode_text(where[1]),
                     others=driver.police[0] if driver.police else "",
                     detail="Seen getting into vehicle with adult male driver")
            # The police learn about the child through intelligence on the adults too.
            for _ in range(self._between(0, 2)):
                perpetrator = rng.choice([p for p in net.perpetrators if p.police] or net.perpetrators)
                if perpetrator.police:
                    self._intelligence(net, perpetrator.police[0], began, others=police, about_child=True,
                                       place=str(int(len(net.places) * random_())))
            if random_() < 0.5:
                self._intelligence(net, police, began, others=perpetrators(2), about_child=True)
            if random_() < 0.6:
                first_link = self._iso(self._between(began, end))
                for perpetrator in rng.sample(net.perpetrators, min(len(net.perpetrators), self._between(1, 2))):
                    if perpetrator.police:
                        self.out.relationship(POLICE, (POLICE, perpetrator.police[0], police,
                                                       "suspected_perpetrator", first_link, ""))
            if net.police_children and random_() < 0.4:
                self.out.relationship(POLICE, (POLICE, police, rng.choice(net.police_children), "peer", "", ""))
            if len(net.police_children) < 20:
                net.police_children.append(police)

        for _ in range(self._between(1, 3)):
            day = self._escalating(began, end)
            emit(rng.choice((SCHOOL, COUNCIL, VOLUNTARY, SCHOOL)), "gifts_or_money", self._iso(day),
                 detail=rng.choice(("New trainers and clothes, cannot explain", "Large amount of cash in bag",
                                    "New phone and expensive jewellery", "Phone credit topped up by 'a friend'")))
        if random_() < (0.5 if kind == "sexual" else 0.9):
            emit(rng.choice((SCHOOL, POLICE)), "multiple_phones", self._iso(self._escalating(began, end)),
                 phone=phone(), detail="Found with a second phone")
        if kind == "sexual":
            self._sexual_events(kid, began, emit)
        else:
            self._criminal_events(began, emit, place, perpetrators, phone)
        if random_() < (0.25 if net is not None else 1.0):
            emit(rng.choice((SCHOOL, POLICE, VOLUNTARY)), "online_grooming", self._iso(self._escalating(began, end)),
                 phone=phone() if random_() < 0.3 else "",
                 detail=rng.choice(("Adult contacting child on social media, asked for images",
                                    "Messages from older male on Snapchat", "Sharing images with unknown adult")))
        if SCHOOL in records:
            self._absences(records, began, end, per_year=30, emit=emit)
            if random_() < 0.2:
                emit(SCHOOL, "school_exclusion", self._iso(self._escalating(began, end)),
                     detail="Fixed-term suspension, 3 days")
        for _ in range(self._between(0, 2)):
            emit(NHS, "ae_attendance", self._dt(self._at(self._escalating(began, end), 0, 24)),
                 detail=rng.choice(("Intoxicated, brought in by ambulance", "Facial injury, vague explanation",
                                    "Overdose of paracetamol")))
        if random_() < 0.3:
            emit(NHS, "self_harm", self._dt(self._at(self._escalating(began, end), 0, 24)),
                 detail="Cuts to forearms")
        if random_() < 0.4:
            emit(rng.choice((NHS, VOLUNTARY)), "substance_misuse", self._iso(self._escalating(began, end)),
                 detail=rng.choice(("Cannabis use daily", "Alcohol, frequently intoxicated", "Cocaine use reported")))
        if random_() < 0.1:
            emit(POLICE, "victim_of_crime", self._dt(self._at(self._escalating(began, end), 0, 24)),
                 detail="Victim of assault")
        if VOLUNTARY in records:
            # The youth project often sees it first, and is not always heard.
            for _ in range(self._between(1, 3)):
                event_type, detail = rng.choice((
                    ("other", "Youth worker: seen with older men in cars near the youth club"),
                    ("found_with_adult", "Youth worker: found with adult males at the shops after dark"),
                    ("gifts_or_money", "Youth worker: new clothes and cash, says a 'friend' gave them")))
                emit(VOLUNTARY, event_type, self._iso(self._between(began, end)), detail=detail)
        if first_concern:
            system = SCHOOL if SCHOOL in records and random_() < 0.45 else COUNCIL
            if system not in records:
                system = SCHOOL
            texts = (words.SEXUAL_CONCERNS if kind == "sexual" else words.CRIMINAL_CONCERNS) if net is not None \
                else words.ONLINE_CONCERNS + (words.SEXUAL_CONCERNS if kind == "sexual" else words.CRIMINAL_CONCERNS)
            emit(system, "concern", self._dt(self._at(first_concern, 8, 18)), detail=rng.choice(texts))
            if random_() < 0.3:
                disclosed = first_concern + self._between(20, 150)
                if disclosed <= end:
                    emit(rng.choice((COUNCIL, POLICE)), "disclosure", self._dt(self._at(disclosed, 9, 18)),
                         detail=rng.choice(words.DISCLOSURES))
        # Every exploited child's trail crosses at least three agencies: that is the point.
        if NHS not in agencies:
            emit(NHS, "ae_attendance", self._dt(self._at(self._between(began, end), 0, 24)),
                 detail="Attended with minor injury, left before being seen")
        if len({AGENCY_OF_SYSTEM[s] for s in agencies}) < 3:
            emit(SCHOOL if SCHOOL in records else COUNCIL, "gifts_or_money", self._iso(self._between(began, end)),
                 detail="Unexplained new clothes and phone")

    def _clip_hour(self, minutes: int) -> int:
        """Interviews happen in working hours: move one that would fall at night to the next morning."""
        ordinal, minute = divmod(minutes, _MINUTES_PER_DAY)
        if minute < 9 * 60:
            return ordinal * _MINUTES_PER_DAY + 9 * 60 + minute % 60
        if minute >= 20 * 60:
            return (ordinal + 1) * _MINUTES_PER_DAY + 9 * 60 + minute % 60
        return minutes

    def _sexual_events(self, kid: _Person, began: int, emit: Callable[..., None]) -> None:
        random_ = self.random
        end = self.end
        if random_() < 0.6:
            for _ in range(self._between(1, 3)):
                emit(NHS, "sexual_health_attendance", self._dt(self._at(self._escalating(began, end), 9, 18)),
                     detail=self.rng.choice(("STI screen", "Emergency contraception", "Chlamydia treatment")))
        if kid.sex == "F" and random_() < 0.12 and self._age_day(kid, 13) < end:
            day = self._between(max(began + 30, self._age_day(kid, 13)), end) if began + 30 <= end else end
            emit(NHS, "pregnancy", self._iso(day), detail="Pregnancy confirmed")
            if random_() < 0.6 and day + 30 <= end:
                emit(NHS, "termination", self._iso(self._between(day + 14, min(end, day + 70))),
                     detail="Termination of pregnancy")
        if random_() < 0.15:
            where = self.rng.choice(words.OUT_OF_AREA)
            emit(POLICE, "travel_out_of_area", self._dt(self._at(self._escalating(began, end), 12, 24)),
                 location=where[0], detail="Found out of area with older males")

    def _criminal_events(self, began: int, emit: Callable[..., None], place: Callable[[], tuple[str, str]],
                         perpetrators: Callable[[int], str], phone: Callable[[], str]) -> None:
        rng = self.rng
        end = self.end
        for _ in range(self._between(1, 4)):
            where = rng.choice(words.OUT_OF_AREA)
            postcode = f"{where[1]} {self._between(1, 9)}{rng.choice(_POSTCODE_UNIT_LETTERS)}" \
                       f"{rng.choice(_POSTCODE_UNIT_LETTERS)}"
            emit(POLICE, "travel_out_of_area", self._dt(self._at(self._escalating(began, end), 10, 24)),
                 location=where[0], postcode=postcode if self.random() < 0.5 else "",
                 detail="Found in another town with cash and phones")
        if self.random() < 0.5:
            emit(rng.choice((POLICE, VOLUNTARY, COUNCIL)), "drug_debt", self._iso(self._escalating(began, end)),
                 detail="Says he owes money after drugs were 'taken' from him")
        for _ in range(self._between(1, 3)):
            where = place()
            emit(POLICE, "police_stop", self._dt(self._at(self._escalating(began, end), 14, 24)),
                 location=where[0], postcode=self._postcode_text(where[1]), others=perpetrators(1),
                 phone=phone() if self.random() < 0.4 else "",
                 detail="Stop and search: cash and wraps found")

    # -- what happens to every child

    def _absences(self, records: dict[str, list[str]], low: int, high: int, *, per_year: float,
                  emit: Callable[..., None] | None = None) -> None:
        """Spells of absence from school on school days between two days (date only, as registers are)."""
        from bisect import bisect_left, bisect_right

        days = self.school_days
        first, last = bisect_left(days, low), bisect_right(days, high) - 1
        if first > last:
            return
        record = records[SCHOOL][0]
        for _ in range(self._poisson(per_year * (high - low + 1) / _YEAR)):
            at = self._between(first, last)
            last_day = at + (0 if self.random() < 0.7 else self._between(1, 4))
            # A spell does not run on over a holiday: it ends on the last school day before the break.
            while last_day > at and (last_day > last or days[last_day] - days[at] > 7):
                last_day -= 1
            ended = self._iso(days[last_day]) if last_day > at else ""
            detail = words.SCHOOL_ABSENCE_DETAILS[int(len(words.SCHOOL_ABSENCE_DETAILS) * self.random())]
            if emit is not None:
                emit(SCHOOL, "absent_from_school", self._iso(days[at]), ended_at=ended, detail=detail)
            else:
                self._event(SCHOOL, record, "absent_from_school", self._iso(days[at]), ended_at=ended, detail=detail)

    def _background_events(self, kid: _Person, records: dict[str, list[str]],
                           exploitation: _Exploitation | None) -> None:
        """The ordinary run of childhood in agencies' records, at rates that give a careless rule
        plenty of false positives."""
        rng = self.rng
        random_ = self.random
        ev = self._event
        dt = self._dt
        at = self._at
        iso = self._iso
        # Concerns after exploitation began are the exploitation's own; before it, ordinary ones.
        concern_until = exploitation[1] - 1 if exploitation else self.end
        if SCHOOL in records:
            school = records[SCHOOL][0]
            window = self._window(kid, 4.5, 18)
            if window:
                self._absences(records, window[0], window[1], per_year=9.0 if random_() < 0.12 else 1.2)
            for _ in range(self._count_in(self._window(kid, 8, 18), 0.03)):
                w = self._window(kid, 8, 18)
                assert w
                ev(SCHOOL, school, "school_exclusion", iso(self._between(*w)),
                   detail=rng.choice(("Fixed-term suspension, 1 day", "Fixed-term suspension, 2 days",
                                      "Internal exclusion")))
            for _ in range(self._count_in(self._window(kid, 4.5, 18), 0.015)):
                w = self._window(kid, 4.5, 18)
                assert w
                day = self._between(w[0], w[1])
                if day <= concern_until:
                    ev(SCHOOL, school, "concern", dt(at(day, 8, 17)), detail=rng.choice(words.BACKGROUND_CONCERNS))
            teen = self._window(kid, 11, 18)
            for event_type in ("gifts_or_money", "multiple_phones"):
                for _ in range(self._count_in(teen, 0.003)):
                    assert teen
                    ev(SCHOOL, school, event_type, iso(self._between(*teen)), detail="Noted by form tutor")
        if NHS in records:
            nhs = records[NHS][0]
            life = self._window(kid)
            young = self._window(kid, 0, 5)
            for _ in range(self._count_in(life, 0.22) + self._count_in(young, 0.2)):
                assert life
                ev(NHS, self._pick(records, NHS), "ae_attendance", dt(at(self._between(*life), 0, 24)),
                   detail=rng.choice(("Minor head injury, fall", "Asthma", "Fracture, playground fall",
                                      "Febrile illness", "Sprained ankle, sport", "Burn, kitchen accident")))
            for _ in range(self._count_in(life, 0.06)):
                assert life
                ev(NHS, nhs, "injury", dt(at(self._between(*life), 8, 20)), detail="Bruising, explanation consistent")
            teen = self._window(kid, 12, 18.5)
            for _ in range(self._count_in(teen, 0.012)):
                assert teen
                ev(NHS, nhs, "self_harm", dt(at(self._between(*teen), 0, 24)), detail="Superficial cuts")
            older = self._window(kid, 14, 18.5)
            for _ in range(self._count_in(older, 0.05)):
                assert older
                ev(NHS, nhs, "sexual_health_attendance", dt(at(self._between(*older), 9, 18)),
                   detail=rng.choice(("Contraception advice", "STI screen, negative", "Routine clinic")))
            for _ in range(self._count_in(self._window(kid, 13, 18.5), 0.008)):
                w = self._window(kid, 13, 18.5)
                assert w
                ev(NHS, nhs, "substance_misuse", iso(self._between(*w)), detail="Alcohol, brief intervention")
            if kid.sex == "F":
                for _ in range(self._count_in(self._window(kid, 15.5, 19), 0.012)):
                    w = self._window(kid, 15.5, 19)
                    assert w
                    day = self._between(*w)
                    ev(NHS, nhs, "pregnancy", iso(day), detail="Pregnancy confirmed, booked with midwife")
        if POLICE in records:
            police = records[POLICE][0]
            before = self.out.event_rows
            teen = self._window(kid, 10, 18)
            for _ in range(self._count_in(teen, 0.18)):
                assert teen
                day = self._between(*teen)
                went = at(day, 15, 24)
                back = went + int(60 * (1 + 20 * random_()))
                ended = dt(back) if back < (self.end + 1) * _MINUTES_PER_DAY else ""
                ev(POLICE, police, "missing_episode", dt(went), ended_at=ended,
                   detail=rng.choice(("Stayed at a friend's without telling parents", "Argument at home",
                                      "Late back from town, found by officers")))
                if ended and COUNCIL in records and random_() < 0.6:
                    held = self._clip_hour(back + int(60 * (6 + 80 * random_())))
                    if held < (self.end + 1) * _MINUTES_PER_DAY:
                        ev(COUNCIL, records[COUNCIL][0], "return_home_interview", dt(held),
                           detail="Return home interview completed")
            stops = self._window(kid, 12, 18.5)
            for _ in range(self._count_in(stops, 0.2)):
                assert stops
                street = self.streets[int(len(self.streets) * random_())]
                ev(POLICE, police, "police_stop", dt(at(self._between(*stops), 12, 24)),
                   location=f"{street.name}", postcode=self._postcode_text(street.postcodes[0]),
                   detail=rng.choice(("Stop and search, nothing found", "Spoken to about anti-social behaviour")))
            life = self._window(kid)
            for _ in range(self._count_in(life, 0.15)):
                assert life
                ev(POLICE, police, "victim_of_crime", dt(at(self._between(*life), 0, 24)),
                   detail=rng.choice(("Theft of bike", "Assault by peer", "Domestic incident at home, child present",
                                      "Online harassment")))
            for _ in range(self._count_in(self._window(kid, 13, 18.5), 0.01)):
                w = self._window(kid, 13, 18.5)
                assert w
                ev(POLICE, police, "found_with_adult", dt(at(self._between(*w), 18, 24)),
                   detail="Found with 19-year-old boyfriend, parents aware")
            if self.out.event_rows == before and life:
                # A police record exists because something happened: a witness or victim statement.
                ev(POLICE, police, "other", dt(at(self._between(*life), 8, 22)), detail="Witness to road collision")
        if COUNCIL in records:
            council = records[COUNCIL][0]
            life = self._window(kid)
            if life:
                concerns = self._count_in(life, 0.45)
                if exploitation is None:
                    concerns = max(1, concerns)  # a child is known to the council because someone referred them
                for _ in range(concerns):
                    day = self._between(*life)
                    if day <= concern_until:
                        ev(COUNCIL, council, "concern", dt(at(day, 8, 18)), detail=rng.choice(words.BACKGROUND_CONCERNS))
                for _ in range(self._count_in(life, 0.5)):
                    ev(COUNCIL, self._pick(records, COUNCIL), "other", dt(at(self._between(*life), 9, 17)),
                       detail=rng.choice(("Home visit", "Child in need review", "Early help review meeting")))
        if VOLUNTARY in records:
            life = self._window(kid)
            for _ in range(self._count_in(life, 1.0)):
                assert life
                ev(VOLUNTARY, records[VOLUNTARY][0], "other", iso(self._between(*life)),
                   detail=rng.choice(("Attended youth club", "Detached youth work contact", "Mentoring session")))
