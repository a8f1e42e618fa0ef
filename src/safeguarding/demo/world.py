"""The synthetic borough the demo partnership lives in: its time (the period, school days, local
clock times), its places (streets, houses, postcodes, the shops and hotels networks use), and its
people, each with the identifiers they really have.

Everything here is drawn from one ``random.Random``, shared with the rest of the generator: the
order of the draws is what makes a seed give the same extract, byte for byte.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from safeguarding.core import normalise
from safeguarding.demo import names as words

POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters allowed in the inward code
_PNC_CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
_LA_CODE = "372"
MINUTES_PER_DAY = 1440
YEAR = 365.2425


def upn_check_letter(twelve_digits: str) -> str:
    """The DfE check letter of a unique pupil number (``normalise.upn_check_letter``)."""
    letter = normalise.upn_check_letter(twelve_digits)
    assert letter is not None, twelve_digits
    return letter


def e164(national: str) -> str:
    """``07700900123`` -> ``+447700900123``."""
    return "+44" + national[1:]


def _pnc_check_letter(year2: str, serial: str) -> str:
    return _PNC_CHECK_LETTERS[int(year2 + serial) % 23]


@dataclass(slots=True)
class Person:
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


class Home(NamedTuple):
    moved_in: int  # ordinal day
    line: str  # "Flat 2, 14 Oak Road"
    suffix: str  # the street's suffix as written in ``line`` ("Road"), for agencies that abbreviate it
    locality: str
    postcode: str  # normalised, "S65 1AB"


@dataclass(slots=True)
class Street:
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


class World:
    """The borough over the period ending ``end_date``: its streets, and the people and
    identifiers made for it as the run goes."""

    def __init__(self, *, children: int, seed: int, end_date: date, years: int) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.children_total = children
        self.end = end_date.toordinal()
        self.start = (end_date - timedelta(days=round(years * YEAR))).toordinal()
        self.person_counter = 0
        self.mobile_counter = 0
        self.landline_counter = 0
        self.drama_counter = 0
        self.nhs_counter = 0
        self.pnc_counter = 0
        self.registrations: set[str] = set()
        self.upn_serials: dict[tuple[int, int], int] = {}
        self._iso_cache: dict[int, str] = {}
        # Local times that do not exist (the hour lost when clocks go forward) are never written.
        self._dst_gaps = {self.last_sunday(y, 3) for y in range(end_date.year - years - 30, end_date.year + 2)}
        self.nicknames = self.nickname_table()
        self.streets: list[Street] = []
        self.place_postcodes_free: list[list[str]] = []
        self.school_days = [o for o in range(self.start, self.end + 1) if self.is_school_day(o)]
        estimated_households = children / 1.9 + 1
        self.primary_schools = max(8, children // 300)

        self.build_streets(estimated_households)

    # -- time, and small helpers kept cheap because they run millions of times

    @staticmethod
    def last_sunday(year: int, month: int) -> int:
        last = date(year, month, 31)
        return last.toordinal() - (last.weekday() + 1) % 7

    @staticmethod
    def is_school_day(ordinal: int) -> bool:
        day = date.fromordinal(ordinal)
        if day.weekday() >= 5:
            return False
        # Summer holiday, Christmas and Easter-ish breaks: close enough for absence dates.
        if day.month == 8 or (day.month == 7 and day.day > 22) or (day.month == 9 and day.day < 4):
            return False
        if (day.month == 12 and day.day > 19) or (day.month == 1 and day.day < 4):
            return False
        return not (day.month == 4 and day.day < 12) and not (day.month in (2, 10) and 17 <= day.day <= 23)

    def iso(self, ordinal: int) -> str:
        text = self._iso_cache.get(ordinal)
        if text is None:
            text = self._iso_cache[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    def dt(self, minutes: int) -> str:
        ordinal, minute = divmod(minutes, MINUTES_PER_DAY)
        if 60 <= minute < 120 and ordinal in self._dst_gaps:
            minute += 60
        return f"{self.iso(ordinal)}T{minute // 60:02d}:{minute % 60:02d}:00"

    def between(self, low: int, high: int) -> int:
        """A whole number in [low, high], uniformly."""
        return low + int((high - low + 1) * self.random())

    def escalating(self, low: int, high: int) -> int:
        """A day in [low, high] more likely late than early: exploitation escalates."""
        return low + int((high - low) * math.sqrt(self.random()))

    def at(self, ordinal: int, from_hour: int, to_hour: int) -> int:
        """Minutes since day 0 at a random time of that day between the two hours."""
        return ordinal * MINUTES_PER_DAY + from_hour * 60 + int((to_hour - from_hour) * 60 * self.random())

    def poisson(self, mean: float) -> int:
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

    def age_day(self, person: Person, age: float) -> int:
        return person.dob + round(age * YEAR)

    def window(self, person: Person, min_age: float = 0, max_age: float = 200) -> tuple[int, int] | None:
        """The days of the period on which the person was between the two ages."""
        low = max(self.start, self.age_day(person, min_age))
        high = min(self.end, self.age_day(person, max_age) - 1)
        return (low, high) if low <= high else None

    def count_in(self, window: tuple[int, int] | None, per_year: float) -> int:
        if window is None:
            return 0
        return self.poisson(per_year * (window[1] - window[0] + 1) / YEAR)

    # -- people's names

    def nickname_table(self) -> dict[str, tuple[str, ...]]:
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

    def build_streets(self, households: float) -> None:
        """Streets with house numbers and postcodes, enough that no two households share an address."""
        rng = self.rng
        addresses_needed = households * 1.25 * 1.6  # moves, perpetrators' homes, and slack
        combos = [(stem, suffix) for stem in words.STREET_STEMS for suffix in words.STREET_SUFFIXES]
        per_district = max(12, min(len(combos), math.ceil(addresses_needed / 70 / len(words.DISTRICTS))))
        houses_mean = max(20, math.ceil(addresses_needed / (per_district * len(words.DISTRICTS))))
        units = [f"{sector}{a}{b}" for sector in range(10) for a in POSTCODE_UNIT_LETTERS
                 for b in POSTCODE_UNIT_LETTERS]
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
                self.streets.append(Street(f"{stem} {suffix}", suffix, index, postcodes, houses,
                                           int(houses * rng.random()), step))
            self.place_postcodes_free.append(free)  # the rest are for shops, ranks and hotels

    def new_home(self, moved_in: int, district: int | None = None) -> Home:
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
        return Home(moved_in, line, street.suffix, words.DISTRICTS[street.district][1], postcode)

    def place_postcode(self, district: int) -> str:
        free = self.place_postcodes_free[district]
        if not free:
            free = self.place_postcodes_free[max(range(len(self.place_postcodes_free)),
                                                 key=lambda i: len(self.place_postcodes_free[i]))]
        return free.pop()


    # -- people and their identifiers

    def new_tpid(self) -> str:
        self.person_counter += 1
        return f"T{self.person_counter:06d}"

    def new_nhs_number(self) -> str:
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

    def new_upn(self, birth_year: int) -> str:
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

    def new_pnc(self, first_year: int) -> str:
        self.pnc_counter += 1
        year2 = f"{first_year % 100:02d}"
        serial = f"{(self.pnc_counter * 48271 + 1013) % 10_000_000:07d}"
        return f"{year2}/{serial}{_pnc_check_letter(year2, serial)}"

    def new_mobile(self) -> str:
        n = self.mobile_counter
        self.mobile_counter += 1
        block, prefix_index = divmod(n, len(words.MOBILE_PREFIXES))
        wrap, offset = divmod(block, 1_000_000)  # unique for the first eight million numbers
        suffix = (offset * 7919 + 104_729 * (wrap + 1) + 350_377 * prefix_index) % 1_000_000
        return f"{words.MOBILE_PREFIXES[prefix_index]}{suffix:06d}"

    def new_landline(self) -> str:
        self.landline_counter += 1
        # Local numbers start 2-8; 0 and 1 would not be a valid Rotherham-style number.
        return f"{words.LANDLINE_PREFIX}{200_000 + (self.landline_counter * 7919 + 55_555) % 700_000:06d}"

    def new_network_phone(self) -> str:
        """A phone from Ofcom's drama range while it lasts, so the planted phones are no one's."""
        if self.drama_counter < 1000:
            n = (self.drama_counter * 379 + 123) % 1000
            self.drama_counter += 1
            return f"07700900{n:03d}"
        return self.new_mobile()

    def new_registration(self) -> str:
        letters = words.REGISTRATION_LETTERS
        while True:
            year = self.between(2, 25)
            age = year if self.random() < 0.5 else year + 50
            reg = (words.REGISTRATION_AREAS[int(len(words.REGISTRATION_AREAS) * self.random())] + f"{age:02d}"
                   + "".join(letters[int(len(letters) * self.random())] for _ in range(3)))
            if reg not in self.registrations:
                self.registrations.add(reg)
                return reg

    def email(self, given: str, family: str) -> str:
        local = f"{given}.{family}".lower().replace("'", "").replace(" ", "")
        if self.random() < 0.6:
            local += str(self.between(1, 99))
        return f"{local}@{words.EMAIL_DOMAINS[int(3 * self.random())]}"

    def heritage(self) -> words.Heritage:
        return self.rng.choices(words.HERITAGES, cum_weights=words.HERITAGE_CUMULATIVE_WEIGHTS)[0]

    def new_person(self, *, sex: str, dob: int, child: bool, family: str, heritage: words.Heritage) -> Person:
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
        return Person(self.new_tpid(), given, middle, family, sex, dob, nhs=self.new_nhs_number())


    def role(self, person: Person) -> str:
        return "child" if self.end < self.age_day(person, 18) else "adult"

    def clip_hour(self, minutes: int) -> int:
        """Interviews happen in working hours: move one that would fall at night to the next morning."""
        ordinal, minute = divmod(minutes, MINUTES_PER_DAY)
        if minute < 9 * 60:
            return ordinal * MINUTES_PER_DAY + 9 * 60 + minute % 60
        if minute >= 20 * 60:
            return (ordinal + 1) * MINUTES_PER_DAY + 9 * 60 + minute % 60
        return minutes

