"""Each agency's systems as the demo partnership's extract shows them: how each numbers its
records and events, how carefully it records a person (the noise: typos, nicknames, partial
dates, old addresses, missing identifiers), how it writes a phone, postcode or registration,
and the school's registers of absence."""

from __future__ import annotations

import random
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from safeguarding.demo import names as words
from safeguarding.demo.world import YEAR, Home, Person, World, e164
from safeguarding.demo.writer import ExtractWriter
from safeguarding.exchange.format import EVENT_TYPES, RELATIONSHIP_TYPES

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
_EVENT_TYPES = frozenset(EVENT_TYPES)
_RELATIONSHIP_TYPES = frozenset(RELATIONSHIP_TYPES)

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


@dataclass(frozen=True)
class Recording:
    """How the agencies' systems record people, where a partnership differs from the default: the
    assumptions the hub's record linkage must not depend on, as knobs. The defaults change nothing (the
    same seed gives the same bytes); each knob draws from a random stream of its own, so a variant
    changes only what it names and every other value of the extract stays as the default wrote it."""

    postcode_column: bool = True  # False: no system sends a postcode column (the address alone)
    postcode_in_address: float = 0.0  # share of records with the postcode written inside the address, column empty
    without_dob: tuple[str, ...] = ()  # systems that hold no dates of birth
    family_name_varies: float = 0.0  # share of records under another family name (a step-parent's, a mother's)
    transliterated: float = 0.0  # share of records writing a name another way (Mohammed, Muhammad; Hussain, Hussein)
    double_barrelled: float = 0.0  # share of people with a double-barrelled name, written in several ways

    @property
    def is_default(self) -> bool:
        return self == Recording()


# Named variants of the partnership for benchmarks, each one assumption changed; "hard" changes them all.
RECORDING_VARIANTS: dict[str, Recording] = {
    "default": Recording(),
    "no-postcode-column": Recording(postcode_column=False),
    "postcode-in-address": Recording(postcode_in_address=1.0),
    "no-dob-police-voluntary": Recording(without_dob=(POLICE, VOLUNTARY)),
    "family-names-vary": Recording(family_name_varies=0.15),
    "transliterated": Recording(transliterated=0.5),
    "double-barrelled": Recording(double_barrelled=0.2),
    "hard": Recording(postcode_in_address=1.0, without_dob=(POLICE, VOLUNTARY), family_name_varies=0.15,
                      transliterated=0.5, double_barrelled=0.2),
}


class Agencies:
    """The six systems' renderers: a true person or event in, the row its system would hold out."""

    def __init__(self, world: World, out: ExtractWriter, *, recording: Recording | None = None,
                 seed: int = 0) -> None:
        self.world = world
        self.out = out
        self.rng = world.rng
        self.random = world.random
        self.recording = recording or Recording()
        self.seed = seed
        # The variants' own stream: drawing from it never moves the world's.
        self.variant_rng = random.Random(f"recording-{seed}")
        self.start, self.end = world.start, world.end
        self.record_counter = {system: start for system, (_, start) in _RECORD_ID.items()}
        self.event_counter = dict.fromkeys(SYSTEMS, 0)
        self.children_recorded = 0
        self.adults_recorded = 0

    # -- identifiers

    def new_record_id(self, system: str) -> str:
        # Gaps between ids, as records deleted or merged inside the source system leave them.
        self.record_counter[system] += 1 + int(3 * self.random())
        return f"{_RECORD_ID[system][0]}{self.record_counter[system]}"

    def new_event_id(self, system: str) -> str:
        self.event_counter[system] += 1
        return f"{_EVENT_ID[system]}{self.event_counter[system]:07d}"

    # -- how an agency writes a value

    def typo(self, text: str) -> str:
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

    def phone_text(self, national: str) -> str:
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

    def postcode_text(self, postcode: str) -> str:
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

    def registration_text(self, reg: str) -> str:
        r = self.random()
        spaced = f"{reg[:4]} {reg[4:]}"
        if r < 0.55:
            return spaced
        if r < 0.85:
            return reg
        return spaced.lower() if r < 0.95 else reg.lower()

    def address_text(self, home: Home) -> str:
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

    def dob_text(self, dob: int, profile: _Profile) -> str:
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

    def nhs_text(self, nhs: str) -> str:
        if self.random() < 0.01:
            # A mistyped digit: the modulus-11 check catches every single-digit error.
            at = int(9 * self.random())
            nhs = nhs[:at] + str((int(nhs[at]) + 1 + int(8 * self.random())) % 10) + nhs[at + 1:]
        return f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" if self.random() < 0.45 else nhs

    def invalid(self, row: dict[str, str], dob: int) -> None:
        """Spoil one optional value, as dirty source data does now and then (import warns, keeps the row)."""
        kind = self.random()
        if kind < 0.4:
            day = date.fromordinal(dob)
            row["date_of_birth"] = f"{day.year:04d}-{day.month:02d}-{32 + int(9 * self.random())}"
        elif kind < 0.65:
            outward = words.DISTRICTS[int(7 * self.random())][0]
            row["postcode"] = f"{outward} {int(10 * self.random())}{'CIKMOV'[int(6 * self.random())]}"
        elif kind < 0.85:
            row["nhs_number"] = f"{999_000_000 + int(999_999 * self.random()):09d}"[:9]
        else:
            row["phone"] = "07700 9001"

    # -- what an agency's system holds

    def record(self, system: str, person: Person, homes: Sequence[Home], role: str, *,
               contact_phones: Sequence[str] = (), alias: str = "") -> str:
        """Write one system's record of a person, with that system's noise; return its record id.

        ``alias``: the record was made under that street name instead of the person's own.
        """
        world = self.world
        profile = _PROFILES[system]
        random_ = self.random
        rng = self.rng
        record_id = self.new_record_id(system)
        given, middle, family = person.given, person.middle, person.family
        other: list[str] = []
        if person.other_family and random_() < 0.45:
            family, previous = person.other_family, family
            if random_() < 0.4:
                other.append(previous)
        elif person.other_family and random_() < 0.2:
            other.append(person.other_family)
        nicknames = world.nicknames.get(given)
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
                given = self.typo(given)
            else:
                family = self.typo(family)
        if random_() < 0.008:
            given, family = family, given  # entered in the wrong boxes
        if middle:
            r = random_()
            if r < profile.middle_missing:
                middle = ""
            elif r < profile.middle_missing + 0.05:
                middle = middle[0]
        dob_text = self.dob_text(person.dob, profile)
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
        nhs = self.nhs_text(person.nhs) if person.nhs and random_() < profile.nhs_number else ""
        upn = person.upn if system == SCHOOL and random_() < 0.99 else ""
        pnc = person.pnc if system == POLICE else ""
        home = homes[-1]
        if len(homes) > 1 and random_() > profile.address_updated:
            home = homes[-2]
        address = self.address_text(home) if random_() > 0.02 else ""
        postcode = self.postcode_text(home.postcode) if random_() > profile.missing_postcode else ""
        phones: list[str] = []
        if random_() < profile.phone:
            for number in (*person.phones, *contact_phones):
                if random_() < 0.8:
                    phones.append(self.phone_text(number))
        email = person.email if person.email and random_() < 0.5 else ""
        if system == VOLUNTARY and random_() < 0.1:
            role = ""
        updated_from = max(self.start, home.moved_in, person.dob)
        updated_at = world.dt(world.at(world.between(updated_from, self.end), 7, 19)) if updated_from <= self.end \
            else world.dt(world.at(self.end, 7, 19))
        row = {
            "source_system": system, "record_id": record_id, "given_name": given, "middle_names": middle,
            "family_name": family, "other_names": ";".join(dict.fromkeys(other)), "date_of_birth": dob_text,
            "sex": sex, "nhs_number": nhs, "upn": upn, "pnc_id": pnc, "address": address, "postcode": postcode,
            "phone": ";".join(phones), "email": email, "role": role, "updated_at": updated_at,
        }
        if random_() < 0.005:
            self.invalid(row, person.dob)
        if not self.recording.is_default:
            self.as_recorded(system, person, home, row)
        self.out.person(system, row, person.tpid)
        if not person.recorded:
            person.recorded = True
            if role == "child" or (not role and world.role(person) == "child"):
                self.children_recorded += 1
            else:
                self.adults_recorded += 1
        return record_id

    # -- the variants (Recording): drawn from their own stream

    def _person_share(self, person: Person, salt: str) -> float:
        """A number in [0, 1) fixed for a person and this seed, so every system records them alike."""
        return zlib.crc32(f"{self.seed}:{salt}:{person.tpid}".encode()) / 2**32

    def _double_barrelled(self, person: Person) -> str:
        """The person's double-barrelled family name: their own and a second (the name some systems
        already hold, or one of the town's), joined by a hyphen."""
        if person.other_family and "-" in person.other_family:
            return person.other_family
        second = person.other_family or words.ALL_SURNAMES[
            int(self._person_share(person, "second") * len(words.ALL_SURNAMES))]
        return person.family if second == person.family else f"{person.family}-{second}"

    def as_recorded(self, system: str, person: Person, home: Home, row: dict[str, str]) -> None:
        """Apply the partnership's variant (Recording) to a row its system would otherwise hold."""
        recording = self.recording
        draw = self.variant_rng.random
        if recording.double_barrelled and self._person_share(person, "double") < recording.double_barrelled:
            name = self._double_barrelled(person)
            first, _, second = name.partition("-")
            if second and row["family_name"] in (person.family, person.other_family):
                r = draw()
                # As systems hold such a name: whole, with a space, one half, the other, or turned round.
                row["family_name"] = (name if r < 0.4 else f"{first} {second}" if r < 0.6 else first if r < 0.8
                                      else second if r < 0.9 else f"{second}-{first}")
        if recording.family_name_varies and draw() < recording.family_name_varies and row["family_name"]:
            previous = row["family_name"]
            # Known here by a step-parent's or a mother's family name, which other systems do not hold.
            row["family_name"] = words.ALL_SURNAMES[int(draw() * len(words.ALL_SURNAMES))]
            if draw() < 0.3:
                row["other_names"] = ";".join(dict.fromkeys([*filter(None, row["other_names"].split(";")), previous]))
        if recording.transliterated:
            for field in ("given_name", "family_name"):
                others = words.TRANSLITERATIONS.get(row[field])
                if others and draw() < recording.transliterated:
                    row[field] = others[int(draw() * len(others))]
        if system in recording.without_dob:
            row["date_of_birth"] = ""
        in_address = recording.postcode_in_address and draw() < recording.postcode_in_address
        if in_address and row["address"] and row["postcode"]:
            row["address"] = f"{row['address']}, {row['postcode']}" if draw() < 0.8 else f"{row['address']} {row['postcode']}"
        if in_address or not recording.postcode_column:
            row["postcode"] = ""

    def event(self, system: str, record_id: str, event_type: str, occurred_at: str, *, ended_at: str = "",
              location: str = "", postcode: str = "", vehicle: str = "", phone: str = "", others: str = "",
              detail: str = "", handling: str = "") -> None:
        if event_type not in _EVENT_TYPES:
            raise ValueError(f"{event_type!r} is not an event type of the exchange format")
        self.out.event(system, {
            "source_system": system, "event_id": self.new_event_id(system), "record_id": record_id,
            "event_type": event_type, "occurred_at": occurred_at, "ended_at": ended_at, "location_name": location,
            "location_postcode": postcode, "vehicle_registration": vehicle, "phone": phone,
            "other_record_ids": others, "detail": detail, "handling": handling,
        })

    def relationship(self, system: str, record_id: str, other_record_id: str, kind: str, start: str = "") -> None:
        if kind not in _RELATIONSHIP_TYPES:
            raise ValueError(f"{kind!r} is not a relationship of the exchange format")
        self.out.relationship(system, {
            "source_system": system, "record_id": record_id, "other_record_id": other_record_id,
            "relationship": kind, "start_date": start, "end_date": "",
        })

    def pick(self, records: dict[str, list[str]], system: str) -> str:
        ids = records[system]
        return ids[0] if len(ids) == 1 or self.random() < 0.7 else ids[1]

    # -- the school's registers

    def absences(self, records: dict[str, list[str]], low: int, high: int, *, per_year: float,
                 emit: Callable[..., None] | None = None) -> None:
        """Spells of absence from school on school days between two days (date only, as registers are)."""
        world = self.world
        days = world.school_days
        first, last = bisect_left(days, low), bisect_right(days, high) - 1
        if first > last:
            return
        record = records[SCHOOL][0]
        for _ in range(world.poisson(per_year * (high - low + 1) / YEAR)):
            at = world.between(first, last)
            last_day = at + (0 if self.random() < 0.7 else world.between(1, 4))
            # A spell does not run on over a holiday: it ends on the last school day before the break.
            while last_day > at and (last_day > last or days[last_day] - days[at] > 7):
                last_day -= 1
            ended = world.iso(days[last_day]) if last_day > at else ""
            detail = words.SCHOOL_ABSENCE_DETAILS[int(len(words.SCHOOL_ABSENCE_DETAILS) * self.random())]
            if emit is not None:
                emit(SCHOOL, "absent_from_school", world.iso(days[at]), ended_at=ended, detail=detail)
            else:
                self.event(SCHOOL, record, "absent_from_school", world.iso(days[at]), ended_at=ended, detail=detail)

