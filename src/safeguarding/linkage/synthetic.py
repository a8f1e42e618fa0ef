"""Small, seeded synthetic source records with known truth, for linkage tests and quick benchmarks."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import pyarrow as pa

from safeguarding.core import normalise
from safeguarding.linkage.base import INPUT_COLUMNS

_GIVEN_F = ("Olivia", "Amelia", "Isla", "Ava", "Mia", "Lily", "Grace", "Freya", "Emily", "Ella", "Poppy",
            "Charlotte", "Sophie", "Jessica", "Ruby", "Chloe", "Megan", "Lauren", "Bethany", "Hannah", "Rebecca",
            "Katie", "Elizabeth", "Victoria", "Samantha", "Natasha", "Aisha", "Maryam", "Fatima", "Zara",
            "Christine", "Abigail", "Jennifer", "Kimberly", "Deborah", "Margaret")
_GIVEN_M = ("Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Thomas", "Oscar", "William",
            "James", "Alexander", "Joseph", "Edward", "Samuel", "Daniel", "Benjamin", "Matthew", "Christopher",
            "Michael", "Anthony", "Nicholas", "Jonathan", "Robert", "Muhammad", "Ibrahim", "Yusuf", "Hamza",
            "Richard", "Stephen", "Andrew", "Peter", "David", "Timothy", "Patrick", "Frederick")
_NICK = {"Christopher": "Chris", "Christine": "Chris", "Alexander": "Alex", "Elizabeth": "Liz", "Jessica": "Jess",
         "Rebecca": "Becky", "Samantha": "Sam", "Samuel": "Sam", "Thomas": "Tom", "William": "Will",
         "James": "Jim", "Joseph": "Joe", "Edward": "Ed", "Daniel": "Dan", "Benjamin": "Ben", "Matthew": "Matt",
         "Michael": "Mike", "Anthony": "Tony", "Nicholas": "Nick", "Jonathan": "Jon", "Robert": "Bob",
         "Richard": "Dick", "Stephen": "Steve", "Andrew": "Andy", "Peter": "Pete", "David": "Dave",
         "Timothy": "Tim", "Patrick": "Pat", "Frederick": "Fred", "Victoria": "Vicky", "Natasha": "Tash",
         "Abigail": "Abby", "Jennifer": "Jenny", "Kimberly": "Kim", "Deborah": "Debbie", "Margaret": "Maggie",
         "Katie": "Kate", "Charlotte": "Charlie"}
# Names parents give twins that sound alike or differ by a letter or two (twins_alike), each name in _GIVEN_F or
# _GIVEN_M to its twin's, of the same sex.
TWIN_NAMES_ALIKE = {"Jack": "Jake", "Harry": "Harvey", "Joseph": "Josiah", "Lily": "Lila", "Isla": "Isha",
                    "Emily": "Emilia", "Freya": "Freda", "Chloe": "Cleo", "Megan": "Morgan", "Zara": "Zora",
                    "Hannah": "Anna", "Ava": "Ada"}
_FAMILY = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
           "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
           "Hughes", "Edwards", "Turner", "Hill", "Moore", "Cooper", "Ward", "Harrison", "Martin", "Baker", "Khan",
           "Hussain", "Ali", "Ahmed", "Akhtar", "Begum", "Iqbal", "Mahmood", "Shah", "Patel", "Kowalski",
           "Nowak", "Murphy", "Kelly", "Campbell", "Stewart", "Fletcher", "Hirst", "Sykes", "Haigh")
_STREETS = ("Oak Road", "Station Street", "Church Lane", "Moorgate Avenue", "Clifton Close", "Broom Drive",
            "Wentworth Crescent", "Whiston Grove", "Herringthorpe Court", "Wickersley Gardens", "High Street",
            "Mill Lane", "Park Road", "Victoria Terrace", "Greenfield Place", "Meadow Way")
_ABBREV = {"Road": "Rd", "Street": "St", "Lane": "Ln", "Avenue": "Ave", "Close": "Cl", "Drive": "Dr",
           "Crescent": "Cres", "Grove": "Gr", "Court": "Ct", "Gardens": "Gdns", "Terrace": "Terr", "Place": "Pl"}
_DISTRICTS = ("S60", "S61", "S62", "S63", "S64", "S65", "S66")
_UNIT = "ABDEFGHJLNPQRSTUWXYZ"
SOURCES = ("council-social-care", "police-records", "nhs-community", "school-sims", "voluntary-outreach")


@dataclass
class _Person:
    pid: int
    given: str
    middle: str
    family: str
    sex: str
    dob: dt.date
    nhs: str
    upn: str
    pnc: str
    address: str
    postcode: str
    phone: str
    email: str


def nhs_number(body: int) -> str | None:
    """A valid NHS number from nine digits, or None when no check digit exists for them."""
    digits = f"{body:09d}"
    check = normalise.nhs_check_digit(digits)
    return None if check is None else digits + str(check)


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    at = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.33:
        return text[:at] + text[at + 1:]
    if kind < 0.66:
        return text[:at] + text[at + 1] + text[at] + text[at + 2:]
    return text[:at] + rng.choice("aeiourstln") + text[at + 1:]


class SyntheticPartnership:
    """Persons and their source records. Households share family name, address, postcode and phone, and
    twins share a date of birth too: the pairs a careless model would merge."""

    def __init__(self, persons: int, *, seed: int = 1, records_per_person: tuple[int, int] = (1, 4),
                 noise: float = 1.0, twins: float = 0.03, twins_alike: float = 0.0) -> None:
        """`twins`: the share of households of two or more children whose first two are twins; `twins_alike`:
        the share of twins given names alike (TWIN_NAMES_ALIKE). With the defaults the records are the same
        as before either knob existed."""
        self.rng = random.Random(seed)
        self.noise = noise
        self.records_per_person = records_per_person
        self.twins, self.twins_alike = twins, twins_alike
        self.twin_pairs: list[tuple[int, int, bool]] = []  # (person id, person id, named alike)
        self.persons: list[_Person] = []
        self._nhs_next = 400_000_000 + seed * 7919
        while len(self.persons) < persons:
            self._household(persons - len(self.persons))

    def _new_nhs(self) -> str:
        while True:
            self._nhs_next += 1
            number = nhs_number(self._nhs_next)
            if number:
                return number

    def _household(self, room: int) -> None:
        rng = self.rng
        family = rng.choice(_FAMILY)
        number = rng.randint(1, 180)
        street = rng.choice(_STREETS)
        postcode = f"{rng.choice(_DISTRICTS)} {rng.randint(1, 9)}{rng.choice(_UNIT)}{rng.choice(_UNIT)}"
        phone = f"+447{rng.randint(100_000_000, 999_999_999)}"
        size = min(room, rng.choice((1, 1, 2, 2, 3, 4)))
        twins = size >= 2 and rng.random() < self.twins
        alike = twins and self.twins_alike > 0 and rng.random() < self.twins_alike
        base_dob = dt.date(2004, 1, 1) + dt.timedelta(days=rng.randrange(0, 20 * 365))
        used: set[str] = set()
        for k in range(size):
            if alike and k == 1:  # the second twin: the first's sex, a name alike
                sex, given = self.persons[-1].sex, TWIN_NAMES_ALIKE[self.persons[-1].given]
            elif alike and k == 0:
                given = rng.choice(sorted(TWIN_NAMES_ALIKE))
                sex = "F" if given in _GIVEN_F else "M"
            else:
                sex = rng.choice("FM")
                given = rng.choice(_GIVEN_F if sex == "F" else _GIVEN_M)
                while given in used:  # parents do not give two children one name
                    given = rng.choice(_GIVEN_F if sex == "F" else _GIVEN_M)
            used.add(given)
            if twins and k == 1:
                self.twin_pairs.append((len(self.persons) - 1, len(self.persons), alike))
            middle = rng.choice(_GIVEN_F if sex == "F" else _GIVEN_M) if rng.random() < 0.5 else ""
            # Brothers and sisters are born a year or more apart, except twins.
            dob = base_dob if twins and k < 2 else base_dob + dt.timedelta(days=k * rng.randrange(380, 1100))
            pid = len(self.persons)
            self.persons.append(_Person(
                pid=pid, given=given, middle=middle, family=family, sex=sex, dob=dob, nhs=self._new_nhs(),
                upn=f"H{rng.randrange(10**11, 10**12)}{rng.choice(_UNIT)}", pnc=f"{rng.randint(10, 24)}/"
                f"{rng.randrange(10**6, 10**7)}{rng.choice(_UNIT)}", address=f"{number} {street}",
                postcode=postcode, phone=phone,
                email=f"{given.lower()}.{family.lower()}{rng.randint(1, 99)}@example.org",
            ))

    def _record(self, person: _Person, source: str, uid: int) -> dict[str, object]:
        rng = self.rng
        noise = self.noise

        def chance(p: float) -> bool:
            return rng.random() < p * noise

        given, family, middle = person.given, person.family, person.middle
        other: list[str] = []
        if chance(0.12) and given in _NICK:
            if chance(0.3):
                other.append(given)
            given = _NICK[given]
        if chance(0.05):
            given = _typo(rng, given)
        if chance(0.05):
            family = _typo(rng, family)
        if chance(0.01):
            given, family = family, given
        if chance(0.05):
            other.append(family)
            family = rng.choice(_FAMILY)  # a new family name, the old one kept as a previous name
        if chance(0.02):
            given = given[0]
        if middle and chance(0.4):
            middle = "" if rng.random() < 0.7 else middle[0]
        dob = person.dob.isoformat()
        r = rng.random() / max(noise, 1e-9)
        if r < 0.03:
            dob = ""
        elif r < 0.06:
            dob = dob[:7] if rng.random() < 0.5 else dob[:4]
        elif r < 0.08 and person.dob.day <= 12 and person.dob.day != person.dob.month:
            dob = f"{person.dob.year:04d}-{person.dob.day:02d}-{person.dob.month:02d}"
        elif r < 0.10:
            dob = (person.dob + dt.timedelta(days=rng.choice((-1, 1)))).isoformat()
        address = person.address
        for full, short in _ABBREV.items():
            if address.endswith(full) and rng.random() < 0.3:
                address = address[: -len(full)] + short
        if rng.random() < 0.4:
            address += ", Eastwood"
        postcode = person.postcode
        if chance(0.15):  # moved: a different address and postcode
            address = f"{rng.randint(1, 180)} {rng.choice(_STREETS)}"
            postcode = f"{rng.choice(_DISTRICTS)} {rng.randint(1, 9)}{rng.choice(_UNIT)}{rng.choice(_UNIT)}"
        if chance(0.05):
            address = ""
        if chance(0.05):
            postcode = ""
        nhs = person.nhs if source == "nhs-community" or rng.random() < 0.4 else ""
        nhs_valid = bool(nhs)
        if nhs and chance(0.01):
            nhs = nhs[:4] + str((int(nhs[4]) + 1) % 10) + nhs[5:]
            nhs_valid = False
        return {
            "unique_id": uid, "source_system": source, "record_id": f"{source[:3].upper()}-{uid}",
            "given_name": given, "middle_names": middle, "family_name": family, "other_names": ";".join(other),
            "date_of_birth": dob, "sex": person.sex if not chance(0.02) else "U",
            "nhs_number": nhs, "nhs_number_valid": nhs_valid,
            "upn": person.upn if source == "school-sims" else "",
            "pnc_id": person.pnc if source == "police-records" else "",
            "address": address, "postcode": postcode,
            "phones": person.phone if rng.random() < 0.6 else "",
            "emails": person.email if rng.random() < 0.3 else "",
        }

    def records(self, *, first_id: int = 1) -> tuple[pa.Table, dict[int, int]]:
        """The source records as an Arrow table with INPUT_COLUMNS, and unique_id -> true person id."""
        rows: list[dict[str, object]] = []
        truth: dict[int, int] = {}
        uid = first_id
        low, high = self.records_per_person
        for person in self.persons:
            count = self.rng.randint(low, high)
            sources = self.rng.sample(SOURCES, min(count, len(SOURCES)))
            while len(sources) < count:
                sources.append(self.rng.choice(SOURCES))  # a duplicate inside one system
            for source in sources:
                rows.append(self._record(person, source, uid))
                truth[uid] = person.pid
                uid += 1
        order = list(range(len(rows)))
        self.rng.shuffle(order)
        shuffled = [rows[i] for i in order]
        table = pa.Table.from_pylist([{"role": "", **row} for row in shuffled]).select(list(INPUT_COLUMNS))
        return table, truth


def pairwise_scores(clusters: pa.Table, truth: Mapping[int, Hashable]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of predicted persons (clusters) against the true persons."""
    from collections import Counter

    ids = clusters.column("unique_id").to_pylist()
    cids = clusters.column("cluster_id").to_pylist()
    predicted = Counter(cids)
    actual = Counter(truth[i] for i in ids)
    both = Counter((c, truth[i]) for i, c in zip(ids, cids, strict=True))

    def pairs(counter: Counter[object]) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    tp, pp, ap = pairs(both), pairs(predicted), pairs(actual)  # type: ignore[arg-type]
    precision = tp / pp if pp else 1.0
    recall = tp / ap if ap else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": ap, "predicted_pairs": pp,
            "correct_pairs": tp}
