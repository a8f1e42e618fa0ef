"""The demo partnership's families: households of children with their parents or carers, the
systems that hold each of them and the links those systems know, and the ordinary run of
childhood in agencies' records (A&E, absences, stops, referrals), at rates that give a careless
early-warning rule plenty of false positives.

``Everyday`` holds the behavioural assumptions about children who are not exploited, as knobs:
the reasons other than exploitation that children go missing or miss school (children in care
who run from placements, family conflict, young carers, anxious children), and how often
teenagers use sexual health services. The defaults are the generator as it always was: none of
the extra groups, and not one extra random draw, so a seed gives the same bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safeguarding.demo import names as words
from safeguarding.demo.agencies import COUNCIL, NHS, POLICE, SCHOOL, VOLUNTARY, Agencies
from safeguarding.demo.networks import Exploitation, Networks
from safeguarding.demo.world import MINUTES_PER_DAY, YEAR, Home, Person, World
from safeguarding.demo.writer import ExtractWriter


@dataclass(frozen=True)
class Everyday:
    """Children who are not exploited but go missing or miss school for other reasons, and the
    ordinary rates that most resemble signs of exploitation. Shares are of the children of the
    group's ages; rates are a year, for each child of the group (each child's own rate varies
    around it, so a few run very often, as in real areas)."""

    # Looked-after children aged 10-17 in placements they run from (about one child in a hundred
    # aged 10-17 is looked after; about one in ten of them goes missing in a year, several times).
    in_care: float = 0.0
    care_missing_per_year: float = 8.0
    # Of their missing episodes, the share that end with the child found at family's or friends'
    # adults' homes (recorded by the police as found with an adult).
    care_found_with_family: float = 0.1
    # Children aged 11-17 in conflict at home, who stay out or at friends' after arguments.
    family_conflict: float = 0.0
    conflict_missing_per_year: float = 3.0
    # School-age children caring for a parent (absent often, never missing).
    young_carers: float = 0.0
    # Children aged 11-17 with anxiety or emotionally based school avoidance (absent very often; some
    # self-harm and A&E attendances).
    anxious: float = 0.0
    # Sexual health attendances a year (contraception, screening) from this age, for every teenager.
    teen_sexual_health: float = 0.05
    sexual_health_from_age: float = 14.0


# What each extra group's children do besides the ordinary run (``Households.other_reasons``).
IN_CARE, CONFLICT, CARER, ANXIOUS = "in care", "family conflict", "young carer", "anxious"


class Households:
    """Household after household, each with its records in the agencies' systems."""

    def __init__(self, world: World, agencies: Agencies, networks: Networks, out: ExtractWriter,
                 everyday: Everyday | None = None) -> None:
        self.world = world
        self.agencies = agencies
        self.networks = networks
        self.out = out
        self.everyday = everyday or Everyday()
        self.rng = world.rng
        self.random = world.random
        self.start, self.end = world.start, world.end
        self.care_homes: list[tuple[str, str]] = []  # (name, postcode) of the placements children run from

    def household(self, first_index: int, exploited_at: dict[int, int]) -> int:
        """Make one household and its records; return how many children it had."""
        world = self.world
        rng = self.rng
        random_ = self.random
        r = random_()
        size = 1 if r < 0.38 else 2 if r < 0.75 else 3 if r < 0.92 else 4 if r < 0.98 else 5
        size = min(size, world.children_total - first_index)
        heritage = world.heritage()
        # Most fathers share the mother's community; some do not, and some children take his name.
        father_heritage = heritage if random_() < 0.92 else world.heritage()
        family = rng.choice(heritage.surnames)
        father_family = family if random_() < 0.7 else rng.choice(father_heritage.surnames)
        homes = [world.new_home(self.start - 3000)]
        if random_() < 0.12:
            homes.append(world.new_home(world.between(self.start + 30, self.end - 30)))  # moved house
        landline = world.new_landline() if random_() < 0.2 else ""

        # (person, network index: -1 exploited outside a network, -2 not exploited, exploitation plan)
        kids: list[tuple[Person, int, Exploitation | None]] = []
        for offset in range(size):
            network = exploited_at.get(first_index + offset, -2)
            kid, plan = self.child_person(family, father_family, network,
                                          heritage if random_() < 0.6 else father_heritage)
            kids.append((kid, network, plan))
        oldest = min(kid.dob for kid, _, _ in kids)

        carer_only = random_() < 0.04
        mother: Person | None = None
        father: Person | None = None
        carer: Person | None = None
        if carer_only:
            carer = world.new_person(sex="F", dob=oldest - round((40 + 20 * random_()) * YEAR), child=False,
                                     family=family, heritage=heritage)
        else:
            if random_() < 0.95:
                mother = world.new_person(sex="F", dob=oldest - round((18 + 20 * random_()) * YEAR), child=False,
                                          family=family, heritage=heritage)
                if random_() < 0.3:
                    mother.other_family = rng.choice(heritage.surnames)  # maiden name, held by some systems
            if random_() < 0.55 or mother is None:
                father = world.new_person(sex="M", dob=oldest - round((20 + 22 * random_()) * YEAR), child=False,
                                          family=father_family, heritage=father_heritage)
        adults = [a for a in (mother, father, carer) if a is not None]
        for adult in adults:
            adult.phones.append(world.new_mobile())
            if landline and random_() < 0.7:
                adult.phones.append(landline)
            if random_() < 0.3:
                adult.email = world.email(adult.given, adult.family)
        contact = [a.phones[0] for a in adults][:2]

        council_children: list[tuple[Person, str]] = []
        police_children: list[tuple[Person, str]] = []
        father_homes = homes if random_() < 0.6 else [world.new_home(self.start - 500)]  # living apart
        for kid, network, plan in kids:
            records = self.child_records(kid, homes, contact, network, plan)
            if COUNCIL in records:
                council_children.append((kid, records[COUNCIL][0]))
            if POLICE in records:
                police_children.append((kid, records[POLICE][0]))
        self.family_records(COUNCIL, council_children, mother, father, carer, homes, father_homes, 0.95, 0.5)
        self.family_records(POLICE, police_children, mother, father, carer, homes, father_homes, 0.45, 0.25)
        return size

    def family_records(self, system: str, kids: list[tuple[Person, str]], mother: Person | None,
                       father: Person | None, carer: Person | None, homes: list[Home],
                       father_homes: list[Home], mother_rate: float, father_rate: float) -> None:
        """Parents and carers of the children a system holds, and the links it knows between them."""
        world = self.world
        if not kids:
            return
        random_ = self.random
        for adult, rate, relationship in ((mother, mother_rate, "parent"), (father, father_rate, "parent"),
                                          (carer, 0.95, "carer")):
            if adult is None or random_() > rate:
                continue
            record_id = self.agencies.record(system, adult, father_homes if adult is father else homes, "adult")
            for kid, kid_record in kids:
                start = world.iso(kid.dob) if relationship == "parent" else world.iso(world.between(kid.dob, self.end))
                self.agencies.relationship(system, record_id, kid_record, relationship, start)
        if system == COUNCIL:
            for i, (_, left) in enumerate(kids):
                for _, right in kids[i + 1:]:
                    self.agencies.relationship(system, left, right, "sibling", "")

    def child_person(self, family: str, father_family: str, network: int,
                     heritage: words.Heritage) -> tuple[Person, Exploitation | None]:
        world = self.world
        random_ = self.random
        rng = self.rng
        sex = "F" if random_() < 0.49 else "M"
        if network >= 0 and self.networks.planted[network].kind == "sexual":
            sex = "F" if random_() < 0.85 else "M"
        elif network >= 0:
            sex = "M" if random_() < 0.85 else "F"
        if network == -2:
            # Ages at the end of the period: 0-17, and a few who turned 18 during it.
            age = 18 * random_() if random_() > 0.04 else 18 + 2 * random_()
            dob = self.end - round(age * YEAR)
        else:
            dob = 0  # set when the exploitation is planned, from the age it began
        person = world.new_person(sex=sex, dob=dob, child=True, family=family, heritage=heritage)
        r = random_()
        if family != father_family and r < 0.4:
            person.family = father_family
            if random_() < 0.3:
                person.other_family = f"{father_family}-{family}" if random_() < 0.5 else family
        elif r < 0.05:
            person.other_family = f"{family}-{rng.choice(words.ALL_SURNAMES)}"  # double-barrelled by some
        elif r < 0.08:
            person.other_family = rng.choice(words.ALL_SURNAMES)  # a step-parent's name, in some systems
        plan = self.networks.plan_exploitation(person, network) if network != -2 else None
        return person, plan

    def child_records(self, kid: Person, homes: list[Home], contact: list[str], network: int,
                      exploitation: Exploitation | None) -> dict[str, list[str]]:
        """Which systems hold the child, their records there, and everything that happened."""
        world = self.world
        random_ = self.random
        role = world.role(kid)
        age_end = (self.end - kid.dob) / YEAR
        if age_end >= 11 and random_() < 0.6:
            kid.phones.append(world.new_mobile())
        if random_() < 0.05:
            kid.nhs = ""  # not registered with a GP: NHS number unknown to every agency

        systems: list[str] = []
        in_school = 4.5 <= age_end < 18 + 0.2 and random_() < (0.97 if age_end < 16 else 0.75)
        groups = self.other_reasons(age_end, in_school) if exploitation is None else set()
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
            # Whoever a child's reason brings them to the attention of holds a record of them.
            for system in ((COUNCIL, POLICE) if IN_CARE in groups else ()) + ((POLICE,) if CONFLICT in groups else ()) \
                    + ((COUNCIL,) if CARER in groups or CONFLICT in groups else ()) \
                    + ((NHS,) if ANXIOUS in groups else ()):
                if system not in systems:
                    systems.append(system)
        if SCHOOL in systems:
            kid.upn = world.new_upn(date.fromordinal(kid.dob).year)
        if POLICE in systems and age_end >= 12 and random_() < 0.25:
            kid.pnc = world.new_pnc(date.fromordinal(world.between(world.age_day(kid, 10), self.end)).year)

        records: dict[str, list[str]] = {}
        for system in systems:
            contacts = contact if system in (SCHOOL, COUNCIL, NHS) else contact[:1]
            records[system] = [self.agencies.record(system, kid, homes, role, contact_phones=contacts)]
            if system in (POLICE, NHS, COUNCIL) and random_() < 0.006:
                # A duplicate inside one system: created again at a later contact, never merged.
                records[system].append(self.agencies.record(system, kid, homes[-1:], role))
        self.background_events(kid, records, exploitation)
        if groups:
            self.other_reasons_events(kid, records, groups)
        if exploitation is not None:
            self.networks.exploitation_events(kid, records, network, exploitation)
        return records

    # -- children who go missing or miss school for reasons other than exploitation

    def other_reasons(self, age_end: float, in_school: bool) -> set[str]:
        """Which of the extra groups a child who is not exploited belongs to. No group is drawn
        (and no random number) whose share is zero, so the default generator is unchanged."""
        everyday = self.everyday
        random_ = self.random
        groups: set[str] = set()
        if everyday.in_care and 10 <= age_end < 18 and random_() < everyday.in_care:
            groups.add(IN_CARE)
        if everyday.family_conflict and 11 <= age_end < 18 and random_() < everyday.family_conflict:
            groups.add(CONFLICT)
        if everyday.young_carers and in_school and 8 <= age_end < 18 and random_() < everyday.young_carers:
            groups.add(CARER)
        if everyday.anxious and in_school and 11 <= age_end < 18 and random_() < everyday.anxious:
            groups.add(ANXIOUS)
        return groups

    def care_home(self) -> tuple[str, str]:
        """The placement a looked-after child runs from: a few children share each children's home."""
        if not self.care_homes or self.random() < 0.3:
            street = self.world.streets[int(len(self.world.streets) * self.random())]
            self.care_homes.append((f"Children's home, {street.name}", self.world.place_postcode(street.district)))
        return self.care_homes[int(len(self.care_homes) * self.random())]

    def other_reasons_events(self, kid: Person, records: dict[str, list[str]], groups: set[str]) -> None:
        """What each group's children leave in the agencies' records: missing episodes with their
        return home interviews, absences, and the health and police contacts that come with them.
        Nothing here is a sign of exploitation, though a rule that counts episodes cannot tell."""
        world = self.world
        rng = self.rng
        random_ = self.random
        everyday = self.everyday
        ev = self.agencies.event
        teen = world.window(kid, 10, 18)
        if IN_CARE in groups and teen:
            home = self.care_home()
            rate = everyday.care_missing_per_year * rng.expovariate(1.0)
            self.missing_episodes(kid, records, teen, rate, place=home, found_with_family=everyday.care_found_with_family,
                                  details=("Missing from care placement", "Absconded from placement, returned by staff",
                                           "Failed to return to placement by curfew"))
            if SCHOOL in records:
                self.agencies.absences(records, teen[0], teen[1], per_year=12.0)
            for _ in range(world.count_in(teen, 2.0)):
                ev(COUNCIL, records[COUNCIL][0], "other", world.dt(world.at(world.between(*teen), 9, 17)),
                   detail=rng.choice(("Looked after child review", "Placement visit by social worker",
                                      "Placement move")))
            for _ in range(world.count_in(teen, 0.6)):
                street = world.streets[int(len(world.streets) * random_())]
                ev(POLICE, records[POLICE][0], "police_stop", world.dt(world.at(world.between(*teen), 14, 24)),
                   location=street.name, postcode=self.agencies.postcode_text(street.postcodes[0]),
                   detail=rng.choice(("Spoken to about anti-social behaviour", "Stop and search, nothing found")))
            if NHS in records:
                for event_type, per_year, detail in (("substance_misuse", 0.3, "Alcohol and cannabis, brief intervention"),
                                                     ("self_harm", 0.2, "Superficial cuts"),
                                                     ("ae_attendance", 0.4, "Intoxicated, brought in by staff")):
                    for _ in range(world.count_in(teen, per_year)):
                        ev(NHS, records[NHS][0], event_type, world.dt(world.at(world.between(*teen), 0, 24)),
                           detail=detail)
        older = world.window(kid, 11, 18)
        if CONFLICT in groups and older:
            rate = everyday.conflict_missing_per_year * rng.expovariate(1.0)
            self.missing_episodes(kid, records, older, rate, place=None, found_with_family=0.05,
                                  details=("Argument at home, stayed at a friend's", "Left home after an argument",
                                           "Stayed at grandmother's without telling parents"))
            for _ in range(world.count_in(older, 0.5)):
                ev(POLICE, records[POLICE][0], "victim_of_crime", world.dt(world.at(world.between(*older), 17, 24)),
                   detail="Domestic incident at home, child present")
            for _ in range(world.count_in(older, 0.3)):
                ev(COUNCIL, records[COUNCIL][0], "concern", world.dt(world.at(world.between(*older), 8, 18)),
                   detail="Parents report they cannot manage the child's behaviour; arguments at home")
            if SCHOOL in records:
                self.agencies.absences(records, older[0], older[1], per_year=5.0)
        school_age = world.window(kid, 8, 18)
        if CARER in groups and school_age:
            self.agencies.absences(records, school_age[0], school_age[1], per_year=18.0)
            for _ in range(world.count_in(school_age, 1.0)):
                ev(COUNCIL, records[COUNCIL][0], "other", world.dt(world.at(world.between(*school_age), 9, 17)),
                   detail=rng.choice(("Young carers assessment", "Young carers' group")))
        if ANXIOUS in groups and older:
            self.agencies.absences(records, older[0], older[1], per_year=25.0)
            for event_type, per_year, detail in (("self_harm", 0.3, "Superficial cuts, low mood"),
                                                 ("ae_attendance", 0.2, "Panic attack")):
                for _ in range(world.count_in(older, per_year)):
                    ev(NHS, records[NHS][0], event_type, world.dt(world.at(world.between(*older), 0, 24)),
                       detail=detail)

    def missing_episodes(self, kid: Person, records: dict[str, list[str]], window: tuple[int, int], per_year: float,
                         *, place: tuple[str, str] | None, found_with_family: float, details: tuple[str, ...]) -> None:
        """Missing episodes reported to the police (from a placement: its name and postcode), each
        return followed by a return home interview, mostly in time."""
        world = self.world
        rng = self.rng
        random_ = self.random
        ev = self.agencies.event
        police = records[POLICE][0]
        for _ in range(world.count_in(window, per_year)):
            went = world.at(world.between(*window), 15, 24)
            back = went + int(60 * (2 + 30 * random_()))
            ended = world.dt(back) if back < (self.end + 1) * MINUTES_PER_DAY else ""
            ev(POLICE, police, "missing_episode", world.dt(went), ended_at=ended,
               location=place[0] if place else "",
               postcode=self.agencies.postcode_text(place[1]) if place else "", detail=rng.choice(details))
            if ended and random_() < found_with_family:
                ev(POLICE, police, "found_with_adult", world.dt(back - 30),
                   detail=rng.choice(("Found at birth mother's address", "Found at an uncle's flat",
                                      "Found at a friend's house with the friend's parents")))
            if ended and COUNCIL in records and random_() < 0.75:
                late = random_() < 0.3
                held = world.clip_hour(back + (int(1440 * (4 + 6 * random_())) if late else int(60 * (6 + 60 * random_()))))
                if held < (self.end + 1) * MINUTES_PER_DAY:
                    ev(COUNCIL, records[COUNCIL][0], "return_home_interview", world.dt(held),
                       detail="Return home interview completed" + (", outside 72 hours" if late else ""))


    # -- what happens to every child

    def background_events(self, kid: Person, records: dict[str, list[str]],
                          exploitation: Exploitation | None) -> None:
        """The ordinary run of childhood in agencies' records, at rates that give a careless rule
        plenty of false positives."""
        world = self.world
        rng = self.rng
        random_ = self.random
        ev = self.agencies.event
        dt = world.dt
        at = world.at
        iso = world.iso
        # Concerns after exploitation began are the exploitation's own; before it, ordinary ones.
        concern_until = exploitation[1] - 1 if exploitation else self.end
        if SCHOOL in records:
            school = records[SCHOOL][0]
            window = world.window(kid, 4.5, 18)
            if window:
                self.agencies.absences(records, window[0], window[1], per_year=9.0 if random_() < 0.12 else 1.2)
            for _ in range(world.count_in(world.window(kid, 8, 18), 0.03)):
                w = world.window(kid, 8, 18)
                assert w
                ev(SCHOOL, school, "school_exclusion", iso(world.between(*w)),
                   detail=rng.choice(("Fixed-term suspension, 1 day", "Fixed-term suspension, 2 days",
                                      "Internal exclusion")))
            for _ in range(world.count_in(world.window(kid, 4.5, 18), 0.015)):
                w = world.window(kid, 4.5, 18)
                assert w
                day = world.between(w[0], w[1])
                if day <= concern_until:
                    ev(SCHOOL, school, "concern", dt(at(day, 8, 17)), detail=rng.choice(words.BACKGROUND_CONCERNS))
            teen = world.window(kid, 11, 18)
            for event_type in ("gifts_or_money", "multiple_phones"):
                for _ in range(world.count_in(teen, 0.003)):
                    assert teen
                    ev(SCHOOL, school, event_type, iso(world.between(*teen)), detail="Noted by form tutor")
        if NHS in records:
            nhs = records[NHS][0]
            life = world.window(kid)
            young = world.window(kid, 0, 5)
            for _ in range(world.count_in(life, 0.22) + world.count_in(young, 0.2)):
                assert life
                ev(NHS, self.agencies.pick(records, NHS), "ae_attendance", dt(at(world.between(*life), 0, 24)),
                   detail=rng.choice(("Minor head injury, fall", "Asthma", "Fracture, playground fall",
                                      "Febrile illness", "Sprained ankle, sport", "Burn, kitchen accident")))
            for _ in range(world.count_in(life, 0.06)):
                assert life
                ev(NHS, nhs, "injury", dt(at(world.between(*life), 8, 20)), detail="Bruising, explanation consistent")
            teen = world.window(kid, 12, 18.5)
            for _ in range(world.count_in(teen, 0.012)):
                assert teen
                ev(NHS, nhs, "self_harm", dt(at(world.between(*teen), 0, 24)), detail="Superficial cuts")
            older = world.window(kid, self.everyday.sexual_health_from_age, 18.5)
            for _ in range(world.count_in(older, self.everyday.teen_sexual_health)):
                assert older
                ev(NHS, nhs, "sexual_health_attendance", dt(at(world.between(*older), 9, 18)),
                   detail=rng.choice(("Contraception advice", "STI screen, negative", "Routine clinic")))
            for _ in range(world.count_in(world.window(kid, 13, 18.5), 0.008)):
                w = world.window(kid, 13, 18.5)
                assert w
                ev(NHS, nhs, "substance_misuse", iso(world.between(*w)), detail="Alcohol, brief intervention")
            if kid.sex == "F":
                for _ in range(world.count_in(world.window(kid, 15.5, 19), 0.012)):
                    w = world.window(kid, 15.5, 19)
                    assert w
                    day = world.between(*w)
                    ev(NHS, nhs, "pregnancy", iso(day), detail="Pregnancy confirmed, booked with midwife")
        if POLICE in records:
            police = records[POLICE][0]
            before = self.out.event_rows
            teen = world.window(kid, 10, 18)
            for _ in range(world.count_in(teen, 0.18)):
                assert teen
                day = world.between(*teen)
                went = at(day, 15, 24)
                back = went + int(60 * (1 + 20 * random_()))
                ended = dt(back) if back < (self.end + 1) * MINUTES_PER_DAY else ""
                ev(POLICE, police, "missing_episode", dt(went), ended_at=ended,
                   detail=rng.choice(("Stayed at a friend's without telling parents", "Argument at home",
                                      "Late back from town, found by officers")))
                if ended and COUNCIL in records and random_() < 0.6:
                    held = world.clip_hour(back + int(60 * (6 + 80 * random_())))
                    if held < (self.end + 1) * MINUTES_PER_DAY:
                        ev(COUNCIL, records[COUNCIL][0], "return_home_interview", dt(held),
                           detail="Return home interview completed")
            stops = world.window(kid, 12, 18.5)
            for _ in range(world.count_in(stops, 0.2)):
                assert stops
                street = world.streets[int(len(world.streets) * random_())]
                ev(POLICE, police, "police_stop", dt(at(world.between(*stops), 12, 24)),
                   location=f"{street.name}", postcode=self.agencies.postcode_text(street.postcodes[0]),
                   detail=rng.choice(("Stop and search, nothing found", "Spoken to about anti-social behaviour")))
            life = world.window(kid)
            for _ in range(world.count_in(life, 0.15)):
                assert life
                ev(POLICE, police, "victim_of_crime", dt(at(world.between(*life), 0, 24)),
                   detail=rng.choice(("Theft of bike", "Assault by peer", "Domestic incident at home, child present",
                                      "Online harassment")))
            for _ in range(world.count_in(world.window(kid, 13, 18.5), 0.01)):
                w = world.window(kid, 13, 18.5)
                assert w
                ev(POLICE, police, "found_with_adult", dt(at(world.between(*w), 18, 24)),
                   detail="Found with 19-year-old boyfriend, parents aware")
            if self.out.event_rows == before and life:
                # A police record exists because something happened: a witness or victim statement.
                ev(POLICE, police, "other", dt(at(world.between(*life), 8, 22)), detail="Witness to road collision")
        if COUNCIL in records:
            council = records[COUNCIL][0]
            life = world.window(kid)
            if life:
                concerns = world.count_in(life, 0.45)
                if exploitation is None:
                    concerns = max(1, concerns)  # a child is known to the council because someone referred them
                for _ in range(concerns):
                    day = world.between(*life)
                    if day <= concern_until:
                        ev(COUNCIL, council, "concern", dt(at(day, 8, 18)),
                           detail=rng.choice(words.BACKGROUND_CONCERNS))
                for _ in range(world.count_in(life, 0.5)):
                    ev(COUNCIL, self.agencies.pick(records, COUNCIL), "other", dt(at(world.between(*life), 9, 17)),
                       detail=rng.choice(("Home visit", "Child in need review", "Early help review meeting")))
        if VOLUNTARY in records:
            life = world.window(kid)
            for _ in range(world.count_in(life, 1.0)):
                assert life
                ev(VOLUNTARY, records[VOLUNTARY][0], "other", iso(world.between(*life)),
                   detail=rng.choice(("Attended youth club", "Detached youth work contact", "Mentoring session")))
